/*
 * theme.h - the generated stylesheet "theme.css".
 *
 * The Content-Security-Policy of every page forbids inline styles
 * (style-src 'self'), so values that differ per site, the accent colour and
 * the background image, cannot be written into the HTML. Instead the ui
 * serves this small stylesheet, built once at start from the [ui] settings:
 *   :root{--accent:#rrggbb;--accent-text:#rrggbb}
 *   .has-background{background-image:url("background?v=VERSION")}
 * --accent-text is whichever of a near-black and white contrasts more with
 * the accent (WCAG 2.x relative luminance), so a button stays readable
 * whatever colour the admin picks.
 */
#ifndef PO_UI_THEME_H
#define PO_UI_THEME_H

#include "core/buf.h"

/* theme.css is two short rules. */
#define THEME_CSS_MAX 1024

/* Validates a colour "#rgb" or "#rrggbb" (hex digits, any case) and writes
 * it as "#rrggbb" in lower case to out. PO_OK or PO_ERR_INVALID. */
int theme_color_normalize(const char *s, char out[8]);

/* Appends the theme.css text for accent ("#rgb"/"#rrggbb") to out, with the
 * background rule when bg_version (a cache-busting token of [0-9a-f]) is not
 * NULL. PO_OK, PO_ERR_INVALID, PO_ERR_LIMIT or PO_ERR_NOMEM. */
int theme_css(buf_t *out, const char *accent, const char *bg_version);

#endif
