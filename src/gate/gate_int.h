/*
 * gate_int.h - what the files of the gate share (not a public interface:
 * gate.h is). gate.c holds the state, the routes and the answers both
 * halves give; gate_check.c the checks the proxies ask for; gate_login.c
 * the sign-in round trip and the login pages' GATE door.
 */
#ifndef PO_GATE_GATE_INT_H
#define PO_GATE_GATE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "gate/gate.h"
#include "gate/gate_cache.h"
#include "gate/gate_url.h"
#include "session/session.h"

/* The sign-in path, below the issuer. */
#define GATE_LOGIN_PATH "/forward-auth/login"

struct gate {
	gate_opts_t o;
	char *login_url;         /* "{issuer}/forward-auth/login?rd=" */
	char *logout_url;        /* "{issuer}/logout", absolute: pages on the apps' hosts link to it */
	char *origin;            /* the issuer's origin, "https://auth.example.com" (pages elsewhere) */
	gate_host_t issuer_host; /* its host (len 0 when it is an address) */
	gate_cache_t *cache;     /* opened cookies (gate_cache.h) */
};

/* Resumes a request suspended for an access re-check (access.h's wake). */
void gate_wake(void *conn);

/* true if the app's allow list admits who (policy.h); when not, it is
 * logged and counted. */
bool gate_admits(const gate_t *g, const config_app_t *app, const identity_t *who);
/* The name of an app for people: its name (the id by default). */
const char *gate_app_label(const config_app_t *app);

/* Appends the sign-in URL that brings the browser back to rd (checked by
 * the caller): "{issuer}/forward-auth/login?rd=" and rd form-encoded. */
int gate_login_location(const gate_t *g, const char *rd, buf_t *out) PO_WUR;

/* Hands the browser the forward-auth cookie of session s (sealed now, on
 * cookie_domain, until the session expires). When req (on the issuer's
 * host) carried that cookie more than once, the others are removed too:
 * see gate.c. PO_OK or an error (the caller answers with an error page). */
int gate_hand_over(gate_t *g, const keyring_t *ring, const session_t *s, const http_req_t *req, http_resp_t *resp,
    int64_t now) PO_WUR;
/* Ends session s before its time (the share is gone, plex.tv refused its
 * token): its id is revoked and its re-check forgotten, and the answer
 * removes the forward-auth cookie (and, on the issuer's host, the sign-on
 * session cookie). */
void gate_end_session(gate_t *g, const session_t *s, http_resp_t *resp, bool on_issuer_host);

/* The pages. elsewhere: the answer is shown on a guarded app's host
 * (assets from the issuer, page.h), not on the issuer's. */
void gate_denied_page(const gate_t *g, http_resp_t *resp, bool elsewhere, const char *account, const char *app);
void gate_unavailable_page(const gate_t *g, http_resp_t *resp, bool elsewhere);
void gate_error_page(const gate_t *g, http_resp_t *resp, int status, const char *heading, const char *text,
    const char *detail);

/* gate_check.c: the endpoints of the proxies. */
void gate_forward_auth(void *g, http_req_t *req, http_resp_t *resp);
void gate_auth_request(void *g, http_req_t *req, http_resp_t *resp);
/* gate_login.c: the sign-in, and the door. */
void gate_login(void *g, http_req_t *req, http_resp_t *resp);
extern const login_door_ops_t gate_door;

#endif
