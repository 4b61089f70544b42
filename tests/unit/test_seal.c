/* test_seal.c - sealed values (session/seal.h): round trips at every size
 * class, the format checked by decrypting with OpenSSL directly (the test
 * builds the additional data itself from the header's description), and
 * every refused case: a changed character or bit anywhere, truncation,
 * another purpose or context, a key the ring does not have, a retired key,
 * bad base64url, the size limit. A value sealed with the ring's next key
 * (another replica that already rotated) opens.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/b64url.h"
#include "core/err.h"
#include "core/log.h"
#include "keys/keyring.h"
#include "po_limits.h"
#include "policy/identity.h"
#include "session/seal.h"
#include "session/session.h"
#include "t.h"

#define T0 ((int64_t)1700000000)
#define ISS "https://auth.example.com"
#define LIFE (7 * 86400)

static keyring_t *ring, *other;

/* Seals s for purpose/context with ring; asserts success. */
static char *
sealed(const keyring_t *r, const char *purpose, const char *context, const char *s)
{
	char *out = NULL;

	T_EQ_INT(seal_seal(r, purpose, context, s, strlen(s), &out), PO_OK);
	return out;
}

/* 1 if (in) opens to want with ring at now for purpose/context. */
static int
opens(const keyring_t *r, int64_t now, const char *purpose, const char *context, const char *in, size_t len,
    const char *want)
{
	uint8_t *pt = (uint8_t *)&pt;
	size_t n = 99;
	int rc = seal_open(r, now, purpose, context, in, len, &pt, &n);

	if (rc != PO_OK) {
		T_CHECK(pt == NULL && n == 0); /* cleared on every failure */
		return 0;
	}
	rc = want != NULL && n == strlen(want) && memcmp(pt, want, n) == 0 && pt[n] == '\0';
	seal_free(pt, n);
	return rc;
}

static void
test_roundtrip(void)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 1000, SEAL_PLAINTEXT_MAX };
	char *a = NULL, *b = NULL;
	uint8_t *big = malloc(SEAL_PLAINTEXT_MAX + 1);

	if (big == NULL)
		return;
	for (size_t i = 0; i < SEAL_PLAINTEXT_MAX + 1; i++)
		big[i] = (uint8_t)(i * 7 + 1); /* every byte value, NUL included */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *out = NULL;
		uint8_t *pt = NULL;
		size_t n = 0;

		T_EQ_INT(seal_seal(ring, "session", ISS, big, sizes[i], &out), PO_OK);
		if (out == NULL)
			continue;
		T_EQ_INT(strlen(out), b64url_enc_len(sizes[i] + SEAL_OVERHEAD));
		T_CHECK(strlen(out) <= LIM_SEALED_MAX);
		T_EQ_INT(seal_open(ring, T0, "session", ISS, out, strlen(out), &pt, &n), PO_OK);
		T_EQ_INT(n, sizes[i]);
		T_CHECK(pt != NULL && memcmp(pt, big, n) == 0 && pt[n] == 0);
		seal_free(pt, n);
		free(out);
	}
	/* one byte over: refused, nothing made */
	{
		char *out = (char *)&out;
		T_EQ_INT(seal_seal(ring, "session", ISS, big, SEAL_PLAINTEXT_MAX + 1, &out), PO_ERR_LIMIT);
		T_CHECK(out == NULL);
	}
	/* a fresh nonce every time */
	a = sealed(ring, "session", ISS, "same");
	b = sealed(ring, "session", ISS, "same");
	T_CHECK(a != NULL && b != NULL && strcmp(a, b) != 0);
	T_CHECK(opens(ring, T0, "session", ISS, a, strlen(a), "same"));
	T_CHECK(opens(ring, T0, "session", ISS, b, strlen(b), "same"));
	/* context NULL is "" */
	free(a);
	a = sealed(ring, "refresh", NULL, "x");
	T_CHECK(opens(ring, T0, "refresh", "", a, strlen(a), "x"));
	free(a);
	free(b);
	free(big);
}

