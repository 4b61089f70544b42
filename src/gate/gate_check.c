/*
 * gate_check.c - the checks the reverse proxies ask for (see gate.h):
 * /forward-auth (Traefik, Caddy) and /auth-request (nginx). One decision
 * for both; they differ in where the original URL comes from and in how
 * "sign in first" is said (a redirect, or 401 with the way in Location).
 *
 * Order of the decision, each step answering when it can:
 *   1. the peer is a trusted proxy, else 403 (never decide on headers a
 *      client wrote);
 *   2. the original request (scheme, host, path) from the forwarded
 *      headers, and the app of that host, else 403;
 *   3. the forward-auth cookie, opened and not revoked, else "sign in";
 *   4. the access re-check when one is due (session/access.h): it may
 *      suspend the request, end the session (403, or "sign in"), or say
 *      Plex is not answering (503);
 *   5. the app's allow list: 200 with the identity headers, or 403.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "gate/gate_int.h"
#include "gate/gate_url.h"
#include "http/cookie.h"
#include "policy/policy.h"
#include "po_limits.h"

enum ep {
	EP_FORWARD_AUTH,
	EP_AUTH_REQUEST
};

/* The forwarded fields read, in one pass over the request's head. */
enum {
	H_PROTO,
	H_HOST,
	H_URI,
	H_METHOD,
	H_ORIG_URL,
	H_ORIG_METHOD,
	H_COUNT
};
static const char *const fwd_names[H_COUNT] = {
	[H_PROTO] = "X-Forwarded-Proto",
	[H_HOST] = "X-Forwarded-Host",
	[H_URI] = "X-Forwarded-Uri",
	[H_METHOD] = "X-Forwarded-Method",
	[H_ORIG_URL] = "X-Original-URL",
	[H_ORIG_METHOD] = "X-Original-Method",
};

/* The original request, as the proxy reports it. */
struct orig {
	bool https;
	gate_host_t host;
	const char *uri; /* path and query, or NULL ("/") */
	size_t uri_len;
	const char *method; /* or NULL */
	int app;
};

/* Splits an absolute URL (X-Original-URL) into scheme, host and the rest. */
static const char *
split_url(const char *u, struct orig *o)
{
	size_t len = strlen(u), start, i;

	if (len > 8 && strncasecmp(u, "https://", 8) == 0) {
		o->https = true;
		start = 8;
	} else if (len > 7 && strncasecmp(u, "http://", 7) == 0) {
		start = 7;
	} else {
		return "X-Original-URL is not an http(s) URL";
	}
	for (i = start; i < len && u[i] != '/' && u[i] != '?'; i++)
		;
	if (gate_host_parse(u + start, i - start, &o->host) != PO_OK)
		return "X-Original-URL has no usable host";
	o->uri = u + i;
	o->uri_len = len - i;
	return NULL;
}

/* The original request and its app: NULL, or why not (for the log). */
static const char *
read_orig(const gate_t *g, enum ep ep, const http_req_t *req, struct orig *o)
{
	const char *h[H_COUNT], *why;
	gate_host_t fh;

	memset(o, 0, sizeof(*o));
	o->app = -1;
	if (http_req_headers(req, fwd_names, h, H_COUNT) != PO_OK)
		return "a forwarded header was sent more than once";
	if (ep == EP_AUTH_REQUEST && h[H_ORIG_URL] != NULL) {
		if ((why = split_url(h[H_ORIG_URL], o)) != NULL)
			return why;
		/* A field the proxy does not set is the client's: two that
		 * disagree cannot both be the proxy's. */
		if (h[H_HOST] != NULL && (gate_host_parse(h[H_HOST], strlen(h[H_HOST]), &fh) != PO_OK || strcmp(fh.name, o->host.name) != 0))
			return "X-Original-URL and X-Forwarded-Host name different hosts";
		o->method = h[H_ORIG_METHOD] ? h[H_ORIG_METHOD] : h[H_METHOD];
	} else {
		if (h[H_PROTO] == NULL)
			return "no X-Forwarded-Proto";
		if (strcasecmp(h[H_PROTO], "https") == 0)
			o->https = true;
		else if (strcasecmp(h[H_PROTO], "http") != 0)
			return "X-Forwarded-Proto is neither https nor http";
		if (h[H_HOST] == NULL || gate_host_parse(h[H_HOST], strlen(h[H_HOST]), &o->host) != PO_OK)
			return "no usable X-Forwarded-Host";
		o->uri = h[H_URI];
		o->uri_len = o->uri ? strlen(o->uri) : 0;
		o->method = h[H_METHOD];
	}
	/* A Secure cookie never reaches an http page: sign-in would loop. */
	if (!o->https && g->o.cfg->issuer_https)
		return "the app is served over http, but the issuer is https";
	if ((o->app = gate_app_find(g->o.cfg, &o->host)) < 0)
		return "no [app.NAME] lists this host";
	return NULL;
}

