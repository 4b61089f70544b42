/*
 * fuzz_pkce.c - libFuzzer target for PKCE (src/oidc/pkce.h, RFC 7636):
 * pkce_verifier_valid(), pkce_challenge_valid() and pkce_s256_matches(),
 * which see the client's code_challenge (authorization request) and
 * code_verifier (token request).
 *
 * Input: "VERIFIER\nCHALLENGE" (without a '\n', both are the whole input).
 * Each function is compared with an independent reference written here
 * from the RFC, with OpenSSL's SHA-256 and the project's base64url encoder:
 *   - verifier: 43..128 characters of ALPHA DIGIT - . _ ~ (§4.1);
 *   - challenge: 43 base64url characters that decode to 32 bytes, i.e. the
 *     last one carries no stray bits (§4.2);
 *   - s256_matches(v, c) iff v is valid and c == BASE64URL(SHA256(v))
 *     (§4.6); it holds for the true challenge of every valid verifier.
 */
#include <stdbool.h>

#include <openssl/sha.h>

#include "fuzz.h"

#include "core/b64url.h"
#include "oidc/pkce.h"

static bool
ref_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '.' || c == '_' || c == '~';
}

static bool
ref_verifier_valid(const char *v, size_t n)
{
	size_t i;

	if (n < 43 || n > 128)
		return false;
	for (i = 0; i < n; i++)
		if (!ref_unreserved((unsigned char)v[i]))
			return false;
	return true;
}

static bool
ref_challenge_valid(const char *c, size_t n)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i;
	const char *p;

	if (n != 43)
		return false;
	for (i = 0; i < n; i++)
		if (c[i] == '\0' || strchr(alpha, c[i]) == NULL)
			return false;
	/* 43 * 6 = 258 bits: the last character's low 2 bits are padding. */
	p = strchr(alpha, c[42]);
	return ((p - alpha) & 3) == 0;
}

/* BASE64URL(SHA256(v)) into out (44 bytes). */
static void
ref_challenge(const char *v, size_t n, char out[44])
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)v, n, d);
	FUZZ_CHECK(b64url_encode(d, sizeof(d), out, 44) == 43);
}

/* (p, n) in a heap block of exactly n bytes, so over-reads are caught. */
static char *
exact(const uint8_t *p, size_t n)
{
	char *s = malloc(n ? n : 1);

	FUZZ_CHECK(s != NULL);
	if (n)
		memcpy(s, p, n);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest = data, *f;
	size_t rest_len = size, vlen, clen;
	char *v, *c, want[44];
	bool vok;

	if (memchr(data, '\n', size) != NULL) {
		f = fuzz_field(&rest, &rest_len, '\n', &vlen);
		v = exact(f, vlen);
		c = exact(rest, rest_len);
		clen = rest_len;
	} else {
		v = exact(data, size);
		c = exact(data, size);
		vlen = clen = size;
	}

	vok = pkce_verifier_valid(v, vlen);
	FUZZ_CHECK(vok == ref_verifier_valid(v, vlen));
	FUZZ_CHECK(pkce_challenge_valid(c, clen) == ref_challenge_valid(c, clen));
	FUZZ_CHECK(pkce_challenge_valid(v, vlen) == ref_challenge_valid(v, vlen));
	FUZZ_CHECK(!pkce_verifier_valid(NULL, 43) && !pkce_challenge_valid(NULL, 43));

	ref_challenge(v, vlen, want);
	FUZZ_CHECK(pkce_s256_matches(v, vlen, c, clen) ==
	    (vok && clen == 43 && memcmp(c, want, 43) == 0));
	/* The true challenge matches every valid verifier, and only it. */
	FUZZ_CHECK(pkce_s256_matches(v, vlen, want, 43) == vok);
	FUZZ_CHECK(!vok || pkce_challenge_valid(want, 43));
	want[42] = want[42] == 'A' ? 'B' : 'A';
	FUZZ_CHECK(!pkce_s256_matches(v, vlen, want, 43));
	FUZZ_CHECK(!pkce_s256_matches(v, vlen, NULL, 0));

	free(v);
	free(c);
	return 0;
}
