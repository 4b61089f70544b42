/*
 * jwk_pem.c - private keys in and out of PEM, and new keys.
 *
 * Keys are stored as unencrypted PKCS#8 PEM (RFC 5958, RFC 7468 §10),
 * protected by the mode of the file that holds them. Reading is strict,
 * because a damaged or swapped key must be an error at start rather than a
 * server that signs garbage: the text holds exactly one private key, of the
 * type the algorithm needs, whose parts agree with each other.
 *
 * OpenSSL failures are logged with the text of OpenSSL's error queue
 * (jose_log_crypto). Key material is never logged.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* First: it supplies <openssl/err.h> and <openssl/evp.h>. */
#include "jose/jose_int.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "jose/jwk.h"
#include "po_limits.h"

#define JWK_PEM_MAX LIM_KEY_FILE_MAX /* po_limits.h */
/* The group name OpenSSL reports for P-256 (RFC 7518 §3.4, ES256). */
#define JWK_P256_NAME "prime256v1"

/* RFC 7468 §10 (PKCS#8) and the traditional PKCS#1 RSA label. */
static const char pem_pkcs8[] = "-----BEGIN PRIVATE KEY-----";
static const char pem_pkcs1[] = "-----BEGIN RSA PRIVATE KEY-----";
static const char pem_encrypted[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

/* pem_password_cb that refuses to supply a passphrase. Without it OpenSSL
 * would prompt on the controlling terminal for an encrypted key. */
static int
jwk_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* The parts of the RSA private key agree with each other (RFC 8017 §3.2):
 * n = p q, e d = 1 mod (p-1) and mod (q-1), dP = d mod (p-1),
 * dQ = d mod (q-1), q qInv = 1 mod p. A damaged byte anywhere in the key
 * breaks one of them. This is EVP_PKEY_pairwise_check() without its proof
 * that p and q are prime (BN_check_prime: ~380 million instructions, 93 %
 * of a start, 15-70 ms), which a damaged file cannot need and a key we or
 * OpenSSL generated does not: a few microseconds. Two-prime keys only. */
static bool
jwk_rsa_consistent(const EVP_PKEY *pkey)
{
	static const char *const names[] = { OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
		OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };
	enum {
		N,
		E,
		D,
		P,
		Q,
		DP,
		DQ,
		QINV,
		NPARTS
	};
	BIGNUM *v[NPARTS] = { 0 }, *t = NULL, *pm1 = NULL, *qm1 = NULL;
	BN_CTX *ctx = NULL;
	bool ok = false;
	size_t i;

	for (i = 0; i < NPARTS; i++)
		if (EVP_PKEY_get_bn_param(pkey, names[i], &v[i]) != 1)
			goto out;
	if ((ctx = BN_CTX_new()) == NULL || (t = BN_new()) == NULL || (pm1 = BN_dup(v[P])) == NULL ||
	    (qm1 = BN_dup(v[Q])) == NULL || !BN_sub_word(pm1, 1) || !BN_sub_word(qm1, 1) || BN_is_zero(pm1) ||
	    BN_is_zero(qm1))
		goto out;
	ok = BN_mul(t, v[P], v[Q], ctx) && BN_cmp(t, v[N]) == 0 &&
	    BN_mod_mul(t, v[E], v[D], pm1, ctx) && BN_is_one(t) &&
	    BN_mod_mul(t, v[E], v[D], qm1, ctx) && BN_is_one(t) &&
	    BN_nnmod(t, v[D], pm1, ctx) && BN_cmp(t, v[DP]) == 0 &&
	    BN_nnmod(t, v[D], qm1, ctx) && BN_cmp(t, v[DQ]) == 0 &&
	    BN_mod_mul(t, v[Q], v[QINV], v[P], ctx) && BN_is_one(t);
out:
	for (i = 0; i < NPARTS; i++)
		BN_clear_free(v[i]);
	BN_clear_free(t);
	BN_clear_free(pm1);
	BN_clear_free(qm1);
	BN_CTX_free(ctx);
	return ok;
}

/* RS256: RSA (not RSA-PSS, which RS256 cannot use), at least JWK_RSA_BITS,
 * and internally consistent (a damaged private key makes bad signatures). */
static int
jwk_check_rsa(EVP_PKEY *pkey)
{
	int bits;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		log_error("signing key: not an RSA key (RS256 needs RSA)");
		return PO_ERR_INVALID;
	}
	if ((bits = EVP_PKEY_get_bits(pkey)) < JWK_RSA_BITS) {
		log_error("signing key: RSA key of %d bits, at least %d required (RFC 7518 §3.3)", bits,
		    JWK_RSA_BITS);
		return PO_ERR_INVALID;
	}
	if (!jwk_rsa_consistent(pkey)) {
		jose_log_crypto("signing key: the RSA private key is inconsistent");
		return PO_ERR_INVALID;
	}
	return PO_OK;
}

/* ES256: an EC key on P-256 (RFC 7518 §3.4) whose public point is its
 * private scalar times the generator (one scalar multiplication). */
static int
jwk_check_ec(EVP_PKEY *pkey)
{
	char group[64];
	EVP_PKEY_CTX *chk = NULL;
	int rc = PO_ERR_INVALID;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) != 1 ||
	    strcmp(group, JWK_P256_NAME) != 0) {
		log_error("signing key: not a P-256 EC key (ES256 needs P-256)");
		goto out;
	}
	if ((chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL || EVP_PKEY_pairwise_check(chk) != 1) {
		jose_log_crypto("signing key: the P-256 private key does not match its public key");
		goto out;
	}
	rc = PO_OK;
out:
	EVP_PKEY_CTX_free(chk);
	return rc;
}