/* The URL to come back to: the original one when it passes the return-URL
 * checks (gate_url.h), else the app's root on the same host. */
static int
return_url(const gate_t *g, const struct orig *o, buf_t *out)
{
	gate_url_t u;
	size_t base;
	int rc;

	if ((rc = buf_appendf(out, "%s://%s", o->https ? "https" : "http", o->host.name)) != PO_OK ||
	    (o->host.port && (rc = buf_appendf(out, ":%u", o->host.port)) != PO_OK))
		return rc;
	base = out->len;
	if (o->uri != NULL && o->uri_len > 0 && o->uri_len <= LIM_GATE_URL_MAX &&
	    buf_append(out, o->uri, o->uri_len) == PO_OK &&
	    gate_url_check(g->o.cfg, out->data, out->len, &u) == NULL)
		return PO_OK;
	out->len = base;
	if ((rc = buf_puts(out, "/")) != PO_OK)
		return rc;
	return gate_url_check(g->o.cfg, out->data, out->len, &u) == NULL ? PO_OK : PO_ERR_INVALID;
}

/* 403 for what cannot be decided on. */
static void
refuse(gate_t *g, const http_req_t *req, http_resp_t *resp, const char *why)
{
	log_info("forward auth: refused a check from %s: %s", req->peer_ip, why);
	metrics_gate(g->o.metrics, MG_REFUSED);
	if (http_resp_text(resp, 403, "text/plain; charset=utf-8", "Forbidden\n") == PO_OK)
		(void)http_resp_fail(resp, http_resp_header(resp, "Cache-Control", "no-store"));
}

/* No usable session: the way to the sign-in and back. A redirect for
 * Traefik and Caddy (which pass it to the browser); for nginx, 401 with the
 * same URL in Location, which its error_page sends the browser to. */
static void
sign_in(gate_t *g, enum ep ep, const struct orig *o, http_resp_t *resp, bool drop_cookie)
{
	const config_t *cfg = g->o.cfg;
	buf_t rd, loc;
	int rc;

	buf_init(&rd, LIM_GATE_URL_MAX + LIM_GATE_HOST_MAX + 16);
	buf_init(&loc, LIM_HTTP_URI_MAX);
	metrics_gate(g->o.metrics, MG_SIGN_IN);
	if ((rc = return_url(g, o, &rd)) != PO_OK || (rc = gate_login_location(g, buf_str(&rd), &loc)) != PO_OK) {
		(void)http_resp_fail(resp, rc);
		goto out;
	}
	if (ep == EP_AUTH_REQUEST) {
		rc = http_resp_text(resp, 401, "text/plain; charset=utf-8", "Sign in first\n");
	} else {
		/* RFC 9110 §15.4.4: 303 makes the next request a GET whatever
		 * the method of this one. */
		resp->status = o->method == NULL || strcmp(o->method, "GET") == 0 || strcmp(o->method, "HEAD") == 0 ? 302
		                                                                                                    : 303;
	}
	if (rc != PO_OK || (rc = http_resp_header(resp, "Location", buf_str(&loc))) != PO_OK ||
	    (rc = http_resp_header(resp, "Cache-Control", "no-store")) != PO_OK)
		goto out;
	/* A cookie that cannot be used (another installation's, a retired
	 * key, ended) is removed, when the answer reaches the browser. */
	if (drop_cookie && session_set_gate_cookie(resp, cfg->issuer_https, cfg->cookie_domain, NULL, 0, 0) != PO_OK)
		goto out;
out:
	buf_free(&rd);
	buf_free(&loc);
}

/* A header value we pass on must not carry a control character: Plex's
 * fields are the user's to write. */
static bool
header_safe(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || (unsigned char)*v == 0x7f)
			return false;
	return true;
}

/* 200 with the identity headers (Authelia's names, which the apps' own
 * documentation already uses). */
