/*
 * test_ini.c - the INI tokenizer (src/config/ini.c) on its own: a table of
 * inputs, each with the events it must produce, written as one string
 * ("LINE[section]", "LINE key=value|", "LINE !why") so that a whole run is
 * compared at once.
 */
#include <stdlib.h>
#include <string.h>

#include "config/ini.h"
#include "core/buf.h"
#include "core/err.h"
#include "t.h"

typedef struct rec {
	buf_t log;
	size_t stop_at; /* a callback on this line returns -100; 0: never */
} rec_t;

static int
rec_section(void *ctx, size_t line, const char *name, size_t len)
{
	rec_t *r = ctx;

	T_CHECK(buf_appendf(&r->log, "%zu[%.*s]", line, (int)len, name) == PO_OK);
	return r->stop_at == line ? -100 : PO_OK;
}

static int
rec_pair(void *ctx, size_t line, const char *key, size_t klen, const char *val, size_t vlen)
{
	rec_t *r = ctx;

	T_CHECK(buf_appendf(&r->log, "%zu %.*s=%.*s|", line, (int)klen, key, (int)vlen, val) == PO_OK);
	return r->stop_at == line ? -100 : PO_OK;
}

static int
rec_error(void *ctx, size_t line, const char *why)
{
	rec_t *r = ctx;

	T_CHECK(buf_appendf(&r->log, "%zu !%s|", line, why) == PO_OK);
	return r->stop_at == line ? -100 : PO_OK;
}

static const ini_handler_t rec_handler = { rec_section, rec_pair, rec_error };

/* Runs ini_parse over (in, len); returns its rc and leaves the log in *out
 * (freed by the caller). */
static int
run(const char *in, size_t len, size_t stop_at, buf_t *out)
{
	rec_t r;
	int rc;

	buf_init(&r.log, 1 << 20);
	r.stop_at = stop_at;
	rc = ini_parse(in, len, &rec_handler, &r);
	*out = r.log;
	return rc;
}

#define NOKEY "expected \"key = value\", \"[section]\" or a comment starting with ; or #"

static void
test_vectors(void)
{
	static const struct {
		const char *in;
		const char *want;
		int rc;
	} v[] = {
		{ "", "", PO_OK },
		{ "\n\n  \n\t\n", "", PO_OK },
		{ "[server]\nlisten = 1.2.3.4:80\n", "1[server]2 listen=1.2.3.4:80|", PO_OK },
		/* no final newline */
		{ "[a]\nk=v", "1[a]2 k=v|", PO_OK },
		/* CRLF, and a CR at the very end */
		{ "[a]\r\nk = v\r\n\r\nk2=w\r", "1[a]2 k=v|4 k2=w|", PO_OK },
		/* UTF-8 BOM at the start only */
		{ "\xEF\xBB\xBF[a]\nk = v\n", "1[a]2 k=v|", PO_OK },
		{ "\xEF\xBB\xBF", "", PO_OK },
		/* full-line comments, also indented */
		{ "; c\n# c\n  ; c\n\t# c\n[a]\n", "5[a]", PO_OK },
		/* inline comments: blank then ; or # */
		{ "[a] ; the a section\nk = v ; comment\nk2 = v\t# tab comment\n",
		    "1[a]2 k=v|3 k2=v|", PO_OK },
		/* ; or # without a blank before is data */
		{ "k = abc#def;ghi\n", "1 k=abc#def;ghi|", PO_OK },
		/* ; or # starting a value is data: colours */
		{ "c = #e5a00d  # gold\n", "1 c=#e5a00d|", PO_OK },
		{ "c =#fff\n", "1 c=#fff|", PO_OK },
		{ "k = ; x ; y\n", "1 k=; x|", PO_OK },
		{ "k = \t ;\n", "1 k=;|", PO_OK },
		{ "k =\n", "1 k=|", PO_OK },
		/* split at the first '=': URLs with queries */
		{ "u = https://x.example/?a=b&c=d\n", "1 u=https://x.example/?a=b&c=d|", PO_OK },
		/* blanks trimmed around everything, inner ones kept */
		{ "  [  my section  ]  \n\t key name \t=\t a  b \t\n", "1[my section]2 key name=a  b|", PO_OK },
		{ "[client.grafana]\n", "1[client.grafana]", PO_OK },
		/* malformed lines are reported and skipped; parsing goes on */
		{ "novalue\nk=v\n", "1 !" NOKEY "|2 k=v|", PO_ERR_INVALID },
		{ "= v\n", "1 !missing key before \"=\"|", PO_ERR_INVALID },
		{ " \t= v\n", "1 !missing key before \"=\"|", PO_ERR_INVALID },
		{ "[a\n", "1 !missing \"]\" at the end of the section header|", PO_ERR_INVALID },
		{ "[\n", "1 !missing \"]\" at the end of the section header|", PO_ERR_INVALID },
		{ "[a] x\n", "1 !unexpected text after \"]\" of the section header|", PO_ERR_INVALID },
		{ "[]\n[ ]\n", "1 !empty section name in \"[]\"|2 !empty section name in \"[]\"|",
		    PO_ERR_INVALID },
		{ "[a]b]\n", "1 !section name contains \"[\" or \"]\"|", PO_ERR_INVALID },
		{ "[[a]]\n", "1 !section name contains \"[\" or \"]\"|", PO_ERR_INVALID },
		{ "k = a\x01z\n[b]\n",
		    "1 !contains a control character (only tab is allowed)|2[b]", PO_ERR_INVALID },
		{ "k = a\x7fz\n", "1 !contains a control character (only tab is allowed)|", PO_ERR_INVALID },
		/* a bare CR inside a line is a control character */
		{ "k = a\rb\n", "1 !contains a control character (only tab is allowed)|", PO_ERR_INVALID },
		/* an inline comment can make a line malformed */
		{ "key ; x = y\n", "1 !" NOKEY "|", PO_ERR_INVALID },
		{ "key # = y\n", "1 !" NOKEY "|", PO_ERR_INVALID },
		{ "key#x = y\n", "1 key#x=y|", PO_OK },
		/* line numbers count every line, comments and blanks too */
		{ "; 1\n\n[a]\n\nbad\n# 6\nk=v\n", "3[a]5 !" NOKEY "|7 k=v|", PO_ERR_INVALID },
	};
	size_t i;
	buf_t out;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rc = run(v[i].in, strlen(v[i].in), 0, &out);
		if (rc != v[i].rc || strcmp(buf_str(&out), v[i].want) != 0)
			fprintf(stderr, "  vector %zu: rc %d, got \"%s\"\n", i, rc, buf_str(&out));
		T_EQ_INT(rc, v[i].rc);
		T_EQ_STR(buf_str(&out), v[i].want);
		buf_free(&out);
	}
}

