/*
 * authorize.c - the authorization endpoint (RFC 6749 §4.1.1, OpenID Connect
 * Core §3.1.2). Validates the request and hands it to the login pages
 * (login_http_begin): a pending login bound to this browser, and the login
 * page, the one page the user sees.
 *
 * Error handling follows RFC 6749 §4.1.2.1: when the client or the
 * redirect URI cannot be trusted, the user gets an error page and is never
 * redirected (no open redirect); every other error goes back to the client
 * as an error redirect with the state.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "oidc/claims.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "oidc/pkce.h"
#include "oidc/prompt.h"
#include "session/access.h"
#include "session/session.h"
#include "po_limits.h"

/* Parameters that RFC 6749 §3.1 says must not repeat; a duplicate of any
 * of them makes the request invalid. */
static const char *const single_params[] = { "client_id", "redirect_uri", "response_type", "scope", "state",
	"nonce", "code_challenge", "code_challenge_method", "prompt", "max_age", "response_mode", "id_token_hint",
	NULL };

/* The parameters "try again" replays that the login does not keep anyway
 * (authz_req_t has the others: oidc_retry_query() rebuilds them). */
static const char *const retry_extra_params[] = { "prompt", "max_age", "response_mode", NULL };

/* Encodes the parameters of retry_extra_params the request has, for
 * "try again"; usually none. */
static int
encode_retry(const form_t *f, buf_t *out)
{
	size_t i, j;
	int rc = PO_OK;

	for (i = 0; i < f->n && rc == PO_OK; i++) {
		for (j = 0; retry_extra_params[j] && strcmp(retry_extra_params[j], f->p[i].name) != 0; j++)
			;
		if (retry_extra_params[j] == NULL)
			continue;
		if (out->len && (rc = buf_puts(out, "&")) != PO_OK)
			break;
		if ((rc = form_encode(out, f->p[i].name)) != PO_OK || (rc = buf_puts(out, "=")) != PO_OK ||
		    (rc = form_encode(out, f->p[i].value)) != PO_OK)
			break;
	}
	return rc;
}

/* Checks everything after client and redirect URI are known to be good.
 * Returns NULL when valid, else the RFC 6749 error code and sets *desc. */
static const char *
check_request(const form_t *f, const char **desc)
{
	const char *rt = form_get(f, "response_type"), *scope = form_get(f, "scope");
	const char *cc = form_get(f, "code_challenge"), *ccm = form_get(f, "code_challenge_method");
	const char *rm = form_get(f, "response_mode");
	size_t i;

	for (i = 0; single_params[i]; i++)
		if (form_count(f, single_params[i]) > 1) {
			*desc = "a parameter was given more than once";
			return OE_INVALID_REQUEST;
		}
	/* OIDC Core §6: request objects are not supported. */
	if (form_get(f, "request")) {
		*desc = "request objects are not supported";
		return OE_REQUEST_NOT_SUPPORTED;
	}
	if (form_get(f, "request_uri")) {
		*desc = "request_uri is not supported";
		return OE_REQUEST_URI_NOT_SUPPORTED;
	}
	if (rt == NULL || rt[0] == '\0') {
		*desc = "response_type is required";
		return OE_INVALID_REQUEST;
	}
	if (strcmp(rt, "code") != 0) {
		*desc = "only response_type=code is supported";
		return OE_UNSUPPORTED_RESPONSE_TYPE;
	}
	if (rm && strcmp(rm, "query") != 0) {
		*desc = "only response_mode=query is supported";
		return OE_INVALID_REQUEST;
	}
	if (scope == NULL || !(scope_parse(scope) & SCOPE_OPENID)) {
		*desc = "the scope must include openid";
		return OE_INVALID_SCOPE;
	}
	if (cc) {
		/* RFC 7636 §4.3: without a method the default is "plain", which
		 * we do not accept (§4.2 recommends S256; plain offers little). */
		if (ccm == NULL || strcmp(ccm, "S256") != 0) {
			*desc = "code_challenge_method must be S256";
			return OE_INVALID_REQUEST;
		}
		if (!pkce_challenge_valid(cc, strlen(cc))) {
			*desc = "code_challenge is not a valid S256 challenge";
			return OE_INVALID_REQUEST;
		}
	} else if (ccm) {
		*desc = "code_challenge_method without code_challenge";
		return OE_INVALID_REQUEST;
	}
	return NULL;
}

