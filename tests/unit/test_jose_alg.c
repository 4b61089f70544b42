/* test_jose_alg.c - ES256 and EdDSA next to RS256 (jose/jwk, jose/jws):
 * RFC 8037 Appendix A (Ed25519 key, thumbprint and signature), RFC 7515
 * Appendix A.3 (an ES256 signature verified through a public JWK), ES256
 * signatures checked by OpenSSL directly (raw R || S turned into DER by the
 * test itself), round trips through PEM and public JWKs, every refused
 * case, at_hash per algorithm and the kid of a token.
 *
 * Vectors not from an RFC were computed outside this code with the openssl
 * command line tool and coreutils:
 *   b64u() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
 *   printf %s "$TOKEN" | openssl dgst -sha512 -binary | head -c 32 | b64u
 *   printf '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' "$X" "$Y" |
 *       openssl dgst -sha256 -binary | b64u
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/b64url.h"
#include "core/err.h"
#include "core/log.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "t.h"

/* RFC 8037 Appendix A.1: the Ed25519 private key d, here as the PKCS#8
 * PEM that `openssl pkey` makes from it (RFC 8410 §7: the 32-byte seed
 * after a fixed 16-byte prefix). */
static const char ed_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                             "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
                             "-----END PRIVATE KEY-----\n";
