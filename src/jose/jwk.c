/*
 * jwk.c - a signing key as a JWK (RFC 7517): the public members, the RFC
 * 7638 thumbprint that names it, the encoded JWS header it signs with.
 * Verify-only keys read from a public JWK are jwk_public.c's.
 *
 * Everything derived from the key (n and e, or x and y, the kid, the
 * encoded JWS header) is computed once when the key is built
 * (jose_key_wrap), so signing (jws.c) does no encoding of the key per call.
 * A jose_key_t is never modified after it is built. Reading and writing PEM
 * and generating keys is jwk_pem.c's; the signing-key.pem file of earlier
 * versions is jwk_file.c's.
 *
 * OpenSSL failures are logged with the text of OpenSSL's error queue
 * (jose_log_crypto). Key material is never logged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* First: it supplies <openssl/err.h> and <openssl/evp.h>. */
#include "jose/jose_int.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "core/b64url.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "jose/jwk.h"

/* Room for one OpenSSL error queue in a log line (log lines are < 1 KiB). */
#define JWK_ERRTEXT_MAX 640

static const char *const alg_names[JOSE_ALG_COUNT] = { "RS256", "ES256", "EdDSA" };

void
jose_log_crypto(const char *what)
{
	char text[JWK_ERRTEXT_MAX], one[256];
	size_t used = 0;
	unsigned long e;

	text[0] = '\0';
	/* Drain the whole queue even when the text is full, so that stale
	 * entries never get blamed on a later, unrelated failure. */
	while ((e = ERR_get_error()) != 0) {
		int n;

		if (used + 1 >= sizeof(text))
			continue;
		ERR_error_string_n(e, one, sizeof(one));
		n = snprintf(text + used, sizeof(text) - used, "%s%s", used ? "; " : "", one);
		if (n < 0)
			continue;
		used += (size_t)n < sizeof(text) - used ? (size_t)n : sizeof(text) - used - 1;
	}
	log_error("%s: %s", what, used ? text : "(no OpenSSL error reported)");
}

const char *
jose_alg_name(enum jose_alg alg)
{
	return (unsigned)alg < JOSE_ALG_COUNT ? alg_names[alg] : "?";
}

int
jose_alg_parse(const char *s, size_t len, enum jose_alg *out)
{
	for (unsigned i = 0; s != NULL && i < JOSE_ALG_COUNT; i++) {
		if (strlen(alg_names[i]) == len && memcmp(alg_names[i], s, len) == 0) {
			*out = (enum jose_alg)i;
			return PO_OK;
		}
	}
	return PO_ERR_INVALID;
}

bool
jwk_is_b64url(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '-' || c == '_'))
			return false;
	}
	return true;
}

bool
jwk_is_crv(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		        *s == '-'))
			return false;
	return true;
}

/* RFC 7638 §3.3: SHA-256 over {"name":"value",...} of the n members given
 * in lexicographic order, no whitespace. The caller has checked that no
 * value needs JSON escaping, so these are the exact bytes. */
static int
jwk_thumbprint(const char *const *names, const char *const *values, size_t n, char *out, size_t outsz)
{
	EVP_MD_CTX *md = NULL;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int rc = PO_ERR_CRYPTO, ok;

	if (outsz < JOSE_KID_SIZE)
		return PO_ERR_LIMIT;
	ok = (md = EVP_MD_CTX_new()) != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, "{", 1) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = (i == 0 || EVP_DigestUpdate(md, ",", 1) == 1) && EVP_DigestUpdate(md, "\"", 1) == 1 &&
		    EVP_DigestUpdate(md, names[i], strlen(names[i])) == 1 &&
		    EVP_DigestUpdate(md, "\":\"", 3) == 1 &&
		    EVP_DigestUpdate(md, values[i], strlen(values[i])) == 1 &&
		    EVP_DigestUpdate(md, "\"", 1) == 1;
	if (!ok || EVP_DigestUpdate(md, "}", 1) != 1 || EVP_DigestFinal_ex(md, d, &dlen) != 1) {
		jose_log_crypto("JWK thumbprint: SHA-256 failed");
		goto out;
	}
	if (b64url_encode(d, dlen, out, outsz) != JWK_KID_LEN) {
		rc = PO_ERR_LIMIT;
		goto out;
	}
	rc = PO_OK;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

int
jose_rsa_thumbprint(const char *n_b64, const char *e_b64, char *out, size_t outsz)
{
	static const char *const names[] = { "e", "kty", "n" };
	const char *values[] = { e_b64, "RSA", n_b64 };

	if (outsz < JOSE_KID_SIZE)
		return PO_ERR_LIMIT;
	if (!jwk_is_b64url(n_b64) || !jwk_is_b64url(e_b64))
		return PO_ERR_INVALID;
	return jwk_thumbprint(names, values, 3, out, outsz);
}

