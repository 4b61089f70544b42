/* test_http.c - form decoding, encoding, cookie parsing and the request
 * head checks, from tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/cookie.h"
#include "http/form.h"
#include "http/head.h"
#include "po_limits.h"
#include "t.h"

static void
test_form_vectors(void)
{
	static const struct {
		const char *in;
		int rc;
		size_t n;
		const char *name0, *value0;
	} v[] = {
		{ "", PO_OK, 0, NULL, NULL },
		{ "a=1", PO_OK, 1, "a", "1" },
		{ "a=1&b=2", PO_OK, 2, "a", "1" },
		{ "&&a=1&&", PO_OK, 1, "a", "1" },
		{ "flag", PO_OK, 1, "flag", "" },
		{ "a=", PO_OK, 1, "a", "" },
		{ "a=x+y", PO_OK, 1, "a", "x y" },
		{ "a=%2B%2f%7e", PO_OK, 1, "a", "+/~" },
		{ "red%69rect_uri=h%3A%2F%2Fx", PO_OK, 1, "redirect_uri", "h://x" },
		{ "a=%C3%A9", PO_OK, 1, "a", "\xc3\xa9" },
		{ "a=%", PO_ERR_INVALID, 0, NULL, NULL },
		{ "a=%4", PO_ERR_INVALID, 0, NULL, NULL },
		{ "a=%zz", PO_ERR_INVALID, 0, NULL, NULL },
		{ "a=%00", PO_ERR_INVALID, 0, NULL, NULL },
		{ "%00=1", PO_ERR_INVALID, 0, NULL, NULL },
		{ "a=1&b=%G0", PO_ERR_INVALID, 0, NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		form_t f = { 0 };
		int rc = form_parse(v[i].in, strlen(v[i].in), &f);
		T_EQ_INT(rc, v[i].rc);
		T_EQ_INT(f.n, v[i].n);
		if (v[i].name0 && f.n) {
			T_EQ_STR(f.p[0].name, v[i].name0);
			T_EQ_STR(f.p[0].value, v[i].value0);
		}
		form_clear(&f);
	}
}

static void
test_form_duplicates_and_get(void)
{
	form_t f = { 0 };
	const char *q = "state=a&scope=openid&state=b";

	T_EQ_INT(form_parse(q, strlen(q), &f), PO_OK);
	T_EQ_INT(form_count(&f, "state"), 2);
	T_EQ_INT(form_count(&f, "scope"), 1);
	T_EQ_INT(form_count(&f, "nope"), 0);
	T_EQ_STR(form_get(&f, "state"), "a");
	T_CHECK(form_get(&f, "nope") == NULL);
	form_clear(&f);
}

static void
test_form_limits(void)
{
	char *big = malloc(LIM_FORM_PARAMS_MAX * 4 + 16), *longv;
	size_t i, o = 0;
	form_t f = { 0 };

	for (i = 0; i < LIM_FORM_PARAMS_MAX + 1; i++) {
		big[o++] = 'a';
		big[o++] = '=';
		big[o++] = '1';
		big[o++] = '&';
	}
	T_EQ_INT(form_parse(big, o, &f), PO_ERR_LIMIT);
	T_EQ_INT(f.n, 0);
	T_EQ_INT(form_parse(big, o - 8, &f), PO_OK); /* exactly at the limit */
	T_EQ_INT(f.n, LIM_FORM_PARAMS_MAX - 1);
	form_clear(&f);
	free(big);

	longv = malloc(LIM_PARAM_LEN_MAX + 8);
	memcpy(longv, "v=", 2);
	memset(longv + 2, 'x', LIM_PARAM_LEN_MAX + 1);
	T_EQ_INT(form_parse(longv, LIM_PARAM_LEN_MAX + 3, &f), PO_ERR_LIMIT);
	T_EQ_INT(form_parse(longv, LIM_PARAM_LEN_MAX + 2, &f), PO_OK);
	form_clear(&f);
	free(longv);
}