/* What this client asks of every request (config.h): PKCE, when it is
 * public or require_pkce says so. NULL when met, else the error code. */
static const char *
check_client_rules(const config_client_t *cl, const form_t *f, const char **desc)
{
	/* RFC 7636 §4.4.1: a server that requires PKCE answers a request
	 * without code_challenge with invalid_request; RFC 8252 §8.1 and RFC
	 * 9700 §2.1.1 require it of public clients. */
	if (cl->require_pkce && form_get(f, "code_challenge") == NULL) {
		*desc = config_client_public(cl) ? "code_challenge is required: a public client must use PKCE (S256)"
		                                 : "code_challenge is required: this client must use PKCE (S256)";
		return OE_INVALID_REQUEST;
	}
	return NULL;
}

/* The request's own parameters, borrowed from the form, as an authz_req_t
 * (only valid while f is). */
static void
borrowed_req(const form_t *f, authz_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->scopes = scope_parse(form_get(f, "scope"));
	r->client_id = (char *)(uintptr_t)form_get(f, "client_id");
	r->redirect_uri = (char *)(uintptr_t)form_get(f, "redirect_uri");
	r->state = (char *)(uintptr_t)form_get(f, "state");
	r->nonce = (char *)(uintptr_t)form_get(f, "nonce");
	r->code_challenge = (char *)(uintptr_t)form_get(f, "code_challenge");
	if (r->state && r->state[0] == '\0')
		r->state = NULL;
	if (r->nonce && r->nonce[0] == '\0')
		r->nonce = NULL;
}

/* The pending login of a valid request: its continuation is the request
 * itself, as a query string (grant.h), which is also what "try again"
 * replays. */
static int
login_of(const form_t *f, login_t *l)
{
	authz_req_t r = { 0 };
	buf_t extra, cont;
	int rc = PO_ERR_NOMEM;

	buf_init(&extra, LIM_HTTP_URI_MAX * 3);
	buf_init(&cont, LIM_LOGIN_CONT_MAX);
	memset(l, 0, sizeof(*l));
	l->door = LOGIN_DOOR_OIDC;
	borrowed_req(f, &r);
	if ((rc = encode_retry(f, &extra)) != PO_OK || (rc = authz_req_to_query(&r, buf_str(&extra), &cont)) != PO_OK)
		goto out;
	rc = PO_ERR_NOMEM;
	if ((l->app = str_dup(r.client_id)) == NULL || (l->cont = buf_steal(&cont, NULL)) == NULL)
		goto out;
	rc = PO_OK;
out:
	buf_free(&extra);
	buf_free(&cont);
	return rc;
}

/* Called by the access re-check when it ends: the request runs again. */
static void
wake_request(void *conn)
{
	http_resume(conn);
}

/* One request's authorization: what it asked, and the browser's session. */
struct authz {
	oidc_t *o;
	const config_client_t *cl;
	const form_t *f;
	const char *redirect_uri;
	const char *state;
	prompt_t p;
	keyring_t *ring;
	session_t s;
	bool has_session;
	int64_t now;
};

/* The error redirect of a request that cannot be answered the way it
 * asked (RFC 6749 §4.1.2.1; OIDC Core §3.1.2.6). */
static void
redirect_error(struct authz *z, http_resp_t *resp, const char *error, const char *desc)
{
	oidc_error_redirect(z->o, resp, z->redirect_uri, error, desc, z->state);
}

