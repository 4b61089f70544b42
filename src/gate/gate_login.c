/*
 * gate_login.c - the sign-in round trip of forward auth (see gate.h):
 * GET /forward-auth/login?rd=URL on the issuer's host, and the login
 * pages' GATE door.
 *
 *   1. rd is checked before anything else (gate_url.h): a bad one gets an
 *      error page, never a redirect.
 *   2. A browser with a sign-on session (the provider's cookie) is handed
 *      the forward-auth cookie at once, after the access re-check if one is
 *      due: single sign-on across both front doors, no page shown. A
 *      session written before the Plex username was kept with it
 *      (identity.h) signs in again instead, so Remote-User is never a guess.
 *   3. Any other browser gets the login page; when it is done, the door
 *      hands the new session over the same way.
 *   4. Back to rd when the app's allow list admits the user, else the
 *      no-access page naming the app (the cookie stays: other apps may
 *      admit them).
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "gate/gate_int.h"
#include "gate/gate_url.h"
#include "http/form.h"
#include "po_limits.h"

/* Back to rd (checked), or the page saying the app refuses who. */
static void
finish(gate_t *g, const keyring_t *ring, const session_t *s, const char *rd, const gate_url_t *u,
    const http_req_t *req, http_resp_t *resp, int64_t now)
{
	const config_app_t *app = &g->o.cfg->apps[u->app];
	int rc;

	if ((rc = gate_hand_over(g, ring, s, req, resp, now)) != PO_OK) {
		/* No half sign-in: a plain 500 (server.h). */
		log_error_fr(rc, "forward auth: the session could not be handed over");
		(void)http_resp_fail(resp, rc);
		return;
	}
	if (!gate_admits(g, app, s->who)) {
		gate_denied_page(g, resp, false, s->who->name, gate_app_label(app));
		return;
	}
	resp->status = 302;
	if ((rc = http_resp_header(resp, "Location", rd)) != PO_OK ||
	    (rc = http_resp_header(resp, "Cache-Control", "no-store")) != PO_OK)
		(void)http_resp_fail(resp, rc);
}

/* "This link is not for us": shown instead of any redirect. */
static void
bad_link(gate_t *g, http_resp_t *resp, const char *rd, const char *why)
{
	log_info("forward auth: a sign-in link was refused: its return address %s", why);
	gate_error_page(g, resp, 400, "This sign-in link is not for an app here",
	    "The address to return to after signing in is not one of the apps this sign-in service guards, so "
	    "this sign-in was stopped.",
	    rd);
}

/* The browser's sign-on session, opened, not revoked, and with the Plex
 * username known (see above). */
static bool
signed_in(gate_t *g, const keyring_t *ring, const http_req_t *req, int64_t now, session_t *s)
{
	const config_t *cfg = g->o.cfg;

	if (session_from_request(ring, cfg->issuer, cfg->issuer_https, now, req, s) != PO_OK)
		return false;
	if (session_check_revoked(g->o.store, s->sid) != PO_OK || s->who->username == NULL) {
		session_clear(s);
		return false;
	}
	return true;
}

/* A fresh Plex sign-in, coming back through the door. */
static void
show_login(gate_t *g, const char *rd, const gate_url_t *u, bool has_session, http_req_t *req, http_resp_t *resp)
{
	login_t l = { 0 };
	int rc = PO_ERR_NOMEM;

	l.door = LOGIN_DOOR_GATE;
	if ((l.app = str_dup(g->o.cfg->apps[u->app].id)) == NULL || (l.cont = str_dup(rd)) == NULL ||
	    (rc = login_http_begin(g->o.logins, &l, has_session, req, resp)) != PO_OK) {
		log_error_fr(rc, "forward auth: cannot start a sign-in");
		gate_error_page(g, resp, 503, "Please try again", "The sign-in could not be started. Please try again in a "
		                                                  "moment.",
		    NULL);
	}
	login_clear(&l);
}

