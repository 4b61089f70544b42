/*
 * jws.h - compact JWS (RFC 7515 §7.1) for ID tokens (RFC 7519): signing and
 * verifying with RS256, ES256 and EdDSA keys (jose/jwk.h), and the OIDC
 * at_hash.
 *
 * The JWS Signature of each algorithm:
 *   RS256  RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), the size of the
 *          modulus;
 *   ES256  ECDSA P-256 with SHA-256 (RFC 7518 §3.4): R || S, 32 bytes each
 *          (64 bytes, never OpenSSL's DER);
 *   EdDSA  Ed25519 over the signing input itself (RFC 8037 §3.1): 64 bytes.
 *
 * All functions are thread-safe; keys are shared read-only.
 */
#ifndef PO_JOSE_JWS_H
#define PO_JOSE_JWS_H

#include <stddef.h>
#include <stdint.h>

#include "jose/jwk.h"

/* The largest at_hash (EdDSA: 32 bytes -> 43 characters) and its NUL. */
#define JOSE_AT_HASH_SIZE 44

/* Signs payload (the JSON claims, len bytes) with key k and returns the
 * compact serialization BASE64URL(header).BASE64URL(payload).BASE64URL(sig)
 * in *out (malloc'd, NUL-terminated; caller frees). The protected header is
 * {"alg":"<k's alg>","kid":"<kid>","typ":"JWT"}.
 * PO_OK, PO_ERR_INVALID (k cannot sign: a public key), PO_ERR_CRYPTO
 * (reason logged) or PO_ERR_NOMEM; *out NULL on error. */
int jose_jws_sign(const jose_key_t *k, const char *payload, size_t len, char **out);

/* The JWS Signature (RFC 7515 §5.1 step 5) of the signing input (in, len)
 * with k, in the form given above, into sig (sigsz bytes; *siglen gets the
 * length). PO_OK, PO_ERR_LIMIT (sig too small), PO_ERR_INVALID (public
 * key), PO_ERR_CRYPTO or PO_ERR_NOMEM. For tests against RFC vectors and
 * for callers that build their own header. */
int jose_jws_sig(const jose_key_t *k, const uint8_t *in, size_t len, uint8_t *sig, size_t sigsz, size_t *siglen);
/* Checks a JWS Signature over (in, len) with k. PO_OK if it is valid;
 * PO_ERR_INVALID if not, or if its length is not the algorithm's;
 * PO_ERR_NOMEM or PO_ERR_CRYPTO if it could not be checked. */
int jose_jws_sig_verify(const jose_key_t *k, const uint8_t *in, size_t len, const uint8_t *sig, size_t siglen);

/* OIDC Core §3.1.3.6 at_hash for RS256: base64url of the left-most 128 bits
 * of SHA-256(access_token) into out (>= 23 bytes). PO_OK, PO_ERR_LIMIT or
 * PO_ERR_CRYPTO (SHA-256 unavailable; logged). */
int jose_at_hash(const char *access_token, size_t len, char *out, size_t outsz);
/* at_hash for an ID token signed with alg: the left-most half of the hash
 * "used in the alg Header Parameter" (OIDC Core §3.1.3.6). RS256 and ES256
 * use SHA-256 (16 bytes, 22 characters). EdDSA names no hash in JWA; for
 * Ed25519 it is SHA-512 (32 bytes, 43 characters): the hash Ed25519 itself
 * uses (RFC 8032 §5.1), as agreed by the OpenID Connect working group
 * (openid/connect issue 1125, "_hash algorithm for EdDSA ID tokens") and
 * done by the OpenID Foundation's conformance suite and by openid-client.
 * out must hold JOSE_AT_HASH_SIZE bytes for every alg. Same returns. */
int jose_at_hash_alg(enum jose_alg alg, const char *access_token, size_t len, char *out, size_t outsz);
/* The same for the algorithm of k, with the hash k fetched when it was
 * made (no lookup in OpenSSL's provider store per token). Same returns. */
int jose_key_at_hash(const jose_key_t *k, const char *access_token, size_t len, char *out, size_t outsz);

/* Verifies a compact JWS with key k: three base64url parts, a protected
 * header that is a JSON object with "alg" equal to k's (never trusting
 * another: RFC 8725 §3.1), "kid" equal to k's and no "crit", and a valid
 * signature of exactly the algorithm's size. Returns PO_OK if all holds,
 * PO_ERR_INVALID if not (or if the token is malformed); PO_ERR_NOMEM or
 * PO_ERR_CRYPTO if it could not be checked. On success, if payload is not
 * NULL, *payload gets the decoded payload (malloc'd, NUL-terminated; caller
 * frees). Claims (exp, aud...) are the caller's to check. */
int jose_jws_verify(const jose_key_t *k, const char *jws, size_t len, char **payload);

/* Reads the "kid" of a compact JWS's protected header into kid (kidsz
 * bytes, NUL-terminated), without verifying anything: to find the key to
 * verify it with. PO_OK; PO_ERR_INVALID if the token is malformed, has no
 * string kid, or the kid does not fit. */
int jose_jws_kid(const char *jws, size_t len, char *kid, size_t kidsz);

#endif
