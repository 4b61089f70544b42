/*
 * login.c - the login page's endpoints and the Plex sign-in behind them.
 *
 *   /login/start   opened by the page (popup, or full page when popups are
 *                  blocked): creates the Plex PIN on the server and sends the
 *                  browser to Plex's sign-in app.
 *   /login/status  polled by the page; polls the PIN at plex.tv at most once
 *                  a second per login, never blocking.
 *   /login/finish  issues the authorization code and redirects to the app.
 *   /login/result  the outcome page when there is no code (no access, Plex
 *                  unavailable, PIN expired).
 *   /login/return  where Plex sends a full-page sign-in back (forwardUrl).
 *
 * Every plex.tv call is made by the server (plex-api.md, "Lessons"). The
 * calls run on the plex client's worker thread; their callbacks find the
 * login again by id (it may have expired meanwhile) and update it under the
 * store's lock. A login is bound to the browser that started it by the
 * browser-id cookie, so a PIN approved by someone else cannot be finished in
 * a victim's browser (login CSRF).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/str.h"
#include "po_limits.h"
#include "oidc/errors.h"
#include "oidc/internal.h"

/* One chain of plex.tv calls for one login. */
struct flow {
	oidc_t *o;
	char id[48];
	http_conn_t *waiter; /* a suspended /login/start to resume */
	char *token;         /* the user's Plex token: a secret */
	int64_t user_id;     /* the Plex account id */
	claims_t *claims;
	char *account;
};

static struct flow *
flow_new(oidc_t *o, const char *id)
{
	struct flow *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->o = o;
	snprintf(f->id, sizeof(f->id), "%s", id);
	return f;
}

static void
flow_free(struct flow *f)
{
	if (f == NULL)
		return;
	str_free_secret(f->token);
	claims_free(f->claims);
	free(f->account);
	free(f);
}

/* ---- finding the login of this request ---- */

struct bound {
	const char *bid;
	ttl_cache_fn fn;
	void *arg;
	bool mismatch;
};

static enum ttl_cache_action
check_bound(void *val, void *arg)
{
	login_t *l = val;
	struct bound *b = arg;

	if (!str_ct_eq(l->bid, strlen(l->bid), b->bid, strlen(b->bid))) {
		b->mismatch = true;
		return TTL_CACHE_KEEP;
	}
	return b->fn(l, b->arg);
}

/* Runs fn on the login named by ?l= if it belongs to this browser. Copies
 * the id into id (48 bytes). PO_OK or PO_ERR_NOTFOUND. */
static int
with_login(oidc_t *o, const http_req_t *req, char *id, ttl_cache_fn fn, void *arg)
{
	form_t q = { 0 };
	char bid[48];
	const char *l;
	struct bound b = { bid, fn, arg, false };
	int rc = PO_ERR_NOTFOUND;

	if (!oidc_browser_id(o, req, bid, sizeof(bid)) || form_parse(req->query, req->query_len, &q) != PO_OK)
		goto out;
	if ((l = form_get(&q, "l")) == NULL || strlen(l) >= 48)
		goto out;
	snprintf(id, 48, "%s", l);
	if (ttl_cache_with(o->logins, id, clock_mono_ms(), check_bound, &b) == PO_OK && !b.mismatch)
		rc = PO_OK;
out:
	form_clear(&q);
	return rc;
}

static void
page_gone(oidc_t *o, http_resp_t *resp)
{
	oidc_error_page(o, resp, 400, "expired", "This sign-in has expired",
	    "Sign-in pages are valid for a limited time and only in the browser that opened them. "
	    "Go back to the app and sign in again.",
	    NULL, NULL);
}

/* Runs a plex.tv call unless the server is stopping. */
#define PLEX_CALL(o, rc, call)                                                                   \
	do {                                                                                         \
		pthread_rwlock_rdlock(&(o)->plex_lock);                                                  \
		(rc) = (o)->stopping ? PO_ERR_INTERNAL : (call);                                         \
		pthread_rwlock_unlock(&(o)->plex_lock);                                                  \
	} while (0)

/* ---- plex.tv callbacks (worker thread) ---- */

struct update {
	enum plex_status st;
	const plex_pin_t *pin;
	struct flow *f;
	bool go_on;
};

static enum ttl_cache_action
set_state_locked(void *val, void *arg)
{
	((login_t *)val)->st = *(enum login_state *)arg;
	return TTL_CACHE_KEEP;
}

