/*
 * rnd.h - randomness from OpenSSL's CSPRNG, and random URL-safe tokens.
 */
#ifndef PO_CORE_RND_H
#define PO_CORE_RND_H

#include <stddef.h>

/* Fills p with n cryptographically secure random bytes. PO_OK or
 * PO_ERR_CRYPTO. */
int rnd_bytes(void *p, size_t n);
/* Writes a base64url token of nbytes random bytes (no padding) into out,
 * NUL-terminated. outsz must be at least 4*ceil(nbytes/3)+1. PO_OK,
 * PO_ERR_LIMIT (out too small) or PO_ERR_CRYPTO. */
int rnd_token(char *out, size_t outsz, size_t nbytes);

#endif
