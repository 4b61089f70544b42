/*
 * str.c - string helpers and security primitives (see str.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/err.h"
#include "core/str.h"

bool
str_ct_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	/* CRYPTO_memcmp is constant time for equal lengths; a length mismatch
	 * only reveals the length, which for our secrets is public. */
	if (alen != blen)
		return false;
	if (alen == 0)
		return true;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

void
str_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

void
str_free_secret(char *s)
{
	if (s == NULL)
		return;
	str_wipe(s, strlen(s));
	free(s);
}

void
str_copy(char *dst, size_t dstsz, const char *s, size_t n)
{
	if (dstsz == 0)
		return;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

char *
str_dupn(const char *s, size_t n)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
str_dup(const char *s)
{
	return s ? str_dupn(s, strlen(s)) : NULL;
}

bool
str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int
str_to_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return PO_ERR_INVALID;
	for (i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return PO_ERR_INVALID;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return PO_ERR_INVALID;
		v = v * 10 + d;
	}
	*out = v;
	return PO_OK;
}

int
str_hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
str_has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);

	return len >= pl && memcmp(s, prefix, pl) == 0;
}
