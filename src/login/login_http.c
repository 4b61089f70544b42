/*
 * login_http.c - the login page's endpoints (see login_http.h). The
 * handlers only translate between HTTP and login events: every decision is
 * login_step()'s, every plex.tv call login_flow's.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/str.h"
#include "http/cookie.h"
#include "http/form.h"
#include "login/login_http.h"
#include "login/logins.h"
#include "po_limits.h"
#include "session/session.h"
#include "ui/page.h"

/* "Plex is not answering": when to come back (seconds, as text). Plex
 * outages are usually brief. */
#define LOGIN_UNAVAILABLE_RETRY_AFTER "30"

struct login_http {
	login_http_opts_t o;
	const char *bid_cookie;
	struct {
		const login_door_ops_t *ops;
		void *arg;
	} doors[LOGIN_DOOR_COUNT];
};

int
login_http_new(const login_http_opts_t *o, login_http_t **out)
{
	login_http_t *lh = calloc(1, sizeof(*lh));

	*out = NULL;
	if (lh == NULL)
		return PO_ERR_NOMEM;
	lh->o = *o;
	lh->bid_cookie = o->cfg->issuer_https ? LOGIN_BID_COOKIE_HOST : LOGIN_BID_COOKIE;
	*out = lh;
	return PO_OK;
}

void
login_http_free(login_http_t *lh)
{
	free(lh);
}

void
login_http_set_door(login_http_t *lh, enum login_door door, const login_door_ops_t *ops, void *arg)
{
	if ((unsigned)door < LOGIN_DOOR_COUNT) {
		lh->doors[door].ops = ops;
		lh->doors[door].arg = arg;
	}
}

/* ---- the browser and its login ---- */

/* The browser id from the request's cookie into out (LOGIN_ID_SIZE); false
 * if there is none or it is malformed. */
static bool
browser_id(const login_http_t *lh, const http_req_t *req, char *out)
{
	const char *v;
	size_t n;

	if (req->cookie == NULL || cookie_get(req->cookie, strlen(req->cookie), lh->bid_cookie, &v, &n) != PO_OK ||
	    n != LOGIN_ID_CHARS)
		return false;
	memcpy(out, v, n);
	out[n] = '\0';
	return logins_id_ok(out);
}

/* One request's view of its login. */
struct req_login {
	char id[LOGIN_ID_SIZE];
	char bid[LOGIN_ID_SIZE];
	login_t l; /* the record after the event */
	login_effect_t eff;
};

/* Applies ev to the login named by ?l= if it belongs to this browser.
 * PO_OK, PO_ERR_INVALID (refused in its state; rl->l holds the record),
 * PO_ERR_NOTFOUND (none for this browser) or another error. */
static int
req_apply(login_http_t *lh, const http_req_t *req, enum login_event ev, struct req_login *rl)
{
	login_event_data_t e = { .ev = ev };
	form_t q = { 0 };
	const char *id;
	int rc = PO_ERR_NOTFOUND;

	memset(rl, 0, sizeof(*rl));
	if (!browser_id(lh, req, rl->bid) || form_parse(req->query, req->query_len, &q) != PO_OK ||
	    (id = form_get(&q, "l")) == NULL || !logins_id_ok(id))
		goto out;
	memcpy(rl->id, id, LOGIN_ID_CHARS + 1);
	rc = logins_apply(lh->o.store, rl->id, rl->bid, &e, clock_now_ms(), &rl->l, &rl->eff);
out:
	form_clear(&q);
	return rc;
}

static void
req_login_clear(struct req_login *rl)
{
	login_clear(&rl->l);
	str_wipe(rl->bid, sizeof(rl->bid));
}

static const char *
base(const login_http_t *lh)
{
	return lh->o.cfg->issuer_path;
}

static void
page_gone(login_http_t *lh, http_resp_t *resp)
{
	page_error(lh->o.ui, base(lh), resp, 400, "expired", "This sign-in has expired",
	    "Sign-in pages are valid for a limited time and only in the browser that opened them. "
	    "Go back to the app and sign in again.",
	    NULL, NULL);
}

