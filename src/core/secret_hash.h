/*
 * secret_hash.h - client secrets kept as scrypt hashes (RFC 7914, OpenSSL's
 * EVP_KDF "SCRYPT"), written as a PHC string (the P-H-C string format,
 * https://github.com/P-H-C/phc-string-format/blob/master/phc-sf-spec.md):
 *
 *   $scrypt$ln=13,r=8,p=1$<salt>$<hash>
 *
 * N = 2^ln, r and p are scrypt's parameters; salt and hash are standard
 * base64 without padding (the PHC "B64"). The parameters travel with the
 * value, so a later default never breaks an older hash; their bounds are
 * LIM_SECRET_HASH_* (po_limits.h), checked when the value is parsed, so a
 * typo cannot make one verification take seconds or gigabytes.
 *
 * Pure functions: no global state, nothing logged (secrets never are). The
 * caller wipes its copies of the secret.
 */
#ifndef PO_CORE_SECRET_HASH_H
#define PO_CORE_SECRET_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "po_limits.h"

/* "$scrypt$" */
#define SECRET_HASH_PREFIX "$scrypt$"

/* A parsed value. Holds no secret, but is wiped on clear anyway (a hash
 * helps guess a weak secret offline). */
typedef struct secret_hash {
	unsigned ln; /* N = 2^ln */
	unsigned r;
	unsigned p;
	uint8_t salt[LIM_SECRET_HASH_BYTES_MAX];
	size_t salt_len;
	uint8_t hash[LIM_SECRET_HASH_BYTES_MAX];
	size_t hash_len;
} secret_hash_t;

/* Parses the PHC string (s, len). NULL on success (*out filled), else a
 * phrase saying what is wrong, for a configuration message ("has no salt",
 * "asks for more work than ..."); it never quotes s. */
const char *secret_hash_parse(const char *s, size_t len, secret_hash_t *out);

/* Hashes (secret, len) with the default parameters (LIM_SECRET_HASH_*_DEFAULT)
 * and a fresh random salt, and writes the PHC string, NUL-terminated, into
 * out (at least LIM_SECRET_HASH_STR_MAX bytes). PO_OK, PO_ERR_LIMIT (out too
 * small) or PO_ERR_CRYPTO. */
int secret_hash_make(const char *secret, size_t len, char *out, size_t outsz);

/* Derives the hash of (secret, len) with h's parameters and salt and
 * compares it with h's hash in constant time: *match says whether they are
 * equal. PO_OK (whatever the answer) or PO_ERR_CRYPTO / PO_ERR_NOMEM (then
 * *match is false). Costs what h's parameters ask: call it off any lock. */
int secret_hash_verify(const secret_hash_t *h, const char *secret, size_t len, bool *match);

/* Wipes h. */
void secret_hash_clear(secret_hash_t *h);

#endif
