/*
 * errors.h - the one place where protocol errors become HTTP answers.
 *
 * Three shapes, by who is on the other end:
 *  - a relying party's back channel (token, userinfo): RFC 6749 §5.2 JSON
 *    {"error": ..., "error_description": ...} with Cache-Control: no-store;
 *  - a browser that we may send back to the relying party: an error redirect
 *    (RFC 6749 §4.1.2.1) to a registered redirect URI, with state and iss;
 *  - a browser that we must not redirect (unknown client, bad redirect_uri,
 *    RFC 6749 §4.1.2.1 first paragraph) or that has nowhere to go: an HTML
 *    page rendered from the message template.
 */
#ifndef PO_OIDC_ERRORS_H
#define PO_OIDC_ERRORS_H

#include "http/server.h"
#include "oidc/oidc.h"
#include "ui/ui.h"

/* RFC 6749 §4.1.2.1, §5.2; OpenID Connect Core §3.1.2.6. */
#define OE_INVALID_REQUEST "invalid_request"
#define OE_INVALID_CLIENT "invalid_client"
#define OE_INVALID_GRANT "invalid_grant"
#define OE_UNAUTHORIZED_CLIENT "unauthorized_client"
#define OE_UNSUPPORTED_GRANT_TYPE "unsupported_grant_type"
#define OE_UNSUPPORTED_RESPONSE_TYPE "unsupported_response_type"
#define OE_INVALID_SCOPE "invalid_scope"
#define OE_SERVER_ERROR "server_error"
#define OE_TEMPORARILY_UNAVAILABLE "temporarily_unavailable"
#define OE_LOGIN_REQUIRED "login_required"
#define OE_ACCESS_DENIED "access_denied"
#define OE_REQUEST_NOT_SUPPORTED "request_not_supported"
#define OE_REQUEST_URI_NOT_SUPPORTED "request_uri_not_supported"
/* RFC 6750 §3.1 */
#define OE_INVALID_TOKEN "invalid_token"

/* Each answers resp; a failure to build the answer is the response's
 * sticky error (a plain 500). */

/* JSON error body with status (400, 401, 500...), no-store. */
void oidc_error_json(http_resp_t *resp, int status, const char *error, const char *description);
/* 302 to redirect_uri with error, error_description, state (if any) and iss
 * (RFC 9207). redirect_uri must be a registered URI of the client. */
void oidc_error_redirect(const oidc_t *o, http_resp_t *resp, const char *redirect_uri, const char *error,
    const char *description, const char *state);
/* An HTML page (page_error, ui/page.h) below the issuer's path. */
void oidc_error_page(const oidc_t *o, http_resp_t *resp, int status, const char *kind, const char *heading,
    const char *text, const char *button_url, const char *button_label);
/* message.html with vars. */
void oidc_page(const oidc_t *o, http_resp_t *resp, int status, const ui_var_t *vars, size_t n);

#endif