/* "The store cannot be reached": when to come back (seconds, as text). A
 * Redis restart or failover takes seconds. */
#define LOGIN_STORE_RETRY_AFTER "5"

/* The store could not be read or written (a shared store out of reach):
 * try again, never "denied". */
static void
page_unavailable(login_http_t *lh, http_resp_t *resp)
{
	page_error(lh->o.ui, base(lh), resp, 503, "unavailable", "Something went wrong",
	    "The sign-in could not be continued. Please try again in a moment.", NULL, NULL);
	(void)http_resp_fail(resp, http_resp_header(resp, "Retry-After", LOGIN_STORE_RETRY_AFTER));
}

static const char *
app_name(const login_http_t *lh, const login_t *l)
{
	const login_door_ops_t *d = lh->doors[l->door].ops;

	return d && d->app_name ? d->app_name(lh->doors[l->door].arg, l->app) : NULL;
}

/* The login page for login id in state ("idle" or "waiting"). */
static void
render_login(login_http_t *lh, http_resp_t *resp, const char *id, const char *state, const login_t *l,
    bool signed_in)
{
	const char *name = app_name(lh, l);
	ui_var_t vars[] = {
		{ "login_id", id },
		{ "state", state },
		{ "client_name", name ? name : "" },
		{ "signed_in", signed_in ? "1" : NULL },
	};

	page_render(lh->o.ui, base(lh), resp, 200, "login.html", vars, sizeof(vars) / sizeof(vars[0]));
}

int
login_http_begin(login_http_t *lh, login_t *l, bool signed_in, http_req_t *req, http_resp_t *resp)
{
	char id[LOGIN_ID_SIZE];
	bool new_bid = false;
	buf_t cookie;
	int rc;

	buf_init(&cookie, LIM_COOKIE_HEADER_MAX);
	if (!browser_id(lh, req, l->bid)) {
		if ((rc = rnd_token(l->bid, sizeof(l->bid), LIM_RANDOM_TOKEN_BYTES)) != PO_OK)
			goto out;
		new_bid = true;
	}
	l->st = LOGIN_IDLE;
	if ((rc = logins_create(lh->o.store, l, id)) != PO_OK)
		goto out;
	/* A session cookie: it only has to outlive one sign-in. */
	if (new_bid && (rc = cookie_format(&cookie, lh->bid_cookie, l->bid, "/", -1, lh->o.cfg->issuer_https)) != PO_OK)
		goto out;
	if (new_bid && (rc = http_resp_header(resp, "Set-Cookie", buf_str(&cookie))) != PO_OK)
		goto out;
	metrics_inc(lh->o.metrics, M_LOGINS_STARTED);
	render_login(lh, resp, id, "idle", l, signed_in);
out:
	if (rc != PO_OK)
		log_error_fr(rc, "cannot start a login");
	buf_free(&cookie);
	str_wipe(id, sizeof(id));
	return rc;
}

/* ---- /login/start ---- */

/* Plex's sign-in app, for the PIN code (docs/PLEX-API.md "The PIN login"):
 * the parameters are in the fragment; forwardUrl brings a full-page sign-in
 * back to us. Never the PIN in forwardUrl: only the login id, useless
 * without this browser's cookie. */
static int
plex_auth_location(login_http_t *lh, const char *id, const char *code, bool full_page, buf_t *out)
{
	const config_t *cfg = lh->o.cfg;
	buf_t fwd;
	int rc;

	buf_init(&fwd, LIM_URL_MAX * 2);
	if ((rc = buf_puts(&fwd, cfg->issuer)) != PO_OK ||
	    (rc = buf_puts(&fwd, full_page ? "/login/return?l=" : "/login/popup-done")) != PO_OK ||
	    (full_page && (rc = buf_puts(&fwd, id)) != PO_OK))
		goto out;
	if ((rc = buf_puts(out, cfg->plex_auth_url)) != PO_OK || (rc = buf_puts(out, "#?clientID=")) != PO_OK ||
	    (rc = form_encode(out, lh->o.plex_client_id)) != PO_OK || (rc = buf_puts(out, "&code=")) != PO_OK ||
	    (rc = form_encode(out, code)) != PO_OK ||
	    (rc = buf_puts(out, "&context%5Bdevice%5D%5Bproduct%5D=")) != PO_OK ||
	    (rc = form_encode(out, cfg->plex_product)) != PO_OK || (rc = buf_puts(out, "&forwardUrl=")) != PO_OK)
		goto out;
	rc = form_encode(out, buf_str(&fwd));
out:
	buf_free(&fwd);
	return rc;
}

