/*
 * ui_load.c - the layers of files of the ui (see ui.c for the order):
 * the embedded files, assets_dir, and the operator's logo, background and
 * CSS, each checked (name, type, size) as it is read.
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

#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "ui/template.h"
#include "ui/ui_priv.h"
#include "ui_embedded.h"

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

struct ui_file *
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
int
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
int
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

int
ui_load_embedded(ui_t *ui)
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

int
ui_load_dir(ui_t *ui, const char *dir)
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
int
ui_load_image(ui_t *ui, const char *name, const char *what, const char *path)
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
