/*
 * ui.h - everything the user sees: static assets and HTML templates.
 *
 * The built-in files under web/ are embedded in the binary at build time
 * (tools/embed.c generates build/gen/ui_embedded.c). At start, ui_new() takes
 * the [ui] settings: an assets_dir whose files replace built-in ones by name,
 * a custom CSS file served as "custom.css" and linked after the built-in
 * style, a logo and a background image (served as "logo" and "background"
 * with the content type of their extension), an accent colour, a title and a
 * message. So nothing the user sees needs a rebuild to restyle.
 *
 * Templates are HTML with {{name}} placeholders, always HTML-escaped through
 * ui_html_escape() (the one escaping function of the program), and sections
 * {{#name}}...{{/name}} kept only when the variable is set and non-empty
 * ({{^name}}...{{/name}} when it is not). There is no raw substitution.
 *
 * Layers, each replacing the one before by name: the embedded files, then
 * assets_dir, then custom_css/logo/background, then the generated
 * "theme.css" (":root{--accent:..;--accent-text:..}" and, with a background,
 * ".has-background{background-image:..}"): the Content-Security-Policy
 * forbids inline styles, so per-site values live in that stylesheet.
 *
 * The pages and the variables their handlers pass (all URLs "{{base}}/..."):
 *   login.html       base ("" or "/auth"), login_id, state ("idle", or
 *                    "waiting" when back from a full-page Plex redirect),
 *                    client_name (may be empty)
 *   message.html     base, kind ("denied" | "unavailable" | "expired" |
 *                    "error", a CSS class), heading, text, and optionally
 *                    detail, account (Plex account name), primary_url +
 *                    primary_label, secondary_url + secondary_label. URLs
 *                    must be built by the server (http(s) or a path):
 *                    escaping keeps them in their attribute, it does not
 *                    make a "javascript:" URL safe.
 *   popup-done.html  base
 * login.js then calls, on the same origin:
 *   {base}/login/start?l=ID             in a popup opened on click
 *   {base}/login/start?l=ID&mode=redirect  when the popup is blocked
 *   {base}/login/status?l=ID            each second while waiting; it must
 *     answer 200 JSON {"state": "idle"|"waiting"|"done"|"denied"|
 *     "unavailable"|"expired"|"error", "next": URL}. For any state but idle
 *     and waiting the page goes to next (http(s) URLs or paths only).
 *
 * A ui_t is immutable after ui_new() and shared by all threads.
 */
#ifndef PO_UI_UI_H
#define PO_UI_UI_H

#include <stddef.h>

#include "core/buf.h"
#include "po_limits.h"

/* Limits of the ui (values in po_limits.h). */
#define UI_FILE_MAX LIM_UI_FILE_MAX           /* po_limits.h */
#define UI_DIR_FILES_MAX LIM_UI_DIR_FILES_MAX /* po_limits.h */
/* An asset name ([A-Za-z0-9._-], not starting with '.'). */
#define UI_NAME_MAX 128
/* A path built from assets_dir and a file name. */
#define UI_PATH_MAX 4096

typedef struct ui ui_t;

typedef struct ui_opts {
	const char *title;     /* NULL: "Sign in" */
	const char *message;   /* NULL: no message */
	const char *logo_path; /* NULL: the built-in Plex-style mark */
	const char *background_path;
	const char *accent_color; /* validated "#rgb"/"#rrggbb"; NULL: built-in */
	const char *custom_css_path;
	const char *assets_dir;
} ui_opts_t;

typedef struct ui_asset {
	const char *name; /* "style.css" */
	const unsigned char *data;
	size_t len;
	const char *content_type; /* "text/css; charset=utf-8" */
	const char *etag;         /* "\"<16 hex of SHA-256>\"" */
} ui_asset_t;

typedef struct ui_var {
	const char *name;
	const char *value; /* NULL or "" = unset */
} ui_var_t;

/* Loads embedded assets and applies opts (NULL opts: all defaults). Files
 * named in opts must exist and be readable (at most UI_FILE_MAX each); an
 * error is logged with the path. The logo and background must be .png, .jpg,
 * .jpeg, .svg, .webp or .gif (else PO_ERR_INVALID). In assets_dir, hidden
 * files, subdirectories and unknown file types are skipped with a warning; a
 * template (*.html) there with a syntax error is PO_ERR_INVALID. opts and its
 * strings are only read during the call.
 * PO_OK, PO_ERR_IO, PO_ERR_INVALID, PO_ERR_LIMIT (a file over UI_FILE_MAX,
 * too many files), PO_ERR_CRYPTO or PO_ERR_NOMEM. */
int ui_new(const ui_opts_t *opts, ui_t **out);
void ui_free(ui_t *ui);

/* Looks up a static asset by file name (no directories). Borrowed pointer,
 * valid for the ui's lifetime; NULL if there is none. Templates (*.html) are
 * not served as assets. */
const ui_asset_t *ui_asset_get(const ui_t *ui, const char *name);

/* Renders template `name` ("login.html", "message.html", "popup-done.html")
 * with vars into out (appending; out->max bounds the page). The ui adds these
 * variables itself: title, message, accent_color, has_logo, has_background,
 * has_custom_css ("1" or unset), asset_version; a var of the same name in
 * vars wins. vars are only read during the call. On failure out is left as
 * it was. PO_OK, PO_ERR_NOTFOUND (no such template), PO_ERR_LIMIT or
 * PO_ERR_NOMEM. */
int ui_render(const ui_t *ui, const char *name, const ui_var_t *vars, size_t nvars, buf_t *out);

/* Appends s HTML-escaped to out: & < > " ' become entities, tab/CR/LF
 * numeric references, other control characters (C0, DEL, C1) and invalid
 * UTF-8 bytes U+FFFD, so the result is safe in text and in quoted attributes
 * and is valid UTF-8. NULL appends nothing. The only way text reaches HTML.
 * On failure out is left as it was. PO_OK, PO_ERR_LIMIT or PO_ERR_NOMEM. */
int ui_html_escape(buf_t *out, const char *s);

#endif
