/*
 * login_http.h - the login page and its endpoints: the one page the user
 * sees, and what its script calls.
 *
 *   /login/start   opened by the page (popup, or full page when popups are
 *                  blocked): has the PIN created on the server, then sends
 *                  the browser to Plex's sign-in app.
 *   /login/status  polled by the page: never blocks; claims a PIN poll at
 *                  plex.tv when one is due.
 *   /login/finish  hands a successful login to its front door (the OIDC
 *                  door issues the code and redirects to the app).
 *   /login/result  the outcome page when there is no way forward (no
 *                  access, Plex unavailable, PIN expired).
 *   /login/return  where Plex sends a full-page sign-in back (forwardUrl).
 *   /login/popup-done  where Plex sends the popup back.
 *
 * A login is bound to the browser that started it by the browser-id
 * cookie (HttpOnly, SameSite=Lax; __Host- and Secure when the issuer is
 * https), so a PIN approved by someone else cannot be finished in a
 * victim's browser (login CSRF). The PIN never appears in forwardUrl.
 *
 * Front doors (the OIDC endpoints, forward auth) start logins with
 * login_http_begin() and get them back through their login_door_ops_t.
 */
#ifndef PO_LOGIN_LOGIN_HTTP_H
#define PO_LOGIN_LOGIN_HTTP_H

#include <stdbool.h>

#include "config/config.h"
#include "http/router.h"
#include "login/login.h"
#include "login/login_flow.h"
#include "metrics.h"
#include "store/store.h"
#include "ui/ui.h"

/* The browser-id cookie: plain over http (loopback testing), else with the
 * prefix the browser enforces (RFC 6265bis §4.1.3.2: Secure, Path=/, no
 * Domain, so a sibling subdomain cannot plant one). */
#define LOGIN_BID_COOKIE "plexoidc_bid"
#define LOGIN_BID_COOKIE_HOST "__Host-plexoidc_bid"

/* What a front door does with its logins. */
typedef struct login_door_ops {
	/* The login is DONE and consumed: answer with the way back to the app
	 * (a redirect), or an error page. */
	void (*finish)(void *arg, const login_t *l, http_req_t *req, http_resp_t *resp);
	/* Appends the absolute URL that starts this login over ("try again",
	 * "sign in with another account"): always one of our own. */
	int (*retry_url)(void *arg, const login_t *l, buf_t *out);
	/* The app's name for the page ("Grafana"), or NULL. */
	const char *(*app_name)(void *arg, const char *app);
} login_door_ops_t;

typedef struct login_http_opts {
	const config_t *cfg; /* issuer, [plex] auth_url and product */
	const ui_t *ui;
	store_t *store;
	login_flow_t *flow;
	metrics_t *metrics;
	const char *plex_client_id; /* X-Plex-Client-Identifier, for Plex's page */
} login_http_opts_t;

typedef struct login_http login_http_t;

/* Everything borrowed must outlive it. PO_OK or PO_ERR_NOMEM. */
int login_http_new(const login_http_opts_t *o, login_http_t **out) PO_WUR;
void login_http_free(login_http_t *lh);
/* Registers a front door (before the server starts). */
void login_http_set_door(login_http_t *lh, enum login_door door, const login_door_ops_t *ops, void *arg);
/* Adds the login pages' routes; guard classes for /login/start and
 * /login/status are given (rate limits). */
int login_http_routes(login_http_t *lh, router_t *r, int start_guard, int status_guard) PO_WUR;

/* Starts a login for this browser: l (door, app, cont set; the rest
 * zero; its bid is filled in) is stored under a new id bound to the
 * browser (a new browser-id cookie is set if it has none) and the login
 * page is the answer; with signed_in (the browser has a sign-on session)
 * the page offers "Sign out". On failure nothing is answered and the error
 * is returned: the door answers (an error redirect to the app). */
int login_http_begin(login_http_t *lh, login_t *l, bool signed_in, http_req_t *req, http_resp_t *resp);

#endif
