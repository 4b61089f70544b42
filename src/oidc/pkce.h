/*
 * pkce.h - Proof Key for Code Exchange (RFC 7636), S256 only.
 */
#ifndef PO_OIDC_PKCE_H
#define PO_OIDC_PKCE_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 7636 §4.2: a valid S256 code_challenge is exactly 43 base64url
 * characters (the encoding of 32 bytes). */
bool pkce_challenge_valid(const char *c, size_t len);
/* RFC 7636 §4.1: code_verifier = 43*128 unreserved (ALPHA DIGIT - . _ ~). */
bool pkce_verifier_valid(const char *v, size_t len);
/* RFC 7636 §4.6: true iff verifier is valid and
 * BASE64URL(SHA256(ASCII(verifier))) equals challenge (constant-time). */
bool pkce_s256_matches(const char *verifier, size_t vlen, const char *challenge, size_t clen);

#endif
