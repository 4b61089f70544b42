/* test_b64url.c - base64url and base64 (core/b64url): RFC 4648 §10 vectors
 * both ways, strict rejection of bad input, bounded output, and a cross-check
 * against OpenSSL's base64 encoder as an independent oracle. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/b64url.h"
#include "t.h"

struct vec {
	const char *raw; /* bytes */
	size_t len;
	const char *url; /* base64url, no padding (RFC 4648 §5) */
	const char *std; /* base64 with padding (RFC 4648 §4) */
};

static const struct vec vecs[] = {
	/* RFC 4648 §10 */
	{ "", 0, "", "" },
	{ "f", 1, "Zg", "Zg==" },
	{ "fo", 2, "Zm8", "Zm8=" },
	{ "foo", 3, "Zm9v", "Zm9v" },
	{ "foob", 4, "Zm9vYg", "Zm9vYg==" },
	{ "fooba", 5, "Zm9vYmE", "Zm9vYmE=" },
	{ "foobar", 6, "Zm9vYmFy", "Zm9vYmFy" },
	/* the two characters where the alphabets differ (62 and 63) */
	{ "\xfb\xff", 2, "-_8", "+/8=" },
	{ "\xfb\xef\xbe", 3, "----", "++++" },
	{ "\xff\xff\xff", 3, "____", "////" },
	/* zero bytes, including an embedded NUL */
	{ "\x00", 1, "AA", "AA==" },
	{ "\x00\x00\x00\x00", 4, "AAAAAA", "AAAAAA==" },
	{ "a\x00z", 3, "YQB6", "YQB6" },
};

static void
test_encode_vectors(void)
{
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		char out[32];
		long n = b64url_encode((const uint8_t *)vecs[i].raw, vecs[i].len, out, sizeof(out));

		T_EQ_INT(n, (long)strlen(vecs[i].url));
		T_EQ_STR(out, vecs[i].url);
		T_EQ_INT(b64url_enc_len(vecs[i].len), strlen(vecs[i].url));
	}
}

static void
test_decode_vectors(void)
{
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		uint8_t out[32];
		long n;

		memset(out, 0xAA, sizeof(out));
		n = b64url_decode(vecs[i].url, strlen(vecs[i].url), out, sizeof(out));
		T_EQ_INT(n, (long)vecs[i].len);
		T_CHECK(n >= 0 && memcmp(out, vecs[i].raw, vecs[i].len) == 0);

		memset(out, 0xAA, sizeof(out));
		n = b64_decode(vecs[i].std, strlen(vecs[i].std), out, sizeof(out));
		T_EQ_INT(n, (long)vecs[i].len);
		T_CHECK(n >= 0 && memcmp(out, vecs[i].raw, vecs[i].len) == 0);
	}
}

struct bad {
	const char *in;
	size_t len; /* 0: use strlen */
};

/* Every one of these must be refused by b64url_decode. */
static const struct bad bad_url[] = {
	{ "Zg==", 0 }, /* padding is not allowed in base64url (RFC 7515 §2) */
	{ "Zg=", 0 },  /* ... nor a single pad */
	{ "Zm8=", 0 },
	{ "Z", 0 }, /* length 1 mod 4 encodes nothing */
	{ "A", 0 }, /* ... even when its bits are all zero */
	{ "Zm9vY", 0 },
	{ "Zm9vA", 0 },
	{ "Zh", 0 },  /* non-zero trailing bits (RFC 4648 §3.5) */
	{ "Zm9", 0 }, /* ditto, 2 trailing bits */
	{ "Zm9vYh", 0 },
	{ "Zm+v", 0 }, /* standard alphabet characters */
	{ "Zm/v", 0 },
	{ "Zm9v\n", 0 }, /* whitespace */
	{ "Zm 9v", 0 },
	{ " Zm9v", 0 },
	{ "Zm9v!", 0 },
	{ "Zm.v", 0 },
	{ "Zm\x80v", 0 }, /* non-ASCII */
	{ "Zm\0v", 4 },   /* embedded NUL */
	{ "====", 0 },
};

/* Every one of these must be refused by b64_decode. */
static const struct bad bad_std[] = {
	{ "Zg", 0 }, /* padding required */
	{ "Zm8", 0 },
	{ "Zg=", 0 }, /* length not a multiple of 4 */
	{ "Zg===", 0 },
	{ "Z===", 0 }, /* too much padding */
	{ "A===", 0 },
	{ "Zm9vA===", 0 },
	{ "====", 0 },
	{ "Zh==", 0 }, /* non-zero trailing bits */
	{ "Zm9=", 0 },
	{ "Zg==Zg==", 0 }, /* padding in the middle */
	{ "Z=g=", 0 },
	{ "Zm-v", 0 }, /* base64url characters */
	{ "Zm_v", 0 },
	{ "Zm9v\r\n", 0 },
	{ "Zm\0v", 4 },
};

