/*
 * jwk_public.c - verify-only keys read from a public JWK (RFC 7517 §4,
 * RFC 7518 §6.2.1 and §6.3.1, RFC 8037 §2): what a JWKS document of
 * another party, or our own published one, holds. A JWK is untrusted
 * input: every member is bounded and checked before OpenSSL sees it, and
 * one with private members is refused.
 */
#include <stdint.h>
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

/* RSA moduli we accept from a JWK: 2048 bits (RFC 7518 §3.3) to 16384,
 * far above any key in use, so a hostile JWK cannot ask for huge numbers. */
#define JWK_RSA_BYTES_MAX (16384 / 8)
/* A public exponent above 8 bytes is not a real key. */
#define JWK_RSA_E_BYTES_MAX 8

/* Decodes the base64url member `name` of jwk into a new buffer of at most
 * max bytes (*len its length). PO_OK or PO_ERR_INVALID/PO_ERR_NOMEM. */
static int
jwk_member_bin(const json_t *jwk, const char *name, size_t max, uint8_t **out, size_t *len)
{
	const char *s = json_string_value(json_object_get(jwk, name));
	size_t sl;
	long n;

	*out = NULL;
	if (!jwk_is_b64url(s) || (sl = strlen(s)) > b64url_enc_len(max))
		return PO_ERR_INVALID;
	if ((*out = malloc(sl)) == NULL)
		return PO_ERR_NOMEM;
	if ((n = b64url_decode(s, sl, *out, sl)) <= 0 || (size_t)n > max) {
		free(*out);
		*out = NULL;
		return PO_ERR_INVALID;
	}
	*len = (size_t)n;
	return PO_OK;
}

/* The RSA public key (n, e) as an EVP_PKEY. */
static int
jwk_rsa_public(const json_t *jwk, EVP_PKEY **out)
{
	uint8_t *nb = NULL, *eb = NULL;
	size_t nl = 0, el = 0;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int rc;

	if ((rc = jwk_member_bin(jwk, "n", JWK_RSA_BYTES_MAX, &nb, &nl)) != PO_OK ||
	    (rc = jwk_member_bin(jwk, "e", JWK_RSA_E_BYTES_MAX, &eb, &el)) != PO_OK)
		goto out;
	rc = PO_ERR_INVALID;
	/* RFC 7518 §6.3.1.1: no leading zero octets; §3.3: >= 2048 bits. */
	if (nb[0] == 0 || eb[0] == 0 || nl * 8 < JWK_RSA_BITS || (eb[el - 1] & 1) == 0)
		goto out;
	rc = PO_ERR_CRYPTO;
	if ((n = BN_bin2bn(nb, (int)nl, NULL)) == NULL || (e = BN_bin2bn(eb, (int)el, NULL)) == NULL)
		goto out;
	if (BN_num_bits(n) < JWK_RSA_BITS) {
		rc = PO_ERR_INVALID;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	rc = PO_OK;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	free(nb);
	free(eb);
	return rc;
}

/* The P-256 public key (x, y) as an EVP_PKEY: a point on the curve. */
static int
jwk_ec_public(const json_t *jwk, EVP_PKEY **out)
{
	uint8_t *xb = NULL, *yb = NULL, pt[1 + 2 * JWK_P256_COORD];
	size_t xl = 0, yl = 0;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
	int rc;

	if (!str_eq(json_string_value(json_object_get(jwk, "crv")), "P-256"))
		return PO_ERR_INVALID;
	if ((rc = jwk_member_bin(jwk, "x", JWK_P256_COORD, &xb, &xl)) != PO_OK ||
	    (rc = jwk_member_bin(jwk, "y", JWK_P256_COORD, &yb, &yl)) != PO_OK)
		goto out;
	rc = PO_ERR_INVALID;
	if (xl != JWK_P256_COORD || yl != JWK_P256_COORD) /* RFC 7518 §6.2.1.2-§6.2.1.3 */
		goto out;
	/* SEC 1 §2.3.3 uncompressed point: 0x04 || x || y. */
	pt[0] = 0x04;
	memcpy(pt + 1, xb, JWK_P256_COORD);
	memcpy(pt + 1 + JWK_P256_COORD, yb, JWK_P256_COORD);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	/* The point is on the curve and not the point at infinity. */
	if ((chk = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL)) == NULL || EVP_PKEY_public_check(chk) != 1) {
		EVP_PKEY_free(*out);
		*out = NULL;
		goto out;
	}
	rc = PO_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_CTX_free(chk);
	free(xb);
	free(yb);
	return rc;
}

/* The Ed25519 public key x as an EVP_PKEY. */
static int
jwk_okp_public(const json_t *jwk, EVP_PKEY **out)
{
	uint8_t *xb = NULL;
	size_t xl = 0;
	int rc;

	if (!str_eq(json_string_value(json_object_get(jwk, "crv")), "Ed25519"))
		return PO_ERR_INVALID;
	if ((rc = jwk_member_bin(jwk, "x", JWK_ED25519_PUB, &xb, &xl)) != PO_OK)
		return rc;
	rc = PO_ERR_INVALID;
	if (xl == JWK_ED25519_PUB &&
	    (*out = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, xb, xl)) != NULL)
		rc = PO_OK;
	free(xb);
	return rc;
}

int
jose_key_from_jwk(const json_t *jwk, jose_key_t **out)
{
	static const char *const private_members[] = { "d", "p", "q", "dp", "dq", "qi", "oth", "k" };
	const char *kty, *alg, *use;
	EVP_PKEY *pkey = NULL;
	enum jose_alg want;
	int rc = PO_ERR_INVALID;

	*out = NULL;
	if (!json_is_object(jwk))
		return PO_ERR_INVALID;
	for (size_t i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
		if (json_object_get(jwk, private_members[i]) != NULL)
			return PO_ERR_INVALID;
	kty = json_string_value(json_object_get(jwk, "kty"));
	alg = json_string_value(json_object_get(jwk, "alg"));
	use = json_string_value(json_object_get(jwk, "use"));
	if ((json_object_get(jwk, "alg") != NULL && alg == NULL) ||
	    (json_object_get(jwk, "use") != NULL && !str_eq(use, "sig")))
		return PO_ERR_INVALID;
	ERR_set_mark();
	if (str_eq(kty, "RSA")) {
		want = JOSE_RS256;
		rc = jwk_rsa_public(jwk, &pkey);
	} else if (str_eq(kty, "EC")) {
		want = JOSE_ES256;
		rc = jwk_ec_public(jwk, &pkey);
	} else if (str_eq(kty, "OKP")) {
		want = JOSE_EDDSA;
		rc = jwk_okp_public(jwk, &pkey);
	} else {
		goto out;
	}
	if (rc == PO_ERR_CRYPTO)
		rc = PO_ERR_INVALID; /* OpenSSL refused the numbers: a bad JWK */
	if (rc != PO_OK)
		goto out;
	if (alg != NULL && strcmp(alg, jose_alg_name(want)) != 0) {
		rc = PO_ERR_INVALID;
		goto out;
	}
	rc = jose_key_wrap(want, false, &pkey, out);
out:
	/* A refused JWK is an answer: drop what OpenSSL queued about it. */
	ERR_pop_to_mark();
	EVP_PKEY_free(pkey);
	return rc;
}