static void result_page(login_http_t *lh, http_resp_t *resp, const char *id, const login_t *l);
static void popup_done(void *arg, http_req_t *req, http_resp_t *resp);

/* Called by the flow once the PIN's outcome is in the record. */
static void
resume(void *conn)
{
	http_resume(conn);
}

static void
login_start(void *arg, http_req_t *req, http_resp_t *resp)
{
	login_http_t *lh = arg;
	struct req_login rl;
	form_t q = { 0 };
	bool full_page;
	buf_t loc;
	int rc;

	buf_init(&loc, LIM_URL_MAX * 4);
	/* After a resume the PIN attempt has ended: show its outcome rather
	 * than starting another (which could loop while plex.tv fails). */
	rc = req_apply(lh, req, req->reentry ? LEV_VIEW : LEV_START, &rl);
	if (rc == PO_ERR_NOTFOUND) {
		page_gone(lh, resp);
		goto out;
	}
	if (rc != PO_OK) {
		page_unavailable(lh, resp);
		goto out;
	}
	if (rl.eff.create_pin) {
		/* Suspend before the call: its callback may resume at once. */
		http_req_suspend(req, resp);
		if (login_flow_create_pin(lh->o.flow, rl.id, resume, req->conn) != PO_OK)
			http_resume(req->conn); /* the login is UNAVAILABLE now */
		goto out;
	}
	full_page = form_parse(req->query, req->query_len, &q) == PO_OK && str_eq(form_get(&q, "mode"), "redirect");
	switch (rl.l.st) {
	case LOGIN_PIN_PENDING:
		/* Another request of this browser is creating the PIN (a double
		 * click): come back in a second. */
		page_error(lh->o.ui, base(lh), resp, 200, "waiting", "Connecting to Plex…", "One moment.", NULL, NULL);
		(void)http_resp_fail(resp, http_resp_header(resp, "Refresh", "1"));
		break;
	case LOGIN_WAITING:
		if ((rc = plex_auth_location(lh, rl.id, rl.l.pin_code, full_page, &loc)) != PO_OK) {
			log_error_fr(rc, "cannot build the Plex sign-in URL");
			page_unavailable(lh, resp);
			break;
		}
		resp->status = 302;
		if (http_resp_header(resp, "Location", buf_str(&loc)) == PO_OK)
			(void)http_resp_fail(resp, http_resp_header(resp, "Cache-Control", "no-store"));
		break;
	case LOGIN_CHECKING:
	case LOGIN_DONE:
		/* The page's poll moves on; this window can close. */
		popup_done(lh, req, resp);
		break;
	default:
		result_page(lh, resp, rl.id, &rl.l);
		break;
	}
out:
	req_login_clear(&rl);
	form_clear(&q);
	buf_free(&loc);
}

/* ---- /login/status ---- */