static void
allowed(http_resp_t *resp, const char *user, const char *name, const char *email, const char *groups)
{
	int rc;

	resp->status = 200;
	if ((rc = http_resp_header(resp, "Remote-User", user)) != PO_OK ||
	    (name && (rc = http_resp_header(resp, "Remote-Name", name)) != PO_OK) ||
	    (email && (rc = http_resp_header(resp, "Remote-Email", email)) != PO_OK) ||
	    (rc = http_resp_header(resp, "Remote-Groups", groups)) != PO_OK)
		(void)http_resp_fail(resp, rc);
}

/* The session is allowed: the answer, and the entry that answers the same
 * next time without opening the cookie (key NULL: none). */
static void
allowed_session(gate_t *g, const session_t *s, const access_result_t *ar, const uint8_t *key, uint64_t gen,
    http_resp_t *resp)
{
	const config_t *cfg = g->o.cfg;
	const identity_t *who = s->who;
	config_groupset_t in;
	const char *user = who->username != NULL && who->username[0] != '\0' && header_safe(who->username)
	    ? who->username
	    : who->sub;
	const char *name = who->name && header_safe(who->name) ? who->name : NULL;
	const char *email = who->email && header_safe(who->email) ? who->email : NULL;
	gate_entry_t e;
	buf_t groups;
	size_t i;
	int rc = PO_OK;

	buf_init(&groups, (size_t)CONFIG_GROUPS_MAX * (LIM_CLIENT_ID_MAX + 1));
	policy_groups(cfg, who, &in);
	for (i = 0; i < cfg->n_groups && rc == PO_OK; i++)
		if (config_groupset_has(&in, i))
			rc = buf_appendf(&groups, "%s%s", groups.len ? "," : "", cfg->groups[i].name);
	if (rc != PO_OK) {
		(void)http_resp_fail(resp, rc);
		goto out;
	}
	allowed(resp, user, name, email, buf_str(&groups));
	if (resp->err == PO_OK)
		metrics_gate(g->o.metrics, MG_ALLOWED);
	/* The check's time as the access module now knows it (a re-check's
	 * outcome is newer than the cookie's). */
	if (key != NULL && gate_entry_fill(&e, s, ar->updated ? ar->checked : s->checked, ar->updated ? ar->good : s->good, ar->rel, &in, user, name, email, buf_str(&groups)))
		gate_cache_put(g->cache, key, &e, gen);
out:
	buf_free(&groups);
}

/* The forward-auth cookie's value in the request (borrowed): false if none
 * (or twice, which we never set). */
static bool
cookie_of(const gate_t *g, const http_req_t *req, const char **v, size_t *n)
{
	return req->cookie != NULL && cookie_get(req->cookie, strlen(req->cookie), session_gate_cookie_name(g->o.cfg->issuer_https), v, n) == PO_OK;
}

/* The forward-auth cookie of the request, opened and not revoked: PO_OK,
 * PO_ERR_NOTFOUND (none), PO_ERR_INVALID (not usable), or the store's
 * error. */
static int
session_of(gate_t *g, const keyring_t *ring, const http_req_t *req, int64_t now, session_t *s)
{
	const char *v;
	size_t n;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!cookie_of(g, req, &v, &n))
		return PO_ERR_NOTFOUND;
	if ((rc = session_open_gate(ring, g->o.cfg->issuer, now, v, n, s)) != PO_OK)
		return rc;
	if ((rc = session_check_revoked(g->o.store, s->sid)) != PO_OK)
		session_clear(s);
	return rc;
}

/* The fast path: a cookie opened before, whose access check is not due,
 * allowed for this app. true if it answered. */
static bool
from_cache(gate_t *g, enum ep ep, const struct orig *o, const config_app_t *app, const uint8_t *key, int64_t now,
    http_resp_t *resp)
{
	access_subject_t sub = { 0 };
	gate_entry_t e;
	http_held_t *h;
	bool done = false;
	int rc;

	if (!gate_cache_get(g->cache, key, &e))
		return false;
	sub.checked = e.checked;
	/* Not fresh: the slow path re-checks. Not allowed: it renders the
	 * refusal. */
	if (now >= e.expires || !access_fresh(g->o.access, &sub, now) || !policy_allows(&app->allow, &e.groups))
		goto out;
	/* Logout and a lost share end a session in the store, on any replica:
	 * looked at every time. */
	if ((rc = session_check_revoked(g->o.store, e.sid)) == PO_ERR_INVALID) {
		sign_in(g, ep, o, resp, true);
		done = true;
		goto out;
	}
	if (rc != PO_OK)
		goto out; /* the slow path says why */
	done = true;
	if (e.answer != NULL) {
		http_resp_held(resp, 200, e.answer); /* the reference goes with it */
		e.answer = NULL;
		metrics_gate(g->o.metrics, MG_ALLOWED);
		goto out;
	}
	allowed(resp, gate_entry_str(&e, e.user), gate_entry_str(&e, e.name), gate_entry_str(&e, e.email),
	    gate_entry_str(&e, e.group_names));
	if (resp->err != PO_OK)
		goto out;
	metrics_gate(g->o.metrics, MG_ALLOWED);
	/* Used again: the next ones get this answer as it is built now. */
	if ((h = http_held_new(resp)) != NULL) {
		gate_cache_answer(g->cache, key, e.version, h);
		http_held_unref(h);
	}
out:
	http_held_unref(e.answer);
	return done;
}