static void
set_state(oidc_t *o, const char *id, enum login_state st)
{
	ttl_cache_with(o->logins, id, clock_mono_ms(), set_state_locked, &st);
}

static enum ttl_cache_action
pin_created_locked(void *val, void *arg)
{
	login_t *l = val;
	struct update *u = arg;

	if (l->st != LOGIN_PIN_PENDING)
		return TTL_CACHE_KEEP;
	if (u->st == PLEX_OK && (l->pin_code = str_dup(u->pin->code)) != NULL) {
		l->pin_id = u->pin->id;
		l->st = LOGIN_WAITING;
		l->last_poll_ms = clock_mono_ms();
	} else {
		l->st = LOGIN_UNAVAILABLE;
	}
	return TTL_CACHE_KEEP;
}

static void
on_pin_created(void *arg, enum plex_status st, const plex_pin_t *pin)
{
	struct flow *f = arg;
	struct update u = { st, pin, f, false };

	if (st != PLEX_OK)
		log_warn("login: creating a Plex PIN failed: %s", plex_status_name(st));
	ttl_cache_with(f->o->logins, f->id, clock_mono_ms(), pin_created_locked, &u);
	if (f->waiter)
		http_resume(f->waiter);
	flow_free(f);
}

static void on_user(void *arg, enum plex_status st, const plex_user_t *user);
static void on_resources(void *arg, enum plex_status st, const plex_resources_t *res);

static enum ttl_cache_action
pin_checked_locked(void *val, void *arg)
{
	login_t *l = val;
	struct update *u = arg;

	l->poll_in_flight = false;
	l->last_poll_ms = clock_mono_ms();
	if (l->st != LOGIN_WAITING)
		return TTL_CACHE_KEEP;
	switch (u->st) {
	case PLEX_OK:
		l->poll_failures = 0;
		if (u->pin->auth_token && u->pin->auth_token[0]) {
			l->st = LOGIN_CHECKING;
			u->go_on = true;
		}
		break;
	case PLEX_NOT_FOUND:
		l->st = LOGIN_EXPIRED;
		break;
	case PLEX_UNAVAILABLE:
	case PLEX_UNAUTHORIZED:
		/* A single failed poll is retried on the next one: only a run of
		 * failures means Plex is down. */
		if (++l->poll_failures >= LIM_PLEX_POLL_FAILURES_MAX)
			l->st = LOGIN_UNAVAILABLE;
		break;
	case PLEX_RATE_LIMITED:
		/* "Slow down": not a failure. The next poll comes when the
		 * client's back-off allows; the login's TTL bounds the wait. */
		break;
	case PLEX_CANCELLED:
		l->st = LOGIN_UNAVAILABLE;
		break;
	}
	return TTL_CACHE_KEEP;
}

static void
on_pin_checked(void *arg, enum plex_status st, const plex_pin_t *pin)
{
	struct flow *f = arg;
	struct update u = { st, pin, f, false };

	if (ttl_cache_with(f->o->logins, f->id, clock_mono_ms(), pin_checked_locked, &u) != PO_OK || !u.go_on)
		goto done;
	if ((f->token = str_dup(pin->auth_token)) == NULL ||
	    plex_user_get(f->o->plex, f->token, on_user, f) != PO_OK) {
		set_state(f->o, f->id, LOGIN_UNAVAILABLE);
		goto done;
	}
	return; /* f goes on to on_user */
done:
	flow_free(f);
}

static void
on_user(void *arg, enum plex_status st, const plex_user_t *user)
{
	struct flow *f = arg;

	if (st == PLEX_UNAUTHORIZED) {
		log_warn("login: plex.tv did not accept the token of an approved PIN");
		set_state(f->o, f->id, LOGIN_ERROR);
		goto done;
	}
	if (st != PLEX_OK) {
		set_state(f->o, f->id, LOGIN_UNAVAILABLE);
		goto done;
	}
	f->user_id = user->id;
	if ((f->claims = claims_from_user(user, clock_now_s())) == NULL ||
	    (f->account = str_dup(plex_user_display_name(user))) == NULL ||
	    plex_resources_get(f->o->plex, f->token, on_resources, f) != PO_OK) {
		set_state(f->o, f->id, LOGIN_UNAVAILABLE);
		goto done;
	}
	return; /* f goes on to on_resources */
done:
	flow_free(f);
}

struct outcome {
	struct flow *f;
	enum plex_access access;
};