void
gate_login(void *arg, http_req_t *req, http_resp_t *resp)
{
	gate_t *g = arg;
	const config_t *cfg = g->o.cfg;
	keyring_t *ring = NULL;
	form_t f = { 0 };
	const char *rd = NULL, *why;
	access_subject_t sub;
	access_result_t ar;
	session_t s = { 0 };
	gate_url_t u;
	char *sealed = NULL;
	int64_t now;

	if (form_parse(req->query, req->query_len, &f) != PO_OK || form_count(&f, "rd") != 1 ||
	    (rd = form_get(&f, "rd")) == NULL) {
		bad_link(g, resp, NULL, "is missing or given more than once");
		goto out;
	}
	if ((why = gate_url_check(cfg, rd, strlen(rd), &u)) != NULL) {
		bad_link(g, resp, rd, why);
		goto out;
	}
	ring = keyholder_get(g->o.keys);
	now = clock_now_s();
	if (!signed_in(g, ring, req, now, &s)) {
		show_login(g, rd, &u, false, req, resp);
		goto out;
	}
	sub = (access_subject_t){ s.sid, s.plex_token, s.who->plex_id, s.who->access, s.checked, s.good };
	if (access_check(g->o.access, &sub, now, gate_wake, req->conn, &ar) != PO_OK) {
		gate_error_page(g, resp, 500, "Something went wrong", "Your sign-in could not be checked. Please try again.",
		    NULL);
		goto out;
	}
	switch (ar.st) {
	case ACCESS_WAIT:
		http_req_suspend(req, resp);
		goto out;
	case ACCESS_GONE:
		gate_end_session(g, &s, resp, true);
		gate_denied_page(g, resp, false, s.who->name, NULL);
		goto out;
	case ACCESS_SIGNED_OUT:
		/* Plex refused the session's token: sign in again. */
		gate_end_session(g, &s, resp, true);
		show_login(g, rd, &u, false, req, resp);
		goto out;
	case ACCESS_UNAVAILABLE:
		gate_unavailable_page(g, resp, false);
		goto out;
	case ACCESS_OK:
		break;
	}
	s.who->access = ar.rel;
	if (ar.updated) {
		/* The browser keeps the newer check in both cookies. */
		s.checked = ar.checked;
		s.good = ar.good;
		if (session_seal(ring, cfg->issuer, &s, &sealed) != PO_OK ||
		    session_set_cookie(resp, cfg->issuer_https, sealed, s.expires, now) != PO_OK)
			log_warn("forward auth: the session's newer access check was not stored in its cookie");
	}
	finish(g, ring, &s, rd, &u, req, resp, now);
out:
	free(sealed);
	session_clear(&s);
	keyholder_put(ring);
	form_clear(&f);
}

/* ---- the door ---- */

static void
door_finish(void *arg, const login_t *l, http_req_t *req, http_resp_t *resp)
{
	gate_t *g = arg;
	const config_t *cfg = g->o.cfg;
	keyring_t *ring = keyholder_get(g->o.keys);
	int64_t now = clock_now_s();
	session_t s = { 0 };
	gate_url_t u;
	const char *why;

	/* Checked when the login began; the config has not changed since. */
	if ((why = gate_url_check(cfg, l->cont, strlen(l->cont), &u)) != NULL) {
		bad_link(g, resp, l->cont, why);
		goto out;
	}
	/* The new sign-on session, sealed by the login flow, becomes forward
	 * auth's too: the same id, so logout ends both. */
	if (l->sess == NULL || session_open(ring, cfg->issuer, now, l->sess, strlen(l->sess), &s) != PO_OK) {
		log_error("forward auth: a sign-in ended without a session to hand over");
		gate_error_page(g, resp, 500, "Something went wrong", "The sign-in could not be completed. Please try "
		                                                      "again.",
		    NULL);
		goto out;
	}
	metrics_inc(g->o.metrics, M_LOGINS_SUCCEEDED);
	finish(g, ring, &s, l->cont, &u, req, resp, now);
out:
	session_clear(&s);
	keyholder_put(ring);
}

/* "Try again": the same sign-in link, on our own host. */
static int
door_retry_url(void *arg, const login_t *l, buf_t *out)
{
	return gate_login_location(arg, l->cont, out);
}

static const char *
door_app_name(void *arg, const char *app)
{
	const gate_t *g = arg;
	size_t i;

	for (i = 0; app != NULL && i < g->o.cfg->n_apps; i++)
		if (strcmp(g->o.cfg->apps[i].id, app) == 0)
			return gate_app_label(&g->o.cfg->apps[i]);
	return NULL;
}

const login_door_ops_t gate_door = { door_finish, door_retry_url, door_app_name };