/* The format of seal.h, checked with OpenSSL by the test itself. */
static void
test_format_openssl(void)
{
	static const char msg[] = "{\"sub\":\"42\"}";
	const keyring_seal_key_t *k = keyring_seal_current(ring);
	char *s = sealed(ring, "session", ISS, msg);
	uint8_t raw[256], pt[64], aad[128];
	size_t an = 0;
	long n;
	int l1 = 0, l2 = 0, ok;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	if (s == NULL || k == NULL || c == NULL)
		goto out;
	n = b64url_decode(s, strlen(s), raw, sizeof(raw));
	T_EQ_INT(n, (long)(SEAL_OVERHEAD + strlen(msg)));
	T_EQ_INT(raw[0], SEAL_VERSION);
	T_CHECK(memcmp(raw + 1, k->id, KEYRING_SEAL_ID_BYTES) == 0);
	/* version | id | len(purpose) | purpose | len(context) (BE16) | context */
	memcpy(aad, raw, 5);
	an = 5;
	aad[an++] = 7;
	memcpy(aad + an, "session", 7);
	an += 7;
	aad[an++] = 0;
	aad[an++] = (uint8_t)strlen(ISS);
	memcpy(aad + an, ISS, strlen(ISS));
	an += strlen(ISS);
	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->key, raw + 5) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &l1, aad, (int)an) == 1 &&
	    EVP_DecryptUpdate(c, pt, &l1, raw + 17, (int)strlen(msg)) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, raw + n - 16) == 1 &&
	    EVP_DecryptFinal_ex(c, pt + l1, &l2) == 1;
	T_CHECK(ok);
	T_CHECK(ok && (size_t)(l1 + l2) == strlen(msg) && memcmp(pt, msg, strlen(msg)) == 0);
out:
	EVP_CIPHER_CTX_free(c);
	free(s);
}

/* Any one character changed, any bit of the decoded bytes flipped, any
 * truncation or extension: never opens. */
static void
test_tamper(void)
{
	char *s = sealed(ring, "session", ISS, "{\"sub\":\"42\",\"exp\":1}"), *t;
	uint8_t raw[256];
	char re[400];
	size_t len, bad = 0;
	long n;

	if (s == NULL)
		return;
	len = strlen(s);
	T_CHECK(opens(ring, T0, "session", ISS, s, len, "{\"sub\":\"42\",\"exp\":1}"));
	t = strdup(s);
	for (size_t i = 0; t != NULL && i < len; i++) {
		for (const char *c = "AQgw-_0z"; *c; c++) {
			if (*c == s[i])
				continue;
			t[i] = *c;
			bad += opens(ring, T0, "session", ISS, t, len, NULL) != 0;
			bad += opens(ring, T0, "session", ISS, t, len, "{\"sub\":\"42\",\"exp\":1}");
		}
		t[i] = s[i];
	}
	free(t);
	n = b64url_decode(s, len, raw, sizeof(raw));
	for (long i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			raw[i] ^= (uint8_t)(1 << bit);
			b64url_encode(raw, (size_t)n, re, sizeof(re));
			bad += opens(ring, T0, "session", ISS, re, strlen(re), "{\"sub\":\"42\",\"exp\":1}");
			raw[i] ^= (uint8_t)(1 << bit);
		}
	}
	for (size_t i = 0; i < len; i++)
		bad += opens(ring, T0, "session", ISS, s, i, "{\"sub\":\"42\",\"exp\":1}");
	/* whole bytes cut off the end (the tag), or added */
	for (long cut = 1; cut <= 16; cut++) {
		b64url_encode(raw, (size_t)(n - cut), re, sizeof(re));
		bad += opens(ring, T0, "session", ISS, re, strlen(re), "{\"sub\":\"42\",\"exp\":1}");
	}
	raw[n] = 0;
	b64url_encode(raw, (size_t)n + 1, re, sizeof(re));
	bad += opens(ring, T0, "session", ISS, re, strlen(re), "{\"sub\":\"42\",\"exp\":1}");
	T_EQ_INT(bad, 0);
	free(s);
}