static enum ttl_cache_action
outcome_locked(void *val, void *arg)
{
	login_t *l = val;
	struct outcome *oc = arg;

	if (l->st != LOGIN_CHECKING)
		return TTL_CACHE_KEEP;
	if (oc->access == PLEX_ACCESS_NONE) {
		l->st = LOGIN_DENIED;
		free(l->account);
		l->account = oc->f->account;
		oc->f->account = NULL; /* transferred */
	} else {
		l->st = LOGIN_DONE;
		claims_free(l->claims);
		l->claims = oc->f->claims;
		oc->f->claims = NULL; /* transferred */
	}
	return TTL_CACHE_KEEP;
}

static void
on_resources(void *arg, enum plex_status st, const plex_resources_t *res)
{
	struct flow *f = arg;
	struct outcome oc = { f, PLEX_ACCESS_NONE };

	if (st != PLEX_OK) {
		set_state(f->o, f->id, st == PLEX_UNAUTHORIZED ? LOGIN_ERROR : LOGIN_UNAVAILABLE);
		goto done;
	}
	oc.access = plex_resources_access_owner(res, f->o->cfg->plex_server_id, f->user_id, f->o->cfg->plex_owner_id);
	if (f->o->setup_mode) {
		/* Setup: any account may sign in to see the servers it owns. */
		oidc_setup_remember(f->o, f->claims->sub, f->user_id, res);
		oc.access = PLEX_ACCESS_OWNER;
	}
	/* The uuid and name are not secrets; they make the log useful. */
	log_info("login: Plex account %s (%s): %s", f->claims->sub, f->account,
	    oc.access == PLEX_ACCESS_NONE ? "no access to the server, denied" : plex_access_name(oc.access));
	if (oc.access == PLEX_ACCESS_NONE)
		__atomic_add_fetch(&f->o->metrics.logins_denied, 1, __ATOMIC_RELAXED);
	ttl_cache_with(f->o->logins, f->id, clock_mono_ms(), outcome_locked, &oc);
done:
	flow_free(f);
}

/* ---- /login/start ---- */

struct start_view {
	bool may_restart; /* a fresh click, not the re-entry after a resume */
	enum login_state st;
	char *pin_code;
	bool begin; /* this request moves IDLE -> PIN_PENDING */
};

static enum ttl_cache_action
start_locked(void *val, void *arg)
{
	login_t *l = val;
	struct start_view *v = arg;

	if (l->st == LOGIN_IDLE ||
	    (v->may_restart && (l->st == LOGIN_UNAVAILABLE || l->st == LOGIN_EXPIRED || l->st == LOGIN_ERROR))) {
		/* (Re)start: a new PIN. Also after a failure, so "try again" in
		 * the same page works. */
		free(l->pin_code);
		l->pin_code = NULL;
		l->poll_failures = 0;
		l->st = LOGIN_PIN_PENDING;
		v->begin = true;
	}
	v->st = l->st;
	if (l->st == LOGIN_WAITING && l->pin_code)
		v->pin_code = str_dup(l->pin_code);
	return TTL_CACHE_KEEP;
}

static int
plex_auth_location(oidc_t *o, const char *id, const char *code, bool full_page, buf_t *out)
{
	buf_t fwd;
	int rc;

	buf_init(&fwd, LIM_URL_MAX * 2);
	/* Never the PIN in forwardUrl (plex-api.md): only the login id, which
	 * is useless without this browser's cookie. */
	rc = oidc_url(o, &fwd, full_page ? "/login/return?l=" : "/login/popup-done");
	if (rc == PO_OK && full_page)
		rc = buf_puts(&fwd, id);
	if (rc == PO_OK)
		rc = buf_puts(out, o->cfg->plex_auth_url);
	if (rc == PO_OK)
		rc = buf_puts(out, "#?clientID=");
	if (rc == PO_OK)
		rc = form_encode(out, o->plex_client_id);
	if (rc == PO_OK)
		rc = buf_puts(out, "&code=");
	if (rc == PO_OK)
		rc = form_encode(out, code);
	if (rc == PO_OK)
		rc = buf_puts(out, "&context%5Bdevice%5D%5Bproduct%5D=");
	if (rc == PO_OK)
		rc = form_encode(out, o->cfg->plex_product);
	if (rc == PO_OK)
		rc = buf_puts(out, "&forwardUrl=");
	if (rc == PO_OK)
		rc = form_encode(out, buf_str(&fwd));
	buf_free(&fwd);
	return rc;
}

