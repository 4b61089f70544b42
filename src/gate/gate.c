/*
 * gate.c - forward auth: its state, its routes, and the answers both the
 * checks (gate_check.c) and the sign-in (gate_login.c) give (see gate.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/str.h"
#include "gate/gate_int.h"
#include "http/cookie.h"
#include "http/form.h"
#include "policy/policy.h"
#include "po_limits.h"
#include "ui/page.h"

/* "Plex is not answering": when to come back (seconds, as text). */
#define GATE_RETRY_AFTER "30"
/* "You don't have access to " and an app's name. */
#define GATE_HEADING_MAX (64 + LIM_PLEX_FIELD_MAX)

/* A new string: a and b joined. */
static char *
join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s != NULL) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

/* The origin of the issuer: scheme, host and port, without the path. */
static char *
origin_of(const char *issuer)
{
	const char *p = strstr(issuer, "://");

	return p ? str_dupn(issuer, (size_t)(p + 3 - issuer) + strcspn(p + 3, "/")) : NULL;
}

int
gate_new(const gate_opts_t *o, gate_t **out)
{
	gate_t *g = NULL;
	const char *host;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		goto out;
	g->o = *o;
	if ((g->login_url = join(o->cfg->issuer, GATE_LOGIN_PATH "?rd=")) == NULL ||
	    (g->logout_url = join(o->cfg->issuer, "/logout")) == NULL || (g->origin = origin_of(o->cfg->issuer)) == NULL)
		goto out;
	/* An address has no parent domains: nothing to clear (gate_hand_over). */
	host = strstr(g->origin, "://") + 3; /* origin_of found it */
	if (gate_host_parse(host, strlen(host), &g->issuer_host) != PO_OK || host[0] == '[' ||
	    strspn(g->issuer_host.name, "0123456789.") == g->issuer_host.len)
		g->issuer_host.len = 0;
	if ((rc = gate_cache_new(&g->cache)) != PO_OK)
		goto out;
	login_http_set_door(o->logins, LOGIN_DOOR_GATE, &gate_door, g);
	*out = g;
	g = NULL; /* transferred */
	rc = PO_OK;
out:
	gate_free(g);
	return rc;
}

void
gate_free(gate_t *g)
{
	if (g == NULL)
		return;
	free(g->login_url);
	free(g->logout_url);
	free(g->origin);
	gate_cache_free(g->cache);
	free(g);
}

void
gate_keys_changed(gate_t *g)
{
	if (g != NULL)
		gate_cache_clear(g->cache);
}

int
gate_routes(gate_t *g, router_t *r, int login_guard)
{
	const route_t routes[] = {
		{ "/forward-auth", false, ROUTE_GET, false, -1, gate_forward_auth, g },
		{ "/auth-request", false, ROUTE_GET, false, -1, gate_auth_request, g },
		{ GATE_LOGIN_PATH, false, ROUTE_GET, false, login_guard, gate_login, g },
	};

	return router_add_all(r, routes, sizeof(routes) / sizeof(routes[0]));
}

/* ---- shared by the checks and the sign-in ---- */

void
gate_wake(void *conn)
{
	http_resume(conn);
}

const char *
gate_app_label(const config_app_t *app)
{
	return app->name != NULL ? app->name : app->id;
}

bool
gate_admits(const gate_t *g, const config_app_t *app, const identity_t *who)
{
	config_groupset_t in;

	policy_groups(g->o.cfg, who, &in);
	if (policy_allows(&app->allow, &in))
		return true;
	/* The uuid and name are not secrets; they make the log useful. */
	log_info("forward auth: Plex account %s (%s) is not among the groups [app.%s] allows", who->sub,
	    who->name ? who->name : "", app->id);
	metrics_inc(g->o.metrics, M_APP_DENIED);
	return false;
}

int
gate_login_location(const gate_t *g, const char *rd, buf_t *out)
{
	int rc;

	if ((rc = buf_puts(out, g->login_url)) != PO_OK)
		return rc;
	return form_encode(out, rd);
}

/* The forward-auth cookie more than once in the request: one on another
 * domain than cookie_domain (set before cookie_domain changed, or by a
 * host below it). A check cannot tell which is meant and takes neither
 * (cookie.h), so the browser would be sent to sign in again and again;
 * the hand-over removes the others. Every cookie the issuer's host
 * receives is host-only or on one of its parent domains (RFC 6265 §5.1.3),
 * so those are all there is to remove: each with Max-Age=0, the new one
 * on cookie_domain kept. The host-only one and at most GATE_STALE_MAX
 * domains, the nearest the top first (where an older cookie_domain is
 * likeliest): the answer's headers are bounded. */
#define GATE_STALE_MAX 6
/* Room for them, the new cookie, the sign-on cookie and a page's own
 * headers (Location or CSP, X-Frame-Options, Cache-Control). */