static void
test_rejects(void)
{
	uint8_t out[32];

	for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
		size_t len = bad_url[i].len ? bad_url[i].len : strlen(bad_url[i].in);
		long n = b64url_decode(bad_url[i].in, len, out, sizeof(out));
		if (n != -1)
			fprintf(stderr, "  b64url accepted bad case %zu\n", i);
		T_EQ_INT(n, -1);
	}
	for (size_t i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++) {
		size_t len = bad_std[i].len ? bad_std[i].len : strlen(bad_std[i].in);
		long n = b64_decode(bad_std[i].in, len, out, sizeof(out));
		if (n != -1)
			fprintf(stderr, "  b64 accepted bad case %zu\n", i);
		T_EQ_INT(n, -1);
	}
}

/* Output bounds: exact fit works, one byte less fails, nothing is written
 * past outsz in either case. */
static void
test_small_buffers(void)
{
	char enc[16];
	uint8_t dec[16];

	/* "foobar" -> 8 characters + NUL = 9 bytes */
	memset(enc, 'X', sizeof(enc));
	T_EQ_INT(b64url_encode((const uint8_t *)"foobar", 6, enc, 8), -1);
	T_CHECK(enc[8] == 'X');
	T_EQ_INT(b64url_encode((const uint8_t *)"foobar", 6, enc, 9), 8);
	T_EQ_STR(enc, "Zm9vYmFy");
	T_CHECK(enc[9] == 'X');
	T_EQ_INT(b64url_encode((const uint8_t *)"", 0, enc, 0), -1);
	T_EQ_INT(b64url_encode((const uint8_t *)"", 0, enc, 1), 0);
	T_EQ_STR(enc, "");

	/* "Zm9vYmE" -> 5 bytes */
	memset(dec, 0xAA, sizeof(dec));
	T_EQ_INT(b64url_decode("Zm9vYmE", 7, dec, 4), -1);
	T_CHECK(dec[4] == 0xAA);
	T_EQ_INT(b64url_decode("Zm9vYmE", 7, dec, 5), 5);
	T_CHECK(memcmp(dec, "fooba", 5) == 0 && dec[5] == 0xAA);
	memset(dec, 0xAA, sizeof(dec));
	T_EQ_INT(b64_decode("Zm9vYmE=", 8, dec, 4), -1);
	T_CHECK(dec[4] == 0xAA);
	T_EQ_INT(b64_decode("Zm9vYmE=", 8, dec, 5), 5);
	T_CHECK(dec[5] == 0xAA);
	T_EQ_INT(b64url_decode("", 0, dec, 0), 0);
}

/* OpenSSL's EVP_EncodeBlock (standard, padded base64) as an independent
 * encoder: for every length 0..200 of pseudo-random bytes, our base64url is
 * its output with '+/' mapped to '-_' and '=' removed, and both of our
 * decoders give the bytes back. */
static void
test_oracle(void)
{
	uint8_t raw[200], dec[200];
	unsigned char std[4 * (200 / 3 + 1) + 1];
	char url[sizeof(std)], want[sizeof(std)];
	uint32_t x = 0x12345678u;

	for (size_t i = 0; i < sizeof(raw); i++) {
		x = x * 1103515245u + 12345u; /* fixed LCG: reproducible */
		raw[i] = (uint8_t)(x >> 24);
	}
	for (size_t len = 0; len <= sizeof(raw); len++) {
		int sl = EVP_EncodeBlock(std, raw, (int)len);
		size_t w = 0;
		long n;

		for (int j = 0; j < sl; j++) {
			char c = (char)std[j];
			if (c == '=')
				continue;
			want[w++] = c == '+' ? '-' : (c == '/' ? '_' : c);
		}
		want[w] = '\0';
		n = b64url_encode(raw, len, url, sizeof(url));
		T_EQ_INT(n, (long)w);
		T_EQ_STR(url, want);
		T_EQ_INT(b64url_decode(url, w, dec, sizeof(dec)), (long)len);
		T_CHECK(memcmp(dec, raw, len) == 0);
		T_EQ_INT(b64_decode((const char *)std, (size_t)sl, dec, sizeof(dec)), (long)len);
		T_CHECK(memcmp(dec, raw, len) == 0);
	}
}

int
main(void)
{
	T_RUN(test_encode_vectors);
	T_RUN(test_decode_vectors);
	T_RUN(test_rejects);
	T_RUN(test_small_buffers);
	T_RUN(test_oracle);
	return T_DONE();
}
