/* test_jose.c - the signing key (jose/jwk), RS256 JWS and at_hash
 * (jose/jws) and PKCE (oidc/pkce), against published and independently
 * computed vectors.
 *
 * Where a vector is not from an RFC it was computed outside this code, with
 * the openssl command line tool and coreutils, e.g. for the known-answer
 * token below:
 *   b64u() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
 *   N=$(openssl rsa -in key.pem -modulus -noout | sed 's/^Modulus=//' | xxd -r -p | b64u)
 *   KID=$(printf '{"e":"AQAB","kty":"RSA","n":"%s"}' "$N" | openssl dgst -sha256 -binary | b64u)
 *   H=$(printf '{"alg":"RS256","kid":"%s","typ":"JWT"}' "$KID" | b64u)
 *   P=$(printf '%s' "$PAYLOAD" | b64u)
 *   S=$(printf '%s.%s' "$H" "$P" | openssl dgst -sha256 -sign key.pem -binary | b64u)
 * (RS256 is RSASSA-PKCS1-v1_5, deterministic, so the token is fixed.)
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/b64url.h"
#include "core/err.h"
#include "core/log.h"
#include "jose/jwk.h"
#include "jose/jose_int.h"
#include "jose/jws.h"
#include "oidc/pkce.h"
#include "t.h"

/* ---- fixtures ---- */

/* A throwaway RSA-2048 test key (openssl genpkey), used nowhere else. */
static const char kat_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQClN/lJdqH8O5S5\n"
    "gEL+l3DCtuA5MY/Shj5Qg4YgovLchvt46iQk8JgcVltVLT87dF0bH8akJfq68gY5\n"
    "aDfUfxKXcJ3dbWHc4BkdY7OUSPpOss7haHzzccU+DBYzZE8tMi4pXx5ssN0sykLE\n"
    "0oi5ApK5DP8QFyyLeuWiKlHaHue21cvDbtQtm1xJ10qWiSehXU5izI+6Jf+N0Cal\n"
    "GSiQv0/Wt6hMnJamNTVM4c+lwDGFF3d5KulyFEEFm8RWTj9o/5rieMZT5oa/yOM+\n"
    "QNVpnTJyTcL4nO5a0oZtBxu6UlZQUDGl2Ks6qcyX12K0aRNqAng+GpmelcA7Yjgk\n"
    "d4/uc8/vAgMBAAECggEASsSL4bz4DUeBRHlQ2Bn8g4Fy8y8EoQbzSEhc+IQFV9sW\n"
    "DmAXP0hJ7fj+mAtD5EoCoHW+1SYC03sXaf9J1LY02aezKTOI6AXaF7y41dA4xkiQ\n"
    "6tz4PssrsaqSmWs5kYB1927+O73GObDGin+kM+WANJI3EzcJh410QfDY3dbCkbBv\n"
    "2JxOMwuJWq2Lu7E0gx3ZOC/5H+EpFx5ncpdB3dy3eXOvfffM/PNH6sFLoQFPhDNr\n"
    "Zj+FLKYr11fH9alIr6qzZcRHDs/oHhIukzOFfL+7wqUSpD7aDZD1XhN6MfIuB2+v\n"
    "akneT+4p7pDI1yPJlmvlBgx1A0fyB464bmZefhinwQKBgQDjIpoSK4i6QpE8+jQG\n"
    "ut/6kAn8OwbCrG1FOCUzTuUtf6f2YY9CKPMCd4yoYRNuMN64fQ4iubEPTSHCiZj8\n"
    "WwPUvpiUU/sCdT9bn3MBO1P8ukJXy6FJFzCDUTv4KD5vTl/AhyQWt+h/JGxs9tPd\n"
    "l0681MmZz6srm9wcvfI1eMGiPwKBgQC6NwoLDjGrUHaGg2nKh0dFyatPmcHRGick\n"
    "4fVr5j9Ag+JwdUT/GQHeDVeVj93N1FNnfxUZV35GwHA1GB8VgWC4uO5uOPeph1Yq\n"
    "VXfMjErUBYzmnYuRi7L5XPBFNG/8ZnvwzQDp++OFGhuSApjHCqPjlX+D4EZtnKs9\n"
    "qKZ91B4GUQKBgQCDPNv/Aa53yLy4mezzsoh180IBvm1SkGR2qVE9Sym6V1dKUeZ/\n"
    "mL+IvmDEbYrXkV8vA/rl75sxtyR5jh2aOlCFXTc2BSw0qGBaZVAC9y+5CDoLFnpz\n"
    "i/WY+pgG8+HXWFaVHMCqa8rno7kOYLPcBnAVRXHS8J37jYvqA4pugP6I6wKBgBrU\n"
    "ByxklR9bblge4sT9DHWvgnDrdBMOM4mKzHMJLx+6YItXOeOO1MgLIA06NviKmKGW\n"
    "m5GVG2pSG1hq6z+L7kVuz1st9fCEwRNEUQg1RiqZyh0Hoa4MdHKcwzkVPvUcRssA\n"
    "nhsX4UWx5zr4CM7UZ5xIU6DKVRtBsSInBCWow9KhAoGAVU7M+org6UwYsfjfRTVK\n"
    "qprsFm7vKVUcQSkIid5WYSKC/L8Y3bqyefTANgj6+gUzxJ31FSO0Db6Cth15cXbc\n"
    "3yGZrR8AuOWS681wHib6zxq+stVQ9Xq5GiDyhzEoN/j+/UDWd0+N3TRdDPSX3ifU\n"
    "r0MJ/xmKPTSJRHIVIAoOL3A=\n"
    "-----END PRIVATE KEY-----\n";

