/*
 * fuzz_head.c - libFuzzer target for http_head_check() (src/http/head.h):
 * the request head checks (header count and bytes, Content-Length,
 * Transfer-Encoding, NUL bytes) that decide how a body is framed; and the
 * field lookups the server makes on an accepted head.
 *
 * Input: header fields, one per line ('\n'); each line is cut at its first
 * ':' into name and value, and one space after the ':' is dropped (as a
 * parser drops optional whitespace). A line without ':' is a name with an
 * empty value. NUL bytes stay in: the check must refuse them. Each field
 * is its own heap block of exactly its length, so an over-read is caught.
 *
 * Properties, checked against a second reading written here from RFC 9112:
 *   - the answer is 0, 400, 413 or 431, and on refusal the output is all
 *     zero;
 *   - accepted: at most LIM_HTTP_FIELDS_MAX fields and LIM_HTTP_HEAD_MAX
 *     bytes; no NUL; at most one Transfer-Encoding line and it is
 *     "chunked" (any case) with no Content-Length; all Content-Length
 *     lines are the same plain decimal number (any number of digits), at
 *     most LIM_HTTP_BODY_MAX, else 413;
 *     out says exactly that (chunked, has_length, length);
 *   - two Transfer-Encoding lines are never accepted (issue 9, item 6);
 *   - the answer does not change when every field name is upper-cased
 *     (names are case-insensitive, RFC 9110 §5.1);
 *   - on an accepted head, http_fields_find gives the first field of each
 *     name and says whether one repeats, the same for the upper-cased
 *     names, and http_fields_join gives every line of a name in order,
 *     ", " between them (or nothing when over its limit).
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"

#include "http/head.h"
#include "po_limits.h"

#define FUZZ_FIELDS_MAX (LIM_HTTP_FIELDS_MAX + 8)

static bool
is(const char *p, size_t n, const char *want)
{
	return n == strlen(want) && strncasecmp(p, want, n) == 0;
}

/* Digits only, at least one; *over when the number (leading zeros
 * ignored) is above LIM_HTTP_BODY_MAX, else its value in *v. */
static bool
decimal(const char *p, size_t n, uint64_t *v, bool *over)
{
	size_t i;

	*v = 0;
	*over = false;
	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		if (!*over) {
			*v = *v * 10 + (uint64_t)(p[i] - '0');
			if (*v > LIM_HTTP_BODY_MAX)
				*over = true;
		}
	}
	return true;
}

/* A heap block of exactly n bytes (1 when n is 0) holding (p, n): an
 * over-read by one byte is caught. */
