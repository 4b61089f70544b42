/*
 * fuzz_b64.c - libFuzzer target for base64url and base64
 * (src/core/b64url.h): b64url_decode() reads JOSE segments and PKCE
 * challenges, b64_decode() HTTP Basic credentials.
 *
 * Output buffers are heap blocks of exactly the size passed, so a decoder
 * that writes one byte too many is caught. Properties:
 *   - decode(encode(x)) == x, and encode's length is b64url_enc_len();
 *   - the decoders are strict (b64url.h), so decoding is one-to-one: when
 *     decode(s) succeeds, encoding the bytes again gives back s exactly
 *     (base64: with '+' '/' and '=' padding);
 *   - a result never exceeds outsz, and an outsz one byte short fails.
 */
#include <stdbool.h>

#include "fuzz.h"

#include "core/b64url.h"

/* Encodes (in, n) as base64url into a new exact-size string. */
static char *
encode(const uint8_t *in, size_t n, size_t *len)
{
	size_t need = b64url_enc_len(n);
	char *out = malloc(need + 1);
	long r;

	FUZZ_CHECK(out != NULL);
	/* One byte short of room for the NUL: must refuse, not overflow. */
	FUZZ_CHECK(b64url_encode(in, n, out, need) == -1);
	r = b64url_encode(in, n, out, need + 1);
	FUZZ_CHECK(r >= 0 && (size_t)r == need && out[need] == '\0' && strlen(out) == need);
	*len = need;
	return out;
}

/* Decodes (in, n) with dec into an exact-size buffer; checks the result's
 * bounds and that a buffer one byte smaller is refused. */
static long
decode(long (*dec)(const char *, size_t, uint8_t *, size_t), const char *in, size_t n, uint8_t **out)
{
	size_t cap = n / 4 * 3 + 3;
	uint8_t *o = malloc(cap), *small;
	long r;

	FUZZ_CHECK(o != NULL);
	r = dec(in, n, o, cap);
	FUZZ_CHECK(r >= -1 && r <= (long)cap);
	if (r > 0) {
		small = malloc((size_t)r - 1 ? (size_t)r - 1 : 1);
		FUZZ_CHECK(small != NULL);
		FUZZ_CHECK(dec(in, n, small, (size_t)r - 1) == -1);
		free(small);
	}
	*out = o;
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	uint8_t *dec = NULL, *back = NULL;
	char *enc;
	size_t elen, i;
	long r, r2;

	/* Round trip of arbitrary bytes. */
	enc = encode(data, size, &elen);
	r = decode(b64url_decode, enc, elen, &back);
	FUZZ_CHECK(r >= 0 && (size_t)r == size && (size == 0 || memcmp(back, data, size) == 0));
	free(back);
	back = NULL;
	free(enc);

	/* The input as base64url: canonical, so re-encoding gives it back. */
	r = decode(b64url_decode, in, size, &dec);
	if (r >= 0) {
		enc = encode(dec, (size_t)r, &elen);
		FUZZ_CHECK(elen == size && memcmp(enc, in, size) == 0);
		free(enc);
	}
	free(dec);
	dec = NULL;

	/* The input as standard base64 with padding: same, with the other
	 * alphabet and the '=' padding to a multiple of 4. */
	r = decode(b64_decode, in, size, &dec);
	if (r >= 0) {
		enc = encode(dec, (size_t)r, &elen);
		FUZZ_CHECK(size % 4 == 0 && elen <= size && size - elen < 4);
		for (i = 0; i < size; i++) {
			char want = i < elen ? (enc[i] == '-' ? '+' : (enc[i] == '_' ? '/' : enc[i])) : '=';
			FUZZ_CHECK(in[i] == want);
		}
		/* The same bytes through the url decoder, once the alphabet and
		 * padding are switched back. */
		r2 = decode(b64url_decode, enc, elen, &back);
		FUZZ_CHECK(r2 == r && (r == 0 || memcmp(back, dec, (size_t)r) == 0));
		free(back);
		free(enc);
	}
	free(dec);
	return 0;
}