/* A.2: its public key; A.3: its thumbprint; A.4: the JWS. */
static const char ed_x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
static const char ed_kid[] = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
static const char ed_input[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
static const char ed_sig[] =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/* RFC 7515 Appendix A.3: the ES256 public key, signing input and
 * signature (R || S). */
static const char es_x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char es_y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char es_input[] =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
static const char es_sig[] =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
/* Its RFC 7638 thumbprint (openssl-computed, see the top). */
static const char es_kid[] = "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U";

static long
dec(const char *s, uint8_t *out, size_t outsz)
{
	return b64url_decode(s, strlen(s), out, outsz);
}

static jose_key_t *
jwk_key(const char *json)
{
	json_t *j = json_loads(json, 0, NULL);
	jose_key_t *k = NULL;

	T_CHECK(j != NULL);
	if (j != NULL)
		T_EQ_INT(jose_key_from_jwk(j, &k), PO_OK);
	json_decref(j);
	return k;
}

static void
test_rfc8037_ed25519(void)
{
	jose_key_t *k = NULL, *pub = NULL;
	uint8_t sig[128], want[64];
	size_t siglen = 0;
	json_t *jwk = NULL;
	char buf[256];

	T_EQ_INT(jose_key_from_pem_alg(JOSE_EDDSA, ed_pem, strlen(ed_pem), &k), PO_OK);
	if (k == NULL)
		return;
	T_EQ_STR(jose_key_alg(k), "EdDSA");
	T_EQ_INT(jose_key_alg_id(k), JOSE_EDDSA);
	T_EQ_STR(jose_key_kid(k), ed_kid);
	jwk = jose_key_public_jwk(k);
	T_EQ_STR(json_string_value(json_object_get(jwk, "kty")), "OKP");
	T_EQ_STR(json_string_value(json_object_get(jwk, "crv")), "Ed25519");
	T_EQ_STR(json_string_value(json_object_get(jwk, "x")), ed_x);
	T_EQ_STR(json_string_value(json_object_get(jwk, "kid")), ed_kid);
	T_EQ_INT(json_object_size(jwk), 6);
	T_CHECK(json_object_get(jwk, "d") == NULL);
	/* A.4: Ed25519 is deterministic, so the signature is exactly the RFC's */
	T_EQ_INT(jose_jws_sig(k, (const uint8_t *)ed_input, strlen(ed_input), sig, sizeof(sig), &siglen), PO_OK);
	T_EQ_INT(siglen, 64);
	T_EQ_INT(b64url_encode(sig, siglen, buf, sizeof(buf)), 86);
	T_EQ_STR(buf, ed_sig);
	/* A.5: the RFC's signature verifies with the public JWK alone */
	T_EQ_INT(dec(ed_sig, want, sizeof(want)), 64);
	T_EQ_INT(jose_key_from_jwk(jwk, &pub), PO_OK);
	if (pub != NULL) {
		T_EQ_STR(jose_key_kid(pub), ed_kid);
		T_CHECK(!jose_key_can_sign(pub));
		T_EQ_INT(jose_jws_sig_verify(pub, (const uint8_t *)ed_input, strlen(ed_input), want, 64), PO_OK);
		want[10] ^= 1;
		T_EQ_INT(jose_jws_sig_verify(pub, (const uint8_t *)ed_input, strlen(ed_input), want, 64),
		    PO_ERR_INVALID);
		T_EQ_INT(jose_jws_sig(pub, (const uint8_t *)ed_input, 3, sig, sizeof(sig), &siglen), PO_ERR_INVALID);
	}
	T_EQ_INT(jose_okp_thumbprint("Ed25519", ed_x, buf, sizeof(buf)), PO_OK);
	T_EQ_STR(buf, ed_kid);
	/* one byte short of the room a signature needs */
	T_EQ_INT(jose_jws_sig(k, (const uint8_t *)ed_input, 3, sig, 63, &siglen), PO_ERR_LIMIT);
	json_decref(jwk);
	jose_key_free(pub);
	jose_key_free(k);
}

static void
test_rfc7515_es256(void)
{
	char json[256], kid[64];
	jose_key_t *k;
	uint8_t sig[64];

	snprintf(json, sizeof(json), "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", es_x, es_y);
	if ((k = jwk_key(json)) == NULL)
		return;
	T_EQ_STR(jose_key_alg(k), "ES256");
	T_EQ_STR(jose_key_kid(k), es_kid);
	T_EQ_INT(jose_ec_thumbprint("P-256", es_x, es_y, kid, sizeof(kid)), PO_OK);
	T_EQ_STR(kid, es_kid);
	T_EQ_INT(dec(es_sig, sig, sizeof(sig)), 64);
	T_EQ_INT(jose_jws_sig_verify(k, (const uint8_t *)es_input, strlen(es_input), sig, 64), PO_OK);
	/* a changed byte in R, in S, or in the input */
	sig[0] ^= 0x80;
	T_EQ_INT(jose_jws_sig_verify(k, (const uint8_t *)es_input, strlen(es_input), sig, 64), PO_ERR_INVALID);
	sig[0] ^= 0x80;
	sig[63] ^= 1;
	T_EQ_INT(jose_jws_sig_verify(k, (const uint8_t *)es_input, strlen(es_input), sig, 64), PO_ERR_INVALID);
	sig[63] ^= 1;
	T_EQ_INT(jose_jws_sig_verify(k, (const uint8_t *)es_input, strlen(es_input) - 1, sig, 64), PO_ERR_INVALID);
	/* R || S only: 63 bytes, or 64 bytes of zeros */
	T_EQ_INT(jose_jws_sig_verify(k, (const uint8_t *)es_input, strlen(es_input), sig, 63), PO_ERR_INVALID);
	memset(sig, 0, sizeof(sig));
	T_EQ_INT(jose_jws_sig_verify(k, (const uint8_t *)es_input, strlen(es_input), sig, 64), PO_ERR_INVALID);
	jose_key_free(k);
}

/* DER INTEGER of a 32-byte big-endian unsigned value, written by hand
 * (X.690 §8.3: minimal, with a 0x00 before a high bit). */
static size_t
der_int(const uint8_t *v, uint8_t *out)
{
	size_t i = 0, n;

	while (i < 31 && v[i] == 0)
		i++;
	n = 32 - i;
	out[0] = 0x02;
	if (v[i] & 0x80) {
		out[1] = (uint8_t)(n + 1);
		out[2] = 0;
		memcpy(out + 3, v + i, n);
		return n + 3;
	}
	out[1] = (uint8_t)n;
	memcpy(out + 2, v + i, n);
	return n + 2;
}

/* Verifies a raw ES256 signature with OpenSSL alone. */
static int
openssl_es256_ok(EVP_PKEY *pk, const char *in, size_t inlen, const uint8_t raw[64])
{
	uint8_t der[80], body[76];
	size_t bl = der_int(raw, body);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	bl += der_int(raw + 32, body + bl);
	der[0] = 0x30;
	der[1] = (uint8_t)bl;
	memcpy(der + 2, body, bl);
	ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestVerify(md, der, bl + 2, (const uint8_t *)in, inlen) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

/* ES256 tokens made by jose_jws_sign verify with OpenSSL, including the
 * signatures whose R or S starts with a zero byte (padding, RFC 7518 §3.4),
 * which turn up about once in 128 signatures. */
static void
test_es256_openssl(void)
{
	jose_key_t *k = NULL;
	EVP_PKEY *pk = NULL;
	char *pem = NULL;
	size_t pemlen = 0;
	BIO *b = NULL;
	int n, lead_r = 0, lead_s = 0, bad = 0;

	T_EQ_INT(jose_key_generate(JOSE_ES256, &k), PO_OK);
	if (k == NULL)
		return;
	T_EQ_INT(jose_key_to_pem(k, &pem, &pemlen), PO_OK);
	if (pem == NULL || (b = BIO_new_mem_buf(pem, (int)pemlen)) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		T_CHECK(!"the PEM is read by OpenSSL");
		goto out;
	}
	for (n = 0; n < 4000 && (lead_r == 0 || lead_s == 0 || n < 50); n++) {
		char payload[32], *tok = NULL, *dot;
		uint8_t raw[64];

		snprintf(payload, sizeof(payload), "{\"n\":%d}", n);
		if (jose_jws_sign(k, payload, strlen(payload), &tok) != PO_OK || (dot = strrchr(tok, '.')) == NULL ||
		    dec(dot + 1, raw, sizeof(raw)) != 64 || strlen(dot + 1) != 86 ||
		    !openssl_es256_ok(pk, tok, (size_t)(dot - tok), raw) ||
		    jose_jws_verify(k, tok, strlen(tok), NULL) != PO_OK)
			bad++;
		lead_r += raw[0] == 0;
		lead_s += raw[32] == 0;
		free(tok);
	}
	T_EQ_INT(bad, 0);
	T_CHECK(lead_r > 0 && lead_s > 0);
out:
	if (pem != NULL) {
		OPENSSL_cleanse(pem, pemlen);
		free(pem);
	}
	EVP_PKEY_free(pk);
	BIO_free(b);
	jose_key_free(k);
}

/* Every algorithm: PEM and JWK round trips keep the kid; tokens carry the
 * right header and verify with the key and with its public JWK only. */
static void
test_roundtrip(void)
{
	static const char *const crv[JOSE_ALG_COUNT] = { NULL, "P-256", "Ed25519" };

	for (int a = 0; a < JOSE_ALG_COUNT; a++) {
		jose_key_t *k = NULL, *back = NULL, *pub = NULL, *dup = NULL, *wrong = NULL;
		char *pem = NULL, *tok = NULL, *got = NULL, hdr[160], kid[64];
		json_t *jwk = NULL;
		size_t pemlen = 0;

		T_EQ_INT(jose_key_generate((enum jose_alg)a, &k), PO_OK);
		if (k == NULL)
			continue;
		T_EQ_STR(jose_key_alg(k), jose_alg_name((enum jose_alg)a));
		T_EQ_INT(strlen(jose_key_kid(k)), 43);
		T_CHECK(jose_key_can_sign(k));
		T_EQ_INT(jose_key_to_pem(k, &pem, &pemlen), PO_OK);
		T_CHECK(pem != NULL && strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
		T_EQ_INT(jose_key_from_pem_alg((enum jose_alg)a, pem, pemlen, &back), PO_OK);
		if (back != NULL)
			T_EQ_STR(jose_key_kid(back), jose_key_kid(k));
		/* the key of one algorithm is refused as another's */
		T_EQ_INT(jose_key_from_pem_alg((enum jose_alg)((a + 1) % JOSE_ALG_COUNT), pem, pemlen, &wrong),
		    PO_ERR_INVALID);
		T_CHECK(wrong == NULL);
		jwk = jose_key_public_jwk(k);
		T_CHECK(jwk != NULL && json_object_get(jwk, "d") == NULL);
		if (crv[a] != NULL)
			T_EQ_STR(json_string_value(json_object_get(jwk, "crv")), crv[a]);
		T_EQ_STR(json_string_value(json_object_get(jwk, "alg")), jose_key_alg(k));
		T_EQ_STR(json_string_value(json_object_get(jwk, "use")), "sig");
		T_EQ_INT(jose_key_from_jwk(jwk, &pub), PO_OK);
		dup = jose_key_dup(k);
		T_CHECK(dup != NULL);
		T_EQ_INT(jose_jws_sign(dup ? dup : k, "{\"a\":1}", 7, &tok), PO_OK);
		if (tok != NULL && pub != NULL) {
			char *dot = strchr(tok, '.');
			uint8_t h[160];
			long hl = dot ? b64url_decode(tok, (size_t)(dot - tok), h, sizeof(h) - 1) : -1;

			T_CHECK(hl > 0);
			if (hl > 0) {
				h[hl] = '\0';
				snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
				    jose_key_alg(k), jose_key_kid(k));
				T_EQ_STR((char *)h, hdr);
			}
			T_EQ_STR(jose_key_kid(pub), jose_key_kid(k));
			T_EQ_INT(jose_jws_verify(pub, tok, strlen(tok), &got), PO_OK);
			T_EQ_STR(got, "{\"a\":1}");
			T_EQ_INT(jose_jws_verify(k, tok, strlen(tok), NULL), PO_OK);
			T_EQ_INT(jose_jws_kid(tok, strlen(tok), kid, sizeof(kid)), PO_OK);
			T_EQ_STR(kid, jose_key_kid(k));
			free(got);
			got = NULL;
			/* a public key cannot sign */
			T_EQ_INT(jose_jws_sign(pub, "{}", 2, &got), PO_ERR_INVALID);
			T_CHECK(got == NULL);
			T_EQ_INT(jose_key_to_pem(pub, &got, &pemlen), PO_ERR_INVALID);
		}
		free(tok);
		json_decref(jwk);
		if (pem != NULL) {
			OPENSSL_cleanse(pem, strlen(pem));
			free(pem);
		}
		jose_key_free(k); /* dup keeps the shared OpenSSL key alive */
		if (dup != NULL) {
			T_EQ_INT(jose_jws_sign(dup, "{}", 2, &tok), PO_OK);
			free(tok);
		}
		jose_key_free(dup);
		jose_key_free(back);
		jose_key_free(pub);
	}
	T_EQ_STR(jose_alg_name((enum jose_alg)7), "?");
}

/* A token of each algorithm with any one character changed, or cut short
 * anywhere, never verifies; nor does it with another algorithm's key. */
static void
test_tamper_every_byte(void)
{
	jose_key_t *keys[JOSE_ALG_COUNT] = { 0 };
	int bad = 0;

	for (int a = 0; a < JOSE_ALG_COUNT; a++)
		T_EQ_INT(jose_key_generate((enum jose_alg)a, &keys[a]), PO_OK);
	for (int a = 1; a < JOSE_ALG_COUNT; a++) { /* RS256: test_jose.c */
		char *tok = NULL, *t;
		size_t len;

		if (keys[a] == NULL || jose_jws_sign(keys[a], "{\"sub\":\"42\"}", 12, &tok) != PO_OK) {
			T_CHECK(!"signed");
			continue;
		}
		len = strlen(tok);
		t = strdup(tok);
		for (size_t i = 0; t != NULL && i < len; i++) {
			const char *subst = "AQgw_-.";
			for (const char *c = subst; *c; c++) {
				if (*c == tok[i])
					continue;
				t[i] = *c;
				if (jose_jws_verify(keys[a], t, len, NULL) == PO_OK)
					bad++;
			}
			t[i] = tok[i];
			if (jose_jws_verify(keys[a], tok, i, NULL) == PO_OK)
				bad++;
		}
		T_EQ_INT(jose_jws_verify(keys[a], tok, len, NULL), PO_OK);
		for (int b = 0; b < JOSE_ALG_COUNT; b++)
			if (b != a && keys[b] != NULL)
				T_EQ_INT(jose_jws_verify(keys[b], tok, len, NULL), PO_ERR_INVALID);
		free(t);
		free(tok);
	}
	T_EQ_INT(bad, 0);
	for (int a = 0; a < JOSE_ALG_COUNT; a++)
		jose_key_free(keys[a]);
}

static void
test_jwk_rejects(void)
{
	/* a real RSA modulus from RFC 7638 §3.1 */
	static const char n[] =
	    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tS"
	    "oc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65"
	    "YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyr"
	    "dkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKn"
	    "qDKgw";
	char ok_rsa[600], ok_ec[256], bad[22][600];
	int nb = 0;

	snprintf(ok_rsa, sizeof(ok_rsa), "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}", n);
	snprintf(ok_ec, sizeof(ok_ec), "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", es_x, es_y);
#define BAD(...) snprintf(bad[nb++], sizeof(bad[0]), __VA_ARGS__)
	BAD("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"d\":\"AQAB\"}", n);             /* private */
	BAD("{\"kty\":\"RSA\",\"n\":\"%.170s\",\"e\":\"AQAB\"}", n);                        /* 1020 bits */
	BAD("{\"kty\":\"RSA\",\"n\":\"AA%s\",\"e\":\"AQAB\"}", n);                          /* not base64url-aligned */
	BAD("{\"kty\":\"RSA\",\"n\":\"AAAA%s\",\"e\":\"AQAB\"}", n);                        /* leading zeros */
	BAD("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAA\"}", n);                            /* even exponent */
	BAD("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"alg\":\"ES256\"}", n);          /* alg mismatch */
	BAD("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"use\":\"enc\"}", n);            /* not for signing */
	BAD("{\"kty\":\"RSA\",\"n\":\"%s=\",\"e\":\"AQAB\"}", n);                           /* padding */
	BAD("{\"kty\":\"RSA\",\"n\":\"%s\"}", n);                                           /* no e */
	BAD("{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"%s\",\"y\":\"%s\"}", es_x, es_y);    /* curve */
	BAD("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", es_x, es_x);    /* not on the curve */
	BAD("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%.40s\",\"y\":\"%s\"}", es_x, es_y); /* 30-byte x */
	BAD("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"AA\"}", es_x, es_y);
	BAD("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"alg\":\"EdDSA\"}", es_x, es_y);
	BAD("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"alg\":7}", es_x, es_y);
	BAD("{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"%s\"}", ed_x);
	BAD("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%.40s\"}", ed_x);
	BAD("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"d\":\"%s\"}", ed_x, ed_x);
	BAD("{\"kty\":\"oct\",\"k\":\"AAAA\"}");
	BAD("{\"kty\":\"rsa\",\"n\":\"%s\",\"e\":\"AQAB\"}", n);
	BAD("[\"RSA\"]");
	BAD("{}");
#undef BAD
	{
		jose_key_t *k = jwk_key(ok_rsa), *e = jwk_key(ok_ec);
		if (k != NULL)
			T_EQ_STR(jose_key_kid(k), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"); /* RFC 7638 §3.1 */
		jose_key_free(k);
		jose_key_free(e);
	}
	for (int i = 0; i < nb; i++) {
		json_t *j = json_loads(bad[i], 0, NULL);
		jose_key_t *k = (jose_key_t *)&k;
		int rc;

		if (j == NULL) {
			fprintf(stderr, "  fixture %d is not JSON\n", i);
			T_CHECK(j != NULL);
			continue;
		}
		rc = jose_key_from_jwk(j, &k);
		if (rc != PO_ERR_INVALID)
			fprintf(stderr, "  bad JWK %d: rc %d\n", i, rc);
		T_EQ_INT(rc, PO_ERR_INVALID);
		T_CHECK(k == NULL);
		json_decref(j);
	}
	T_EQ_INT(jose_key_from_jwk(NULL, &(jose_key_t *){ NULL }), PO_ERR_INVALID);
	/* 256 bytes, but a modulus of 2041 bits: under RFC 7518 §3.3's 2048 */
	{
		uint8_t mod[256];
		char nb64[400], json[600];
		json_t *j;
		jose_key_t *k = NULL;

		T_EQ_INT(dec(n, mod, sizeof(mod)), 256);
		mod[0] = 0x01;
		T_CHECK(b64url_encode(mod, sizeof(mod), nb64, sizeof(nb64)) > 0);
		snprintf(json, sizeof(json), "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}", nb64);
		j = json_loads(json, 0, NULL);
		T_EQ_INT(jose_key_from_jwk(j, &k), PO_ERR_INVALID);
		T_CHECK(k == NULL);
		json_decref(j);
	}
}

/* PEM text of an OpenSSL key (malloc'd); sec1: the "EC PRIVATE KEY" form. */
static char *
pem_text(EVP_PKEY *pk, int traditional)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *s = NULL;
	long n;

	if (b != NULL && pk != NULL &&
	    (traditional ? PEM_write_bio_PrivateKey_traditional(b, pk, NULL, NULL, 0, NULL, NULL)
	                 : PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL)) == 1 &&
	    (n = BIO_get_mem_data(b, &p)) > 0 && (s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, p, (size_t)n);
		s[n] = '\0';
	}
	BIO_free(b);
	return s;
}

static void
test_pem_rejects(void)
{
	EVP_PKEY *p384 = EVP_EC_gen("P-384"), *p256 = EVP_EC_gen("P-256");
	EVP_PKEY *ed448 = EVP_PKEY_Q_keygen(NULL, NULL, "ED448"), *x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	char *good = pem_text(p256, 0), *damaged = good ? strdup(good) : NULL;
	struct {
		const char *name;
		enum jose_alg alg;
		char *pem; /* owned */
	} t[] = {
		{ "P-384 for ES256", JOSE_ES256, pem_text(p384, 0) },
		{ "SEC1 form for ES256", JOSE_ES256, pem_text(p256, 1) },
		{ "Ed448 for EdDSA", JOSE_EDDSA, pem_text(ed448, 0) },
		{ "X25519 for EdDSA", JOSE_EDDSA, pem_text(x25519, 0) },
		{ "P-256 for EdDSA", JOSE_EDDSA, good ? strdup(good) : NULL },
		{ "public point changed", JOSE_ES256, damaged },
	};
	jose_key_t *k = NULL;

	/* The PKCS#8 P-256 key ends with its public point: change a character
	 * of it (the last base64 line before the END line). */
	if (damaged != NULL) {
		char *end = strstr(damaged, "\n-----END");
		if (end != NULL)
			end[-6] = end[-6] == 'A' ? 'B' : 'A';
	}
	T_CHECK(good != NULL);
	if (good != NULL) {
		T_EQ_INT(jose_key_from_pem_alg(JOSE_ES256, good, strlen(good), &k), PO_OK);
		jose_key_free(k);
		k = NULL;
	}
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		if (t[i].pem == NULL) {
			fprintf(stderr, "  fixture %s not made\n", t[i].name);
			T_CHECK(t[i].pem != NULL);
			continue;
		}
		rc = jose_key_from_pem_alg(t[i].alg, t[i].pem, strlen(t[i].pem), &k);
		if (rc != PO_ERR_INVALID)
			fprintf(stderr, "  case \"%s\": rc %d\n", t[i].name, rc);
		T_EQ_INT(rc, PO_ERR_INVALID);
		T_CHECK(k == NULL);
		jose_key_free(k);
		k = NULL;
		free(t[i].pem);
	}
	free(good);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(ed448);
	EVP_PKEY_free(x25519);
}