static void
test_purpose_context(void)
{
	char *s = sealed(ring, "session", ISS, "v");
	char *shift = sealed(ring, "sessio", "n" ISS, "v");
	char *empty = NULL, *long_p = NULL;
	char purpose[LIM_SEAL_PURPOSE_MAX + 2];

	if (s == NULL || shift == NULL)
		goto out;
	T_CHECK(opens(ring, T0, "session", ISS, s, strlen(s), "v"));
	T_CHECK(!opens(ring, T0, "refresh", ISS, s, strlen(s), "v"));
	T_CHECK(!opens(ring, T0, "Session", ISS, s, strlen(s), "v"));
	T_CHECK(!opens(ring, T0, "session", "https://auth.example.org", s, strlen(s), "v"));
	T_CHECK(!opens(ring, T0, "session", ISS "/", s, strlen(s), "v"));
	T_CHECK(!opens(ring, T0, "session", "", s, strlen(s), "v"));
	T_CHECK(!opens(ring, T0, "session", NULL, s, strlen(s), "v"));
	/* the same bytes split differently between purpose and context */
	T_CHECK(!opens(ring, T0, "session", ISS, shift, strlen(shift), "v"));
	T_CHECK(!opens(ring, T0, "sessio", "n" ISS, s, strlen(s), "v"));
	T_CHECK(opens(ring, T0, "sessio", "n" ISS, shift, strlen(shift), "v"));
	/* no purpose, or one too long: refused both ways */
	T_EQ_INT(seal_seal(ring, "", ISS, "v", 1, &empty), PO_ERR_INVALID);
	T_EQ_INT(seal_seal(ring, NULL, ISS, "v", 1, &empty), PO_ERR_INVALID);
	memset(purpose, 'p', sizeof(purpose) - 1);
	purpose[sizeof(purpose) - 1] = '\0';
	T_EQ_INT(seal_seal(ring, purpose, ISS, "v", 1, &long_p), PO_ERR_INVALID);
	purpose[LIM_SEAL_PURPOSE_MAX] = '\0';
	T_EQ_INT(seal_seal(ring, purpose, ISS, "v", 1, &long_p), PO_OK);
	T_CHECK(long_p != NULL && opens(ring, T0, purpose, ISS, long_p, strlen(long_p), "v"));
	T_CHECK(!opens(ring, T0, "", ISS, s, strlen(s), "v"));
	T_CHECK(empty == NULL);
out:
	free(s);
	free(shift);
	free(long_p);
}

/* Keys: another installation's ring never opens ours; a value sealed with
 * the next key opens (a replica that rotated first); one sealed with a key
 * that became previous opens until it retires, then never. */
static void
test_keys(void)
{
	keyring_t *r1 = NULL;
	char *s0 = sealed(ring, "session", ISS, "old"), *s1 = NULL;
	int64_t t1 = T0 + LIM_KEY_PREPUBLISH_S, retire = t1 + LIFE + LIM_KEY_RETIRE_MARGIN_S;

	if (s0 == NULL)
		return;
	T_CHECK(!opens(other, T0, "session", ISS, s0, strlen(s0), "old"));
	T_EQ_INT(keyring_rotate(ring, t1, LIFE, false, &r1, NULL), PO_OK);
	if (r1 == NULL)
		goto out;
	s1 = sealed(r1, "session", ISS, "new");
	/* the old ring has r1's current key as its next: it opens */
	T_CHECK(opens(ring, t1, "session", ISS, s1, strlen(s1), "new"));
	T_CHECK(opens(r1, t1, "session", ISS, s1, strlen(s1), "new"));
	/* the previous key opens until its retire time, not at it */
	T_CHECK(opens(r1, retire - 1, "session", ISS, s0, strlen(s0), "old"));
	T_CHECK(!opens(r1, retire, "session", ISS, s0, strlen(s0), "old"));
	T_CHECK(!opens(r1, retire + 86400, "session", ISS, s0, strlen(s0), "old"));
	/* seal_retire: when what opens now stops opening */
	T_EQ_INT(seal_retire(r1, t1, s0, strlen(s0)), retire);
	T_EQ_INT(seal_retire(r1, retire, s0, strlen(s0)), 0); /* retired: no key */
	T_EQ_INT(seal_retire(r1, t1, s1, strlen(s1)), 0);     /* current */
	T_EQ_INT(seal_retire(ring, T0, s0, strlen(s0)), 0);
	T_EQ_INT(seal_retire(other, T0, s0, strlen(s0)), 0); /* not its key */
	T_EQ_INT(seal_retire(r1, t1, s0, 7), 0);
	T_EQ_INT(seal_retire(r1, t1, "!!!!!!!!!!", 10), 0);
	T_EQ_INT(seal_retire(r1, t1, NULL, 0), 0);
out:
	free(s0);
	free(s1);
	keyring_free(r1);
}