int
jose_ec_thumbprint(const char *crv, const char *x_b64, const char *y_b64, char *out, size_t outsz)
{
	static const char *const names[] = { "crv", "kty", "x", "y" };
	const char *values[] = { crv, "EC", x_b64, y_b64 };

	if (outsz < JOSE_KID_SIZE)
		return PO_ERR_LIMIT;
	if (!jwk_is_crv(crv) || !jwk_is_b64url(x_b64) || !jwk_is_b64url(y_b64))
		return PO_ERR_INVALID;
	return jwk_thumbprint(names, values, 4, out, outsz);
}

int
jose_okp_thumbprint(const char *crv, const char *x_b64, char *out, size_t outsz)
{
	static const char *const names[] = { "crv", "kty", "x" };
	const char *values[] = { crv, "OKP", x_b64 };

	if (outsz < JOSE_KID_SIZE)
		return PO_ERR_LIMIT;
	if (!jwk_is_crv(crv) || !jwk_is_b64url(x_b64))
		return PO_ERR_INVALID;
	return jwk_thumbprint(names, values, 3, out, outsz);
}

/* *out = base64url of n bytes (malloc'd). */
static int
jwk_b64(const uint8_t *bin, size_t n, char **out)
{
	size_t sz = b64url_enc_len(n) + 1;

	if ((*out = malloc(sz)) == NULL)
		return PO_ERR_NOMEM;
	if (b64url_encode(bin, n, *out, sz) < 0) {
		free(*out);
		*out = NULL;
		return PO_ERR_INTERNAL; /* cannot happen: sized for it */
	}
	return PO_OK;
}

/* Reads the big-number parameter `name` of pkey as base64url into *out
 * (malloc'd): `width` bytes left-padded with zeros (RFC 7518 §6.2.1.2: EC
 * coordinates are the full size of the curve), or with width 0 in as few
 * octets as possible (RFC 7518 §6.3.1.1-§6.3.1.2, RSA n and e). */
static int
jwk_bn_b64(const EVP_PKEY *pkey, const char *name, size_t width, char **out)
{
	BIGNUM *bn = NULL;
	uint8_t *bin = NULL;
	int rc = PO_ERR_CRYPTO, nbytes;
	size_t len;

	*out = NULL;
	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
		jose_log_crypto("signing key: cannot read a public parameter");
		goto out;
	}
	if ((nbytes = BN_num_bytes(bn)) <= 0 || BN_is_negative(bn) || (width && (size_t)nbytes > width)) {
		log_error("signing key: public parameter %s is out of range", name);
		rc = PO_ERR_INVALID;
		goto out;
	}
	len = width ? width : (size_t)nbytes;
	if ((bin = malloc(len)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	if (BN_bn2binpad(bn, bin, (int)len) != (int)len) {
		jose_log_crypto("signing key: BN_bn2binpad failed");
		goto out;
	}
	rc = jwk_b64(bin, len, out);
out:
	BN_free(bn); /* public values: no need to clear */
	free(bin);
	return rc;
}

/* Builds the encoded JWS protected header of k (RFC 7515 §4.1.1 alg,
 * §4.1.4 kid; RFC 7519 §5.1 typ). JSON through jansson: with sorted keys
 * and the compact format it is exactly {"alg":"..","kid":"..","typ":"JWT"}. */
static int
jwk_make_header(jose_key_t *k)
{
	json_t *h = NULL;
	char *text = NULL;
	int rc = PO_ERR_NOMEM;

	if ((h = json_pack("{s:s, s:s, s:s}", "alg", jose_key_alg(k), "kid", k->kid, "typ", "JWT")) ==
	        NULL ||
	    (text = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto out;
	if ((rc = jwk_b64((const uint8_t *)text, strlen(text), &k->hdr)) == PO_OK)
		k->hdr_len = strlen(k->hdr);
out:
	free(text);
	json_decref(h);
	return rc;
}

/* The public members and the kid of k->pkey, per key type. */
static int
jwk_public_members(jose_key_t *k)
{
	uint8_t raw[JWK_ED25519_PUB];
	size_t rawlen = sizeof(raw);
	int rc;

	switch (k->alg) {
	case JOSE_RS256:
		if ((rc = jwk_bn_b64(k->pkey, OSSL_PKEY_PARAM_RSA_N, 0, &k->n)) != PO_OK ||
		    (rc = jwk_bn_b64(k->pkey, OSSL_PKEY_PARAM_RSA_E, 0, &k->e)) != PO_OK)
			return rc;
		return jose_rsa_thumbprint(k->n, k->e, k->kid, sizeof(k->kid));
	case JOSE_ES256:
		if ((rc = jwk_bn_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, JWK_P256_COORD, &k->x)) != PO_OK ||
		    (rc = jwk_bn_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, JWK_P256_COORD, &k->y)) != PO_OK)
			return rc;
		return jose_ec_thumbprint("P-256", k->x, k->y, k->kid, sizeof(k->kid));
	case JOSE_EDDSA:
		/* RFC 8037 §2: x is the public key as RFC 8032 encodes it. */
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen) != 1 || rawlen != sizeof(raw)) {
			jose_log_crypto("signing key: cannot read the Ed25519 public key");
			return PO_ERR_CRYPTO;
		}
		if ((rc = jwk_b64(raw, rawlen, &k->x)) != PO_OK)
			return rc;
		return jose_okp_thumbprint("Ed25519", k->x, k->kid, sizeof(k->kid));
	}
	return PO_ERR_INVALID;
}