static void result_page(oidc_t *o, http_req_t *req, http_resp_t *resp);

void
oidc_login_start(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	struct start_view v = { 0 };
	struct flow *f = NULL;
	form_t q = { 0 };
	bool full_page;
	char id[48];
	buf_t loc;
	int rc;

	buf_init(&loc, LIM_URL_MAX * 4);
	/* After a resume the PIN attempt has ended: show its outcome rather
	 * than starting another (which could loop while plex.tv fails). */
	v.may_restart = req->reentry == 0;
	if (with_login(o, req, id, start_locked, &v) != PO_OK) {
		page_gone(o, resp);
		goto out;
	}
	full_page = form_parse(req->query, req->query_len, &q) == PO_OK && str_eq(form_get(&q, "mode"), "redirect");
	if (v.begin) {
		if ((f = flow_new(o, id)) == NULL) {
			set_state(o, id, LOGIN_UNAVAILABLE);
			result_page(o, req, resp);
			goto out;
		}
		f->waiter = req->conn;
		/* Suspend before the call: its callback may resume at once. */
		http_req_suspend(req, resp);
		PLEX_CALL(o, rc, plex_pin_create(o->plex, on_pin_created, f));
		if (rc != PO_OK) {
			set_state(o, id, LOGIN_UNAVAILABLE);
			http_resume(req->conn);
			flow_free(f);
		}
		goto out;
	}
	if (v.st == LOGIN_PIN_PENDING) {
		/* Another request of this browser is creating the PIN (a double
		 * click): come back in a second. */
		oidc_error_page(o, resp, 200, "waiting", "Connecting to Plex…", "One moment.", NULL, NULL);
		http_resp_header(resp, "Refresh", "1");
		goto out;
	}
	if (v.st == LOGIN_WAITING && v.pin_code) {
		if (plex_auth_location(o, id, v.pin_code, full_page, &loc) != PO_OK) {
			set_state(o, id, LOGIN_ERROR);
			result_page(o, req, resp);
			goto out;
		}
		resp->status = 302;
		http_resp_header(resp, "Location", buf_str(&loc));
		http_resp_header(resp, "Cache-Control", "no-store");
		goto out;
	}
	/* Checking, done, or failed: the page's poll moves on; this window
	 * shows where things stand. */
	if (v.st == LOGIN_CHECKING || v.st == LOGIN_DONE)
		oidc_login_popup_done(o, req, resp);
	else
		result_page(o, req, resp);
out:
	free(v.pin_code);
	form_clear(&q);
	buf_free(&loc);
}

/* ---- /login/status ---- */

struct status_view {
	enum login_state st;
	int64_t pin_id;
	bool poll_now;
};

static enum ttl_cache_action
status_locked(void *val, void *arg)
{
	login_t *l = val;
	struct status_view *v = arg;
	int64_t now = clock_mono_ms();

	v->st = l->st;
	if (l->st == LOGIN_WAITING && !l->poll_in_flight && now - l->last_poll_ms >= LIM_PLEX_POLL_INTERVAL_MS) {
		l->poll_in_flight = true;
		l->last_poll_ms = now;
		v->poll_now = true;
		v->pin_id = l->pin_id;
	}
	return TTL_CACHE_KEEP;
}

static enum ttl_cache_action
poll_failed_locked(void *val, void *arg)
{
	((login_t *)val)->poll_in_flight = false;
	return TTL_CACHE_KEEP;
}

static const char *
state_name(enum login_state st)
{
	switch (st) {
	case LOGIN_IDLE: return "idle";
	case LOGIN_PIN_PENDING:
	case LOGIN_WAITING:
	case LOGIN_CHECKING: return "waiting";
	case LOGIN_DONE: return "done";
	case LOGIN_DENIED: return "denied";
	case LOGIN_UNAVAILABLE: return "unavailable";
	case LOGIN_EXPIRED: return "expired";
	case LOGIN_ERROR: return "error";
	}
	return "error";
}