static void
login_status(void *arg, http_req_t *req, http_resp_t *resp)
{
	login_http_t *lh = arg;
	struct req_login rl;
	json_t *j = NULL;
	char *s = NULL;
	const char *name;
	buf_t next;
	int rc;

	buf_init(&next, LIM_URL_MAX);
	rc = req_apply(lh, req, LEV_POLL, &rl);
	if (rc == PO_ERR_NOTFOUND) {
		/* Expired, or not this browser's: the result page says why. */
		name = "expired";
		rc = buf_appendf(&next, "%s/login/result?l=", base(lh));
	} else if (rc != PO_OK) {
		name = "unavailable";
		rc = PO_OK; /* the page shows "try again" and polls on */
	} else {
		if (rl.eff.poll_pin)
			(void)login_flow_poll(lh->o.flow, rl.id, rl.l.pin_id); /* on failure the next poll retries */
		name = login_page_state(rl.l.st);
		if (rl.l.st == LOGIN_DONE)
			rc = buf_appendf(&next, "%s/login/finish?l=%s", base(lh), rl.id);
		else if (rl.l.st >= LOGIN_DENIED)
			rc = buf_appendf(&next, "%s/login/result?l=%s", base(lh), rl.id);
	}
	if (rc != PO_OK || (j = json_object()) == NULL || json_object_set_new(j, "state", json_string(name)) != 0 ||
	    (next.len && json_object_set_new(j, "next", json_string(buf_str(&next))) != 0) ||
	    (s = json_dumps(j, JSON_COMPACT)) == NULL) {
		(void)http_resp_fail(resp, rc != PO_OK ? rc : PO_ERR_NOMEM);
		goto out;
	}
	if (http_resp_text(resp, 200, "application/json", s) == PO_OK)
		(void)http_resp_fail(resp, http_resp_header(resp, "Cache-Control", "no-store"));
out:
	req_login_clear(&rl);
	json_decref(j);
	free(s);
	buf_free(&next);
}

/* ---- /login/finish ---- */

static void
login_finish(void *arg, http_req_t *req, http_resp_t *resp)
{
	login_http_t *lh = arg;
	struct req_login rl;
	const login_door_ops_t *d;
	int rc;

	/* One login, one outcome: the record is removed as it is handed over. */
	rc = req_apply(lh, req, LEV_FINISH, &rl);
	if (rc == PO_ERR_NOTFOUND)
		page_gone(lh, resp);
	else if (rc == PO_ERR_INVALID)
		result_page(lh, resp, rl.id, &rl.l); /* not done: where it stands */
	else if (rc != PO_OK || (d = lh->doors[rl.l.door].ops) == NULL)
		page_unavailable(lh, resp);
	else if (rl.l.sess &&
	    session_set_cookie(resp, lh->o.cfg->issuer_https, rl.l.sess, clock_now_s() + lh->o.cfg->session_lifetime_s,
	        clock_now_s()) != PO_OK)
		page_unavailable(lh, resp); /* the header did not fit: no half sign-in */
	else
		/* The browser keeps its new sign-on session whatever the door
		 * answers: another app may admit the user even if this one does
		 * not. */
		d->finish(lh->doors[rl.l.door].arg, &rl.l, req, resp);
	req_login_clear(&rl);
}

/* ---- /login/result ---- */

