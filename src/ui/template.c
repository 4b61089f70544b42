/*
 * template.c - the logic-less template engine (see template.h).
 *
 * One recursive pass: tpl_block() copies text, substitutes variables and, at
 * a section, calls itself for the inside with "emit" on or off. A skipped
 * section is still parsed, so a syntax error is found whatever the values,
 * and tpl_check() is simply a render that emits nothing. Each call returns at
 * the end of the template or at a closing tag, handing the tag's name back so
 * the caller can check it closes the section it opened.
 */
#include <stdbool.h>
#include <string.h>

#include "core/err.h"
#include "ui/template.h"
#include "ui/ui.h"

struct tpl_run {
	tpl_lookup_fn lookup; /* NULL: every variable unset */
	const void *ctx;
	buf_t *out;           /* NULL: check only */
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