/* Its modulus and thumbprint, computed with openssl (see the top). */
static const char kat_n[] =
    "pTf5SXah_DuUuYBC_pdwwrbgOTGP0oY-UIOGIKLy3Ib7eOokJPCYHFZbVS0_O3RdGx_GpCX6uvIGOWg31H8Sl3Cd3W1h"
    "3OAZHWOzlEj6TrLO4Wh883HFPgwWM2RPLTIuKV8ebLDdLMpCxNKIuQKSuQz_EBcsi3rloipR2h7nttXLw27ULZtcSddK"
    "loknoV1OYsyPuiX_jdAmpRkokL9P1reoTJyWpjU1TOHPpcAxhRd3eSrpchRBBZvEVk4_aP-a4njGU-aGv8jjPkDVaZ0y"
    "ck3C-JzuWtKGbQcbulJWUFAxpdirOqnMl9ditGkTagJ4PhqZnpXAO2I4JHeP7nPP7w";
static const char kat_kid[] = "Mmwtz9JSdrImdUOe3t_T6bSR7-BeZCPc_fU7JElvTh0";

/* The payload and the token openssl made from it with kat_pem. */
static const char kat_payload[] =
    "{\"iss\":\"https://auth.example\",\"sub\":\"42\",\"aud\":\"grafana\","
    "\"nonce\":\"n-0S6_WzA2Mj\",\"exp\":1700000000}";
static const char kat_token[] =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6Ik1td3R6OUpTZHJJbWRVT2UzdF9UNmJTUjctQmVaQ1BjX2ZVN0pFbHZUaDAiLCJ0"
    "eXAiOiJKV1QifQ"
    ".eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZSIsInN1YiI6IjQyIiwiYXVkIjoiZ3JhZmFuYSIsIm5vbmNlIjoibi0w"
    "UzZfV3pBMk1qIiwiZXhwIjoxNzAwMDAwMDAwfQ"
    ".Cc4DID7ldiK9xjfDzb_e9VXihGnhO3MOFanicYwOsakHXpk6oSnqd9byiKBJTOA9TW97WZt250bS1LNbfwSURZTIRsWu"
    "rvCx1dUVe115ExxmB2S4oPNfzI8ZVZfoq162XdhusXcTRK_2yRzcSpEXDJOky7vyotKQkrFciuT9xoWlEEmOpFpITbHF"
    "atudyY5bXD1OcnPBguukgGX8uf40MgChoszjzAEs0PY_LnIn-I65B24n56xq55RkzPKn_SwlHrxQ5JbyWCCylCDs6ixi"
    "qPwca2x7OlMbjoclKLeiLtI3y4rnFvE4DsFX7upeWG_NvF9eqJJt4P3a0SAEok9-6g";

/* PEM text of a freshly generated key of another kind (malloc'd). */
static char *
pem_of(EVP_PKEY *pk, int traditional)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *s = NULL;
	long n;

	if (b == NULL)
		return NULL;
	if ((traditional ? PEM_write_bio_PrivateKey_traditional(b, pk, NULL, NULL, 0, NULL, NULL)
	                 : PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL)) == 1 &&
	    (n = BIO_get_mem_data(b, &p)) > 0 && (s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, p, (size_t)n);
		s[n] = '\0';
	}
	BIO_free(b);
	return s;
}

/* An RSA-PSS key (EVP_PKEY_Q_keygen does not take that type). */
static EVP_PKEY *
rsa_pss_gen(void)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
	EVP_PKEY *pk = NULL;

	if (c == NULL || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_generate(c, &pk) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(c);
	return pk;
}

static jose_key_t *
kat_key(void)
{
	jose_key_t *k = NULL;

	T_EQ_INT(jose_key_from_pem(kat_pem, strlen(kat_pem), &k), PO_OK);
	return k;
}

/* Decodes one base64url segment [s, s+n) into a NUL-terminated string. */
static char *
seg_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	long m;

	if (out == NULL)
		return NULL;
	if ((m = b64url_decode(s, n, (uint8_t *)out, n)) < 0) {
		free(out);
		return NULL;
	}
	out[m] = '\0';
	return out;
}

/* ---- RFC 7638 thumbprint ---- */

