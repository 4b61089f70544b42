/*
 * test_ui.c - the ui module: HTML escaping, the template engine, embedded
 * assets and their overrides (assets_dir, custom CSS, logo, background,
 * theme.css), and the real pages rendered with hostile values.
 *
 * Files for the override tests are written to a fresh mkdtemp() directory
 * that is removed at the end.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/err.h"
#include "t.h"
#include "ui/template.h"
#include "ui/theme.h"
#include "ui/ui.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_MAX (256 * 1024)

static char tmpdir[64];

/* ---- helpers ---- */

static bool
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static void
write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	T_CHECK(f != NULL);
	if (f == NULL)
		return;
	T_EQ_INT(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void
write_text(const char *dir, const char *name, const char *text)
{
	write_file(dir, name, text, strlen(text));
}

static const char *
path_in(char *out, size_t outsz, const char *dir, const char *name)
{
	snprintf(out, outsz, "%s/%s", dir, name);
	return out;
}

/* Removes dir and everything in it (one level of subdirectories). */
static void
remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void
expected_etag(const unsigned char *data, size_t len, char out[19])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	out[0] = '"';
	for (i = 0; i < 8; i++) {
		out[1 + 2 * i] = digits[md[i] >> 4];
		out[2 + 2 * i] = digits[md[i] & 15];
	}
	out[17] = '"';
	out[18] = '\0';
}

static bool
asset_has(const ui_asset_t *a, const char *needle)
{
	return a != NULL && memmem(a->data, a->len, needle, strlen(needle)) != NULL;
}

/* The asset_version the ui puts in pages, read from a render of
 * popup-done.html ("popup-done.js?v=VERSION\""). */
static void
asset_version(const ui_t *ui, char *out, size_t outsz)
{
	const char *key = "popup-done.js?v=", *p, *q;
	buf_t b;

	out[0] = '\0';
	buf_init(&b, PAGE_MAX);
	if (ui_render(ui, "popup-done.html", NULL, 0, &b) == PO_OK &&
	    (p = strstr(buf_str(&b), key)) != NULL && (q = strchr(p += strlen(key), '"')) != NULL &&
	    (size_t)(q - p) < outsz) {
		memcpy(out, p, (size_t)(q - p));
		out[q - p] = '\0';
	}
	buf_free(&b);
}

/* ---- escaping ---- */

