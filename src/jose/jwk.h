/*
 * jwk.h - the provider's signing key: created once, loaded once, published as
 * a JWK (RFC 7517) whose "kid" is its RFC 7638 thumbprint.
 *
 * The key is RSA-2048 (RS256 is what every relying party accepts: see
 * docs/INTEGRATIONS.md). It lives in DATA_DIR/signing-key.pem (PKCS#8 PEM,
 * mode 0600, created atomically: written to a temporary file, fsync'd, then
 * renamed), so a restart keeps the same key and kid.
 *
 * A jose_key_t is immutable after creation and safe to use from any thread.
 */
#ifndef PO_JOSE_JWK_H
#define PO_JOSE_JWK_H

#include <stddef.h>

#include <jansson.h>

typedef struct jose_key jose_key_t;

/* Loads DATA_DIR/signing-key.pem, or generates an RSA-2048 key and writes it
 * there (0600) if the file does not exist. *created is set to 1 when a key
 * was generated (may be NULL). An existing file that cannot be parsed, or is
 * not RSA >= 2048 bits, is an error (never silently replaced).
 * PO_OK, PO_ERR_IO, PO_ERR_INVALID, PO_ERR_CRYPTO or PO_ERR_NOMEM; on error
 * *out is NULL and the reason has been logged. */
int jose_key_load_or_create(const char *data_dir, jose_key_t **out, int *created);
/* Builds a key from PEM text (PKCS#8 or traditional RSA). Same returns. */
int jose_key_from_pem(const char *pem, size_t len, jose_key_t **out);
/* Frees the key (wiping the private part). Accepts NULL. */
void jose_key_free(jose_key_t *k);

/* The key id: base64url RFC 7638 SHA-256 thumbprint (43 characters).
 * Borrowed: lives as long as the key. */
const char *jose_key_kid(const jose_key_t *k);
/* The JWS algorithm name, "RS256". Static string. */
const char *jose_key_alg(const jose_key_t *k);
/* Returns a new JSON object with the public JWK:
 * {"kty":"RSA","use":"sig","alg":"RS256","kid":...,"n":...,"e":...}.
 * Caller owns the reference (json_decref). NULL on allocation failure. */
json_t *jose_key_public_jwk(const jose_key_t *k);

/* RFC 7638 §3 thumbprint of an RSA public key given as base64url n and e:
 * SHA-256 over {"e":"..","kty":"RSA","n":".."} (members in lexical order, no
 * whitespace), base64url-encoded into out (>= 44 bytes, NUL-terminated).
 * PO_OK, PO_ERR_LIMIT (out too small), PO_ERR_INVALID (n or e empty or not
 * base64url) or PO_ERR_CRYPTO. */
int jose_rsa_thumbprint(const char *n_b64, const char *e_b64, char *out, size_t outsz);

/* Opaque access for jws.c only: the EVP_PKEY behind the key. */
struct evp_pkey_st;
struct evp_pkey_st *jose_key_pkey(const jose_key_t *k);

#endif