static void
test_thumbprint(void)
{
	/* RFC 7638 §3.1 */
	static const char n[] =
	    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tS"
	    "oc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65"
	    "YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyr"
	    "dkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKn"
	    "qDKgw";
	static const struct {
		const char *n, *e, *want; /* want NULL: rc must be PO_ERR_INVALID */
	} v[] = {
		{ n, "AQAB", "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" },
		{ kat_n, "AQAB", kat_kid },
		{ "", "AQAB", NULL },
		{ n, "", NULL },
		{ "abc=", "AQAB", NULL },  /* padding */
		{ "ab+c", "AQAB", NULL },  /* base64 alphabet */
		{ "ab\"c", "AQAB", NULL }, /* would change the JSON */
		{ n, "AQAB\",\"x\":\"", NULL },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = jose_rsa_thumbprint(v[i].n, v[i].e, out, sizeof(out));
		if (v[i].want != NULL) {
			T_EQ_INT(rc, PO_OK);
			T_EQ_STR(out, v[i].want);
		} else {
			T_EQ_INT(rc, PO_ERR_INVALID);
		}
	}
	/* 43 characters + NUL: 43 bytes is too small, 44 is enough */
	T_EQ_INT(jose_rsa_thumbprint(n, "AQAB", out, 43), PO_ERR_LIMIT);
	T_EQ_INT(jose_rsa_thumbprint(n, "AQAB", out, 44), PO_OK);
	T_EQ_STR(out, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

/* RFC 7638 §3.2 (EC) and RFC 8037 §2 (OKP) thumbprints: the members
 * {crv, kty, x, y} or {crv, kty, x} in that order. RFC 8037 Appendix A.3
 * gives the Ed25519 one; the EC one is of the RFC 7515 Appendix A.3 key,
 * computed with openssl:
 *   printf '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' X Y | openssl dgst -sha256 -binary | b64u */
static void
test_thumbprint_ec_okp(void)
{
	static const char x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
	static const char y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
	static const char ed[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
	static const struct {
		const char *crv, *x, *y; /* y NULL: OKP */
		const char *want;        /* NULL: PO_ERR_INVALID */
	} v[] = {
		{ "P-256", x, y, "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U" },
		{ "Ed25519", ed, NULL, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" },
		{ "P-256", y, x, NULL }, /* swapped: another (valid) thumbprint, checked below */
		{ "", x, y, NULL },
		{ "P-256\"", x, y, NULL },
		{ "P 256", x, y, NULL },
		{ "P-256", "", y, NULL },
		{ "P-256", x, "a=", NULL },
		{ "Ed25519", "", NULL, NULL },
		{ "Ed25519", "x\"", NULL, NULL },
		{ NULL, ed, NULL, NULL },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = v[i].y != NULL ? jose_ec_thumbprint(v[i].crv, v[i].x, v[i].y, out, sizeof(out))
		                        : jose_okp_thumbprint(v[i].crv, v[i].x, out, sizeof(out));
		if (i == 2) {
			T_EQ_INT(rc, PO_OK);
			T_CHECK(strcmp(out, v[0].want) != 0);
		} else if (v[i].want != NULL) {
			T_EQ_INT(rc, PO_OK);
			T_EQ_STR(out, v[i].want);
		} else {
			T_EQ_INT(rc, PO_ERR_INVALID);
		}
	}
	T_EQ_INT(jose_ec_thumbprint("P-256", x, y, out, 43), PO_ERR_LIMIT);
	T_EQ_INT(jose_okp_thumbprint("Ed25519", ed, out, 43), PO_ERR_LIMIT);
	T_EQ_INT(jose_okp_thumbprint("Ed25519", ed, out, 44), PO_OK);
}

/* ---- RFC 7636 PKCE ---- */

static void
test_pkce_s256(void)
{
	static const char a128[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char a129[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const struct {
		const char *v, *c;
		bool want;
	} t[] = {
		/* RFC 7636 Appendix B */
		{ "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
		    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", true },
		/* A near miss of that pair (an extra "1" in the verifier and
		 * another challenge, as it has been misquoted): not a pair. */
		{ "dBjftJeZ4CVP-1mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
		    "E9Melhoa2OwvFrYZXTJqNEJ6lIZ9YBEjWQDRyJXrsIM", false },
		/* openssl-computed: that 44-character verifier's real challenge */
		{ "dBjftJeZ4CVP-1mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
		    "kN9h2rnhp5C27t8fWCnWyWru7TP49F1mKPMp27QMhv0", true },
		/* every unreserved class, 43 characters (openssl-computed) */
		{ "abc.DEF-ghi_JKL~0123456789abcdefghijklmnopq",
		    "v5rgjg7OxNqsv5lkOISwuK9gi_TD3g9AAb7vO1y4zfs", true },
		/* 128 characters: the maximum (openssl-computed) */
		{ a128, "aDbPE7rEAOkQUHHNavRwhN-srU5eMCyUv-0k4BOvtz4", true },
		/* wrong challenge: first character changed */
		{ "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
		    "F9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", false },
		/* right challenge, padded / truncated / empty */
		{ "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
		    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=", false },
		{ "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
		    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c", false },
		{ "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "", false },
		/* invalid verifiers whose real hash is given: refused anyway
		 * (openssl-computed) */
		{ "dBjftJeZ4CVP-1mB92K27uhbUJU1p1r_wW1gFWFOEj", /* 42: too short */
		    "Qdr69p2VQX2zMEvuh62sWO5VBlbdg-7V86UOy3TZdZc", false },
		{ a129, "wSywJKLlVRzKDgj86PHF4xRVXMP-9jKe6ZSj23UhZq4", false }, /* too long */
		{ "dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk",                /* '+' */
		    "rIuAzvG1S9I4oQcr5j9HXgJA4ycvBd9rNF3bOwc1MG0", false },
		{ "dBjftJeZ4CVP mB92K27uhbUJU1p1r_wW1gFWFOEjXk", /* space */
		    "M80AEd2fYoJcAW459Io8uvdlW7-paVscKhmHq8LFrbw", false },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool got = pkce_s256_matches(t[i].v, strlen(t[i].v), t[i].c, strlen(t[i].c));
		if (got != t[i].want)
			fprintf(stderr, "  pkce case %zu\n", i);
		T_EQ_INT(got, t[i].want);
	}
	T_CHECK(!pkce_s256_matches(NULL, 0, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", 43));
	T_CHECK(!pkce_s256_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", 43, NULL, 0));
}

static void
test_pkce_syntax(void)
{
	static const struct {
		const char *s;
		size_t len; /* 0: strlen */
		bool verifier, challenge;
	} t[] = {
		{ "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", 0, true, true },
		{ "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", 0, true, true },
		{ "abc.DEF-ghi_JKL~0123456789abcdefghijklmnopq", 0, true, false },  /* '.' '~' */
		{ "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX", 0, false, false },  /* 42 */
		{ "dBjftJeZ4CVP-1mB92K27uhbUJU1p1r_wW1gFWFOEjXk", 0, true, false }, /* 44 */
		{ "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN", 0, true, false },  /* trailing bits */
		{ "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM", 0, false, false }, /* '+' */
		{ "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw/cM", 0, false, false }, /* '/' */
		{ "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw=cM", 0, false, false }, /* '=' */
		{ "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw%cM", 0, false, false }, /* '%' */
		{ "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw\xc3\xa9M", 0, false, false },
		{ "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw\0cM", 43, false, false },
		{ "", 0, false, false },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = t[i].len ? t[i].len : strlen(t[i].s);
		if (pkce_verifier_valid(t[i].s, len) != t[i].verifier ||
		    pkce_challenge_valid(t[i].s, len) != t[i].challenge)
			fprintf(stderr, "  pkce syntax case %zu\n", i);
		T_EQ_INT(pkce_verifier_valid(t[i].s, len), t[i].verifier);
		T_EQ_INT(pkce_challenge_valid(t[i].s, len), t[i].challenge);
	}
	/* the length bounds exactly: 43..128 */
	{
		char v[130];
		memset(v, 'Z', sizeof(v));
		T_CHECK(!pkce_verifier_valid(v, 42));
		T_CHECK(pkce_verifier_valid(v, 43));
		T_CHECK(pkce_verifier_valid(v, 128));
		T_CHECK(!pkce_verifier_valid(v, 129));
		T_CHECK(!pkce_verifier_valid(NULL, 0));
		T_CHECK(!pkce_challenge_valid(NULL, 0));
	}
}

/* ---- at_hash ---- */

static void
test_at_hash(void)
{
	static const struct {
		const char *token, *want;
	} t[] = {
		/* OpenID Connect Core 1.0 Appendix A examples (the access_token
		 * and at_hash; the code and c_hash, which is the same
		 * computation), each re-derived with
		 * printf %s TOKEN | openssl dgst -sha256 -binary | head -c 16 | base64 */
		{ "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "77QmUPtjPfzWtF2AnpK9RQ" },
		{ "dNZX1hEZ9wBCzNL40Upu646bdzQA", "wfgvmE9VxjAudsl9lc6TqA" },
		/* openssl-computed */
		{ "", "47DEQpj8HBSa-_TImW-5JA" },
	};
	char out[32];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		T_EQ_INT(jose_at_hash(t[i].token, strlen(t[i].token), out, sizeof(out)), PO_OK);
		T_EQ_STR(out, t[i].want);
	}
	/* 22 characters + NUL */
	T_EQ_INT(jose_at_hash("x", 1, out, 22), PO_ERR_LIMIT);
	T_EQ_INT(jose_at_hash(t[0].token, strlen(t[0].token), out, 23), PO_OK);
	T_EQ_STR(out, t[0].want);
}

/* ---- keys from PEM ---- */

static void
test_key_kat(void)
{
	jose_key_t *k = kat_key();
	json_t *jwk = NULL;
	char *tok = NULL, *payload = NULL;

	if (k == NULL)
		return;
	T_EQ_STR(jose_key_kid(k), kat_kid);
	T_EQ_STR(jose_key_alg(k), "RS256");
	T_CHECK(jose_key_pkey(k) != NULL);

	/* RFC 7517 §4, RFC 7518 §6.3.1: exactly these public members */
	jwk = jose_key_public_jwk(k);
	T_CHECK(jwk != NULL);
	T_EQ_INT(json_object_size(jwk), 6);
	T_EQ_STR(json_string_value(json_object_get(jwk, "kty")), "RSA");
	T_EQ_STR(json_string_value(json_object_get(jwk, "use")), "sig");
	T_EQ_STR(json_string_value(json_object_get(jwk, "alg")), "RS256");
	T_EQ_STR(json_string_value(json_object_get(jwk, "kid")), kat_kid);
	T_EQ_STR(json_string_value(json_object_get(jwk, "n")), kat_n);
	T_EQ_STR(json_string_value(json_object_get(jwk, "e")), "AQAB");
	T_CHECK(json_object_get(jwk, "d") == NULL && json_object_get(jwk, "p") == NULL);
	json_decref(jwk);

	/* deterministic RS256: exactly the token openssl made */
	T_EQ_INT(jose_jws_sign(k, kat_payload, strlen(kat_payload), &tok), PO_OK);
	T_EQ_STR(tok, kat_token);
	T_EQ_INT(jose_jws_verify(k, kat_token, strlen(kat_token), &payload), PO_OK);
	T_EQ_STR(payload, kat_payload);
	free(payload);
	free(tok);
	jose_key_free(k);
	jose_key_free(NULL);
}

/* A copy of s with the character at pos replaced by another base64url one. */
static char *
flipped(const char *s, size_t pos)
{
	char *p = strdup(s);

	if (p != NULL)
		p[pos] = p[pos] == 'A' ? 'B' : 'A';
	return p;
}

/* The KAT PEM with the base64 character at line `line` (1 = first base64
 * line), column `col` replaced by another one. */
static char *
kat_flipped(int line, int col)
{
	return flipped(kat_pem,
	    strlen("-----BEGIN PRIVATE KEY-----\n") + (size_t)(line - 1) * 65 + (size_t)col);
}

static char *
cat2(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s != NULL) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

static void
test_key_pem_cases(void)
{
	EVP_PKEY *rsa1024 = EVP_RSA_gen(1024);
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	EVP_PKEY *pss = rsa_pss_gen();
	struct {
		const char *name;
		char *pem; /* owned */
		int want;  /* PO_OK: loads with kat_kid */
	} t[] = {
		{ "kat", strdup(kat_pem), PO_OK },
		{ "traditional RSA", NULL, PO_OK },
		{ "surrounding whitespace", NULL, PO_OK },
		{ "empty", strdup(""), PO_ERR_INVALID },
		{ "garbage", strdup("not a key at all\n"), PO_ERR_INVALID },
		{ "truncated", strndup(kat_pem, 900), PO_ERR_INVALID },
		{ "END line missing", strndup(kat_pem, strlen(kat_pem) - 26), PO_ERR_INVALID },
		{ "modulus byte changed", kat_flipped(5, 10), PO_ERR_INVALID },
		{ "private exponent byte changed", kat_flipped(10, 20), PO_ERR_INVALID },
		{ "trailing data", cat2(kat_pem, "junk\n"), PO_ERR_INVALID },
		{ "a second key after it", cat2(kat_pem, kat_pem), PO_ERR_INVALID },
		{ "text before it", cat2("hello\n", kat_pem), PO_ERR_INVALID },
		{ "another PEM block before it",
		    cat2("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n", kat_pem),
		    PO_ERR_INVALID },
		{ "encrypted", strdup("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n"
		                      "-----END ENCRYPTED PRIVATE KEY-----\n"),
		    PO_ERR_INVALID },
		{ "public key", strdup("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"),
		    PO_ERR_INVALID },
		{ "RSA-1024", rsa1024 ? pem_of(rsa1024, 0) : NULL, PO_ERR_INVALID },
		{ "EC P-256", ec ? pem_of(ec, 0) : NULL, PO_ERR_INVALID },
		{ "RSA-PSS", pss ? pem_of(pss, 0) : NULL, PO_ERR_INVALID },
	};
	EVP_PKEY *kat = NULL;
	BIO *b = BIO_new_mem_buf(kat_pem, -1);

	/* the same key in PKCS#1 form, and with whitespace around it */
	if (b != NULL && (kat = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) != NULL)
		t[1].pem = pem_of(kat, 1);
	BIO_free(b);
	EVP_PKEY_free(kat);
	{
		char *w = cat2("\n  \n", kat_pem);
		t[2].pem = w ? cat2(w, "\n\n") : NULL;
		free(w);
	}
	T_CHECK(t[1].pem != NULL && strncmp(t[1].pem, "-----BEGIN RSA PRIVATE KEY-----", 31) == 0);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		jose_key_t *k = (jose_key_t *)&k; /* must be reset to NULL on error */
		int rc;

		if (t[i].pem == NULL) {
			fprintf(stderr, "  fixture %s not made\n", t[i].name);
			T_CHECK(t[i].pem != NULL);
			continue;
		}
		rc = jose_key_from_pem(t[i].pem, strlen(t[i].pem), &k);
		if (rc != t[i].want)
			fprintf(stderr, "  case \"%s\": rc %d\n", t[i].name, rc);
		T_EQ_INT(rc, t[i].want);
		if (rc == PO_OK) {
			T_EQ_STR(jose_key_kid(k), kat_kid);
			jose_key_free(k);
		} else {
			T_CHECK(k == NULL);
		}
		free(t[i].pem);
	}
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(pss);
}

/* ---- the key file ---- */

/* Number of entries in dir (without . and ..). */
static int
dir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Removes the plain files of dir, then dir. */
static void
dir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			if (unlink(p) != 0)
				rmdir(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* Reads a whole small file into buf; its length, or -1. */
static long
file_read(const char *path, char *buf, size_t sz)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd == -1)
		return -1;
	n = read(fd, buf, sz);
	close(fd);
	return (long)n;
}

static int
file_write(const char *path, const char *s, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ok;

	if (fd == -1)
		return -1;
	ok = write(fd, s, n) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -1;
}

static void
test_key_file_create_load(void)
{
	char dir[] = "/tmp/test_jose.XXXXXX", path[256], before[8192], after[8192];
	jose_key_t *k1 = NULL, *k2 = NULL;
	struct stat st;
	int created = -1;
	long n1, n2;
	mode_t old;

	if (mkdtemp(dir) == NULL) {
		T_CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/signing-key.pem", dir);

	/* a permissive umask must not widen the file's mode */
	old = umask(0);
	T_EQ_INT(jose_key_load_or_create(dir, &k1, &created), PO_OK);
	umask(old);
	T_EQ_INT(created, 1);
	T_CHECK(k1 != NULL);
	T_EQ_INT(stat(path, &st), 0);
	T_CHECK(S_ISREG(st.st_mode));
	T_EQ_INT(st.st_mode & 07777, 0600);
	T_EQ_INT(dir_count(dir), 1); /* no temporary file left behind */
	n1 = file_read(path, before, sizeof(before));
	T_CHECK(n1 > 0 && strncmp(before, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);

	/* the second start loads the same key */
	T_EQ_INT(jose_key_load_or_create(dir, &k2, &created), PO_OK);
	T_EQ_INT(created, 0);
	if (k1 != NULL && k2 != NULL) {
		char *tok = NULL;

		T_EQ_INT(strlen(jose_key_kid(k1)), 43);
		T_EQ_STR(jose_key_kid(k1), jose_key_kid(k2));
		/* and signs the same way: RS256 is deterministic */
		T_EQ_INT(jose_jws_sign(k1, "{}", 2, &tok), PO_OK);
		T_EQ_INT(jose_jws_verify(k2, tok, tok ? strlen(tok) : 0, NULL), PO_OK);
		free(tok);
	}
	n2 = file_read(path, after, sizeof(after));
	T_CHECK(n1 == n2 && memcmp(before, after, (size_t)n1) == 0);
	/* created may be NULL */
	jose_key_free(k2);
	k2 = NULL;
	T_EQ_INT(jose_key_load_or_create(dir, &k2, NULL), PO_OK);
	jose_key_free(k1);
	jose_key_free(k2);
	dir_remove(dir);
}

/* A write that fails midway (the file size limit, here) is an error and
 * leaves neither a key file nor a temporary file behind. */
static void
test_key_file_write_fails(void)
{
	char dir[] = "/tmp/test_jose.XXXXXX";
	jose_key_t *k = NULL;
	struct rlimit old, lim;
	void (*old_handler)(int);
	int created = -1;

	if (mkdtemp(dir) == NULL || getrlimit(RLIMIT_FSIZE, &old) != 0) {
		T_CHECK(!"fixture");
		return;
	}
	lim = old;
	lim.rlim_cur = 100; /* a PEM key is ~1.7 KiB */
	old_handler = signal(SIGXFSZ, SIG_IGN);
	T_EQ_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
	T_EQ_INT(jose_key_load_or_create(dir, &k, &created), PO_ERR_IO);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_handler);
	T_CHECK(k == NULL);
	T_EQ_INT(created, 0);
	T_EQ_INT(dir_count(dir), 0);
	jose_key_free(k);
	dir_remove(dir);
}

/* An existing but unusable key file is an error and is left as it is. */
static void
test_key_file_corrupt(void)
{
	char *flipped = kat_flipped(5, 10);
	const struct {
		const char *name, *content;
	} t[] = {
		{ "empty", "" },
		{ "garbage", "garbage\n" },
		{ "truncated", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n" },
		{ "modulus byte changed", flipped },
		{ "public key", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char dir[] = "/tmp/test_jose.XXXXXX", path[256], after[8192];
		jose_key_t *k = NULL;
		int created = -1, rc;
		size_t len;
		long n;

		if (t[i].content == NULL || mkdtemp(dir) == NULL) {
			T_CHECK(!"fixture");
			continue;
		}
		snprintf(path, sizeof(path), "%s/signing-key.pem", dir);
		len = strlen(t[i].content);
		T_EQ_INT(file_write(path, t[i].content, len), 0);
		rc = jose_key_load_or_create(dir, &k, &created);
		if (rc == PO_OK)
			fprintf(stderr, "  corrupt case \"%s\" loaded\n", t[i].name);
		T_EQ_INT(rc, PO_ERR_INVALID);
		T_CHECK(k == NULL);
		T_EQ_INT(created, 0);
		/* not replaced, nothing added */
		n = file_read(path, after, sizeof(after));
		T_CHECK(n == (long)len && memcmp(after, t[i].content, len) == 0);
		T_EQ_INT(dir_count(dir), 1);
		jose_key_free(k);
		dir_remove(dir);
	}
	free(flipped);

	/* the key path is a directory; the data directory does not exist */
	{
		char dir[] = "/tmp/test_jose.XXXXXX", path[256];
		jose_key_t *k = NULL;

		if (mkdtemp(dir) != NULL) {
			snprintf(path, sizeof(path), "%s/signing-key.pem", dir);
			T_EQ_INT(mkdir(path, 0700), 0);
			T_EQ_INT(jose_key_load_or_create(dir, &k, NULL), PO_ERR_INVALID);
			T_CHECK(k == NULL);
			snprintf(path, sizeof(path), "%s/missing", dir);
			T_EQ_INT(jose_key_load_or_create(path, &k, NULL), PO_ERR_IO);
			T_CHECK(k == NULL);
			T_EQ_INT(jose_key_load_or_create("", &k, NULL), PO_ERR_INVALID);
			dir_remove(dir);
		}
	}
}

/* ---- JWS ---- */

static void
test_sign_verify(void)
{
	static const char *payloads[] = {
		"{}",
		"",
		"{\"sub\":\"42\",\"name\":\"J\\u00f6rg \\\"x\\\" <script>\"}",
		"{\"a\":\"\xe2\x82\xac\"}", /* UTF-8 */
		"\x01\x02 not JSON at all",
	};
	EVP_PKEY *gen = EVP_RSA_gen(2048);
	char *gen_pem = gen ? pem_of(gen, 0) : NULL;
	jose_key_t *k = kat_key(), *other = NULL;
	char hdr_want[128];

	snprintf(hdr_want, sizeof(hdr_want), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
	    kat_kid);
	T_CHECK(gen_pem != NULL);
	if (gen_pem != NULL)
		T_EQ_INT(jose_key_from_pem(gen_pem, strlen(gen_pem), &other), PO_OK);
	if (k == NULL || other == NULL)
		goto out;
	T_CHECK(strcmp(jose_key_kid(k), jose_key_kid(other)) != 0);

	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		const char *pl = payloads[i], *d1, *d2;
		char *tok = NULL, *got = NULL, *seg;
		uint8_t sig[512];

		T_EQ_INT(jose_jws_sign(k, pl, strlen(pl), &tok), PO_OK);
		if (tok == NULL)
			continue;
		/* RFC 7515 §7.1: three base64url parts */
		d1 = strchr(tok, '.');
		d2 = d1 ? strchr(d1 + 1, '.') : NULL;
		T_CHECK(d1 != NULL && d2 != NULL && strchr(d2 + 1, '.') == NULL);
		if (d1 != NULL && d2 != NULL) {
			seg = seg_decode(tok, (size_t)(d1 - tok));
			T_EQ_STR(seg, hdr_want);
			free(seg);
			seg = seg_decode(d1 + 1, (size_t)(d2 - d1 - 1));
			T_EQ_STR(seg, pl);
			free(seg);
			T_EQ_INT(b64url_decode(d2 + 1, strlen(d2 + 1), sig, sizeof(sig)), 256);
		}
		T_EQ_INT(jose_jws_verify(k, tok, strlen(tok), &got), PO_OK);
		T_EQ_STR(got, pl);
		free(got);
		got = (char *)&got; /* must come back NULL */
		T_EQ_INT(jose_jws_verify(other, tok, strlen(tok), &got), PO_ERR_INVALID);
		T_CHECK(got == NULL);
		free(tok);
	}
out:
	jose_key_free(other);
	jose_key_free(k);
	EVP_PKEY_free(gen);
	free(gen_pem);
}

/* A token over any header text, signed with the KAT key by OpenSSL directly
 * (not by the code under test), so the verifier's header checks can be
 * exercised with signatures that are otherwise valid. */
static char *
sign_raw(const char *hdr, const char *payload_b64)
{
	BIO *b = BIO_new_mem_buf(kat_pem, -1);
	EVP_PKEY *pk = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t sig[256];
	size_t siglen = sizeof(sig), hl = strlen(hdr), pl = strlen(payload_b64), off;
	char *tok = malloc(b64url_enc_len(hl) + pl + 350);
	int ok = 0;

	if (pk != NULL && md != NULL && tok != NULL &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) == 1) {
		off = (size_t)b64url_encode((const uint8_t *)hdr, hl, tok, b64url_enc_len(hl) + 1);
		tok[off++] = '.';
		memcpy(tok + off, payload_b64, pl);
		off += pl;
		if (EVP_DigestSign(md, sig, &siglen, (uint8_t *)tok, off) == 1) {
			tok[off++] = '.';
			ok = b64url_encode(sig, siglen, tok + off, 350) > 0;
		}
	}
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	BIO_free(b);
	if (!ok) {
		free(tok);
		return NULL;
	}
	return tok;
}

static void
test_verify_rejects(void)
{
	static const char pay[] = "eyJzdWIiOiI0MiJ9"; /* {"sub":"42"} */
	jose_key_t *k = kat_key();
	size_t len = strlen(kat_token), h = (size_t)(strchr(kat_token, '.') - kat_token);
	size_t s = (size_t)(strrchr(kat_token, '.') - kat_token) + 1;
	char hdr[256];
	struct {
		const char *name;
		char *tok; /* owned */
		int want;
	} t[32];
	size_t nt = 0;

	if (k == NULL)
		return;
#define ADD(nm, tk, w)                               \
	do {                                         \
		char *tk_ = (tk);                    \
		if (nt < sizeof(t) / sizeof(t[0])) { \
			t[nt].name = (nm);           \
			t[nt].tok = tk_;             \
			t[nt++].want = (w);          \
		} else {                             \
			T_CHECK(!"table full");      \
			free(tk_);                   \
		}                                    \
	} while (0)

	ADD("the token itself", strdup(kat_token), PO_OK);
	ADD("header character changed", flipped(kat_token, 5), PO_ERR_INVALID);
	ADD("payload character changed", flipped(kat_token, h + 10), PO_ERR_INVALID);
	ADD("signature character changed", flipped(kat_token, s + 100), PO_ERR_INVALID);
	ADD("last character changed", flipped(kat_token, len - 1), PO_ERR_INVALID);
	ADD("empty signature", strndup(kat_token, s), PO_ERR_INVALID);
	ADD("two parts", strndup(kat_token, s - 1), PO_ERR_INVALID);
	ADD("four parts", cat2(kat_token, ".AAAA"), PO_ERR_INVALID);
	ADD("signature 3 bytes short", strndup(kat_token, len - 4), PO_ERR_INVALID);
	ADD("signature 3 bytes long", cat2(kat_token, "AAAA"), PO_ERR_INVALID);
	ADD("trailing newline", cat2(kat_token, "\n"), PO_ERR_INVALID);
	ADD("empty", strdup(""), PO_ERR_INVALID);
	ADD("dots only", strdup(".."), PO_ERR_INVALID);
	{
		/* another payload under the KAT signature */
		char *a = strndup(kat_token, h + 1), *b = cat2(a ? a : "", "e30");
		ADD("payload swapped", cat2(b ? b : "", strrchr(kat_token, '.')), PO_ERR_INVALID);
		free(a);
		free(b);
	}
	/* validly signed, but the header is wrong */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":\"JWT\"}", kat_kid);
	ADD("control: good header, raw signer", sign_raw(hdr, pay), PO_OK);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"kid\":\"%s\"}", kat_kid);
	ADD("alg none", sign_raw(hdr, pay), PO_ERR_INVALID);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%s\"}", kat_kid);
	ADD("alg HS256", sign_raw(hdr, pay), PO_ERR_INVALID);
	ADD("no kid", sign_raw("{\"alg\":\"RS256\"}", pay), PO_ERR_INVALID);
	ADD("other kid",
	    sign_raw("{\"alg\":\"RS256\",\"kid\":\"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs\"}",
	        pay),
	    PO_ERR_INVALID);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":[\"x\"],\"x\":1}", kat_kid);
	ADD("crit", sign_raw(hdr, pay), PO_ERR_INVALID);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"alg\":\"RS256\",\"kid\":\"%s\"}", kat_kid);
	ADD("duplicate alg", sign_raw(hdr, pay), PO_ERR_INVALID);
	ADD("header not an object", sign_raw("[\"RS256\"]", pay), PO_ERR_INVALID);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kat_kid);
	ADD("payload not canonical base64url", sign_raw(hdr, "Zh"), PO_ERR_INVALID);
#undef ADD

	for (size_t i = 0; i < nt; i++) {
		char *got = (char *)&got;
		int rc;

		if (t[i].tok == NULL) {
			fprintf(stderr, "  fixture \"%s\" not made\n", t[i].name);
			T_CHECK(t[i].tok != NULL);
			continue;
		}
		rc = jose_jws_verify(k, t[i].tok, strlen(t[i].tok), &got);
		if (rc != t[i].want)
			fprintf(stderr, "  verify case \"%s\": rc %d\n", t[i].name, rc);
		T_EQ_INT(rc, t[i].want);
		if (rc == PO_OK)
			free(got);
		else
			T_CHECK(got == NULL);
		free(t[i].tok);
	}
	T_EQ_INT(jose_jws_verify(k, NULL, 0, NULL), PO_ERR_INVALID);
	jose_key_free(k);
}

/* jws.h: signing is thread-safe. RS256 is deterministic, so every thread
 * must produce exactly the KAT token with the one shared key. */
struct sign_job {
	const jose_key_t *k;
	int bad;
};

static void *
sign_thread(void *arg)
{
	struct sign_job *j = arg;

	for (int i = 0; i < 25; i++) {
		char *tok = NULL;

		if (jose_jws_sign(j->k, kat_payload, strlen(kat_payload), &tok) != PO_OK ||
		    strcmp(tok, kat_token) != 0)
			j->bad++;
		free(tok);
	}
	return NULL;
}

static void
test_sign_threads(void)
{
	jose_key_t *k = kat_key();
	struct sign_job jobs[4];
	pthread_t th[4];

	if (k == NULL)
		return;
	/* The threads copy the key's one prepared signing context (jws.c). */
	T_CHECK(k->sign_tmpl != NULL && k->hash != NULL);
	for (int i = 0; i < 4; i++) {
		jobs[i].k = k;
		jobs[i].bad = 0;
		T_EQ_INT(pthread_create(&th[i], NULL, sign_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		T_EQ_INT(jobs[i].bad, 0);
	}
	jose_key_free(k);
}

int
main(void)
{
	/* The negative cases log errors on purpose; T_VERBOSE=1 shows them. */
	if (getenv("T_VERBOSE") == NULL)
		log_set_level((enum log_level)(LOG_ERROR + 1));
	T_RUN(test_thumbprint);
	T_RUN(test_thumbprint_ec_okp);
	T_RUN(test_pkce_s256);
	T_RUN(test_pkce_syntax);
	T_RUN(test_at_hash);
	T_RUN(test_key_kat);
	T_RUN(test_key_pem_cases);
	T_RUN(test_key_file_create_load);
	T_RUN(test_key_file_write_fails);
	T_RUN(test_key_file_corrupt);
	T_RUN(test_sign_verify);
	T_RUN(test_verify_rejects);
	T_RUN(test_sign_threads);
	return T_DONE();
}
