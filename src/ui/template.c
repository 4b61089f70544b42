/*
 * template.c - the logic-less template engine (see template.h).
 *
 * One recursive pass: tpl_block() copies text, substitutes variables and, at
 * a section, calls itself for the inside with "emit" on or off. A skipped
 * section is still parsed, so a syntax error is found whatever the values,
 * and tpl_check() is simply a render that emits nothing. Each call returns at
 * the end of the template or at a closing tag, handing the tag's name back so
 * the caller can check it closes the section it opened.
 *
 * ui_html_escape(), the program's one escaping function, lives here beside
 * the engine that applies it to every value.
 */
#include <stdbool.h>
#include <string.h>

#include "core/err.h"
#include "ui/template.h"
#include "ui/ui.h"

struct tpl_run {
	tpl_lookup_fn lookup; /* NULL: every variable unset */
	const void *ctx;
	buf_t *out; /* NULL: check only */
};

static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '.' || c == '-';
}

/* Trims spaces from (*s, *n) and validates a variable name. */
static int
tag_name(const char **s, size_t *n)
{
	size_t i;

	while (*n > 0 && **s == ' ') {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && (*s)[*n - 1] == ' ')
		(*n)--;
	if (*n == 0 || *n > TPL_NAME_MAX)
		return PO_ERR_INVALID;
	for (i = 0; i < *n; i++)
		if (!name_char((*s)[i]))
			return PO_ERR_INVALID;
	return PO_OK;
}

static const char *
lookup(const struct tpl_run *r, const char *name, size_t len)
{
	return r->lookup ? r->lookup(r->ctx, name, len) : NULL;
}

/*
 * Processes tokens from *pp up to end. Returns at the end of input (sets
 * *close to NULL) or just after a closing tag {{/x}} (sets *close, *close_len
 * to x). Emits output only when emit is true and r->out is set.
 */
static int
tpl_block(const struct tpl_run *r, const char **pp, const char *end, bool emit,
    unsigned depth, const char **close, size_t *close_len)
{
	const char *p = *pp, *open, *shut, *name;
	const char *inner_close = NULL;
	size_t n, inner_len = 0;
	char sigil;
	int rc;

	*close = NULL;
	*close_len = 0;
	while (p < end) {
		open = memmem(p, (size_t)(end - p), "{{", 2);
		if (open == NULL)
			open = end;
		if (emit && r->out && open > p &&
		    (rc = buf_append(r->out, p, (size_t)(open - p))) != PO_OK)
			return rc;
		if (open == end) {
			p = end;
			break;
		}
		open += 2;
		shut = memmem(open, (size_t)(end - open), "}}", 2);
		if (shut == NULL)
			return PO_ERR_INVALID;
		p = shut + 2;
		name = open;
		n = (size_t)(shut - open);
		sigil = n > 0 ? *name : '\0';
		if (sigil == '!')
			continue;
		if (sigil == '#' || sigil == '^' || sigil == '/') {
			name++;
			n--;
		}
		if ((rc = tag_name(&name, &n)) != PO_OK)
			return rc;
		if (sigil == '/') {
			if (depth == 0)
				return PO_ERR_INVALID; /* a close with no open */
			*close = name;
			*close_len = n;
			*pp = p;
			return PO_OK;
		}
		if (sigil == '#' || sigil == '^') {
			const char *v = lookup(r, name, n);
			bool set = v != NULL && *v != '\0';
			bool keep = sigil == '#' ? set : !set;

			if (depth + 1 > TPL_DEPTH_MAX)
				return PO_ERR_INVALID;
			if ((rc = tpl_block(r, &p, end, emit && keep, depth + 1, &inner_close,
			         &inner_len)) != PO_OK)
				return rc;
			/* The section must end with the close of its own name. */
			if (inner_close == NULL || inner_len != n || memcmp(inner_close, name, n) != 0)
				return PO_ERR_INVALID;
			continue;
		}
		if (emit && r->out) {
			const char *v = lookup(r, name, n);
			if (v != NULL && (rc = ui_html_escape(r->out, v)) != PO_OK)
				return rc;
		}
	}
	*pp = p;
	return depth == 0 ? PO_OK : PO_ERR_INVALID; /* unclosed section */
}

static int
tpl_run(const struct tpl_run *r, const char *tpl, size_t len)
{
	const char *p = tpl, *close = NULL;
	size_t close_len = 0;

	return tpl_block(r, &p, tpl + len, true, 0, &close, &close_len);
}

int
tpl_check(const char *tpl, size_t len)
{
	struct tpl_run r = { NULL, NULL, NULL };

	return tpl_run(&r, tpl, len);
}

int
tpl_render(const char *tpl, size_t len, tpl_lookup_fn fn, const void *ctx, buf_t *out)
{
	struct tpl_run r = { fn, ctx, out };
	size_t start = out->len;
	int rc;

	if ((rc = tpl_run(&r, tpl, len)) != PO_OK && out->data != NULL) {
		/* Leave no half page behind: the caller sends an error instead. */
		out->len = start;
		out->data[start] = '\0';
	}
	return rc;
}

/* ---- Escaping: ui_html_escape(), declared in ui.h ---- */

/*
 * Length of the valid UTF-8 sequence at p (RFC 3629 §4: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 if invalid. Sets *cp.
 */
static size_t
utf8_seq(const unsigned char *p, unsigned long *cp)
{
	unsigned long c;
	size_t n, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

int
ui_html_escape(buf_t *out, const char *s)
{
	static const char fffd[] = "\xef\xbf\xbd"; /* U+FFFD REPLACEMENT CHARACTER */
	const unsigned char *p = (const unsigned char *)s, *run;
	unsigned long cp = 0;
	size_t n, start;
	int rc = PO_OK;

	if (s == NULL)
		return PO_OK;
	start = out->len;
	run = p;
	while (*p) {
		const char *rep = NULL;

		n = 1;
		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		/* Whitespace controls survive as references, so a value keeps them
		 * even inside an attribute (where they would be normalized). */
		case '\t': rep = "&#9;"; break;
		case '\n': rep = "&#10;"; break;
		case '\r': rep = "&#13;"; break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				rep = fffd; /* other controls are not allowed in HTML */
			} else if (*p >= 0x80) {
				n = utf8_seq(p, &cp);
				if (n == 0) {
					n = 1;
					rep = fffd; /* invalid UTF-8, one byte at a time */
				} else if (cp >= 0x80 && cp <= 0x9f) {
					rep = fffd; /* C1 controls */
				}
			}
		}
		if (rep != NULL) {
			if ((p > run && (rc = buf_append(out, run, (size_t)(p - run))) != PO_OK) ||
			    (rc = buf_puts(out, rep)) != PO_OK)
				goto out;
			run = p + n;
		}
		p += n;
	}
	rc = p > run ? buf_append(out, run, (size_t)(p - run)) : PO_OK;
out:
	if (rc != PO_OK && out->data != NULL) {
		out->len = start; /* no half-escaped value */
		out->data[start] = '\0';
	}
	return rc;
}