_Static_assert(GATE_STALE_MAX + 1 + 2 + 3 <= HTTP_RESP_HEADERS_MAX, "the removals fit the answer");
static int
remove_stale(const gate_t *g, http_resp_t *resp)
{
	const config_t *cfg = g->o.cfg;
	const char *d, *doms[LIM_GATE_HOST_MAX / 2 + 1];
	size_t n = 0, sent = 0;
	int rc;

	if ((rc = session_set_gate_cookie(resp, cfg->issuer_https, NULL, NULL, 0, 0)) != PO_OK)
		return rc;
	/* The host itself and each parent of two labels or more. */
	for (d = g->issuer_host.name; d != NULL && strchr(d, '.') != NULL; d = strchr(d, '.') + 1)
		if (strcasecmp(d, cfg->cookie_domain) != 0 && n < sizeof(doms) / sizeof(doms[0]))
			doms[n++] = d;
	while (n > 0 && sent++ < GATE_STALE_MAX)
		if ((rc = session_set_gate_cookie(resp, cfg->issuer_https, doms[--n], NULL, 0, 0)) != PO_OK)
			return rc;
	return PO_OK;
}

int
gate_hand_over(gate_t *g, const keyring_t *ring, const session_t *s, const http_req_t *req, http_resp_t *resp,
    int64_t now)
{
	const config_t *cfg = g->o.cfg;
	const char *v;
	char *sealed = NULL;
	size_t n;
	int rc;

	if (req != NULL && req->cookie != NULL && g->issuer_host.len > 0 && cfg->cookie_domain != NULL &&
	    cookie_get(req->cookie, strlen(req->cookie), session_gate_cookie_name(cfg->issuer_https), &v, &n) ==
	        PO_ERR_INVALID) {
		log_info("forward auth: the browser sent its forward-auth cookie more than once; removing the others");
		if ((rc = remove_stale(g, resp)) != PO_OK)
			return rc;
	}
	if ((rc = session_seal_gate(ring, cfg->issuer, s, &sealed)) == PO_OK)
		rc = session_set_gate_cookie(resp, cfg->issuer_https, cfg->cookie_domain, sealed, s->expires, now);
	free(sealed);
	return rc;
}

void
gate_end_session(gate_t *g, const session_t *s, http_resp_t *resp, bool on_issuer_host)
{
	const config_t *cfg = g->o.cfg;
	int rc = session_revoke(g->o.store, s->sid);

	if (rc != PO_OK && rc != PO_ERR_INVALID) /* INVALID: revoked already */
		log_warn_fr(rc, "forward auth: a session could not be marked as ended; its cookie is removed");
	access_forget(g->o.access, s->sid);
	if (session_set_gate_cookie(resp, cfg->issuer_https, cfg->cookie_domain, NULL, 0, 0) != PO_OK ||
	    (on_issuer_host && session_set_cookie(resp, cfg->issuer_https, NULL, 0, 0) != PO_OK))
		log_warn("forward auth: a session cookie could not be removed");
}

/* message.html on the issuer's host, or on an app's. */
static void
message(const gate_t *g, http_resp_t *resp, bool elsewhere, int status, const ui_var_t *vars, size_t n)
{
	if (elsewhere)
		page_message_elsewhere(g->o.ui, g->o.cfg->issuer, g->origin, resp, status, vars, n);
	else
		page_message(g->o.ui, g->o.cfg->issuer_path, resp, status, vars, n);
}

void
gate_denied_page(const gate_t *g, http_resp_t *resp, bool elsewhere, const char *account, const char *app)
{
	buf_t heading;

	buf_init(&heading, GATE_HEADING_MAX);
	if (app == NULL || buf_appendf(&heading, "You don't have access to %s", app) != PO_OK)
		buf_reset(&heading);
	{
		ui_var_t vars[] = {
			{ "kind", "denied" },
			{ "heading", heading.len ? buf_str(&heading) : "No access for this Plex account" },
			{ "text", app ? "Your Plex account is signed in, but it is not among the people this app is for." : "This Plex server is not shared with the account you signed in with." },
			{ "account", account },
			{ "detail", app ? "Ask the server's owner for access to this app, or sign out and sign in with "
			                  "another Plex account."
			                : "Ask the server's owner to share their Plex server with this account, then try "
			                  "again." },
			{ "secondary_url", g->logout_url },
			{ "secondary_label", "Sign out" },
		};
		message(g, resp, elsewhere, 403, vars, sizeof(vars) / sizeof(vars[0]));
	}
	buf_free(&heading);
}

void
gate_unavailable_page(const gate_t *g, http_resp_t *resp, bool elsewhere)
{
	ui_var_t vars[] = {
		{ "kind", "unavailable" },
		{ "heading", "Plex is not answering" },
		{ "text", "Plex's sign-in service did not respond, so your access could not be checked. This is usually "
		          "brief: please try again in a minute." },
	};

	message(g, resp, elsewhere, 503, vars, sizeof(vars) / sizeof(vars[0]));
	(void)http_resp_fail(resp, http_resp_header(resp, "Retry-After", GATE_RETRY_AFTER));
}

void
gate_error_page(const gate_t *g, http_resp_t *resp, int status, const char *heading, const char *text,
    const char *detail)
{
	ui_var_t vars[] = {
		{ "kind", "error" },
		{ "heading", heading },
		{ "text", text },
		{ "detail", detail },
	};

	page_message(g->o.ui, g->o.cfg->issuer_path, resp, status, vars, sizeof(vars) / sizeof(vars[0]));
}