void
oidc_login_status(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	struct status_view v = { 0 };
	struct flow *f = NULL;
	json_t *j = NULL;
	char id[48], *s = NULL;
	const char *name;
	buf_t next;
	int rc;

	buf_init(&next, LIM_URL_MAX);
	http_resp_header(resp, "Cache-Control", "no-store");
	if (with_login(o, req, id, status_locked, &v) != PO_OK) {
		/* Expired, or not this browser's: the page shows the reason. */
		name = "expired";
		buf_appendf(&next, "%s/login/result?l=", o->cfg->issuer_path);
	} else {
		if (v.poll_now) {
			rc = PO_ERR_NOMEM;
			if ((f = flow_new(o, id)) != NULL)
				PLEX_CALL(o, rc, plex_pin_check(o->plex, v.pin_id, on_pin_checked, f));
			if (rc != PO_OK) {
				flow_free(f);
				ttl_cache_with(o->logins, id, clock_mono_ms(), poll_failed_locked, NULL);
			}
		}
		name = state_name(v.st);
		if (v.st == LOGIN_DONE)
			buf_appendf(&next, "%s/login/finish?l=%s", o->cfg->issuer_path, id);
		else if (v.st >= LOGIN_DENIED)
			buf_appendf(&next, "%s/login/result?l=%s", o->cfg->issuer_path, id);
	}
	if ((j = json_object()) == NULL)
		goto fail;
	json_object_set_new(j, "state", json_string(name));
	if (next.len)
		json_object_set_new(j, "next", json_string(buf_str(&next)));
	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		goto fail;
	http_resp_text(resp, 200, "application/json", s, strlen(s));
	goto out;
fail:
	http_resp_text(resp, 500, "application/json", "{\"state\":\"error\"}", 17);
out:
	json_decref(j);
	free(s);
	buf_free(&next);
}

/* ---- /login/finish ---- */

struct finish_view {
	bool done;
	authz_req_t req;
	claims_t *claims;
};

static enum ttl_cache_action
finish_locked(void *val, void *arg)
{
	login_t *l = val;
	struct finish_view *v = arg;

	if (l->st != LOGIN_DONE || l->claims == NULL)
		return TTL_CACHE_KEEP;
	if (authz_req_copy(&v->req, &l->req) != PO_OK)
		return TTL_CACHE_KEEP;
	v->claims = l->claims;
	l->claims = NULL; /* transferred */
	v->done = true;
	return TTL_CACHE_REMOVE; /* one login, one code */
}

void
oidc_login_finish(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	struct finish_view v = { 0 };
	code_grant_t *g = NULL;
	char id[48], code[48];
	buf_t loc;
	int rc;

	buf_init(&loc, LIM_URL_MAX * 4);
	if (with_login(o, req, id, finish_locked, &v) != PO_OK) {
		page_gone(o, resp);
		goto out;
	}
	if (!v.done) {
		result_page(o, req, resp);
		goto out;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL || rnd_token(code, sizeof(code), LIM_RANDOM_TOKEN_BYTES) != PO_OK)
		goto fail;
	g->req = v.req;
	memset(&v.req, 0, sizeof(v.req)); /* transferred */
	g->claims = v.claims;
	v.claims = NULL; /* transferred */
	g->issued_ms = clock_mono_ms();
	/* RFC 6749 §4.1.2: code, state; RFC 9207: iss. */
	rc = buf_puts(&loc, g->req.redirect_uri);
	if (rc == PO_OK)
		rc = buf_puts(&loc, strchr(g->req.redirect_uri, '?') ? "&code=" : "?code=");
	if (rc == PO_OK)
		rc = buf_puts(&loc, code);
	if (rc == PO_OK && g->req.state) {
		if ((rc = buf_puts(&loc, "&state=")) == PO_OK)
			rc = form_encode(&loc, g->req.state);
	}
	if (rc == PO_OK && (rc = buf_puts(&loc, "&iss=")) == PO_OK)
		rc = form_encode(&loc, o->cfg->issuer);
	if (rc != PO_OK)
		goto fail;
	rc = ttl_cache_put(o->codes, code, g, clock_mono_ms());
	g = NULL; /* transferred */
	if (rc != PO_OK)
		goto fail;
	__atomic_add_fetch(&o->metrics.logins_succeeded, 1, __ATOMIC_RELAXED);
	resp->status = 302;
	http_resp_header(resp, "Location", buf_str(&loc));
	http_resp_header(resp, "Cache-Control", "no-store");
	goto out;
fail:
	log_error("login: cannot issue an authorization code");
	oidc_error_page(o, resp, 500, "error", "Something went wrong", "The sign-in could not be completed. Please try again.",
	    NULL, NULL);
out:
	code_grant_free(g);
	authz_req_clear(&v.req);
	claims_free(v.claims);
	str_wipe(code, sizeof(code));
	buf_free(&loc);
}

