/*
 * buf.c - bounded growable buffer (see buf.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

void
buf_init(buf_t *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static int
buf_reserve(buf_t *b, size_t extra)
{
	size_t need, ncap;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return PO_ERR_LIMIT;
	need = b->len + extra + 1; /* + NUL */
	if (need <= b->cap)
		return PO_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > ((size_t)-1) / 2 ? need : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if (ncap < need)
		return PO_ERR_LIMIT;
	p = realloc(b->data, ncap);
	if (p == NULL)
		return PO_ERR_NOMEM;
	b->data = p;
	b->cap = ncap;
	return PO_OK;
}

int
buf_append(buf_t *b, const void *p, size_t n)
{
	int rc;

	if ((rc = buf_reserve(b, n)) != PO_OK)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return PO_OK;
}

int
buf_puts(buf_t *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_vappendf(buf_t *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, rc;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return PO_ERR_INVALID;
	if ((rc = buf_reserve(b, (size_t)n)) != PO_OK)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return PO_OK;
}

int
buf_appendf(buf_t *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vappendf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
buf_str(const buf_t *b)
{
	return b->data ? b->data : "";
}

void
buf_reset(buf_t *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *
buf_steal(buf_t *b, size_t *len)
{
	char *p = b->data;

	if (p == NULL && (p = calloc(1, 1)) == NULL)
		return NULL;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void
buf_free(buf_t *b)
{
	if (b->data) {
		str_wipe(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->cap = 0;
}