static void
test_form_encode_roundtrip(void)
{
	const char *s = "https://app.example/cb?x=1&y=a b+c/é~";
	buf_t b;
	char *back;

	buf_init(&b, 1024);
	T_EQ_INT(form_encode(&b, s), PO_OK);
	T_EQ_STR(buf_str(&b), "https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1%26y%3Da%20b%2Bc%2F%C3%A9~");
	back = form_decode(b.data, b.len, true);
	T_EQ_STR(back, s);
	free(back);
	T_CHECK(form_decode("%0", 2, false) == NULL);
	back = form_decode("a+b", 3, false);
	T_EQ_STR(back, "a+b");
	free(back);
	buf_free(&b);
}

static void
test_cookies(void)
{
	static const struct {
		const char *header;
		int rc;
		const char *value;
	} v[] = {
		{ "plexoidc_bid=abc", PO_OK, "abc" },
		{ "a=1; plexoidc_bid=abc; b=2", PO_OK, "abc" },
		{ "a=1;plexoidc_bid=abc", PO_OK, "abc" },
		{ "plexoidc_bid=\"abc\"", PO_OK, "abc" },
		{ "xplexoidc_bid=abc", PO_ERR_NOTFOUND, NULL },
		{ "plexoidc_bidx=abc", PO_ERR_NOTFOUND, NULL },
		{ "plexoidc_bid", PO_ERR_NOTFOUND, NULL },
		{ "", PO_ERR_NOTFOUND, NULL },
		{ "plexoidc_bid=a; plexoidc_bid=b", PO_ERR_INVALID, NULL },
		{ "  plexoidc_bid=abc  ", PO_OK, "abc" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *val = NULL;
		size_t n = 0;
		int rc = cookie_get(v[i].header, strlen(v[i].header), "plexoidc_bid", &val, &n);
		T_EQ_INT(rc, v[i].rc);
		if (v[i].value && rc == PO_OK) {
			T_EQ_INT(n, strlen(v[i].value));
			T_CHECK(memcmp(val, v[i].value, n) == 0);
		}
	}
}

static void
test_cookie_format(void)
{
	buf_t b;

	buf_init(&b, 512);
	T_EQ_INT(cookie_format(&b, "n", "v", "/auth", -1, true), PO_OK);
	T_EQ_STR(buf_str(&b), "n=v; Path=/auth; HttpOnly; SameSite=Lax; Secure");
	buf_reset(&b);
	T_EQ_INT(cookie_format(&b, "n", "v", "", 60, false), PO_OK);
	T_EQ_STR(buf_str(&b), "n=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
	buf_free(&b);
}

#define F(n, v)                                    \
	{                                          \
		n, sizeof(n) - 1, v, sizeof(v) - 1 \
	}

/* Issue 9, item 6: libmicrohttpd frames the body by the FIRST
 * Transfer-Encoding line; any head that could be read two ways is 400. */
static void
test_head_vectors(void)
{
	static const http_field_t te_dup[] = { F("Host", "x"), F("Transfer-Encoding", "gzip"),
		F("Transfer-Encoding", "chunked") };
	static const http_field_t te_dup_same[] = { F("Transfer-Encoding", "chunked"), F("transfer-encoding", "chunked") };
	static const http_field_t te_list[] = { F("Transfer-Encoding", "gzip, chunked") };
	static const http_field_t te_gzip[] = { F("Transfer-Encoding", "gzip") };
	static const http_field_t te_identity[] = { F("Transfer-Encoding", "identity") };
	static const http_field_t te_empty[] = { F("Transfer-Encoding", "") };
	static const http_field_t te_space[] = { F("Transfer-Encoding", "chunked ") };
	static const http_field_t te_ok[] = { F("Host", "x"), F("Transfer-Encoding", "chunked") };
	static const http_field_t te_case[] = { F("TRANSFER-ENCODING", "Chunked") };
	static const http_field_t te_cl[] = { F("Content-Length", "5"), F("Transfer-Encoding", "chunked") };
	static const http_field_t cl_ok[] = { F("Content-Length", "16384") };
	static const http_field_t cl_over[] = { F("Content-Length", "16385") };
	static const http_field_t cl_huge[] = { F("Content-Length", "99999999999999999999999") };
	static const http_field_t cl_zeros[] = { F("Content-Length", "0000000000000000000000005") };
	static const http_field_t cl_same[] = { F("Content-Length", "7"), F("content-length", "7") };
	static const http_field_t cl_differ[] = { F("Content-Length", "0"), F("Content-Length", "40") };
	static const http_field_t cl_bad[] = { F("Content-Length", "abc") };
	static const http_field_t cl_neg[] = { F("Content-Length", "-1") };
	static const http_field_t cl_list[] = { F("Content-Length", "5, 5") };
	static const http_field_t cl_empty[] = { F("Content-Length", "") };
	static const http_field_t nul_value[] = { { "Authorization", 13, "Bearer a\0b", 10 } };
	static const http_field_t nul_name[] = { { "X-\0Evil", 7, "a", 1 } };
	static const http_field_t plain[] = { F("Host", "x"), F("Accept", "*/*") };
	static const struct {
		const http_field_t *f;
		size_t n;
		int want;
		bool chunked, has_length;
		uint64_t length;
	} v[] = {
		{ te_dup, 3, 400, false, false, 0 },
		{ te_dup_same, 2, 400, false, false, 0 },
		{ te_list, 1, 400, false, false, 0 },
		{ te_gzip, 1, 400, false, false, 0 },
		{ te_identity, 1, 400, false, false, 0 },
		{ te_empty, 1, 400, false, false, 0 },
		{ te_space, 1, 400, false, false, 0 },
		{ te_ok, 2, 0, true, false, 0 },
		{ te_case, 1, 0, true, false, 0 },
		{ te_cl, 2, 400, false, false, 0 },
		{ cl_ok, 1, 0, false, true, 16384 },
		{ cl_over, 1, 413, false, false, 0 },
		{ cl_huge, 1, 413, false, false, 0 },
		{ cl_zeros, 1, 0, false, true, 5 },
		{ cl_same, 2, 0, false, true, 7 },
		{ cl_differ, 2, 400, false, false, 0 },
		{ cl_bad, 1, 400, false, false, 0 },
		{ cl_neg, 1, 400, false, false, 0 },
		{ cl_list, 1, 400, false, false, 0 },
		{ cl_empty, 1, 400, false, false, 0 },
		{ nul_value, 1, 400, false, false, 0 },
		{ nul_name, 1, 400, false, false, 0 },
		{ plain, 2, 0, false, false, 0 },
		{ NULL, 0, 0, false, false, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		http_head_t h = { true, true, 99 };

		T_EQ_INT(http_head_check(v[i].f, v[i].n, &h), v[i].want);
		T_EQ_INT(h.chunked, v[i].chunked);
		T_EQ_INT(h.has_length, v[i].has_length);
		T_EQ_INT(h.length, v[i].length);
		if (t_cur_failed) {
			fprintf(stderr, "    case %zu\n", i);
			return;
		}
	}
}

/* The count and byte limits: LIM_HTTP_FIELDS_MAX fields pass, one more is
 * 431; LIM_HTTP_HEAD_MAX bytes pass, one more is 431. */
static void
test_head_limits(void)
{
	static http_field_t many[LIM_HTTP_FIELDS_MAX + 1];
	static char big[LIM_HTTP_HEAD_MAX];
	http_field_t one;
	http_head_t h;
	size_t i;

	for (i = 0; i < LIM_HTTP_FIELDS_MAX + 1; i++)
		many[i] = (http_field_t){ "X-A", 3, "b", 1 };
	T_EQ_INT(http_head_check(many, LIM_HTTP_FIELDS_MAX, &h), 0);
	T_EQ_INT(http_head_check(many, LIM_HTTP_FIELDS_MAX + 1, &h), 431);
	memset(big, 'a', sizeof(big));
	/* "Cookie: " + value + CRLF = 6 + 4 + len */
	one = (http_field_t){ "Cookie", 6, big, LIM_HTTP_HEAD_MAX - 10 };
	T_EQ_INT(http_head_check(&one, 1, &h), 0);
	one.value_len++;
	T_EQ_INT(http_head_check(&one, 1, &h), 431);
	/* the byte limit comes before the framing checks */
	many[0] = (http_field_t){ "Transfer-Encoding", 17, "gzip", 4 };
	T_EQ_INT(http_head_check(many, LIM_HTTP_FIELDS_MAX + 1, &h), 431);
	T_EQ_INT(http_head_check(many, 2, &h), 400);
}

/* One pass finds the first of each name, case-insensitively, and says
 * whether one repeats; a list field's lines are joined in order. */
static void
test_fields_find_join(void)
{
	static const http_field_t f[] = {
		{ "Host", 4, "a.example", 9 },
		{ "x-forwarded-for", 15, "192.0.2.1", 9 },
		{ "Cookie", 6, "a=1", 3 },
		{ "X-Forwarded-Proto", 17, "https", 5 },
		{ "X-Forwarded-For", 15, "198.51.100.2, 127.0.0.1", 23 },
		{ "cookie", 6, "b=2", 3 },
		{ "X-Empty", 7, NULL, 0 },
		{ "X-Forwarded-Fo", 14, "no", 2 },
	};
	static const char *const names[] = { "cookie", "X-FORWARDED-PROTO", "Origin", "X-Empty" };
	static const char *const one[] = { "X-Forwarded-Proto", "Host" };
	static const http_field_t e2[] = { { "A", 1, "", 0 }, { "a", 1, NULL, 0 }, { "A", 1, "x", 1 } };
	const char *out[4];
	buf_t b;

	T_CHECK(http_fields_find(f, 8, names, 4, out)); /* Cookie twice */
	T_EQ_STR(out[0], "a=1");
	T_EQ_STR(out[1], "https");
	T_CHECK(out[2] == NULL);
	T_EQ_STR(out[3], "");
	T_CHECK(!http_fields_find(f, 8, one, 2, out));
	T_EQ_STR(out[0], "https");
	T_EQ_STR(out[1], "a.example");
	T_CHECK(!http_fields_find(f, 0, one, 2, out));
	T_CHECK(out[0] == NULL && out[1] == NULL);

	buf_init(&b, 64);
	http_fields_join(f, 8, "X-Forwarded-For", &b);
	T_EQ_STR(buf_str(&b), "192.0.2.1, 198.51.100.2, 127.0.0.1");
	buf_free(&b);
	/* over the limit: nothing, rather than a list cut short */
	buf_init(&b, 20);
	http_fields_join(f, 8, "X-Forwarded-For", &b);
	T_EQ_INT(b.len, 0);
	buf_free(&b);
	/* an empty line is an empty element, kept in its place */
	buf_init(&b, 64);
	http_fields_join(f, 8, "X-Empty", &b);
	T_EQ_INT(b.len, 0);
	http_fields_join(e2, 3, "A", &b);
	T_EQ_STR(buf_str(&b), ", , x");
	buf_free(&b);
}

int
main(void)
{
	T_RUN(test_form_vectors);
	T_RUN(test_form_duplicates_and_get);
	T_RUN(test_form_limits);
	T_RUN(test_form_encode_roundtrip);
	T_RUN(test_cookies);
	T_RUN(test_cookie_format);
	T_RUN(test_head_vectors);
	T_RUN(test_head_limits);
	T_RUN(test_fields_find_join);
	return T_DONE();
}
