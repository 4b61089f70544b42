/*
 * head.c - request head checks (see head.h).
 *
 * Why each rule: libmicrohttpd 0.9.75 reads the body by the FIRST
 * Transfer-Encoding line and by Content-Length only when there is no
 * Transfer-Encoding. A check that looked at the last line (as the old one
 * did) let "Transfer-Encoding: gzip" + "Transfer-Encoding: chunked" pass
 * while libmicrohttpd read the body to the end of the connection. So any
 * framing that is not one unambiguous reading is refused outright.
 */
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "http/head.h"
#include "po_limits.h"

static bool
name_is(const http_field_t *f, const char *want)
{
	size_t n = strlen(want);

	return f->name_len == n && f->name != NULL && strncasecmp(f->name, want, n) == 0;
}

static bool
value_is(const http_field_t *f, const char *want)
{
	size_t n = strlen(want);

	return f->value_len == n && f->value != NULL && strncasecmp(f->value, want, n) == 0;
}

/* A Content-Length value: one or more digits and nothing else (RFC 9110
 * §8.6). The number saturates at UINT64_MAX, so a long value (leading
 * zeros included) is judged by what it says, not by its length. */
static bool
content_length(const char *p, size_t n, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (p == NULL || n == 0)
		return false;
	for (i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(p[i] - '0');

		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
	}
	return true;
}

static bool
has_nul(const char *p, size_t n)
{
	return n > 0 && p != NULL && memchr(p, '\0', n) != NULL;
}

int
http_head_check(const http_field_t *f, size_t n, http_head_t *out)
{
	const http_field_t *cl = NULL, *te = NULL;
	size_t i, bytes = 0, n_te = 0;
	uint64_t len = 0;
	int st = 0;

	memset(out, 0, sizeof(*out));
	if (n > LIM_HTTP_FIELDS_MAX)
		return 431;
	for (i = 0; i < n; i++) {
		/* "name: value\r\n"; no overflow: each field sits in a head of
		 * at most the server's memory limit. */
		bytes += f[i].name_len + f[i].value_len + 4;
		if (bytes > LIM_HTTP_HEAD_MAX)
			return 431;
	}
	for (i = 0; i < n && st == 0; i++) {
		if (has_nul(f[i].name, f[i].name_len) || has_nul(f[i].value, f[i].value_len)) {
			st = 400;
		} else if (name_is(&f[i], "Content-Length")) {
			/* Repeated lines must agree exactly (RFC 9112 §6.3 item 5
			 * allows rejecting them; we accept only identical ones). */
			bool same = cl == NULL ||
			    (cl->value_len == f[i].value_len && memcmp(cl->value, f[i].value, cl->value_len) == 0);
			if (!same)
				st = 400;
			else if (cl == NULL && !content_length(f[i].value, f[i].value_len, &len))
				st = 400;
			cl = &f[i];
		} else if (name_is(&f[i], "Transfer-Encoding")) {
			if (++n_te > 1 || !value_is(&f[i], "chunked"))
				st = 400;
			te = &f[i];
		}
	}
	if (st == 0 && te != NULL && cl != NULL)
		st = 400; /* RFC 9112 §6.1: a sender must not send both */
	if (st == 0 && cl != NULL && len > LIM_HTTP_BODY_MAX)
		st = 413;
	if (st != 0)
		return st;
	out->chunked = te != NULL;
	out->has_length = cl != NULL;
	out->length = len;
	return 0;
}

static bool
field_is(const http_field_t *f, const char *name, size_t len)
{
	return f->name_len == len && strncasecmp(f->name, name, len) == 0;
}

bool
http_fields_find(const http_field_t *f, size_t n, const char *const *names, size_t k, const char **out)
{
	size_t i, j, len[HTTP_FIELDS_FIND_MAX];
	bool repeated = false;

	for (j = 0; j < k; j++)
		out[j] = NULL;
	if (k > HTTP_FIELDS_FIND_MAX)
		k = HTTP_FIELDS_FIND_MAX; /* the rest stay NULL */
	for (j = 0; j < k; j++)
		len[j] = strlen(names[j]);
	for (i = 0; i < n; i++)
		for (j = 0; j < k; j++) {
			if (!field_is(&f[i], names[j], len[j]))
				continue;
			if (out[j] != NULL)
				repeated = true;
			else
				out[j] = f[i].value ? f[i].value : "";
			break; /* names are distinct */
		}
	return repeated;
}

void
http_fields_join(const http_field_t *f, size_t n, const char *name, buf_t *b)
{
	size_t i, len = strlen(name);
	bool first = true;

	for (i = 0; i < n; i++) {
		if (!field_is(&f[i], name, len))
			continue;
		if ((!first && buf_puts(b, ", ") != PO_OK) ||
		    (f[i].value_len > 0 && buf_append(b, f[i].value, f[i].value_len) != PO_OK)) {
			buf_reset(b);
			return;
		}
		first = false;
	}
}