static void
test_at_hash_alg(void)
{
	static const struct {
		enum jose_alg alg;
		const char *token, *want;
	} t[] = {
		/* OIDC Core Appendix A (RS256), the same for ES256 (SHA-256) */
		{ JOSE_RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "77QmUPtjPfzWtF2AnpK9RQ" },
		{ JOSE_ES256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "77QmUPtjPfzWtF2AnpK9RQ" },
		/* EdDSA: SHA-512, left 256 bits (openssl-computed, see the top) */
		{ JOSE_EDDSA, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
		    "q7nS86GgvvFaZkzALLWqJYaJIKw2wCDAVfCAsm5CrBM" },
		{ JOSE_EDDSA, "", "z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg_SpIdNs6c4" },
	};
	char out[JOSE_AT_HASH_SIZE];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		T_EQ_INT(jose_at_hash_alg(t[i].alg, t[i].token, strlen(t[i].token), out, sizeof(out)), PO_OK);
		T_EQ_STR(out, t[i].want);
	}
	/* 43 characters + NUL for EdDSA; 22 + NUL for the others */
	T_EQ_INT(jose_at_hash_alg(JOSE_EDDSA, "x", 1, out, 43), PO_ERR_LIMIT);
	T_EQ_INT(jose_at_hash_alg(JOSE_ES256, "x", 1, out, 23), PO_OK);
	T_EQ_INT(jose_at_hash_alg((enum jose_alg)9, "x", 1, out, sizeof(out)), PO_ERR_INVALID);
	/* A key's own at_hash (its hash fetched once) is its algorithm's. */
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		jose_key_t *k = NULL;

		T_EQ_INT(jose_key_generate(t[i].alg, &k), PO_OK);
		if (k == NULL)
			continue;
		T_EQ_INT(jose_key_at_hash(k, t[i].token, strlen(t[i].token), out, sizeof(out)), PO_OK);
		T_EQ_STR(out, t[i].want);
		jose_key_free(k);
	}
}