static void
test_bad_text(void)
{
	char *s = sealed(ring, "session", ISS, "v"), *t = NULL;
	char *huge = calloc(1, LIM_SEALED_MAX + 2);
	size_t len;

	if (s == NULL || huge == NULL)
		goto out;
	len = strlen(s);
	t = malloc(len + 2);
	/* base64 padding, the standard alphabet, a space, a NUL */
	memcpy(t, s, len);
	t[len] = '=';
	T_CHECK(!opens(ring, T0, "session", ISS, t, len + 1, "v"));
	memcpy(t, s, len + 1);
	t[3] = '+';
	T_CHECK(!opens(ring, T0, "session", ISS, t, len, "v"));
	t[3] = ' ';
	T_CHECK(!opens(ring, T0, "session", ISS, t, len, "v"));
	t[3] = '\0';
	T_CHECK(!opens(ring, T0, "session", ISS, t, len, "v"));
	/* over the limit: refused before decoding, whatever it holds */
	memset(huge, 'A', LIM_SEALED_MAX + 1);
	T_CHECK(!opens(ring, T0, "session", ISS, huge, LIM_SEALED_MAX + 1, "v"));
	T_CHECK(!opens(ring, T0, "session", ISS, huge, LIM_SEALED_MAX, "v"));
	T_CHECK(!opens(ring, T0, "session", ISS, "", 0, "v"));
	T_CHECK(!opens(ring, T0, "session", ISS, NULL, 0, "v"));
	/* the other version byte */
	{
		uint8_t raw[64];
		char re[128];
		long n = b64url_decode(s, len, raw, sizeof(raw));
		raw[0] = 2;
		b64url_encode(raw, (size_t)n, re, sizeof(re));
		T_CHECK(!opens(ring, T0, "session", ISS, re, strlen(re), "v"));
	}
	seal_free(NULL, 0);
out:
	free(s);
	free(t);
	free(huge);
}

/* An opened session says until when it may be used: its own end, or
 * sooner the retire time of the key that sealed it (what the forward-auth
 * cache keeps, gate_cache.h). */
static void
test_session_usable_until(void)
{
	plex_user_t u = { .id = 1, .uuid = "0123456789abcdef", .username = "alice", .title = "alice" };
	identity_t *who = identity_from_plex(&u, T0);
	session_t s = { 0 }, o = { 0 };
	keyring_t *r1 = NULL;
	char *c0 = NULL;
	int64_t t1 = T0 + LIM_KEY_PREPUBLISH_S, retire = t1 + LIFE + LIM_KEY_RETIRE_MARGIN_S;

	T_CHECK(who != NULL);
	if (who == NULL)
		goto out;
	T_EQ_INT(session_new(who, "tok-ABCDEFGHIJKLMNOPQRS", T0, 30 * 86400, &s), PO_OK);
	T_EQ_INT(session_seal(ring, ISS, &s, &c0), PO_OK);
	if (c0 == NULL)
		goto out;
	/* sealed with the current key: the session's own end */
	T_EQ_INT(session_open(ring, ISS, T0 + 1, c0, strlen(c0), &o), PO_OK);
	T_EQ_INT(o.usable_until, s.expires);
	session_clear(&o);
	/* the key became previous: it ends when the key retires, before the
	 * session would (30 days) */
	T_EQ_INT(keyring_rotate(ring, t1, LIFE, false, &r1, NULL), PO_OK);
	if (r1 == NULL)
		goto out;
	T_CHECK(retire < s.expires);
	T_EQ_INT(session_open(r1, ISS, t1, c0, strlen(c0), &o), PO_OK);
	T_EQ_INT(o.usable_until, retire);
	session_clear(&o);
	T_CHECK(session_open(r1, ISS, retire, c0, strlen(c0), &o) != PO_OK);
out:
	session_clear(&o);
	session_clear(&s);
	identity_free(who);
	keyring_free(r1);
	free(c0);
}

int
main(void)
{
	/* The negative cases log errors on purpose; T_VERBOSE=1 shows them. */
	if (getenv("T_VERBOSE") == NULL)
		log_set_level((enum log_level)(LOG_ERROR + 1));
	if (keyring_create(0, T0, &ring) != PO_OK || keyring_create(0, T0, &other) != PO_OK)
		ring = other = NULL;
	if (ring == NULL) {
		fprintf(stderr, "cannot make the test key rings\n");
		return 1;
	}
	T_RUN(test_roundtrip);
	T_RUN(test_format_openssl);
	T_RUN(test_tamper);
	T_RUN(test_purpose_context);
	T_RUN(test_keys);
	T_RUN(test_bad_text);
	T_RUN(test_session_usable_until);
	keyring_free(ring);
	keyring_free(other);
	return T_DONE();
}
