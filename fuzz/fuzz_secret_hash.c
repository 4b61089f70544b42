/*
 * fuzz_secret_hash.c - libFuzzer target for the scrypt PHC strings of
 * [client.ID] secret_hash (src/core/secret_hash.h): secret_hash_parse(),
 * which reads the value from the configuration or the environment.
 *
 * Input: the value, as is (libFuzzer's exact-size block: no NUL to rely
 * on). Properties of an accepted value: the parameters are within
 * LIM_SECRET_HASH_* (so no value can make a token request do more than 16
 * MiB of work), the salt and hash lengths are within theirs, and the value
 * is exactly "$scrypt$ln=A,r=B,p=C$" and the salt and hash in base64
 * without padding, re-encoded here by a reference written from RFC 4648
 * §4 (so nothing is accepted that hash-secret could not have written,
 * up to the unused low bits of the last character). A refused value
 * comes with a reason. scrypt itself is not run (it costs what the value
 * asks: milliseconds).
 */
#include <stdbool.h>

#include "fuzz.h"

#include "core/secret_hash.h"
#include "po_limits.h"

static const char ref_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 §4 without padding; returns the length written. */
static size_t
ref_b64(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = ref_alpha[v >> 18 & 63];
		out[o++] = ref_alpha[v >> 12 & 63];
		out[o++] = ref_alpha[v >> 6 & 63];
		out[o++] = ref_alpha[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = ref_alpha[v >> 18 & 63];
		out[o++] = ref_alpha[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = ref_alpha[v >> 18 & 63];
		out[o++] = ref_alpha[v >> 12 & 63];
		out[o++] = ref_alpha[v >> 6 & 63];
	}
	return o;
}

/* a and b agree but for the unused low bits of a final partial
 * character (the decoder ignores them). */
static bool
same_b64(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *pa, *pb;

	if (alen != blen)
		return false;
	if (alen == 0)
		return true;
	if (memcmp(a, b, alen - 1) != 0)
		return false;
	pa = strchr(ref_alpha, a[alen - 1]);
	pb = strchr(ref_alpha, b[blen - 1]);
	/* 4 characters carry 3 bytes: a final group of 2 uses 4 bits of its
	 * last character, of 3 uses 2 bits of it. */
	return pa && pb && ((pa - ref_alpha) & ~(alen % 4 == 2 ? 15 : 3)) == ((pb - ref_alpha) & ~(alen % 4 == 2 ? 15 : 3));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *why, *salt, *hash;
	char want[LIM_SECRET_HASH_STR_MAX * 2];
	secret_hash_t h;
	size_t n, sl, hl;
	uint64_t work;

	why = secret_hash_parse(s, size, &h);
	if (why != NULL) {
		FUZZ_CHECK(strlen(why) > 10);
		return 0;
	}
	FUZZ_CHECK(size <= LIM_SECRET_HASH_STR_MAX);
	FUZZ_CHECK(h.ln >= LIM_SECRET_HASH_LN_MIN && h.ln <= 30 && h.r >= 1 && h.p >= 1);
	work = ((uint64_t)128 << h.ln) * h.r;
	FUZZ_CHECK(work <= LIM_SECRET_HASH_WORK_MAX && work * h.p <= LIM_SECRET_HASH_WORK_MAX);
	FUZZ_CHECK(h.salt_len >= LIM_SECRET_HASH_SALT_MIN && h.salt_len <= LIM_SECRET_HASH_BYTES_MAX);
	FUZZ_CHECK(h.hash_len >= LIM_SECRET_HASH_OUT_MIN && h.hash_len <= LIM_SECRET_HASH_BYTES_MAX);
	/* The value, rewritten from what was parsed. */
	n = (size_t)snprintf(want, sizeof(want), "$scrypt$ln=%u,r=%u,p=%u$", h.ln, h.r, h.p);
	FUZZ_CHECK(size > n && memcmp(s, want, n) == 0);
	salt = s + n;
	hash = memchr(salt, '$', size - n);
	FUZZ_CHECK(hash != NULL);
	sl = ref_b64(h.salt, h.salt_len, want);
	FUZZ_CHECK(same_b64(salt, (size_t)(hash - salt), want, sl));
	hash++;
	hl = ref_b64(h.hash, h.hash_len, want);
	FUZZ_CHECK(same_b64(hash, size - (size_t)(hash - s), want, hl));
	secret_hash_clear(&h);
	FUZZ_CHECK(h.ln == 0 && h.salt_len == 0);
	return 0;
}
