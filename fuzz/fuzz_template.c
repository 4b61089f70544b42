/*
 * fuzz_template.c - libFuzzer target for the template engine
 * (src/ui/template.h): tpl_check(), tpl_render() and the escaping it
 * applies to every value, ui_html_escape() (src/ui/ui.h). Templates can
 * come from the operator's assets_dir; values come from Plex (user names)
 * and from clients (state), so both are fuzzed.
 *
 * Input: "TEMPLATE\0VALUE": the template up to the first NUL, the value
 * after it (up to the next NUL). Without a NUL the whole input is the
 * template and the value is a fixed hostile string. The lookup callback
 * gives the value to names starting with a-m, "" to names starting with
 * 'z', and nothing to the others, so sections are both kept and skipped.
 *
 * Properties: tpl_check() and tpl_render() agree on the syntax; a failed
 * render leaves the output as it was (also when the output's maximum is hit
 * half-way); the escaped value contains no < > " ' and no control byte,
 * every & starts a character reference, and it is valid UTF-8.
 */
#include <stdbool.h>

#include "fuzz.h"

#include "core/buf.h"
#include "core/err.h"
#include "ui/template.h"
#include "ui/ui.h"

#define FUZZ_OUT_MAX (1024 * 1024)
/* Small enough that real pages hit it: the rollback path runs. */
#define FUZZ_OUT_SMALL 256
#define FUZZ_PREFIX "<!-- before -->"

static const char hostile[] = "<script>alert(\"x\")</script>&amp;'\t\r\n\x01\x7f\xc2\x80\xed\xa0\x80\xff";

static const char *
lookup(const void *ctx, const char *name, size_t len)
{
	FUZZ_CHECK(len >= 1 && len <= TPL_NAME_MAX);
	if (name[0] >= 'a' && name[0] <= 'm')
		return ctx;
	if (name[0] == 'z')
		return "";
	return NULL;
}

/* Length of the valid UTF-8 sequence at p (no overlongs, no surrogates,
 * at most U+10FFFF), 0 if invalid; written apart from template.c's. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned long cp;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, cp = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

/* What ui_html_escape() promises for text and attribute values. */
static void
check_escaped(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n;

	while (p < end) {
		FUZZ_CHECK(*p != '<' && *p != '>' && *p != '"' && *p != '\'');
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
		if (*p == '&') {
			const unsigned char *semi = memchr(p, ';', (size_t)(end - p));
			FUZZ_CHECK(semi != NULL && semi - p <= 5);
		}
		n = utf8_len(p, end);
		FUZZ_CHECK(n > 0);
		p += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest = data, *t, *v;
	size_t rest_len = size, tlen, vlen;
	char *value, *tpl;
	buf_t out;
	int crc, rrc;

	t = fuzz_field(&rest, &rest_len, '\0', &tlen);
	if (t + tlen < data + size) {
		v = fuzz_field(&rest, &rest_len, '\0', &vlen);
		value = fuzz_cstr(v, vlen);
	} else {
		value = fuzz_cstr(hostile, sizeof(hostile) - 1);
	}
	/* The template in a block of its own exact size: no NUL after it. */
	tpl = malloc(tlen ? tlen : 1);
	FUZZ_CHECK(tpl != NULL);
	if (tlen)
		memcpy(tpl, t, tlen);

	/* The escaping function alone. */
	buf_init(&out, FUZZ_OUT_MAX);
	FUZZ_CHECK(buf_puts(&out, FUZZ_PREFIX) == PO_OK);
	if (ui_html_escape(&out, value) == PO_OK)
		check_escaped(out.data + strlen(FUZZ_PREFIX), out.len - strlen(FUZZ_PREFIX));
	FUZZ_CHECK(ui_html_escape(&out, NULL) == PO_OK);
	buf_free(&out);

	/* Check and render agree; a failed render leaves no half page. */
	crc = tpl_check(tpl, tlen);
	FUZZ_CHECK(crc == PO_OK || crc == PO_ERR_INVALID);
	buf_init(&out, FUZZ_OUT_MAX);
	FUZZ_CHECK(buf_puts(&out, FUZZ_PREFIX) == PO_OK);
	rrc = tpl_render(tpl, tlen, lookup, value, &out);
	if (rrc != PO_ERR_LIMIT && rrc != PO_ERR_NOMEM)
		FUZZ_CHECK(rrc == crc);
	if (rrc != PO_OK)
		FUZZ_CHECK(out.len == strlen(FUZZ_PREFIX) && strcmp(out.data, FUZZ_PREFIX) == 0);
	buf_free(&out);

	/* No variables at all, and an output ceiling hit half-way. */
	buf_init(&out, FUZZ_OUT_MAX);
	rrc = tpl_render(tpl, tlen, NULL, NULL, &out);
	if (rrc != PO_ERR_LIMIT && rrc != PO_ERR_NOMEM)
		FUZZ_CHECK(rrc == crc);
	buf_free(&out);
	buf_init(&out, FUZZ_OUT_SMALL);
	FUZZ_CHECK(buf_puts(&out, FUZZ_PREFIX) == PO_OK);
	rrc = tpl_render(tpl, tlen, lookup, value, &out);
	FUZZ_CHECK(rrc == PO_OK || rrc == PO_ERR_INVALID || rrc == PO_ERR_LIMIT);
	if (rrc != PO_OK)
		FUZZ_CHECK(out.len == strlen(FUZZ_PREFIX) && strcmp(out.data, FUZZ_PREFIX) == 0);
	FUZZ_CHECK(out.len <= FUZZ_OUT_SMALL);
	buf_free(&out);

	free(tpl);
	free(value);
	return 0;
}
