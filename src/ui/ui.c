/*
 * ui.c - the page assets and templates (see ui.h).
 *
 * ui_new() builds one sorted table of files in layers, each later layer
 * replacing an earlier one by name:
 *   1. the files embedded from web/ at build time (borrowed, never copied);
 *   2. the files of [ui] assets_dir (flat; hidden files, subdirectories and
 *      unknown extensions are skipped with a warning);
 *   3. [ui] custom_css, logo and background, served as "custom.css", "logo"
 *      and "background";
 *   4. the generated "theme.css" (theme.c): the accent colour and the
 *      background rule, since the Content-Security-Policy forbids inline
 *      styles.
 * Then it computes each file's ETag and the asset_version that the pages put
 * in "?v=" so browsers may cache assets forever and still see a change.
 *
 * Templates (*.html) live in the same table but are never served as assets:
 * they are raw, unrendered pages. Every template, built-in or override, is
 * syntax-checked at load, so a broken one stops the start instead of
 * breaking the first login.
 *
 * After ui_new() nothing is written, so the ui needs no lock.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "ui/template.h"
#include "ui/theme.h"
#include "ui/ui_priv.h"

/* ---- Theme ---- */

/* SHA-256 of (data, len) into md. PO_OK or PO_ERR_CRYPTO. */
static int
sha256(const void *data, size_t len, unsigned char md[32])
{
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		log_error("ui: SHA-256 failed");
		return PO_ERR_CRYPTO;
	}
	return PO_OK;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Generates theme.css (theme.h). The background URL is relative to
 * theme.css, so it works under any base path; the image's own hash busts
 * caches when only the image changes. */