/* ---- /login/result ---- */

struct result_view {
	enum login_state st;
	char *account;
	char *retry_query;
};

static enum ttl_cache_action
result_locked(void *val, void *arg)
{
	login_t *l = val;
	struct result_view *v = arg;

	v->st = l->st;
	v->account = str_dup(l->account);
	{
		buf_t q;

		buf_init(&q, LIM_HTTP_URI_MAX * 3);
		v->retry_query = oidc_retry_query(&l->req, &q) == PO_OK ? buf_steal(&q, NULL) : NULL;
		buf_free(&q);
	}
	return TTL_CACHE_KEEP;
}

static void
result_page(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	struct result_view v = { 0 };
	buf_t retry;
	char id[48];

	buf_init(&retry, LIM_HTTP_URI_MAX * 3);
	if (with_login(o, req, id, result_locked, &v) != PO_OK) {
		page_gone(o, resp);
		goto out;
	}
	/* "Try again" replays the app's own request against our own endpoint:
	 * never a redirect elsewhere. */
	if (oidc_url(o, &retry, "/authorize?") != PO_OK || buf_puts(&retry, v.retry_query ? v.retry_query : "") != PO_OK)
		buf_reset(&retry);
	switch (v.st) {
	case LOGIN_DENIED: {
		ui_var_t vars[] = {
			{ "kind", "denied" },
			{ "heading", "No access for this Plex account" },
			{ "text", "This Plex server is not shared with the account you signed in with." },
			{ "account", v.account },
			{ "detail", "Ask the server's owner to share their Plex server with this account, then try again. "
			            "If you have another Plex account that has access, sign in with that one: in the Plex "
			            "window, sign out first, then sign in with the other account." },
			{ "primary_url", retry.len ? buf_str(&retry) : NULL },
			{ "primary_label", "Sign in with another Plex account" },
		};
		oidc_page(o, resp, 403, vars, sizeof(vars) / sizeof(vars[0]));
		break;
	}
	case LOGIN_UNAVAILABLE:
		oidc_error_page(o, resp, 503, "unavailable", "Plex is not answering",
		    "Plex's sign-in service did not respond, so we could not check your account. This is usually brief: "
		    "please try again in a minute.",
		    retry.len ? buf_str(&retry) : NULL, "Try again");
		http_resp_header(resp, "Retry-After", "30");
		break;
	case LOGIN_EXPIRED:
		oidc_error_page(o, resp, 400, "expired", "This sign-in timed out",
		    "The Plex sign-in was not completed in time. Start again when you are ready.",
		    retry.len ? buf_str(&retry) : NULL, "Start again");
		break;
	case LOGIN_ERROR:
		oidc_error_page(o, resp, 400, "error", "Sign-in did not complete",
		    "Plex did not confirm the sign-in. Please try again.", retry.len ? buf_str(&retry) : NULL, "Try again");
		break;
	default:
		/* Still in progress: back to the page. */
		oidc_render_login(o, resp, id, v.st == LOGIN_IDLE ? "idle" : "waiting", NULL);
		break;
	}
out:
	free(v.account);
	free(v.retry_query);
	buf_free(&retry);
}

void
oidc_login_result(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	result_page(o, req, resp);
}

/* ---- /login/return and /login/popup-done ---- */

struct return_view {
	char *client_id;
};

static enum ttl_cache_action
return_locked(void *val, void *arg)
{
	((struct return_view *)arg)->client_id = str_dup(((login_t *)val)->req.client_id);
	return TTL_CACHE_KEEP;
}

void
oidc_login_return(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	struct return_view v = { 0 };
	char id[48];

	if (with_login(o, req, id, return_locked, &v) != PO_OK)
		page_gone(o, resp);
	else
		oidc_render_login(o, resp, id, "waiting", v.client_id);
	free(v.client_id);
}

void
oidc_login_popup_done(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	ui_var_t vars[] = { { "base", o->cfg->issuer_path } };

	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	buf_reset(&resp->body);
	if (ui_render(o->ui, "popup-done.html", vars, 1, &resp->body) != PO_OK) {
		buf_reset(&resp->body);
		buf_puts(&resp->body, "You can close this window.\n");
		resp->content_type = "text/plain; charset=utf-8";
	}
	oidc_html_headers(resp);
}