static void
test_escape_vectors(void)
{
	static const struct {
		const char *in;
		const char *out;
	} v[] = {
		{ "", "" },
		{ "plain text", "plain text" },
		{ "a & b", "a &amp; b" },
		{ "<b>", "&lt;b&gt;" },
		{ "\"quoted\"", "&quot;quoted&quot;" },
		{ "it's", "it&#39;s" },
		{ "&amp;", "&amp;amp;" },
		{ "\"><script>alert(1)</script>", "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "' onmouseover='x", "&#39; onmouseover=&#39;x" },
		{ "tab\there", "tab&#9;here" },
		{ "line\r\nbreak", "line&#13;&#10;break" },
		{ "bell\x07!", "bell\xef\xbf\xbd!" },
		{ "esc\x1b[31m", "esc\xef\xbf\xbd[31m" },
		{ "del\x7f", "del\xef\xbf\xbd" },
		{ "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8e\xac", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8e\xac" },
		{ "c1\xc2\x85", "c1\xef\xbf\xbd" },                               /* U+0085 NEL */
		{ "bad\xff", "bad\xef\xbf\xbd" },                                 /* not UTF-8 */
		{ "over\xc0\xbc", "over\xef\xbf\xbd\xef\xbf\xbd" },               /* overlong '<' */
		{ "cut\xe2\x9c", "cut\xef\xbf\xbd\xef\xbf\xbd" },                 /* truncated */
		{ "sur\xed\xa0\x80", "sur\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
	};
	size_t i;

	for (i = 0; i < N(v); i++) {
		buf_t b;

		buf_init(&b, 1024);
		T_EQ_INT(ui_html_escape(&b, v[i].in), PO_OK);
		T_EQ_STR(buf_str(&b), v[i].out);
		buf_free(&b);
	}
}

static void
test_escape_null_and_limit(void)
{
	buf_t b;

	buf_init(&b, 8);
	T_EQ_INT(ui_html_escape(&b, NULL), PO_OK);
	T_EQ_INT(b.len, 0);
	T_EQ_INT(ui_html_escape(&b, "ab"), PO_OK);
	/* "&lt;&lt;" would take the buffer past 8 bytes: all or nothing. */
	T_EQ_INT(ui_html_escape(&b, "<<"), PO_ERR_LIMIT);
	T_EQ_STR(buf_str(&b), "ab");
	buf_free(&b);
}

/* ---- template engine ---- */

static const char *
table_lookup(const void *ctx, const char *name, size_t len)
{
	const ui_var_t *v = ctx;

	for (; v->name != NULL; v++)
		if (strlen(v->name) == len && memcmp(v->name, name, len) == 0)
			return v->value;
	return NULL;
}

static void
test_template_vectors(void)
{
	static const ui_var_t vars[] = {
		{ "name", "Ada" },
		{ "empty", "" },
		{ "unset", NULL },
		{ "yes", "1" },
		{ "evil", "\"><script>x</script>" },
		{ "a.b-c_d", "dotted" },
		{ NULL, NULL },
	};
	static const struct {
		const char *tpl;
		const char *out;
	} v[] = {
		{ "", "" },
		{ "no tags", "no tags" },
		{ "Hi {{name}}!", "Hi Ada!" },
		{ "Hi {{ name }}!", "Hi Ada!" },
		{ "[{{missing}}]", "[]" },
		{ "[{{empty}}][{{unset}}]", "[][]" },
		{ "{{a.b-c_d}}", "dotted" },
		{ "{{evil}}", "&quot;&gt;&lt;script&gt;x&lt;/script&gt;" },
		{ "{{#yes}}on{{/yes}}", "on" },
		{ "{{#empty}}on{{/empty}}", "" },
		{ "{{#unset}}on{{/unset}}", "" },
		{ "{{#missing}}on{{/missing}}", "" },
		{ "{{^yes}}off{{/yes}}", "" },
		{ "{{^empty}}off{{/empty}}", "off" },
		{ "{{^missing}}off{{/missing}}", "off" },
		{ "{{#yes}}a{{#name}}b{{name}}{{/name}}c{{/yes}}", "abAdac" },
		{ "{{#yes}}a{{^name}}b{{/name}}c{{/yes}}", "ac" },
		{ "{{#missing}}{{#yes}}x{{/yes}}{{/missing}}y", "y" },
		{ "{{#yes}}{{#yes}}same{{/yes}}{{/yes}}", "same" },
		{ "{{#name}}{{name}}{{/name}}{{^name}}none{{/name}}", "Ada" },
		{ "a{{! a comment }}b", "ab" },
		{ "single { and } braces", "single { and } braces" },
	};
	size_t i;

	for (i = 0; i < N(v); i++) {
		buf_t b;
		int rc;

		buf_init(&b, 4096);
		rc = tpl_render(v[i].tpl, strlen(v[i].tpl), table_lookup, vars, &b);
		T_EQ_INT(rc, PO_OK);
		T_EQ_STR(buf_str(&b), v[i].out);
		T_EQ_INT(tpl_check(v[i].tpl, strlen(v[i].tpl)), PO_OK);
		buf_free(&b);
	}
}

static void
test_template_syntax_errors(void)
{
	static const char *bad[] = {
		"{{",
		"{{name",
		"{{}}",
		"{{ }}",
		"{{#}}",
		"{{{name}}}", /* no raw substitution */
		"{{&name}}",
		"{{na me}}",
		"{{na<me}}",
		"{{#a}}unclosed",
		"{{/a}}",
		"{{#a}}{{/b}}",
		"{{#a}}{{#b}}{{/a}}{{/b}}",
		"{{^a}}x{{/a}}{{/a}}",
	};
	const ui_var_t vars[] = { { "a", "1" }, { NULL, NULL } };
	char deep[TPL_DEPTH_MAX * 16 + 64];
	buf_t b;
	size_t i, n = 0;

	for (i = 0; i < N(bad); i++) {
		buf_init(&b, 4096);
		T_EQ_INT(buf_puts(&b, "kept"), PO_OK);
		T_EQ_INT(tpl_check(bad[i], strlen(bad[i])), PO_ERR_INVALID);
		T_EQ_INT(tpl_render(bad[i], strlen(bad[i]), table_lookup, vars, &b), PO_ERR_INVALID);
		T_EQ_STR(buf_str(&b), "kept"); /* no half page */
		buf_free(&b);
	}

	/* Nesting: TPL_DEPTH_MAX levels are fine, one more is refused. */
	for (i = 0; i < TPL_DEPTH_MAX; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{{#a}}");
	for (i = 0; i < TPL_DEPTH_MAX; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{{/a}}");
	T_EQ_INT(tpl_check(deep, n), PO_OK);
	n = 0;
	for (i = 0; i <= TPL_DEPTH_MAX; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{{^a}}");
	for (i = 0; i <= TPL_DEPTH_MAX; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{{/a}}");
	T_EQ_INT(tpl_check(deep, n), PO_ERR_INVALID);
}

static void
test_template_limit(void)
{
	const ui_var_t vars[] = { { "v", "<<<<" }, { NULL, NULL } };
	buf_t b;

	buf_init(&b, 16);
	T_EQ_INT(buf_puts(&b, "x"), PO_OK);
	T_EQ_INT(tpl_render("ab{{v}}cd", 9, table_lookup, vars, &b), PO_ERR_LIMIT);
	T_EQ_STR(buf_str(&b), "x");
	buf_free(&b);
}

/* ---- theme.css ---- */

static void
test_theme_css(void)
{
	/* Expected text colours from WCAG 2 contrast, computed independently. */
	static const struct {
		const char *accent;
		const char *norm;
		const char *text;
	} v[] = {
		{ "#e5a00d", "#e5a00d", "#1a1400" }, /* 8.19 vs 2.24 */
		{ "#3B82F6", "#3b82f6", "#1a1400" }, /* 4.99 vs 3.68 */
		{ "#1d4ed8", "#1d4ed8", "#ffffff" }, /* 2.74 vs 6.70 */
		{ "#fff", "#ffffff", "#1a1400" },
		{ "#000", "#000000", "#ffffff" },
		{ "#808080", "#808080", "#1a1400" }, /* 4.65 vs 3.95 */
		{ "#777", "#777777", "#ffffff" },    /* 4.10 vs 4.48: near the edge */
		{ "#dc2626", "#dc2626", "#ffffff" },
		{ "#16a34a", "#16a34a", "#1a1400" },
	};
	static const char *bad[] = { "", "#", "red", "#12", "#1234", "#12345", "#1234567", "#ggg",
		"#12345g", "#123;}x", "123456" };
	char want[96], norm[8];
	size_t i;
	buf_t b;

	for (i = 0; i < N(v); i++) {
		buf_init(&b, THEME_CSS_MAX);
		T_EQ_INT(theme_color_normalize(v[i].accent, norm), PO_OK);
		T_EQ_STR(norm, v[i].norm);
		T_EQ_INT(theme_css(&b, v[i].accent, NULL), PO_OK);
		snprintf(want, sizeof(want), ":root{--accent:%s;--accent-text:%s}\n", v[i].norm,
		    v[i].text);
		T_CHECK(contains(buf_str(&b), want));
		T_CHECK(!contains(buf_str(&b), "background"));
		buf_free(&b);
	}
	for (i = 0; i < N(bad); i++) {
		buf_init(&b, THEME_CSS_MAX);
		T_EQ_INT(theme_color_normalize(bad[i], norm), PO_ERR_INVALID);
		T_EQ_INT(theme_css(&b, bad[i], NULL), PO_ERR_INVALID);
		T_EQ_INT(b.len, 0);
		buf_free(&b);
	}
	buf_init(&b, THEME_CSS_MAX);
	T_EQ_INT(theme_css(&b, "#abc", "0123abcd"), PO_OK);
	T_CHECK(contains(buf_str(&b), ".has-background{background-image:url(\"background?v=0123abcd\")}"));
	T_EQ_INT(theme_css(&b, "#abc", "\")}*{x"), PO_ERR_INVALID); /* never breaks out of url() */
	buf_free(&b);
}

/* ---- built-in assets ---- */

static void
test_builtin_assets(void)
{
	static const struct {
		const char *name;
		const char *type;
	} v[] = {
		{ "style.css", "text/css; charset=utf-8" },
		{ "theme.css", "text/css; charset=utf-8" },
		{ "noscript.css", "text/css; charset=utf-8" },
		{ "login.js", "text/javascript; charset=utf-8" },
		{ "popup-done.js", "text/javascript; charset=utf-8" },
		{ "favicon.svg", "image/svg+xml" },
		{ "plex-mark.svg", "image/svg+xml" },
	};
	ui_t *ui = NULL;
	size_t i;

	T_EQ_INT(ui_new(NULL, &ui), PO_OK);
	T_CHECK(ui != NULL);
	if (ui == NULL)
		return;
	for (i = 0; i < N(v); i++) {
		const ui_asset_t *a = ui_asset_get(ui, v[i].name);
		char etag[19];

		T_CHECK(a != NULL);
		if (a == NULL)
			continue;
		T_EQ_STR(a->name, v[i].name);
		T_EQ_STR(a->content_type, v[i].type);
		T_CHECK(a->len > 0);
		expected_etag(a->data, a->len, etag);
		T_EQ_STR(a->etag, etag);
	}
	/* Templates and things that are not there are not assets. */
	T_CHECK(ui_asset_get(ui, "login.html") == NULL);
	T_CHECK(ui_asset_get(ui, "message.html") == NULL);
	T_CHECK(ui_asset_get(ui, "popup-done.html") == NULL);
	T_CHECK(ui_asset_get(ui, "nope.css") == NULL);
	T_CHECK(ui_asset_get(ui, "../style.css") == NULL);
	T_CHECK(ui_asset_get(ui, "") == NULL);
	T_CHECK(ui_asset_get(ui, NULL) == NULL);
	T_CHECK(ui_asset_get(ui, "logo") == NULL);
	T_CHECK(ui_asset_get(ui, "custom.css") == NULL);
	/* The default theme: the Plex-like amber with dark text on it. */
	T_CHECK(asset_has(ui_asset_get(ui, "theme.css"), "--accent:#e5a00d"));
	T_CHECK(asset_has(ui_asset_get(ui, "theme.css"), "--accent-text:#1a1400"));
	T_CHECK(!asset_has(ui_asset_get(ui, "theme.css"), "background-image"));
	ui_free(ui);
	ui_free(NULL);
}

static void
test_render_unknown_template(void)
{
	ui_t *ui = NULL;
	buf_t b;

	buf_init(&b, PAGE_MAX);
	T_EQ_INT(ui_new(NULL, &ui), PO_OK);
	T_EQ_INT(ui_render(ui, "nope.html", NULL, 0, &b), PO_ERR_NOTFOUND);
	T_EQ_INT(ui_render(ui, "style.css", NULL, 0, &b), PO_ERR_NOTFOUND);
	T_EQ_INT(ui_render(ui, "../login.html", NULL, 0, &b), PO_ERR_NOTFOUND);
	T_EQ_INT(b.len, 0);
	buf_free(&b);
	ui_free(ui);
}

/* ---- the real pages ---- */

static void
test_login_page(void)
{
	const char *evil = "\"><script>alert(1)</script>";
	const ui_var_t vars[] = {
		{ "base", "/auth" },
		{ "login_id", "abc_DEF-123" },
		{ "state", "idle" },
		{ "client_name", evil },
	};
	ui_opts_t opts = { 0 };
	ui_t *ui = NULL;
	buf_t b;
	const char *page;
	char want[128], version[32];

	opts.title = "Family <Media>";
	opts.message = evil;
	buf_init(&b, PAGE_MAX);
	T_EQ_INT(ui_new(&opts, &ui), PO_OK);
	if (ui == NULL)
		return;
	T_EQ_INT(ui_render(ui, "login.html", vars, N(vars), &b), PO_OK);
	page = buf_str(&b);
	T_CHECK(!contains(page, "<script>alert"));
	T_CHECK(!contains(page, evil));
	T_CHECK(!contains(page, "{{"));
	T_CHECK(contains(page, "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
	T_CHECK(contains(page, "Family &lt;Media&gt;"));
	T_CHECK(contains(page, "id=\"signin\""));
	T_CHECK(contains(page, "Sign in with Plex"));
	T_CHECK(contains(page, "data-login-id=\"abc_DEF-123\""));
	T_CHECK(contains(page, "data-base=\"/auth\""));
	T_CHECK(contains(page, "data-state=\"idle\""));
	T_CHECK(contains(page, "aria-live=\"polite\""));
	T_CHECK(contains(page, "<noscript>"));
	T_CHECK(contains(page, "name=\"viewport\""));
	T_CHECK(contains(page, "/auth/assets/favicon.svg"));
	T_CHECK(contains(page, "/auth/assets/plex-mark.svg"));
	T_CHECK(!contains(page, "/auth/assets/logo"));
	T_CHECK(!contains(page, "custom.css"));
	T_CHECK(!contains(page, "has-background"));
	/* No inline script or style: the CSP would block them. */
	T_CHECK(!contains(page, "<style"));
	T_CHECK(!contains(page, "style=\""));
	T_CHECK(!contains(page, "<script>"));
	/* Assets carry the cache-busting version. */
	asset_version(ui, version, sizeof(version));
	T_CHECK(strlen(version) >= 8);
	snprintf(want, sizeof(want), "src=\"/auth/assets/login.js?v=%s\" defer", version);
	T_CHECK(contains(page, want));
	T_CHECK(contains(page, "/auth/assets/style.css?v="));
	T_CHECK(contains(page, "/auth/assets/theme.css?v="));
	buf_free(&b);

	/* Without a client name or message, and with the caller's title. */
	{
		const ui_var_t v2[] = { { "base", "" }, { "login_id", "x" }, { "state", "waiting" },
			{ "title", "Override" } };
		buf_init(&b, PAGE_MAX);
		T_EQ_INT(ui_render(ui, "login.html", v2, N(v2), &b), PO_OK);
		page = buf_str(&b);
		T_CHECK(contains(page, "data-state=\"waiting\""));
		T_CHECK(contains(page, "href=\"/assets/style.css?v="));
		T_CHECK(contains(page, "<title>Override</title>"));
		T_CHECK(contains(page, "Use your Plex account to continue."));
		T_CHECK(!contains(page, "Continue to <strong"));
		buf_free(&b);
	}

	/* A page larger than the buffer: PO_ERR_LIMIT and nothing written. */
	buf_init(&b, 100);
	T_EQ_INT(ui_render(ui, "login.html", vars, N(vars), &b), PO_ERR_LIMIT);
	T_EQ_INT(b.len, 0);
	buf_free(&b);
	ui_free(ui);
}

static void
test_message_page(void)
{
	const ui_var_t vars[] = {
		{ "base", "" },
		{ "kind", "denied" },
		{ "heading", "No access" },
		{ "text", "Your Plex account does not have access to this server." },
		{ "account", "<img src=x onerror=alert(1)>" },
		{ "primary_url", "/authorize?a=1&b=2" },
		{ "primary_label", "Try another account" },
	};
	ui_t *ui = NULL;
	buf_t b;
	const char *page;

	buf_init(&b, PAGE_MAX);
	T_EQ_INT(ui_new(NULL, &ui), PO_OK);
	if (ui == NULL)
		return;
	T_EQ_INT(ui_render(ui, "message.html", vars, N(vars), &b), PO_OK);
	page = buf_str(&b);
	T_CHECK(contains(page, "kind-denied"));
	T_CHECK(contains(page, "No access"));
	T_CHECK(contains(page, "Signed in to Plex as"));
	T_CHECK(contains(page, "&lt;img src=x onerror=alert(1)&gt;"));
	T_CHECK(!contains(page, "<img src=x"));
	T_CHECK(contains(page, "href=\"/authorize?a=1&amp;b=2\""));
	T_CHECK(contains(page, "Try another account"));
	T_CHECK(!contains(page, "class=\"detail\""));
	T_CHECK(!contains(page, "class=\"secondary\""));
	T_CHECK(!contains(page, "{{"));
	buf_free(&b);

	buf_init(&b, PAGE_MAX);
	T_EQ_INT(ui_render(ui, "popup-done.html", NULL, 0, &b), PO_OK);
	T_CHECK(contains(buf_str(&b), "close this window"));
	T_CHECK(contains(buf_str(&b), "/assets/popup-done.js?v="));
	buf_free(&b);
	ui_free(ui);
}

/* ---- overrides ---- */

static const unsigned char png_bytes[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0 };

static void
test_assets_dir_override(void)
{
	char dir[128], sub[160];
	ui_opts_t opts = { 0 };
	ui_t *base = NULL, *ui = NULL;
	const ui_asset_t *a;
	buf_t b;
	char etag[19];

	snprintf(dir, sizeof(dir), "%s/assets", tmpdir);
	T_EQ_INT(mkdir(dir, 0700), 0);
	write_text(dir, "style.css", "body{color:red}\n");
	write_text(dir, "extra.woff2", "wOF2");
	write_text(dir, ".hidden.css", "hidden");
	write_text(dir, "notes.xyz", "unknown type");
	write_text(dir, "login.html", "<p>{{title}} {{login_id}}</p>");
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	T_EQ_INT(mkdir(sub, 0700), 0);

	T_EQ_INT(ui_new(NULL, &base), PO_OK);
	opts.assets_dir = dir;
	/* What was replaced and what was skipped is logged, for the operator. */
	t_capture_start();
	T_EQ_INT(ui_new(&opts, &ui), PO_OK);
	{
		char *log = t_capture_end();

		T_CHECK(contains(log, "assets/style.css replaces the built-in style.css"));
		T_CHECK(contains(log, "assets/login.html replaces the built-in login.html"));
		T_CHECK(contains(log, "assets/notes.xyz: skipped (name or file type not served)"));
		T_CHECK(contains(log, "assets/sub: skipped (not a regular file)"));
		T_CHECK(!contains(log, "ERROR"));
		free(log);
	}
	if (ui == NULL || base == NULL)
		goto out;
	a = ui_asset_get(ui, "style.css");
	T_CHECK(a != NULL);
	if (a != NULL) {
		T_EQ_INT(a->len, 16);
		T_CHECK(memcmp(a->data, "body{color:red}\n", 16) == 0);
		T_EQ_STR(a->content_type, "text/css; charset=utf-8");
		expected_etag(a->data, a->len, etag);
		T_EQ_STR(a->etag, etag);
		T_CHECK(strcmp(a->etag, ui_asset_get(base, "style.css")->etag) != 0);
	}
	a = ui_asset_get(ui, "extra.woff2");
	T_CHECK(a != NULL);
	if (a != NULL)
		T_EQ_STR(a->content_type, "font/woff2");
	T_CHECK(ui_asset_get(ui, ".hidden.css") == NULL);
	T_CHECK(ui_asset_get(ui, "notes.xyz") == NULL);
	T_CHECK(ui_asset_get(ui, "sub") == NULL);
	T_CHECK(ui_asset_get(ui, "login.js") != NULL); /* built-ins not overridden stay */

	/* The template override renders, and the version moved. */
	buf_init(&b, PAGE_MAX);
	{
		const ui_var_t vars[] = { { "login_id", "L1" } };
		T_EQ_INT(ui_render(ui, "login.html", vars, N(vars), &b), PO_OK);
		T_EQ_STR(buf_str(&b), "<p>Sign in L1</p>");
	}
	buf_free(&b);
	/* A changed asset changes asset_version (the "?v=" of every page). */
	{
		char v1[32], v2[32];

		asset_version(base, v1, sizeof(v1));
		asset_version(ui, v2, sizeof(v2));
		T_CHECK(strlen(v1) >= 8);
		T_CHECK(strcmp(v1, v2) != 0);
	}

	/* A broken template override stops the start. */
	write_text(dir, "message.html", "<p>{{#heading}}unclosed</p>");
	ui_free(ui);
	ui = NULL;
	T_LOGS(T_EQ_INT(ui_new(&opts, &ui), PO_ERR_INVALID),
	    "assets/message.html: template syntax error (unclosed tag or section?)");
	T_CHECK(ui == NULL);

	/* A missing directory is an I/O error. */
	snprintf(sub, sizeof(sub), "%s/missing", tmpdir);
	opts.assets_dir = sub;
	T_LOGS(T_EQ_INT(ui_new(&opts, &ui), PO_ERR_IO), "/missing: No such file or directory");
	T_CHECK(ui == NULL);
out:
	ui_free(base);
	ui_free(ui);
}

static void
test_custom_css_logo_background(void)
{
	char css[256], logo[256], bg[256];
	ui_opts_t opts = { 0 };
	ui_t *ui = NULL;
	const ui_asset_t *a;
	buf_t b;
	const char *page;
	const ui_var_t vars[] = { { "base", "/auth" }, { "login_id", "L" }, { "state", "idle" } };

	write_text(tmpdir, "site.css", ":root{--accent:#123456}\n");
	write_file(tmpdir, "brand.PNG", png_bytes, sizeof(png_bytes));
	write_text(tmpdir, "wall.jpeg", "\xff\xd8\xff\xe0 jpeg");
	opts.custom_css_path = path_in(css, sizeof(css), tmpdir, "site.css");
	opts.logo_path = path_in(logo, sizeof(logo), tmpdir, "brand.PNG");
	opts.background_path = path_in(bg, sizeof(bg), tmpdir, "wall.jpeg");
	opts.accent_color = "#A1b";

	T_EQ_INT(ui_new(&opts, &ui), PO_OK);
	if (ui == NULL)
		return;
	a = ui_asset_get(ui, "custom.css");
	T_CHECK(asset_has(a, "--accent:#123456"));
	if (a)
		T_EQ_STR(a->content_type, "text/css; charset=utf-8");
	a = ui_asset_get(ui, "logo");
	T_CHECK(a != NULL);
	if (a) {
		T_EQ_STR(a->content_type, "image/png");
		T_EQ_INT(a->len, sizeof(png_bytes));
		T_CHECK(memcmp(a->data, png_bytes, sizeof(png_bytes)) == 0);
	}
	a = ui_asset_get(ui, "background");
	T_CHECK(a != NULL);
	if (a)
		T_EQ_STR(a->content_type, "image/jpeg");
	/* theme.css: the accent (normalized) and the background rule. */
	a = ui_asset_get(ui, "theme.css");
	T_CHECK(asset_has(a, ":root{--accent:#aa11bb;"));
	T_CHECK(asset_has(a, "--accent-text:#ffffff"));
	T_CHECK(asset_has(a, ".has-background{background-image:url(\"background?v="));

	buf_init(&b, PAGE_MAX);
	T_EQ_INT(ui_render(ui, "login.html", vars, N(vars), &b), PO_OK);
	page = buf_str(&b);
	T_CHECK(contains(page, "href=\"/auth/assets/custom.css?v="));
	T_CHECK(contains(page, "src=\"/auth/assets/logo?v="));
	T_CHECK(!contains(page, "plex-mark.svg"));
	T_CHECK(contains(page, "has-background"));
	/* custom.css comes after theme.css, which comes after style.css. */
	T_CHECK(strstr(page, "style.css") < strstr(page, "theme.css"));
	T_CHECK(strstr(page, "theme.css") < strstr(page, "custom.css"));
	buf_free(&b);
	ui_free(ui);
}

static void
test_bad_options(void)
{
	static const struct {
		const char *file; /* created in tmpdir unless NULL */
		const char *logo;
		const char *background;
		const char *accent;
		int rc;
		const char *log; /* what the operator reads; NULL: nothing */
	} v[] = {
		{ "logo.bmp", "logo.bmp", NULL, NULL, PO_ERR_INVALID, "logo.bmp: must be a .png, .jpg, .jpeg, .svg, .webp or .gif file" },
		{ "logo.exe", NULL, "logo.exe", NULL, PO_ERR_INVALID, "logo.exe: must be a .png" },
		{ "noext", "noext", NULL, NULL, PO_ERR_INVALID, "noext: must be a .png" },
		{ "font.woff2", "font.woff2", NULL, NULL, PO_ERR_INVALID, "font.woff2: must be a .png" },
		{ NULL, "missing.png", NULL, NULL, PO_ERR_IO, "missing.png: No such file or directory" },
		{ NULL, NULL, NULL, "red", PO_ERR_INVALID, "accent_color red: must be #rgb or #rrggbb" },
		{ NULL, NULL, NULL, "#12345", PO_ERR_INVALID, "accent_color #12345: must be" },
		{ NULL, NULL, NULL, "#12345g", PO_ERR_INVALID, "accent_color #12345g: must be" },
		{ NULL, NULL, NULL, "#123;}x", PO_ERR_INVALID, "accent_color #123;}x: must be" },
		{ NULL, NULL, NULL, "#fff", PO_OK, NULL }
	};
	size_t i;

	for (i = 0; i < N(v); i++) {
		char logo[256], bg[256];
		ui_opts_t opts = { 0 };
		ui_t *ui = NULL;

		if (v[i].file)
			write_text(tmpdir, v[i].file, "x");
		if (v[i].logo)
			opts.logo_path = path_in(logo, sizeof(logo), tmpdir, v[i].logo);
		if (v[i].background)
			opts.background_path = path_in(bg, sizeof(bg), tmpdir, v[i].background);
		opts.accent_color = v[i].accent;
		T_LOGS(T_EQ_INT(ui_new(&opts, &ui), v[i].rc), v[i].log);
		T_CHECK((ui != NULL) == (v[i].rc == PO_OK));
		ui_free(ui);
	}

	/* A directory is not a file. */
	{
		ui_opts_t opts = { 0 };
		ui_t *ui = NULL;

		opts.custom_css_path = tmpdir;
		T_LOGS(T_EQ_INT(ui_new(&opts, &ui), PO_ERR_IO), ": not a regular file");
		T_CHECK(ui == NULL);
	}
}

static void
test_file_size_limit(void)
{
	char path[256];
	ui_opts_t opts = { 0 };
	ui_t *ui = NULL;
	unsigned char *big = calloc(1, UI_FILE_MAX + 1);

	T_CHECK(big != NULL);
	if (big == NULL)
		return;
	write_file(tmpdir, "big.png", big, UI_FILE_MAX + 1);
	opts.logo_path = path_in(path, sizeof(path), tmpdir, "big.png");
	T_LOGS(T_EQ_INT(ui_new(&opts, &ui), PO_ERR_LIMIT), "big.png: larger than ");
	T_CHECK(ui == NULL);

	write_file(tmpdir, "max.png", big, UI_FILE_MAX);
	opts.logo_path = path_in(path, sizeof(path), tmpdir, "max.png");
	T_LOGS(T_EQ_INT(ui_new(&opts, &ui), PO_OK), NULL);
	if (ui != NULL)
		T_EQ_INT(ui_asset_get(ui, "logo")->len, UI_FILE_MAX);
	ui_free(ui);
	free(big);
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_ui.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	T_RUN(test_escape_vectors);
	T_RUN(test_escape_null_and_limit);
	T_RUN(test_template_vectors);
	T_RUN(test_template_syntax_errors);
	T_RUN(test_template_limit);
	T_RUN(test_theme_css);
	T_RUN(test_builtin_assets);
	T_RUN(test_render_unknown_template);
	T_RUN(test_login_page);
	T_RUN(test_message_page);
	T_RUN(test_assets_dir_override);
	T_RUN(test_custom_css_logo_background);
	T_RUN(test_bad_options);
	T_RUN(test_file_size_limit);
	remove_tree(tmpdir);
	return T_DONE();
}