static void
result_page(login_http_t *lh, http_resp_t *resp, const char *id, const login_t *l)
{
	const login_door_ops_t *d = lh->doors[l->door].ops;
	const char *again;
	buf_t retry;

	buf_init(&retry, LIM_LOGIN_CONT_MAX + LIM_URL_MAX);
	/* "Try again" replays the app's own request against our own endpoint:
	 * never a redirect elsewhere. */
	if (d == NULL || d->retry_url(lh->doors[l->door].arg, l, &retry) != PO_OK)
		buf_reset(&retry);
	again = retry.len ? buf_str(&retry) : NULL;
	switch (l->st) {
	case LOGIN_DENIED:
		if (l->denied_reason == LOGIN_DENIED_UNVERIFIABLE) {
			/* docs/SECURITY.md "owner_id": not the user's doing. */
			ui_var_t vars[] = {
				{ "kind", "denied" },
				{ "heading", "Your access could not be confirmed" },
				{ "text", "Plex did not say who shared this server with your account, so this sign-in service "
				          "could not confirm your access. This is not something you did wrong." },
				{ "account", l->account },
				{ "detail", "Let the server's owner know: the details are in the sign-in service's log." },
				{ "primary_url", again },
				{ "primary_label", "Try again" },
			};
			page_message(lh->o.ui, base(lh), resp, 403, vars, sizeof(vars) / sizeof(vars[0]));
			break;
		} else {
			ui_var_t vars[] = {
				{ "kind", "denied" },
				{ "heading", "No access for this Plex account" },
				{ "text", "This Plex server is not shared with the account you signed in with." },
				{ "account", l->account },
				{ "detail", "Ask the server's owner to share their Plex server with this account, then try again. "
				            "If you have another Plex account that has access, sign in with that one: in the Plex "
				            "window, sign out first, then sign in with the other account." },
				{ "primary_url", again },
				{ "primary_label", "Sign in with another Plex account" },
			};
			page_message(lh->o.ui, base(lh), resp, 403, vars, sizeof(vars) / sizeof(vars[0]));
		}
		break;
	case LOGIN_UNAVAILABLE:
		page_error(lh->o.ui, base(lh), resp, 503, "unavailable", "Plex is not answering",
		    "Plex's sign-in service did not respond, so we could not check your account. This is usually brief: "
		    "please try again in a minute.",
		    again, "Try again");
		(void)http_resp_fail(resp, http_resp_header(resp, "Retry-After", LOGIN_UNAVAILABLE_RETRY_AFTER));
		break;
	case LOGIN_EXPIRED:
		page_error(lh->o.ui, base(lh), resp, 400, "expired", "This sign-in timed out",
		    "The Plex sign-in was not completed in time. Start again when you are ready.", again, "Start again");
		break;
	case LOGIN_ERROR:
		page_error(lh->o.ui, base(lh), resp, 400, "error", "Sign-in did not complete",
		    "Plex did not confirm the sign-in. Please sign in again.", again, "Sign in again");
		break;
	default:
		/* Still in progress: back to the page. */
		render_login(lh, resp, id, l->st == LOGIN_IDLE ? "idle" : "waiting", l, false);
		break;
	}
	buf_free(&retry);
}

static void
login_result(void *arg, http_req_t *req, http_resp_t *resp)
{
	login_http_t *lh = arg;
	struct req_login rl;
	int rc = req_apply(lh, req, LEV_VIEW, &rl);

	if (rc == PO_ERR_NOTFOUND)
		page_gone(lh, resp);
	else if (rc != PO_OK)
		page_unavailable(lh, resp);
	else
		result_page(lh, resp, rl.id, &rl.l);
	req_login_clear(&rl);
}

/* ---- /login/return and /login/popup-done ---- */

static void
login_return(void *arg, http_req_t *req, http_resp_t *resp)
{
	login_http_t *lh = arg;
	struct req_login rl;
	int rc = req_apply(lh, req, LEV_VIEW, &rl);

	if (rc == PO_ERR_NOTFOUND)
		page_gone(lh, resp);
	else if (rc != PO_OK)
		page_unavailable(lh, resp);
	else
		render_login(lh, resp, rl.id, "waiting", &rl.l, false);
	req_login_clear(&rl);
}

static void
popup_done(void *arg, http_req_t *req, http_resp_t *resp)
{
	login_http_t *lh = arg;

	page_render(lh->o.ui, base(lh), resp, 200, "popup-done.html", NULL, 0);
}

int
login_http_routes(login_http_t *lh, router_t *r, int start_guard, int status_guard)
{
	const route_t routes[] = {
		{ "/login/start", false, ROUTE_GET, false, start_guard, login_start, lh },
		{ "/login/status", false, ROUTE_GET, false, status_guard, login_status, lh },
		{ "/login/finish", false, ROUTE_GET, false, -1, login_finish, lh },
		{ "/login/result", false, ROUTE_GET, false, -1, login_result, lh },
		{ "/login/return", false, ROUTE_GET, false, -1, login_return, lh },
		{ "/login/popup-done", false, ROUTE_GET, false, -1, popup_done, lh },
	};

	return router_add_all(r, routes, sizeof(routes) / sizeof(routes[0]));
}
