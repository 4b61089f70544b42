/*
 * page.h - HTML answers: a template rendered into a response with the
 * headers every page carries (a strict Content-Security-Policy: no inline
 * script or style anywhere; no framing; no caching).
 *
 * Pages are for browsers, so a failure to build one is recorded as the
 * response's sticky error (server.h) and becomes a plain 500: these
 * functions return nothing.
 */
#ifndef PO_UI_PAGE_H
#define PO_UI_PAGE_H

#include "http/server.h"
#include "ui/ui.h"

/* The most variables a page takes (message.html: 10). */
#define PAGE_VARS_MAX 20

/* Renders template tpl with vars (plus base, the issuer's path) as the
 * answer with status. */
void page_render(const ui_t *ui, const char *base, http_resp_t *resp, int status, const char *tpl,
    const ui_var_t *vars, size_t n);
/* page_render for a page whose form, once posted, is redirected to another
 * origin (form-action applies to the redirect, CSP Level 3 §6.4.1): origin
 * ("https://app.example.com") joins 'self' there. It must be one the
 * server trusts (a registered URI's). */
void page_render_form_to(const ui_t *ui, const char *base, http_resp_t *resp, int status, const char *tpl,
    const ui_var_t *vars, size_t n, const char *origin);
/* message.html served on another origin than the issuer's (forward auth
 * answers on the guarded app's host, gate/gate.h): base is the issuer's
 * absolute URL, so its assets come from there, and origin
 * ("https://auth.example.com") is the only source the policy allows, for
 * styles and images; the page runs no script and posts no form. */
void page_message_elsewhere(const ui_t *ui, const char *base, const char *origin, http_resp_t *resp, int status,
    const ui_var_t *vars, size_t n);
/* message.html (ui.h lists its variables). */
void page_message(const ui_t *ui, const char *base, http_resp_t *resp, int status, const ui_var_t *vars, size_t n);
/* message.html with a kind ("error", "denied", "unavailable", "expired",
 * "info", "waiting"), a heading, a text and an optional button (a URL
 * built by the server). */
void page_error(const ui_t *ui, const char *base, http_resp_t *resp, int status, const char *kind,
    const char *heading, const char *text, const char *button_url, const char *button_label);
/* Adds the headers of an HTML page to resp. */
int page_headers(http_resp_t *resp) PO_WUR;

#endif