int
jose_key_wrap(enum jose_alg alg, bool priv, EVP_PKEY **pkeyp, jose_key_t **out)
{
	jose_key_t *k = NULL;
	int rc;

	*out = NULL;
	if ((unsigned)alg >= JOSE_ALG_COUNT)
		return PO_ERR_INVALID;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return PO_ERR_NOMEM;
	k->alg = alg;
	k->priv = priv;
	k->pkey = *pkeyp;
	if ((rc = jwk_public_members(k)) != PO_OK || (rc = jwk_make_header(k)) != PO_OK) {
		k->pkey = NULL; /* still the caller's */
		goto out;
	}
	*pkeyp = NULL; /* transferred */
	jose_key_prepare(k);
	*out = k;
	k = NULL; /* transferred */
	rc = PO_OK;
out:
	jose_key_free(k);
	return rc;
}

/* ---- handles and accessors ---- */

jose_key_t *
jose_key_dup(const jose_key_t *k)
{
	jose_key_t *d = NULL;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	*d = *k;
	d->n = d->e = d->x = d->y = d->hdr = NULL;
	d->pkey = NULL;
	d->sign_tmpl = NULL; /* each handle its own: freed with it */
	d->hash = NULL;
	if ((k->n != NULL && (d->n = str_dup(k->n)) == NULL) || (k->e != NULL && (d->e = str_dup(k->e)) == NULL) ||
	    (k->x != NULL && (d->x = str_dup(k->x)) == NULL) || (k->y != NULL && (d->y = str_dup(k->y)) == NULL) ||
	    (d->hdr = str_dup(k->hdr)) == NULL || EVP_PKEY_up_ref(k->pkey) != 1) {
		jose_key_free(d);
		return NULL;
	}
	d->pkey = k->pkey;
	jose_key_prepare(d);
	return d;
}

void
jose_key_free(jose_key_t *k)
{
	if (k == NULL)
		return;
	/* OpenSSL clears the private part (BN_clear_free, OPENSSL_secure_clear_free)
	 * when the last reference goes. The other members are public. */
	EVP_MD_CTX_free(k->sign_tmpl);
	EVP_MD_free(k->hash);
	EVP_PKEY_free(k->pkey);
	free(k->n);
	free(k->e);
	free(k->x);
	free(k->y);
	free(k->hdr);
	free(k);
}

const char *
jose_key_kid(const jose_key_t *k)
{
	return k->kid;
}

const char *
jose_key_alg(const jose_key_t *k)
{
	return jose_alg_name(k->alg);
}

enum jose_alg
jose_key_alg_id(const jose_key_t *k)
{
	return k->alg;
}

bool
jose_key_can_sign(const jose_key_t *k)
{
	return k->priv;
}

json_t *
jose_key_public_jwk(const jose_key_t *k)
{
	/* RFC 7517 §4, RFC 7518 §6.2.1 and §6.3.1, RFC 8037 §2: public
	 * members only. */
	switch (k->alg) {
	case JOSE_RS256:
		return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "use", "sig", "alg",
		    jose_key_alg(k), "kid", k->kid, "n", k->n, "e", k->e);
	case JOSE_ES256:
		return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "use", "sig", "alg",
		    jose_key_alg(k), "kid", k->kid, "crv", "P-256", "x", k->x, "y", k->y);
	case JOSE_EDDSA:
		return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "OKP", "use", "sig", "alg",
		    jose_key_alg(k), "kid", k->kid, "crv", "Ed25519", "x", k->x);
	}
	return NULL;
}

struct evp_pkey_st *
jose_key_pkey(const jose_key_t *k)
{
	return k->pkey;
}

const char *
jose_key_header_b64(const jose_key_t *k, size_t *len)
{
	*len = k->hdr_len;
	return k->hdr;
}
