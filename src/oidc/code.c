/*
 * code.c - the authorization response (RFC 6749 §4.1.2): the OIDC door of
 * the login pages. When a login started by the authorization endpoint is
 * done, the login pages hand it here: a single-use code is stored (60 s,
 * bound to the client, the redirect URI and the PKCE challenge) and the
 * browser goes back to the registered redirect URI with code, state and
 * iss (RFC 9207).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/str.h"
#include "http/form.h"
#include "oidc/claims.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "po_limits.h"

/* The redirect back to the app, sized from its inputs (a state of up to
 * LIM_PARAM_LEN_MAX reserved characters triples when encoded). */
static int
code_location(const oidc_t *o, const code_grant_t *g, const char *code, buf_t *loc)
{
	const authz_req_t *r = &g->req;
	int rc;

	if ((rc = buf_puts(loc, r->redirect_uri)) != PO_OK ||
	    (rc = buf_puts(loc, strchr(r->redirect_uri, '?') ? "&code=" : "?code=")) != PO_OK ||
	    (rc = buf_puts(loc, code)) != PO_OK)
		return rc;
	if (r->state && ((rc = buf_puts(loc, "&state=")) != PO_OK || (rc = form_encode(loc, r->state)) != PO_OK))
		return rc;
	if ((rc = buf_puts(loc, "&iss=")) != PO_OK)
		return rc;
	return form_encode(loc, o->o.cfg->issuer);
}

int
oidc_code_redirect(oidc_t *o, const authz_req_t *r, const identity_t *who, const char *sess, http_resp_t *resp)
{
	code_grant_t g = { 0 };
	char code[GRANT_TOKEN_SIZE] = "";
	buf_t rec, loc;
	int rc = PO_ERR_NOMEM;

	buf_init(&rec, LIM_STORE_VALUE_MAX);
	size_t state_len = r->state ? strlen(r->state) : 0;
	buf_init(&loc, strlen(r->redirect_uri) + GRANT_TOKEN_SIZE + 3 * (strlen(o->o.cfg->issuer) + state_len) + LIM_URL_MAX);
	/* The grant borrows the request's strings (and the sealed session) for
	 * the encoding only. A refresh token needs the session's Plex token:
	 * the code carries the session only when one may be asked for. */
	g.req = *r;
	if (r->scopes & SCOPE_OFFLINE_ACCESS)
		g.sess = (char *)(uintptr_t)sess;
	g.issued_ms = clock_now_ms();
	if ((g.who = identity_dup(who)) == NULL)
		goto out;
	if ((rc = rnd_token(code, sizeof(code), LIM_RANDOM_TOKEN_BYTES)) != PO_OK ||
	    (rc = code_location(o, &g, code, &loc)) != PO_OK || (rc = code_grant_encode(&g, &rec)) != PO_OK ||
	    (rc = store_put(o->o.store, STORE_CODES, code, rec.data, rec.len)) != PO_OK)
		goto out;
	resp->status = 302;
	if ((rc = http_resp_header(resp, "Location", buf_str(&loc))) != PO_OK ||
	    (rc = http_resp_header(resp, "Cache-Control", "no-store")) != PO_OK)
		goto out; /* sticky: a 500 */
	metrics_inc(o->o.metrics, M_LOGINS_SUCCEEDED);
out:
	identity_free(g.who);
	str_wipe(code, sizeof(code));
	buf_free(&rec);
	buf_free(&loc);
	return rc;
}

/* "Try again" after a failure: seconds, as text. The shared store is
 * usually back within seconds. */
#define CODE_RETRY_AFTER "5"

static int door_retry_url(void *arg, const login_t *l, buf_t *out);

static void
door_finish(void *arg, const login_t *l, http_req_t *req, http_resp_t *resp)
{
	oidc_t *o = arg;
	authz_req_t r = { 0 };
	buf_t retry;
	int rc;

	buf_init(&retry, LIM_LOGIN_CONT_MAX + LIM_URL_MAX);
	if ((rc = authz_req_from_query(l->cont, strlen(l->cont), &r)) == PO_OK) {
		/* The client was checked when the login began; the config does
		 * not change while the process runs. */
		const config_client_t *cl = config_client_find(o->o.cfg, r.client_id);
		enum oidc_refusal why = cl != NULL ? oidc_client_refusal(o, cl, l->who) : OIDC_REFUSED_GROUPS;
		if (why != OIDC_ADMITTED) {
			/* Signed in, with access to the server, but not to this app:
			 * no code (the session stays, for the apps they may use). */
			if (cl != NULL)
				oidc_refusal_page(o, resp, l->who->name, cl, why);
			else
				oidc_no_access_page(o, resp, l->who->name, r.client_id);
			goto out;
		}
		if ((rc = oidc_code_redirect(o, &r, l->who, l->sess, resp)) == PO_OK)
			goto out;
	}
	log_error_fr(rc, "cannot issue an authorization code");
	if (rc == PO_ERR_UPSTREAM) {
		/* The shared store is out of reach: the login is spent, so "try
		 * again" starts it over from the app's own request. */
		if (door_retry_url(o, l, &retry) != PO_OK)
			buf_reset(&retry);
		oidc_error_page(o, resp, 503, "unavailable", "Please try again",
		    "The sign-in service is briefly unavailable, so this sign-in could not be completed. Please try "
		    "again in a moment.",
		    retry.len ? buf_str(&retry) : NULL, "Try again");
		(void)http_resp_fail(resp, http_resp_header(resp, "Retry-After", CODE_RETRY_AFTER));
	} else {
		oidc_error_page(o, resp, 500, "error", "Something went wrong",
		    "The sign-in could not be completed. Please try again.", NULL, NULL);
	}
out:
	authz_req_clear(&r);
	buf_free(&retry);
}

/* "Try again": the app's own request against our own endpoint. */
static int
door_retry_url(void *arg, const login_t *l, buf_t *out)
{
	const oidc_t *o = arg;
	int rc;

	if ((rc = oidc_url(o, out, "/authorize?")) != PO_OK)
		return rc;
	return buf_puts(out, l->cont);
}

static const char *
door_app_name(void *arg, const char *app)
{
	const oidc_t *o = arg;
	const config_client_t *cl = config_client_find(o->o.cfg, app);

	return cl ? cl->name : NULL;
}

const login_door_ops_t oidc_door = { door_finish, door_retry_url, door_app_name };
