/*
 * b64url.c - base64url and base64 (RFC 4648 §5 and §4); see b64url.h.
 */
#include "core/b64url.h"

static const char b64url_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
b64url_enc_len(size_t n)
{
	return (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0);
}

long
b64url_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	size_t need = b64url_enc_len(n), i, o = 0;

	if (outsz == 0 || need > outsz - 1 || need > (size_t)0x7fffffff)
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url_alpha[(v >> 18) & 63];
		out[o++] = b64url_alpha[(v >> 12) & 63];
		out[o++] = b64url_alpha[(v >> 6) & 63];
		out[o++] = b64url_alpha[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64url_alpha[(v >> 18) & 63];
		out[o++] = b64url_alpha[(v >> 12) & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url_alpha[(v >> 18) & 63];
		out[o++] = b64url_alpha[(v >> 12) & 63];
		out[o++] = b64url_alpha[(v >> 6) & 63];
	}
	out[o] = '\0';
	return (long)o;
}

/* Value of one character in the given alphabet (url: '-' '_'; std: '+' '/'),
 * or -1. */
static int
b64_val(char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Decodes n characters (no padding) of the given alphabet. */
static long
b64_decode_raw(const char *in, size_t n, uint8_t *out, size_t outsz, int url)
{
	size_t i, o = 0, need;
	uint32_t acc = 0;
	int bits = 0;

	if (n % 4 == 1)
		return -1; /* impossible length */
	need = (n / 4) * 3 + (n % 4 ? n % 4 - 1 : 0);
	if (need > outsz || need > (size_t)0x7fffffff)
		return -1;
	for (i = 0; i < n; i++) {
		int v = b64_val(in[i], url);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* RFC 4648 §3.5: the unused trailing bits must be zero (canonical). */
	if (acc != 0)
		return -1;
	return (long)o;
}

long
b64url_decode(const char *in, size_t n, uint8_t *out, size_t outsz)
{
	return b64_decode_raw(in, n, out, outsz, 1);
}

long
b64_decode(const char *in, size_t n, uint8_t *out, size_t outsz)
{
	size_t pad = 0;

	if (n % 4 != 0)
		return -1;
	while (pad < 2 && n > pad && in[n - 1 - pad] == '=')
		pad++;
	return b64_decode_raw(in, n - pad, out, outsz, 0);
}