static void
test_jws_kid(void)
{
	static const struct {
		const char *hdr;  /* JSON, encoded by the test */
		const char *want; /* NULL: PO_ERR_INVALID */
	} t[] = {
		{ "{\"alg\":\"ES256\",\"kid\":\"abc\"}", "abc" },
		{ "{\"kid\":\"\"}", "" },
		{ "{\"alg\":\"ES256\"}", NULL },
		{ "{\"kid\":7}", NULL },
		{ "{\"kid\":\"a\\u0000b\"}", NULL },
		{ "{\"kid\":\"a\",\"kid\":\"b\"}", NULL },
		{ "[\"kid\"]", NULL },
		{ "{\"kid\":\"0123456789012345678901234567890123456789012345678901234567890123\"}", NULL },
	};
	char tok[512], kid[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		long n = b64url_encode((const uint8_t *)t[i].hdr, strlen(t[i].hdr), tok, sizeof(tok) - 16);
		int rc;

		T_CHECK(n > 0);
		memcpy(tok + n, ".e30.AAAA", 10);
		rc = jose_jws_kid(tok, strlen(tok), kid, sizeof(kid));
		if (t[i].want != NULL) {
			T_EQ_INT(rc, PO_OK);
			T_EQ_STR(kid, t[i].want);
		} else {
			T_EQ_INT(rc, PO_ERR_INVALID);
			T_EQ_STR(kid, "");
		}
	}
	T_EQ_INT(jose_jws_kid("e30.e30", 7, kid, sizeof(kid)), PO_ERR_INVALID);
	T_EQ_INT(jose_jws_kid("e30.e30.", 8, kid, sizeof(kid)), PO_ERR_INVALID);
	T_EQ_INT(jose_jws_kid(NULL, 0, kid, sizeof(kid)), PO_ERR_INVALID);
}

int
main(void)
{
	/* The negative cases log errors on purpose; T_VERBOSE=1 shows them. */
	if (getenv("T_VERBOSE") == NULL)
		log_set_level((enum log_level)(LOG_ERROR + 1));
	T_RUN(test_rfc8037_ed25519);
	T_RUN(test_rfc7515_es256);
	T_RUN(test_es256_openssl);
	T_RUN(test_roundtrip);
	T_RUN(test_tamper_every_byte);
	T_RUN(test_jwk_rejects);
	T_RUN(test_pem_rejects);
	T_RUN(test_at_hash_alg);
	T_RUN(test_jws_kid);
	return T_DONE();
}
