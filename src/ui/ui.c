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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "ui/template.h"
#include "ui/theme.h"
#include "ui/ui.h"
#include "ui_embedded.h"

#define UI_DEFAULT_TITLE "Sign in"
/* Plex-like amber; dark text on it reads at > 8:1. */
#define UI_DEFAULT_ACCENT "#e5a00d"
/* Bytes of SHA-256 shown in an ETag and in asset_version (hex doubles it):
 * 64 bits tell versions apart; these are cache keys, not security tokens. */
#define UI_ETAG_BYTES 8
#define UI_VERSION_BYTES 5

struct ui_file {
	ui_asset_t a;                     /* pointers set by ui_finish() */
	char *name;                       /* owned */
	const unsigned char *data;        /* owned (== owned) or embedded */
	unsigned char *owned;             /* NULL when data is embedded */
	size_t len;
	const char *content_type;         /* static string */
	bool is_template;
	char etag[2 * UI_ETAG_BYTES + 3]; /* "\"" hex "\"" NUL */
};

struct ui {
	struct ui_file *files; /* sorted by name after ui_finish() */
	size_t nfiles;
	size_t cap;
	char *title;
	char *message;         /* NULL when unset */
	char accent[8];        /* "#rrggbb", normalized */
	char version[2 * UI_VERSION_BYTES + 1];
};

/* ---- Content types ---- */

struct ctype {
	const char *ext;
	const char *type;
	bool image; /* acceptable as logo or background */
};

static const struct ctype ctypes[] = {
	{ "html", "text/html; charset=utf-8", false },
	{ "css", "text/css; charset=utf-8", false },
	{ "js", "text/javascript; charset=utf-8", false },
	{ "json", "application/json", false },
	{ "txt", "text/plain; charset=utf-8", false },
	{ "webmanifest", "application/manifest+json", false },
	{ "svg", "image/svg+xml", true },
	{ "png", "image/png", true },
	{ "jpg", "image/jpeg", true },
	{ "jpeg", "image/jpeg", true },
	{ "gif", "image/gif", true },
	{ "webp", "image/webp", true },
	{ "avif", "image/avif", false },
	{ "ico", "image/x-icon", false },
	{ "woff2", "font/woff2", false },
	{ "woff", "font/woff", false },
	{ "ttf", "font/ttf", false },
	{ "otf", "font/otf", false },
};

/* The content type for a file name or path by its extension (any case), or
 * NULL if unknown. Sets *image when it is a logo/background type. */
static const char *
content_type_of(const char *name, bool *image)
{
	const char *slash = strrchr(name, '/');
	const char *dot = strrchr(slash ? slash + 1 : name, '.');
	size_t i;

	if (image)
		*image = false;
	if (dot == NULL)
		return NULL;
	for (i = 0; i < sizeof(ctypes) / sizeof(ctypes[0]); i++) {
		if (strcasecmp(dot + 1, ctypes[i].ext) == 0) {
			if (image)
				*image = ctypes[i].image;
			return ctypes[i].type;
		}
	}
	return NULL;
}

static bool
is_template_name(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcasecmp(name + n - 5, ".html") == 0;
}

