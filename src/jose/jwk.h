/*
 * jwk.h - signing keys: RS256 (RSA-2048 and up), ES256 (P-256) and EdDSA
 * (Ed25519), made, read from PEM and published as JWKs (RFC 7517) whose
 * "kid" is their RFC 7638 thumbprint.
 *
 * RS256 is what every relying party accepts (Cloudflare Access needs it:
 * docs/INTEGRATIONS.md); ES256 (RFC 7518 §3.4) and EdDSA (RFC 8037) are
 * there for clients that ask for them ([client.NAME]
 * id_token_signed_response_alg).
 *
 * The key file of plex-oidc up to the key ring, DATA_DIR/signing-key.pem
 * (PKCS#8 PEM, mode 0600, created atomically: written to a temporary file,
 * fsync'd, then renamed), is still read and created here
 * (jose_key_load_or_create); the key ring (keys/keyring.h) reads it once to
 * take it over.
 *
 * A jose_key_t is immutable after creation and safe to use from any thread.
 */
#ifndef PO_JOSE_JWK_H
#define PO_JOSE_JWK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct jose_key jose_key_t;

/* JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1). The values index tables
 * and make bit sets (JOSE_ALG_BIT): never reorder them. */
enum jose_alg {
	JOSE_RS256 = 0,
	JOSE_ES256 = 1,
	JOSE_EDDSA = 2
};
#define JOSE_ALG_COUNT 3
#define JOSE_ALG_BIT(a) (1u << (unsigned)(a))
#define JOSE_ALGS_ALL ((1u << JOSE_ALG_COUNT) - 1u)
/* A kid (43 base64url characters) and its NUL. */
#define JOSE_KID_SIZE 44

/* "RS256", "ES256" or "EdDSA" (the JWA names). Static string; "?" for a
 * value outside the enum. */
const char *jose_alg_name(enum jose_alg alg);
/* Parses a JWA name (exact, case-sensitive) of (s, len). PO_OK or
 * PO_ERR_INVALID. */
int jose_alg_parse(const char *s, size_t len, enum jose_alg *out);

/* Loads DATA_DIR/signing-key.pem, or generates an RSA-2048 key and writes it
 * there (0600) if the file does not exist. *created is set to 1 when a key
 * was generated (may be NULL). An existing file that cannot be parsed, or is
 * not RSA >= 2048 bits, is an error (never silently replaced).
 * PO_OK, PO_ERR_IO, PO_ERR_INVALID, PO_ERR_CRYPTO or PO_ERR_NOMEM; on error
 * *out is NULL and the reason has been logged. */
int jose_key_load_or_create(const char *data_dir, jose_key_t **out, int *created);
/* Builds an RS256 key from PEM text (PKCS#8 or traditional RSA): the format
 * of signing-key.pem. Same as jose_key_from_pem_alg(JOSE_RS256, ...). */
int jose_key_from_pem(const char *pem, size_t len, jose_key_t **out);
/* Builds a key for alg from PEM text holding exactly one unencrypted
 * private key of the matching type: RS256 an RSA key of >= 2048 bits
 * (PKCS#8 or PKCS#1) whose parts agree; ES256 a P-256 key (PKCS#8) whose
 * public point matches its private scalar; EdDSA an Ed25519 key (PKCS#8).
 * Surrounding whitespace is allowed, anything else around the key is not.
 * PO_OK, PO_ERR_INVALID (reason logged), PO_ERR_CRYPTO or PO_ERR_NOMEM; on
 * error *out is NULL. The text is not copied (nothing to wipe here). */
int jose_key_from_pem_alg(enum jose_alg alg, const char *pem, size_t len, jose_key_t **out);
/* Generates a new key for alg from OpenSSL's CSPRNG: RSA-2048, P-256 or
 * Ed25519. PO_OK, PO_ERR_CRYPTO (logged) or PO_ERR_NOMEM. */
int jose_key_generate(enum jose_alg alg, jose_key_t **out);
/* The private key as unencrypted PKCS#8 PEM (RFC 5958, RFC 7468 §10) in
 * *pem (malloc'd, NUL-terminated, *len without the NUL). A secret: the
 * caller wipes it (str_free_secret). PO_OK, PO_ERR_INVALID (a public key),
 * PO_ERR_CRYPTO or PO_ERR_NOMEM. */
int jose_key_to_pem(const jose_key_t *k, char **pem, size_t *len);
/* Builds a verify-only key from a public JWK: kty "RSA" (n, e; >= 2048
 * bits), "EC" (crv "P-256", x, y: a point on the curve) or "OKP" (crv
 * "Ed25519", x), RFC 7518 §6 and RFC 8037 §2. Private members are refused;
 * "alg", when present, must be the key type's algorithm. The kid is the
 * thumbprint, whatever "kid" the JWK gives. PO_OK, PO_ERR_INVALID,
 * PO_ERR_CRYPTO or PO_ERR_NOMEM. */
int jose_key_from_jwk(const json_t *jwk, jose_key_t **out);
/* A second handle on k sharing its OpenSSL key (reference-counted), for a
 * new key ring that keeps k. NULL on allocation failure. */
jose_key_t *jose_key_dup(const jose_key_t *k);
/* Frees the key (the private part is cleared when its last handle goes).
 * Accepts NULL. */
void jose_key_free(jose_key_t *k);

/* The key id: base64url RFC 7638 SHA-256 thumbprint (43 characters).
 * Borrowed: lives as long as the key. */
const char *jose_key_kid(const jose_key_t *k);
/* The JWS algorithm name: "RS256", "ES256" or "EdDSA". Static string. */
const char *jose_key_alg(const jose_key_t *k);
/* The algorithm. */
enum jose_alg jose_key_alg_id(const jose_key_t *k);
/* true if the key can sign (it holds the private part). */
bool jose_key_can_sign(const jose_key_t *k);
/* Returns a new JSON object with the public JWK and nothing private:
 * RS256 {"kty":"RSA","use":"sig","alg":"RS256","kid","n","e"},
 * ES256 {"kty":"EC","use":"sig","alg":"ES256","kid","crv":"P-256","x","y"},
 * EdDSA {"kty":"OKP","use":"sig","alg":"EdDSA","kid","crv":"Ed25519","x"}.
 * Caller owns the reference (json_decref). NULL on allocation failure. */
json_t *jose_key_public_jwk(const jose_key_t *k);

/* RFC 7638 §3 thumbprints: SHA-256 over the required members of the public
 * JWK in lexicographic order without whitespace, base64url-encoded into out
 * (>= JOSE_KID_SIZE bytes, NUL-terminated). The values are base64url (and
 * crv a fixed name), so no JSON escaping can arise.
 *   RSA (§3.2):            {"e":"..","kty":"RSA","n":".."}
 *   EC (§3.2):             {"crv":"..","kty":"EC","x":"..","y":".."}
 *   OKP (RFC 8037 §2):     {"crv":"..","kty":"OKP","x":".."}
 * PO_OK, PO_ERR_LIMIT (out too small), PO_ERR_INVALID (a value empty or
 * not base64url; crv not of [A-Za-z0-9-]) or PO_ERR_CRYPTO. */
int jose_rsa_thumbprint(const char *n_b64, const char *e_b64, char *out, size_t outsz);
int jose_ec_thumbprint(const char *crv, const char *x_b64, const char *y_b64, char *out, size_t outsz);
int jose_okp_thumbprint(const char *crv, const char *x_b64, char *out, size_t outsz);

/* Opaque access for jws.c only: the EVP_PKEY behind the key. */
struct evp_pkey_st;
struct evp_pkey_st *jose_key_pkey(const jose_key_t *k);

#endif
