/*
 * ui_priv.h - what the two halves of the ui module share; not part of its
 * contract (ui.h is). ui_load.c loads the layers of files; ui.c finishes
 * the table (theme, ETags) and renders.
 */
#ifndef PO_UI_UI_PRIV_H
#define PO_UI_UI_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/ui.h"

#define UI_DEFAULT_TITLE "Sign in"
/* Plex-like amber; dark text on it reads at > 8:1. */
#define UI_DEFAULT_ACCENT "#e5a00d"
/* Bytes of SHA-256 shown in an ETag and in asset_version (hex doubles it):
 * 64 bits tell versions apart; these are cache keys, not security tokens. */
#define UI_ETAG_BYTES 8
#define UI_VERSION_BYTES 5

struct ui_file {
	ui_asset_t a;              /* pointers set by ui_finish() */
	char *name;                /* owned */
	const unsigned char *data; /* owned (== owned) or embedded */
	unsigned char *owned;      /* NULL when data is embedded */
	size_t len;
	const char *content_type; /* static string */
	bool is_template;
	char etag[2 * UI_ETAG_BYTES + 3]; /* "\"" hex "\"" NUL */
};

struct ui {
	struct ui_file *files; /* sorted by name after ui_finish() */
	size_t nfiles;
	size_t cap;
	char *title;
	char *message;  /* NULL when unset */
	char accent[8]; /* "#rrggbb", normalized */
	char version[2 * UI_VERSION_BYTES + 1];
};

/* The file named name, or NULL (before ui_finish: linear). */
struct ui_file *ui_find(const ui_t *ui, const char *name);
/* Adds or replaces a file: data is borrowed when owned is NULL, else owned
 * (== data) is taken over, also on failure. PO_OK or PO_ERR_NOMEM. */
int ui_put(ui_t *ui, const char *name, const unsigned char *data, unsigned char *owned, size_t len,
    const char *content_type);
/* Adds a file from disk under name, with that content type. */
int ui_put_file(ui_t *ui, const char *name, const char *path, const char *content_type);
/* Layer 1: the embedded files. */
int ui_load_embedded(ui_t *ui);
/* Layer 2: the files of assets_dir. */
int ui_load_dir(ui_t *ui, const char *dir);
/* Layer 3: an image file served as name ("logo", "background"). */
int ui_load_image(ui_t *ui, const char *name, const char *what, const char *path);

#endif