static void
check(gate_t *g, enum ep ep, http_req_t *req, http_resp_t *resp)
{
	const config_app_t *app;
	keyring_t *ring = NULL;
	access_subject_t sub;
	access_result_t ar;
	session_t s = { 0 };
	struct orig o;
	const char *why, *v;
	uint8_t key[GATE_CACHE_KEY_BYTES];
	bool keyed = false;
	uint64_t gen;
	int64_t now;
	size_t n;
	int rc;

	if (!req->peer_trusted) {
		refuse(g, req, resp, "the peer is not in [server] trusted_proxies");
		return;
	}
	if ((why = read_orig(g, ep, req, &o)) != NULL) {
		refuse(g, req, resp, why);
		return;
	}
	app = &g->o.cfg->apps[o.app];
	now = clock_now_s();
	if (cookie_of(g, req, &v, &n)) {
		keyed = gate_cache_key(g->cache, v, n, key) == PO_OK;
		if (keyed && from_cache(g, ep, &o, app, key, now, resp))
			return;
	}
	gen = gate_cache_gen(g->cache); /* before the ring: gate_cache.h */
	ring = keyholder_get(g->o.keys);
	if ((rc = session_of(g, ring, req, now, &s)) == PO_ERR_NOTFOUND || rc == PO_ERR_INVALID) {
		sign_in(g, ep, &o, resp, rc == PO_ERR_INVALID);
		goto out;
	}
	if (rc != PO_OK) {
		/* The store cannot say whether the session ended. */
		log_warn_fr(rc, "forward auth: the session could not be checked");
		metrics_gate(g->o.metrics, MG_UNAVAILABLE);
		gate_unavailable_page(g, resp, true);
		goto out;
	}
	sub = (access_subject_t){ s.sid, s.plex_token, s.who->plex_id, s.who->access, s.checked, s.good };
	if ((rc = access_check(g->o.access, &sub, now, gate_wake, req->conn, &ar)) != PO_OK) {
		(void)http_resp_fail(resp, rc);
		goto out;
	}
	switch (ar.st) {
	case ACCESS_WAIT:
		/* plex.tv is asked; this request runs again when it answers. */
		http_req_suspend(req, resp);
		goto out;
	case ACCESS_GONE:
		gate_end_session(g, &s, resp, false);
		metrics_gate(g->o.metrics, MG_DENIED);
		gate_denied_page(g, resp, true, s.who->name, NULL);
		goto out;
	case ACCESS_SIGNED_OUT:
		gate_end_session(g, &s, resp, false);
		sign_in(g, ep, &o, resp, false);
		goto out;
	case ACCESS_UNAVAILABLE:
		metrics_gate(g->o.metrics, MG_UNAVAILABLE);
		gate_unavailable_page(g, resp, true);
		goto out;
	case ACCESS_OK:
		break;
	}
	s.who->access = ar.rel;
	if (!gate_admits(g, app, s.who)) {
		metrics_gate(g->o.metrics, MG_DENIED);
		gate_denied_page(g, resp, true, s.who->name, gate_app_label(app));
		goto out;
	}
	allowed_session(g, &s, &ar, keyed ? key : NULL, gen, resp);
out:
	session_clear(&s);
	keyholder_put(ring);
}

void
gate_forward_auth(void *arg, http_req_t *req, http_resp_t *resp)
{
	check(arg, EP_FORWARD_AUTH, req, resp);
}

void
gate_auth_request(void *arg, http_req_t *req, http_resp_t *resp)
{
	check(arg, EP_AUTH_REQUEST, req, resp);
}
