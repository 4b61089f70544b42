/*
 * jws.h - compact JWS signing (RFC 7515 §7.1) for ID tokens (RFC 7519).
 */
#ifndef PO_JOSE_JWS_H
#define PO_JOSE_JWS_H

#include <stddef.h>

#include "jose/jwk.h"

/* Signs payload (the JSON claims, len bytes) with key k and returns the
 * compact serialization BASE64URL(header).BASE64URL(payload).BASE64URL(sig)
 * in *out (malloc'd, NUL-terminated; caller frees). The protected header is
 * {"alg":"RS256","kid":"<kid>","typ":"JWT"}.
 * PO_OK, PO_ERR_CRYPTO (reason logged) or PO_ERR_NOMEM; *out NULL on error.
 * Thread-safe. */
int jose_jws_sign(const jose_key_t *k, const char *payload, size_t len, char **out);

/* OIDC Core §3.1.3.6 at_hash for RS256: base64url of the left-most 128 bits
 * of SHA-256(access_token) into out (>= 23 bytes). PO_OK, PO_ERR_LIMIT or
 * PO_ERR_CRYPTO (SHA-256 unavailable; logged). */
int jose_at_hash(const char *access_token, size_t len, char *out, size_t outsz);

/* Verifies a compact RS256 JWS made by jose_jws_sign with key k. For tests
 * and tools. Returns PO_OK if the signature is valid, PO_ERR_INVALID if not
 * (or if the token is malformed, or its header is not RS256 with k's kid);
 * PO_ERR_NOMEM or PO_ERR_CRYPTO if it could not be checked.
 * On success, if payload is not NULL, *payload gets the decoded payload
 * (malloc'd, NUL-terminated; caller frees). */
int jose_jws_verify(const jose_key_t *k, const char *jws, size_t len, char **payload);

#endif