/* Starts a fresh Plex sign-in: the login page. */
static void
show_login(struct authz *z, http_req_t *req, http_resp_t *resp)
{
	login_t l = { 0 };
	int rc;

	if ((rc = login_of(z->f, &l)) != PO_OK ||
	    (rc = login_http_begin(z->o->o.logins, &l, z->has_session, req, resp)) != PO_OK) {
		log_error_fr(rc, "cannot start a login");
		redirect_error(z, resp, rc == PO_ERR_UPSTREAM ? OE_TEMPORARILY_UNAVAILABLE : OE_SERVER_ERROR,
		    "the sign-in could not be started");
	}
	login_clear(&l);
}

/* The session answers: the access re-check if one is due, then a code. */
static void
silent(struct authz *z, http_req_t *req, http_resp_t *resp)
{
	session_t *s = &z->s;
	access_subject_t sub = { s->sid, s->plex_token, s->who->plex_id, s->who->access, s->checked, s->good };
	access_result_t ar;
	authz_req_t r;
	enum oidc_refusal why;
	char *sealed = NULL;
	int rc;

	if ((rc = access_check(z->o->o.access, &sub, z->now, wake_request, req->conn, &ar)) != PO_OK) {
		redirect_error(z, resp, OE_SERVER_ERROR, "the sign-in could not be checked");
		return;
	}
	switch (ar.st) {
	case ACCESS_WAIT:
		/* plex.tv is asked; this request runs again when it answers. */
		http_req_suspend(req, resp);
		return;
	case ACCESS_GONE:
		oidc_end_session(z->o, s, resp);
		if (z->p.none)
			redirect_error(z, resp, OE_ACCESS_DENIED, "the Plex server is no longer shared with this account");
		else
			oidc_no_access_page(z->o, resp, s->who->name, NULL);
		return;
	case ACCESS_SIGNED_OUT:
		/* Plex refused the session's token: sign in again. */
		oidc_end_session(z->o, s, resp);
		z->has_session = false;
		if (z->p.none)
			redirect_error(z, resp, OE_LOGIN_REQUIRED, "the user must sign in with Plex again");
		else
			show_login(z, req, resp);
		return;
	case ACCESS_UNAVAILABLE:
		if (z->p.none)
			redirect_error(z, resp, OE_TEMPORARILY_UNAVAILABLE, "Plex is not answering");
		else
			oidc_unavailable_page(z->o, resp);
		return;
	case ACCESS_OK:
		break;
	}
	s->who->access = ar.rel;
	if (ar.updated) {
		/* The browser keeps the newer check: no need to ask again. */
		s->checked = ar.checked;
		s->good = ar.good;
		if (session_seal(z->ring, z->o->o.cfg->issuer, s, &sealed) != PO_OK ||
		    session_set_cookie(resp, z->o->o.cfg->issuer_https, sealed, s->expires, z->now) != PO_OK)
			log_warn("authorize: the session's newer access check was not stored in its cookie");
	}
	borrowed_req(z->f, &r);
	if ((why = oidc_client_refusal(z->o, z->cl, s->who)) != OIDC_ADMITTED) {
		/* Signed in for other apps, not this one: the page says so, with
		 * no new sign-in; a silent request gets the error (OIDC Core
		 * §3.1.2.6). */
		if (z->p.none)
			redirect_error(z, resp, OE_ACCESS_DENIED, oidc_refusal_text(why));
		else
			oidc_refusal_page(z->o, resp, s->who->name, z->cl, why);
		free(sealed);
		return;
	}
	/* offline_access: the refresh token will need the session (sealed
	 * again, with the newer check). */
	if ((r.scopes & SCOPE_OFFLINE_ACCESS) && sealed == NULL && session_seal(z->ring, z->o->o.cfg->issuer, s, &sealed) != PO_OK)
		log_warn("authorize: no session kept with the code: no refresh token");
	rc = oidc_code_redirect(z->o, &r, s->who, sealed, resp);
	free(sealed);
	if (rc != PO_OK) {
		log_error_fr(rc, "cannot issue an authorization code");
		redirect_error(z, resp, rc == PO_ERR_UPSTREAM ? OE_TEMPORARILY_UNAVAILABLE : OE_SERVER_ERROR, NULL);
	}
}