/* EdDSA: an Ed25519 key (RFC 8037 §3.1). PKCS#8 holds only the 32-byte
 * seed (RFC 8410 §7); OpenSSL derives the public key from it, so there is
 * no pair to disagree. */
static int
jwk_check_ed25519(EVP_PKEY *pkey)
{
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
		log_error("signing key: not an Ed25519 key (EdDSA keys here are Ed25519)");
		return PO_ERR_INVALID;
	}
	return PO_OK;
}

static int
jwk_check_pkey(enum jose_alg alg, EVP_PKEY *pkey)
{
	switch (alg) {
	case JOSE_RS256:
		return jwk_check_rsa(pkey);
	case JOSE_ES256:
		return jwk_check_ec(pkey);
	case JOSE_EDDSA:
		return jwk_check_ed25519(pkey);
	}
	return PO_ERR_INVALID;
}

int
jose_key_from_pem_alg(enum jose_alg alg, const char *pem, size_t len, jose_key_t **out)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	char rest[128];
	size_t off = 0;
	int rc = PO_ERR_INVALID, n;

	*out = NULL;
	if (pem == NULL || len > JWK_PEM_MAX || (unsigned)alg >= JOSE_ALG_COUNT) {
		log_error("signing key: no PEM text, or over %d bytes", JWK_PEM_MAX);
		goto out;
	}
	/* The text must open with the private key itself: PEM readers skip
	 * whatever precedes it (a certificate, say) and take the first key. */
	while (off < len && isspace((unsigned char)pem[off]))
		off++;
	if (str_has_prefix(pem + off, len - off, pem_encrypted)) {
		log_error("signing key: encrypted PEM keys are not supported");
		goto out;
	}
	if (!str_has_prefix(pem + off, len - off, pem_pkcs8) &&
	    !(alg == JOSE_RS256 && str_has_prefix(pem + off, len - off, pem_pkcs1))) {
		log_error("signing key: not a PEM private key (expected \"%s\")", pem_pkcs8);
		goto out;
	}
	/* A read-only memory BIO over the caller's text: no copy to wipe. */
	if ((bio = BIO_new_mem_buf(pem + off, (int)(len - off))) == NULL) {
		jose_log_crypto("signing key: BIO_new_mem_buf");
		rc = PO_ERR_NOMEM;
		goto out;
	}
	/* The decoders OpenSSL tries in turn queue errors even when one of
	 * them succeeds: mark the queue so those can be dropped on success. */
	ERR_set_mark();
	if ((pkey = PEM_read_bio_PrivateKey(bio, NULL, jwk_no_passphrase, NULL)) == NULL) {
		ERR_clear_last_mark();
		jose_log_crypto("signing key: cannot parse the PEM private key");
		goto out;
	}
	ERR_pop_to_mark();
	/* Trailing data is rejected: the text is exactly one key. */
	while ((n = BIO_read(bio, rest, (int)sizeof(rest))) > 0) {
		for (int i = 0; i < n; i++) {
			if (!isspace((unsigned char)rest[i])) {
				log_error("signing key: unexpected data after the key");
				goto out;
			}
		}
	}
	if ((rc = jwk_check_pkey(alg, pkey)) != PO_OK)
		goto out;
	rc = jose_key_wrap(alg, true, &pkey, out);
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	str_wipe(rest, sizeof(rest));
	return rc;
}

int
jose_key_from_pem(const char *pem, size_t len, jose_key_t **out)
{
	return jose_key_from_pem_alg(JOSE_RS256, pem, len, out);
}

int
jose_key_generate(enum jose_alg alg, jose_key_t **out)
{
	EVP_PKEY *pkey = NULL;
	int rc;

	*out = NULL;
	switch (alg) {
	case JOSE_RS256:
		pkey = EVP_RSA_gen(JWK_RSA_BITS);
		break;
	case JOSE_ES256:
		pkey = EVP_EC_gen("P-256");
		break;
	case JOSE_EDDSA:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	default:
		return PO_ERR_INVALID;
	}
	if (pkey == NULL) {
		jose_log_crypto("signing key: key generation failed");
		return PO_ERR_CRYPTO;
	}
	rc = jose_key_wrap(alg, true, &pkey, out);
	EVP_PKEY_free(pkey);
	return rc;
}

int
jose_key_to_pem(const jose_key_t *k, char **pem, size_t *len)
{
	BIO *mem = NULL;
	char *p = NULL;
	long n;
	int rc = PO_ERR_CRYPTO;

	*pem = NULL;
	*len = 0;
	if (!k->priv)
		return PO_ERR_INVALID;
	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(mem, k->pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(mem, &p)) <= 0) {
		jose_log_crypto("signing key: cannot encode the key as PEM");
		goto out;
	}
	if ((*pem = malloc((size_t)n + 1)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	memcpy(*pem, p, (size_t)n);
	(*pem)[n] = '\0';
	*len = (size_t)n;
	rc = PO_OK;
out:
	/* The memory BIO's buffer is cleared when freed (BUF_MEM_free uses
	 * OPENSSL_clear_free). */
	BIO_free(mem);
	return rc;
}
