/*
 * jose_int.h - internals shared by the files of the jose module only
 * (jwk.c, jwk_pem.c, jwk_file.c, jws.c).
 *
 * Not a module contract: nothing outside src/jose/ includes this file. It
 * holds the key structure, so that jws.c can reuse what jwk.c prepared once
 * per key (the encoded JWS protected header, the algorithm) instead of
 * rebuilding it on every signature, and so that all files report OpenSSL
 * failures the same way.
 */
#ifndef PO_JOSE_JOSE_INT_H
#define PO_JOSE_JOSE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "jose/jwk.h"

/* base64url of a SHA-256 digest: 32 bytes -> 43 characters. */
#define JWK_KID_LEN 43
/* RFC 7518 §3.3: keys of 2048 bits or larger MUST be used with RS256. */
#define JWK_RSA_BITS 2048
/* RFC 7518 §3.4 (P-256 coordinates and the r, s halves of an ES256
 * signature) and RFC 8032 §5.1.5 (an Ed25519 public key): 32 bytes. */
#define JWK_P256_COORD 32
#define JWK_ED25519_PUB 32

/* A key. Every member is set once by jwk.c when the key is built and never
 * changed after, so a key can be used from any thread. */
struct jose_key {
	EVP_PKEY *pkey; /* owned (a reference); freeing clears the private part */
	enum jose_alg alg;
	bool priv;   /* holds a private key (can sign) */
	char *n, *e; /* RSA: base64url modulus and exponent; else NULL */
	char *x, *y; /* EC: both coordinates; OKP: x only; else NULL */
	char *hdr;   /* base64url JWS protected header */
	size_t hdr_len;
	char kid[JWK_KID_LEN + 1]; /* RFC 7638 thumbprint */
	/* Set up once by jose_key_prepare (NULL when that failed: then each
	 * call sets itself up). Setting up a signature or a hash fetches the
	 * algorithm from OpenSSL's provider store every time, which cost as
	 * much as all the rest of an ID token but the signature itself
	 * (docs/PERFORMANCE.md). */
	EVP_MD_CTX *sign_tmpl; /* private keys: DigestSign ready to copy */
	EVP_MD *hash;          /* at_hash's: SHA-256, or SHA-512 for EdDSA */
};

/* The base64url-encoded JWS protected header of k (RFC 7515 §7.1),
 * {"alg":"<alg>","kid":"<kid>","typ":"JWT"}, built when the key was made.
 * Borrowed: lives as long as the key. *len gets its length. */
const char *jose_key_header_b64(const jose_key_t *k, size_t *len);

/* true if s is a non-empty base64url string (RFC 4648 §5, no padding). */
bool jwk_is_b64url(const char *s);
/* true if s is a curve name: [A-Za-z0-9-]+ ("P-256", "Ed25519"). */
bool jwk_is_crv(const char *s);

/* Sets up k->sign_tmpl and k->hash (jws.c). Best effort: a key without
 * them still signs and hashes, only slower. */
void jose_key_prepare(jose_key_t *k);

/* Builds a key around pkey, which must already have been checked to fit
 * alg (jwk_pem.c and jose_key_from_jwk do). Takes ownership of *pkeyp on
 * success (then *pkeyp is NULL); on failure *pkeyp is left to the caller.
 * PO_OK, PO_ERR_NOMEM, PO_ERR_INVALID or PO_ERR_CRYPTO. */
int jose_key_wrap(enum jose_alg alg, bool priv, EVP_PKEY **pkeyp, jose_key_t **out);

/* Logs "what: <OpenSSL error queue>" at error level and empties this
 * thread's OpenSSL error queue. The queue holds library and reason codes
 * only, never key material. */
void jose_log_crypto(const char *what);

#endif