/* After the request is valid: the session decides (prompt.h). */
static void
answer(struct authz *z, http_req_t *req, http_resp_t *resp)
{
	const char *err, *desc = NULL;

	if ((err = prompt_parse(z->f, &z->p, &desc)) != NULL) {
		redirect_error(z, resp, err, desc);
		return;
	}
	z->ring = keyholder_get(z->o->o.keys);
	z->now = clock_now_s();
	prompt_hint(z->f, z->ring, z->o->o.cfg->issuer, z->now, &z->p);
	z->has_session = oidc_session_of(z->o, z->ring, req, z->now, &z->s) == PO_OK;
	switch (prompt_decide(&z->p, z->has_session ? &z->s : NULL, z->now)) {
	case PROMPT_SILENT:
		silent(z, req, resp);
		break;
	case PROMPT_LOGIN_REQUIRED:
		redirect_error(z, resp, OE_LOGIN_REQUIRED, "the user must sign in with Plex");
		break;
	case PROMPT_LOGIN:
		show_login(z, req, resp);
		break;
	}
}

void
oidc_authorize(void *arg, http_req_t *req, http_resp_t *resp)
{
	oidc_t *o = arg;
	form_t f = { 0 };
	const config_client_t *cl;
	const char *client_id, *redirect_uri, *err, *desc = NULL;
	struct authz z = { 0 };

	if (oidc_request_params(req, &f) != PO_OK) {
		oidc_error_page(o, resp, 400, "error", "This sign-in link is broken",
		    "The app sent a malformed sign-in request. Go back to the app and try again.", NULL, NULL);
		goto out;
	}
	client_id = form_get(&f, "client_id");
	redirect_uri = form_get(&f, "redirect_uri");
	if (client_id == NULL || form_count(&f, "client_id") > 1 ||
	    (cl = config_client_find(o->o.cfg, client_id)) == NULL) {
		oidc_error_page(o, resp, 400, "error", "Unknown app",
		    "The app that sent you here is not registered with this sign-in service. Ask the server owner to add it.",
		    NULL, NULL);
		goto out;
	}
	/* Exact string match, OIDC Core §3.1.2.1 and RFC 6749 §3.1.2.3. */
	if (redirect_uri == NULL || form_count(&f, "redirect_uri") > 1 ||
	    !config_client_redirect_ok(cl, redirect_uri)) {
		/* The address is shown (escaped, not a link) so the server owner
		 * can compare it with redirect_uris. */
		ui_var_t vars[] = {
			{ "kind", "error" },
			{ "heading", "Unregistered return address" },
			{ "text", "The app asked to send you back to an address that is not registered for it, so this "
			          "sign-in was stopped." },
			{ "detail", redirect_uri && form_count(&f, "redirect_uri") == 1 ? redirect_uri : "(none or several)" },
		};
		oidc_page(o, resp, 400, vars, sizeof(vars) / sizeof(vars[0]));
		goto out;
	}
	z.o = o;
	z.cl = cl;
	z.f = &f;
	z.redirect_uri = redirect_uri;
	z.state = form_count(&f, "state") == 1 ? form_get(&f, "state") : NULL;
	if ((err = check_request(&f, &desc)) != NULL || (err = check_client_rules(cl, &f, &desc)) != NULL) {
		redirect_error(&z, resp, err, desc);
		goto out;
	}
	answer(&z, req, resp);
out:
	session_clear(&z.s);
	keyholder_put(z.ring);
	form_clear(&f);
}