static char *
exact(const void *p, size_t n)
{
	char *b = malloc(n ? n : 1);

	FUZZ_CHECK(b != NULL);
	if (n)
		memcpy(b, p, n);
	return b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	http_field_t f[FUZZ_FIELDS_MAX], up[FUZZ_FIELDS_MAX];
	char *names[FUZZ_FIELDS_MAX], *values[FUZZ_FIELDS_MAX], *upper[FUZZ_FIELDS_MAX];
	size_t n = 0, i, j, bytes = 0, n_te = 0, n_cl = 0;
	bool nul = false, cl_ok = true, te_ok = true, cl_over = false;
	uint64_t cl = 0;
	http_head_t h, h2;
	int st, st2, want;

	while (size > 0 && n < FUZZ_FIELDS_MAX) {
		size_t len, nl, vl;
		const uint8_t *line = fuzz_field(&data, &size, '\n', &len);
		const uint8_t *colon = len ? memchr(line, ':', len) : NULL;
		const uint8_t *val;

		nl = colon ? (size_t)(colon - line) : len;
		vl = colon ? len - nl - 1 : 0;
		val = colon ? colon + 1 : line;
		if (vl > 0 && val[0] == ' ') {
			val++;
			vl--;
		}
		names[n] = exact(line, nl);
		values[n] = exact(val, vl);
		upper[n] = exact(line, nl);
		for (i = 0; i < nl; i++)
			upper[n][i] = (char)toupper((unsigned char)upper[n][i]);
		f[n] = (http_field_t){ names[n], nl, values[n], vl };
		up[n] = (http_field_t){ upper[n], nl, values[n], vl };
		n++;
	}

	st = http_head_check(f, n, &h);
	FUZZ_CHECK(st == 0 || st == 400 || st == 413 || st == 431);
	if (st != 0)
		FUZZ_CHECK(!h.chunked && !h.has_length && h.length == 0);

	/* The second reading: predict the exact answer. */
	for (i = 0; i < n; i++) {
		uint64_t v;
		bool over;

		bytes += f[i].name_len + f[i].value_len + 4;
		nul |= memchr(f[i].name, '\0', f[i].name_len) != NULL || memchr(f[i].value, '\0', f[i].value_len) != NULL;
		if (is(f[i].name, f[i].name_len, "Content-Length")) {
			if (!decimal(f[i].value, f[i].value_len, &v, &over))
				cl_ok = false;
			/* Repeated lines must be identical ("7" and "07" differ). */
			for (j = 0; j < i; j++)
				if (is(f[j].name, f[j].name_len, "Content-Length") &&
				    (f[j].value_len != f[i].value_len || memcmp(f[j].value, f[i].value, f[i].value_len) != 0))
					cl_ok = false;
			if (n_cl++ == 0) {
				cl = v;
				cl_over = over;
			}
		} else if (is(f[i].name, f[i].name_len, "Transfer-Encoding")) {
			n_te++;
			te_ok &= is(f[i].value, f[i].value_len, "chunked");
		}
	}
	if (n > LIM_HTTP_FIELDS_MAX || bytes > LIM_HTTP_HEAD_MAX)
		want = 431;
	else if (nul || !cl_ok || n_te > 1 || (n_te == 1 && (!te_ok || n_cl > 0)))
		want = 400;
	else if (n_cl > 0 && cl_over)
		want = 413;
	else
		want = 0;
	if (st != want)
		fprintf(stderr, "http_head_check: %d, expected %d (%zu fields)\n", st, want, n);
	FUZZ_CHECK(st == want);
	if (st == 0) {
		FUZZ_CHECK(h.chunked == (n_te == 1));
		FUZZ_CHECK(h.has_length == (n_cl > 0));
		FUZZ_CHECK(h.length == (n_cl > 0 ? cl : 0));
	}
	if (n_te >= 2)
		FUZZ_CHECK(st != 0);

	st2 = http_head_check(up, n, &h2);
	FUZZ_CHECK(st2 == st);
	FUZZ_CHECK(h2.chunked == h.chunked && h2.has_length == h.has_length && h2.length == h.length);

	/* The lookups the server makes on an accepted head: the first field
	 * of each name, and a list field's lines joined. Predicted here from
	 * the upper-cased copy, which must give the same. */
	if (st == 0) {
		static const char *const look[] = { "cookie", "X-Forwarded-Host", "Content-Length", "A" };
		const char *got[4], *got_up[4];
		size_t k, first, count, total = 0;
		bool rep = http_fields_find(f, n, look, 4, got), rep2 = false;
		buf_t b;

		FUZZ_CHECK(http_fields_find(up, n, look, 4, got_up) == rep);
		for (k = 0; k < 4; k++) {
			for (i = 0, count = 0, first = n; i < n; i++)
				if (is(f[i].name, f[i].name_len, look[k]) && count++ == 0)
					first = i;
			rep2 |= count > 1;
			FUZZ_CHECK(first == n ? got[k] == NULL : got[k] == f[first].value);
			FUZZ_CHECK((got[k] == NULL) == (got_up[k] == NULL));
		}
		FUZZ_CHECK(rep == rep2);
		buf_init(&b, LIM_HTTP_HEAD_MAX);
		http_fields_join(f, n, "A", &b);
		for (i = 0, count = 0; i < n; i++)
			if (is(f[i].name, f[i].name_len, "A")) {
				total += (count++ ? 2 : 0) + f[i].value_len;
				FUZZ_CHECK(memmem(b.data ? b.data : "", b.len, f[i].value, f[i].value_len) != NULL || b.len == 0);
			}
		FUZZ_CHECK(b.len == (total <= LIM_HTTP_HEAD_MAX ? total : 0));
		buf_free(&b);
	}

	for (i = 0; i < n; i++) {
		free(names[i]);
		free(values[i]);
		free(upper[i]);
	}
	return 0;
}