static int
load_theme(ui_t *ui)
{
	struct ui_file *bg = ui_find(ui, "background");
	unsigned char md[32];
	char bgver[2 * UI_ETAG_BYTES + 1];
	unsigned char *data = NULL;
	buf_t b;
	size_t len = 0;
	int rc;

	buf_init(&b, THEME_CSS_MAX);
	if (ui_find(ui, "theme.css") != NULL)
		log_warn("ui: theme.css in assets_dir is ignored (it is generated; use custom.css)");
	if (bg != NULL) {
		if ((rc = sha256(bg->data, bg->len, md)) != PO_OK)
			goto out;
		hex(md, UI_ETAG_BYTES, bgver);
	}
	if ((rc = theme_css(&b, ui->accent, bg ? bgver : NULL)) != PO_OK)
		goto out;
	if ((data = (unsigned char *)buf_steal(&b, &len)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	rc = ui_put(ui, "theme.css", data, data, len, "text/css; charset=utf-8");
	data = NULL; /* transferred */
out:
	buf_free(&b);
	return rc;
}

/* ---- Finishing ---- */

static int
file_cmp(const void *a, const void *b)
{
	const struct ui_file *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Sorts the table, computes ETags and the asset version, and fills each
 * public ui_asset_t (only now: the table no longer moves). */
static int
ui_finish(ui_t *ui)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t i;
	int rc = PO_ERR_CRYPTO;

	qsort(ui->files, ui->nfiles, sizeof(*ui->files), file_cmp);
	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		log_error("ui: SHA-256 failed");
		goto out;
	}
	for (i = 0; i < ui->nfiles; i++) {
		struct ui_file *f = &ui->files[i];

		if ((rc = sha256(f->data, f->len, md)) != PO_OK)
			goto out;
		f->etag[0] = '"';
		hex(md, UI_ETAG_BYTES, f->etag + 1);
		f->etag[2 * UI_ETAG_BYTES + 1] = '"';
		f->etag[2 * UI_ETAG_BYTES + 2] = '\0';
		f->a.name = f->name;
		f->a.data = f->data;
		f->a.len = f->len;
		f->a.content_type = f->content_type;
		f->a.etag = f->etag;
		if (f->is_template)
			continue;
		/* Hash of (name NUL, content hash) per asset: unambiguous, so two
		 * different tables cannot give the same input. */
		if (EVP_DigestUpdate(ctx, f->name, strlen(f->name) + 1) != 1 ||
		    EVP_DigestUpdate(ctx, md, sizeof(md)) != 1) {
			log_error("ui: SHA-256 failed");
			rc = PO_ERR_CRYPTO;
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) {
		log_error("ui: SHA-256 failed");
		rc = PO_ERR_CRYPTO;
		goto out;
	}
	hex(md, UI_VERSION_BYTES, ui->version);
	rc = PO_OK;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* ---- Public API ---- */

int
ui_new(const ui_opts_t *opts, ui_t **out)
{
	static const ui_opts_t none;
	ui_t *ui = NULL;
	const char *accent;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	if (opts == NULL)
		opts = &none;
	if ((ui = calloc(1, sizeof(*ui))) == NULL)
		goto out;
	if ((ui->title = str_dup(opts->title ? opts->title : UI_DEFAULT_TITLE)) == NULL)
		goto out;
	if (opts->message && (ui->message = str_dup(opts->message)) == NULL)
		goto out;
	/* Config validates the colour too; it reaches CSS, so check again here. */
	accent = opts->accent_color ? opts->accent_color : UI_DEFAULT_ACCENT;
	if (theme_color_normalize(accent, ui->accent) != PO_OK) {
		log_error("ui: accent_color %s: must be #rgb or #rrggbb", accent);
		rc = PO_ERR_INVALID;
		goto out;
	}

	if ((rc = ui_load_embedded(ui)) != PO_OK)
		goto out;
	if (opts->assets_dir && (rc = ui_load_dir(ui, opts->assets_dir)) != PO_OK)
		goto out;
	if (opts->custom_css_path &&
	    (rc = ui_put_file(ui, "custom.css", opts->custom_css_path, "text/css; charset=utf-8")) !=
	        PO_OK)
		goto out;
	if (opts->logo_path && (rc = ui_load_image(ui, "logo", "logo", opts->logo_path)) != PO_OK)
		goto out;
	if (opts->background_path &&
	    (rc = ui_load_image(ui, "background", "background", opts->background_path)) != PO_OK)
		goto out;
	if ((rc = load_theme(ui)) != PO_OK || (rc = ui_finish(ui)) != PO_OK)
		goto out;
	*out = ui;
	ui = NULL; /* transferred */
out:
	ui_free(ui);
	return rc;
}

void
ui_free(ui_t *ui)
{
	size_t i;

	if (ui == NULL)
		return;
	for (i = 0; i < ui->nfiles; i++) {
		free(ui->files[i].name);
		free(ui->files[i].owned);
	}
	free(ui->files);
	free(ui->title);
	free(ui->message);
	free(ui);
}

static int
name_cmp(const void *key, const void *elem)
{
	const struct ui_file *f = elem;

	return strcmp(key, f->name);
}

static const struct ui_file *
ui_lookup(const ui_t *ui, const char *name)
{
	if (ui == NULL || name == NULL)
		return NULL;
	return bsearch(name, ui->files, ui->nfiles, sizeof(*ui->files), name_cmp);
}

const ui_asset_t *
ui_asset_get(const ui_t *ui, const char *name)
{
	const struct ui_file *f = ui_lookup(ui, name);

	return f == NULL || f->is_template ? NULL : &f->a;
}

struct render_ctx {
	const ui_t *ui;
	const ui_var_t *vars;
	size_t nvars;
};

static bool
name_is(const char *want, const char *name, size_t len)
{
	return want != NULL && strlen(want) == len && memcmp(want, name, len) == 0;
}

/* The caller's variables first, then the ui's own (so a page may override,
 * say, the title); NULL for unknown names. */
static const char *
render_lookup(const void *vctx, const char *name, size_t len)
{
	const struct render_ctx *c = vctx;
	const ui_t *ui = c->ui;
	size_t i;

	for (i = 0; i < c->nvars; i++)
		if (name_is(c->vars[i].name, name, len))
			return c->vars[i].value;
	if (name_is("title", name, len))
		return ui->title;
	if (name_is("message", name, len))
		return ui->message;
	if (name_is("accent_color", name, len))
		return ui->accent;
	if (name_is("asset_version", name, len))
		return ui->version;
	if (name_is("has_logo", name, len))
		return ui_lookup(ui, "logo") ? "1" : NULL;
	if (name_is("has_background", name, len))
		return ui_lookup(ui, "background") ? "1" : NULL;
	if (name_is("has_custom_css", name, len))
		return ui_lookup(ui, "custom.css") ? "1" : NULL;
	return NULL;
}

int
ui_render(const ui_t *ui, const char *name, const ui_var_t *vars, size_t nvars, buf_t *out)
{
	const struct ui_file *f = ui_lookup(ui, name);
	struct render_ctx ctx = { ui, vars, nvars };
	int rc;

	if (f == NULL || !f->is_template)
		return PO_ERR_NOTFOUND;
	rc = tpl_render((const char *)f->data, f->len, render_lookup, &ctx, out);
	/* Templates were checked at load: a syntax error here is a bug. */
	return rc == PO_ERR_INVALID ? PO_ERR_INTERNAL : rc;
}
