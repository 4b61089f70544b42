/*
 * ini.c - the bounded INI tokenizer (see ini.h).
 *
 * One pass over (buf, len), one line at a time, pointers and lengths only:
 * nothing is copied, nothing is allocated, nothing needs a NUL terminator,
 * so any byte sequence is safe input (this is the fuzzing entry point of the
 * config module). Meaning - which sections and keys exist, duplicates,
 * values - is decided by the caller.
 */
#include <stdbool.h>
#include <string.h>

#include "config/ini.h"
#include "core/err.h"

/* The UTF-8 encoding of U+FEFF, which Windows editors put at the start of
 * "UTF-8" text files. */
#define INI_BOM "\xEF\xBB\xBF"
#define INI_BOM_LEN 3

static bool
ini_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void
ini_trim(const char **p, size_t *n)
{
	while (*n > 0 && ini_blank((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && ini_blank((*p)[*n - 1]))
		(*n)--;
}

/* Control characters would end up in logs, HTTP headers (the Plex product
 * name) and pages; a NUL would silently cut a value short. Tab is blank. */
static bool
ini_has_control(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* Where an inline comment (a blank, then ';' or '#') starts in (p, n),
 * looking from index `from` on; n if there is none. */
static size_t
ini_uncomment(const char *p, size_t n, size_t from)
{
	size_t i;

	for (i = from; i < n; i++)
		if (ini_blank(p[i - 1]) && (p[i] == ';' || p[i] == '#'))
			return i;
	return n;
}

/* Handles one line without its line ending. Sets *bad on a malformed line. */
static int
ini_line(const char *p, size_t n, size_t lineno, const ini_handler_t *h, void *ctx, bool *bad)
{
	const char *why = NULL, *eq, *key, *val;
	size_t i, klen, vlen;

	if (ini_has_control(p, n)) {
		why = "contains a control character (only tab is allowed)";
		goto malformed;
	}
	ini_trim(&p, &n);
	if (n == 0 || p[0] == ';' || p[0] == '#')
		return PO_OK; /* blank line or full-line comment */

	if (p[0] == '[') {
		n = ini_uncomment(p, n, 1);
		ini_trim(&p, &n);
		if (n < 2 || p[n - 1] != ']') {
			why = memchr(p, ']', n) != NULL ? "unexpected text after \"]\" of the section header"
			                                : "missing \"]\" at the end of the section header";
			goto malformed;
		}
		key = p + 1;
		klen = n - 2;
		ini_trim(&key, &klen);
		if (klen == 0) {
			why = "empty section name in \"[]\"";
			goto malformed;
		}
		if (memchr(key, '[', klen) != NULL || memchr(key, ']', klen) != NULL) {
			why = "section name contains \"[\" or \"]\"";
			goto malformed;
		}
		return h->section ? h->section(ctx, lineno, key, klen) : PO_OK;
	}

	/* A comment before the first '=' hides it: "key ; a=b" has no value. */
	eq = memchr(p, '=', n);
	i = ini_uncomment(p, eq != NULL ? (size_t)(eq - p) : n, 1);
	if (eq == NULL || i < (size_t)(eq - p)) {
		why = "expected \"key = value\", \"[section]\" or a comment starting with ; or #";
		goto malformed;
	}
	key = p;
	klen = (size_t)(eq - p);
	ini_trim(&key, &klen);
	if (klen == 0) {
		why = "missing key before \"=\"";
		goto malformed;
	}
	val = eq + 1;
	vlen = (size_t)((p + n) - val);
	ini_trim(&val, &vlen);
	/* From the value's second character on: "accent_color = #e5a00d" is a
	 * colour, not a comment. */
	vlen = ini_uncomment(val, vlen, 1);
	ini_trim(&val, &vlen);
	return h->pair ? h->pair(ctx, lineno, key, klen, val, vlen) : PO_OK;

malformed:
	*bad = true;
	return h->error ? h->error(ctx, lineno, why) : PO_OK;
}

int
ini_parse(const char *buf, size_t len, const ini_handler_t *h, void *ctx)
{
	size_t pos = 0, lineno = 0;
	bool bad = false;
	int rc;

	if (len >= INI_BOM_LEN && memcmp(buf, INI_BOM, INI_BOM_LEN) == 0)
		pos = INI_BOM_LEN;
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - line) : len - pos;

		pos += n + (nl != NULL ? 1 : 0);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--; /* CRLF */
		if ((rc = ini_line(line, n, lineno, h, ctx, &bad)) != PO_OK)
			return rc;
	}
	return bad ? PO_ERR_INVALID : PO_OK;
}