/* Asset names are URL path segments: [A-Za-z0-9._-], not hidden. */
static bool
asset_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > UI_NAME_MAX || name[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* ---- Files ---- */

/* Reads a whole regular file of at most UI_FILE_MAX bytes. *data is owned
 * by the caller (free()). PO_OK, PO_ERR_IO, PO_ERR_LIMIT or PO_ERR_NOMEM;
 * logs why with the path. */
static int
read_file(const char *path, unsigned char **data, size_t *len)
{
	buf_t b;
	char chunk[16384];
	struct stat st;
	ssize_t n;
	int fd = -1, rc = PO_ERR_IO;

	buf_init(&b, UI_FILE_MAX);
	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		log_error("ui: %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("ui: %s: not a regular file", path);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("ui: %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if ((rc = buf_append(&b, chunk, (size_t)n)) != PO_OK) {
			if (rc == PO_ERR_LIMIT)
				log_error("ui: %s: larger than %d bytes", path, UI_FILE_MAX);
			goto out;
		}
	}
	if ((*data = (unsigned char *)buf_steal(&b, len)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	rc = PO_OK;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	return rc;
}

static struct ui_file *
ui_find(const ui_t *ui, const char *name)
{
	size_t i;

	/* Linear: used only while loading, before the table is sorted. */
	for (i = 0; i < ui->nfiles; i++)
		if (strcmp(ui->files[i].name, name) == 0)
			return &ui->files[i];
	return NULL;
}

/*
 * Adds file `name` or replaces the one of that name. Takes ownership of
 * `owned` in every case (freed on failure); pass owned == NULL for borrowed
 * embedded data. PO_OK or PO_ERR_NOMEM.
 */
static int
ui_put(ui_t *ui, const char *name, const unsigned char *data, unsigned char *owned, size_t len,
    const char *content_type)
{
	struct ui_file *f = NULL, *nf = NULL;
	char *dup = NULL;
	int rc = PO_ERR_NOMEM;

	if ((f = ui_find(ui, name)) == NULL) {
		if ((dup = str_dup(name)) == NULL)
			goto out;
		if (ui->nfiles == ui->cap) {
			size_t ncap = ui->cap ? ui->cap * 2 : 32;
			if ((nf = reallocarray(ui->files, ncap, sizeof(*nf))) == NULL)
				goto out;
			ui->files = nf;
			ui->cap = ncap;
		}
		f = &ui->files[ui->nfiles++];
		memset(f, 0, sizeof(*f));
		f->name = dup;
		dup = NULL; /* transferred */
	}
	free(f->owned);
	f->owned = owned;
	owned = NULL; /* transferred */
	f->data = data;
	f->len = len;
	f->content_type = content_type;
	f->is_template = is_template_name(name);
	rc = PO_OK;
out:
	free(dup);
	free(owned);
	return rc;
}

/* Reads path and adds it as `name`. */
static int
ui_put_file(ui_t *ui, const char *name, const char *path, const char *content_type)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc;

	if ((rc = read_file(path, &data, &len)) != PO_OK)
		return rc;
	if (is_template_name(name) && tpl_check((const char *)data, len) != PO_OK) {
		log_error("ui: %s: template syntax error (unclosed tag or section?)", path);
		free(data);
		return PO_ERR_INVALID;
	}
	return ui_put(ui, name, data, data, len, content_type); /* data transferred */
}

static int
load_embedded(ui_t *ui)
{
	const char *type;
	size_t i;
	int rc;

	for (i = 0; i < ui_embedded_count; i++) {
		const struct ui_embedded *e = &ui_embedded_files[i];

		if ((type = content_type_of(e->name, NULL)) == NULL) {
			log_error("ui: built-in %s: unknown content type", e->name);
			return PO_ERR_INTERNAL;
		}
		if (is_template_name(e->name) && tpl_check((const char *)e->data, e->len) != PO_OK) {
			log_error("ui: built-in %s: template syntax error", e->name);
			return PO_ERR_INTERNAL;
		}
		if ((rc = ui_put(ui, e->name, e->data, NULL, e->len, type)) != PO_OK)
			return rc;
	}
	return PO_OK;
}

static int
load_dir(ui_t *ui, const char *dir)
{
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	buf_t path;
	const char *type;
	size_t count = 0;
	int rc = PO_ERR_IO;

	buf_init(&path, UI_PATH_MAX);
	if ((d = opendir(dir)) == NULL) {
		log_error("ui: assets_dir %s: %s", dir, strerror(errno));
		goto out;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue; /* ".", "..", hidden files */
		buf_reset(&path);
		if ((rc = buf_appendf(&path, "%s/%s", dir, de->d_name)) != PO_OK)
			goto out;
		if (stat(buf_str(&path), &st) != 0 || !S_ISREG(st.st_mode)) {
			log_warn("ui: %s: skipped (not a regular file)", buf_str(&path));
			continue;
		}
		if (!asset_name_ok(de->d_name) || (type = content_type_of(de->d_name, NULL)) == NULL) {
			log_warn("ui: %s: skipped (name or file type not served)", buf_str(&path));
			continue;
		}
		if (++count > UI_DIR_FILES_MAX) {
			log_error("ui: assets_dir %s: more than %d files", dir, UI_DIR_FILES_MAX);
			rc = PO_ERR_LIMIT;
			goto out;
		}
		if (ui_find(ui, de->d_name) != NULL)
			log_info("ui: %s replaces the built-in %s", buf_str(&path), de->d_name);
		if ((rc = ui_put_file(ui, de->d_name, buf_str(&path), type)) != PO_OK)
			goto out;
	}
	if (errno != 0) {
		log_error("ui: assets_dir %s: %s", dir, strerror(errno));
		rc = PO_ERR_IO;
		goto out;
	}
	rc = PO_OK;
out:
	if (d)
		closedir(d);
	buf_free(&path);
	return rc;
}

/* Loads a logo or background image as `name`; only the image types that
 * every browser renders in <img> and CSS are accepted. */
static int
load_image(ui_t *ui, const char *name, const char *what, const char *path)
{
	bool image = false;
	const char *type = content_type_of(path, &image);

	if (type == NULL || !image) {
		log_error("ui: %s %s: must be a .png, .jpg, .jpeg, .svg, .webp or .gif file", what,
		    path);
		return PO_ERR_INVALID;
	}
	return ui_put_file(ui, name, path, type);
}

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

	if ((rc = load_embedded(ui)) != PO_OK)
		goto out;
	if (opts->assets_dir && (rc = load_dir(ui, opts->assets_dir)) != PO_OK)
		goto out;
	if (opts->custom_css_path &&
	    (rc = ui_put_file(ui, "custom.css", opts->custom_css_path, "text/css; charset=utf-8")) !=
	        PO_OK)
		goto out;
	if (opts->logo_path && (rc = load_image(ui, "logo", "logo", opts->logo_path)) != PO_OK)
		goto out;
	if (opts->background_path &&
	    (rc = load_image(ui, "background", "background", opts->background_path)) != PO_OK)
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
