/*
 * internal.h - helpers shared by the endpoint files of oidc/ (not a public
 * interface of the module).
 */
#ifndef PO_OIDC_INTERNAL_H
#define PO_OIDC_INTERNAL_H

#include <stdbool.h>

#include "http/form.h"
#include "oidc/grant.h"
#include "oidc/oidc.h"

/* The browser-binding cookie: a random id set on the first authorization
 * request, HttpOnly, SameSite=Lax; a login can only be driven by the
 * browser whose cookie it was created with (login CSRF defence). */
#define OIDC_BID_COOKIE "plexoidc_bid"
/* With an https issuer the cookie gets a prefix the browser enforces
 * (RFC 6265bis §4.1.3): __Host- (Secure, Path=/, no Domain: a sibling
 * subdomain cannot plant one) when the issuer has no path, else __Secure-. */
#define OIDC_BID_COOKIE_HOST "__Host-plexoidc_bid"
#define OIDC_BID_COOKIE_SECURE "__Secure-plexoidc_bid"
/* The cookie's name for this issuer. */
const char *oidc_bid_cookie_name(const oidc_t *o);

/* discovery.c: builds o->discovery and o->jwks. */
int oidc_build_documents(oidc_t *o);

/* Parses the request's parameters: the query for GET, the urlencoded body
 * for POST (OIDC Core §3.1.2.1 allows both for the authorization endpoint).
 * PO_OK, PO_ERR_INVALID, PO_ERR_LIMIT. */
int oidc_request_params(const http_req_t *req, form_t *out);

/* Copies the browser id from the request's cookie into out (>= 48 bytes).
 * false if there is none or it is malformed. */
bool oidc_browser_id(const oidc_t *o, const http_req_t *req, char *out, size_t outsz);

/* Renders the login page for login `id` ("idle" or "waiting"). */
void oidc_render_login(oidc_t *o, http_resp_t *resp, const char *id, const char *state, const char *client_id);

/* setup.c: remembers the servers a Plex account owns (setup mode). */
void oidc_setup_remember(oidc_t *o, const char *sub, int64_t plex_id, const plex_resources_t *res);

/* Renders message.html with status and vars (base is added). */
void oidc_page(oidc_t *o, http_resp_t *resp, int status, const ui_var_t *vars, size_t n);

/* Builds "{issuer}{path}" into out. */
int oidc_url(const oidc_t *o, buf_t *out, const char *path);
/* Appends the authorization request r as a query string (no '?'), to replay
 * it: "try again". Rebuilt from r's fields plus r->retry_query (prompt,
 * max_age, response_mode when given), so a pending login does not keep a
 * second copy of its request. PO_OK, PO_ERR_NOMEM or PO_ERR_LIMIT. */
int oidc_retry_query(const authz_req_t *r, buf_t *out);

#endif
