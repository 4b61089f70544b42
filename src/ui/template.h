/*
 * template.h - the logic-less template engine behind ui_render().
 *
 * A mustache subset, small enough to audit at a glance:
 *   {{name}}              the value, HTML-escaped by ui_html_escape(); empty
 *                         when the variable is unknown or unset
 *   {{#name}}..{{/name}}  the inside, kept only if name is set and non-empty
 *   {{^name}}..{{/name}}  the inside, kept only if name is unset or empty
 *   {{! comment }}        nothing
 * Names are [A-Za-z0-9_.-]{1,TPL_NAME_MAX}; spaces around them are allowed.
 * Sections nest up to TPL_DEPTH_MAX deep. There is deliberately no raw
 * ("triple mustache") substitution: {{{x}}} is a syntax error. Every "{{"
 * opens a tag, so templates cannot contain a literal "{{".
 *
 * The engine works on (buf, len) so it can be tested and fuzzed without
 * files. Values come from a lookup callback so the ui can layer its own
 * variables under the caller's without copying them.
 */
#ifndef PO_UI_TEMPLATE_H
#define PO_UI_TEMPLATE_H

#include <stddef.h>

#include "core/buf.h"

/* A variable name: the ones we use are short; the bound keeps the scan of a
 * broken template short too. */
#define TPL_NAME_MAX 64
/* Section nesting: our templates use two levels; the recursion is bounded so
 * a hostile override template cannot exhaust the stack. */
#define TPL_DEPTH_MAX 16

/* Returns the value of variable (name, len), or NULL when there is none.
 * The returned string is borrowed and must live until tpl_render returns. */
typedef const char *(*tpl_lookup_fn)(const void *ctx, const char *name, size_t len);

/* Checks the syntax of template (tpl, len): tags closed, names valid,
 * sections balanced and matched, depth within TPL_DEPTH_MAX.
 * PO_OK or PO_ERR_INVALID. */
int tpl_check(const char *tpl, size_t len);

/* Renders template (tpl, len) into out, looking values up with lookup(ctx).
 * On failure out is left as it was before the call.
 * PO_OK, PO_ERR_INVALID (bad syntax), PO_ERR_LIMIT (out->max reached) or
 * PO_ERR_NOMEM. */
int tpl_render(const char *tpl, size_t len, tpl_lookup_fn lookup, const void *ctx, buf_t *out);

#endif