/* The parser reads exactly len bytes: no NUL terminator is needed, and a NUL
 * inside is a control character, not an end. */
static void
test_bounds(void)
{
	static const char nul[] = "k = a\0b\nj = c\n";
	buf_t out;
	int rc;

	rc = run("k=v\nj=w", 4, 0, &out);
	T_EQ_INT(rc, PO_OK);
	T_EQ_STR(buf_str(&out), "1 k=v|");
	buf_free(&out);

	rc = run("k=v", 2, 0, &out); /* "k=" */
	T_EQ_INT(rc, PO_OK);
	T_EQ_STR(buf_str(&out), "1 k=|");
	buf_free(&out);

	rc = run(nul, sizeof(nul) - 1, 0, &out);
	T_EQ_INT(rc, PO_ERR_INVALID);
	T_EQ_STR(buf_str(&out), "1 !contains a control character (only tab is allowed)|2 j=c|");
	buf_free(&out);

	rc = run(NULL, 0, 0, &out);
	T_EQ_INT(rc, PO_OK);
	T_EQ_STR(buf_str(&out), "");
	buf_free(&out);

	/* half a BOM is data (and here a malformed line) */
	rc = run("\xEF\xBB", 2, 0, &out);
	T_EQ_INT(rc, PO_ERR_INVALID);
	buf_free(&out);
}

/* No line length limit other than the buffer. */
static void
test_long_line(void)
{
	size_t n = 300 * 1024, i;
	char *in = malloc(n + 8);
	buf_t out;
	int rc;

	T_CHECK(in != NULL);
	if (in == NULL)
		return;
	memcpy(in, "k = ", 4);
	for (i = 4; i < n; i++)
		in[i] = 'x';
	in[n] = '\n';
	rc = run(in, n + 1, 0, &out);
	T_EQ_INT(rc, PO_OK);
	T_EQ_INT(out.len, strlen("1 k=") + (n - 4) + strlen("|"));
	buf_free(&out);
	free(in);
}

/* A callback's non-PO_OK value stops parsing and is returned as is. */
static void
test_stop(void)
{
	static const ini_handler_t none = { NULL, NULL, NULL };
	const char *in = "[a]\nk=v\nbad\nj=w\n";
	buf_t out;
	int rc;

	rc = run(in, strlen(in), 2, &out);
	T_EQ_INT(rc, -100);
	T_EQ_STR(buf_str(&out), "1[a]2 k=v|");
	buf_free(&out);

	rc = run(in, strlen(in), 3, &out);
	T_EQ_INT(rc, -100);
	T_EQ_STR(buf_str(&out), "1[a]2 k=v|3 !" NOKEY "|");
	buf_free(&out);

	/* NULL callbacks: events ignored, malformed lines still counted */
	T_EQ_INT(ini_parse(in, strlen(in), &none, NULL), PO_ERR_INVALID);
	T_EQ_INT(ini_parse("[a]\nk=v\n", 8, &none, NULL), PO_OK);
}

int
main(void)
{
	T_RUN(test_vectors);
	T_RUN(test_bounds);
	T_RUN(test_long_line);
	T_RUN(test_stop);
	return T_DONE();
}
