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

#include "core/log.h"
#include "core/str.h"
#include "oidc/claims.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "oidc/pkce.h"
#include "po_limits.h"

/* Parameters that RFC 6749 §3.1 says must not repeat; a duplicate of any
 * of them makes the request invalid. */
static const char *const single_params[] = { "client_id", "redirect_uri", "response_type", "scope", "state",
	"nonce", "code_challenge", "code_challenge_method", "prompt", "max_age", "response_mode", NULL };

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
	const char *prompt = form_get(f, "prompt"), *rm = form_get(f, "response_mode");
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
	if (prompt) {
		/* OIDC Core §3.1.2.1: "none" cannot be combined; we never have a
		 * session, so "none" always gets login_required (§3.1.2.6). */
		if (strstr(prompt, "none")) {
			if (strcmp(prompt, "none") != 0) {
				*desc = "prompt=none cannot be combined with other values";
				return OE_INVALID_REQUEST;
			}
			*desc = "the user must sign in with Plex";
			return OE_LOGIN_REQUIRED;
		}
	}
	return NULL;
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
	r.scopes = scope_parse(form_get(f, "scope"));
	/* Borrowed for the encoding only. */
	r.client_id = (char *)(uintptr_t)form_get(f, "client_id");
	r.redirect_uri = (char *)(uintptr_t)form_get(f, "redirect_uri");
	r.state = (char *)(uintptr_t)form_get(f, "state");
	r.nonce = (char *)(uintptr_t)form_get(f, "nonce");
	r.code_challenge = (char *)(uintptr_t)form_get(f, "code_challenge");
	if (r.state && r.state[0] == '\0')
		r.state = NULL;
	if (r.nonce && r.nonce[0] == '\0')
		r.nonce = NULL;
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

void
oidc_authorize(void *arg, http_req_t *req, http_resp_t *resp)
{
	oidc_t *o = arg;
	form_t f = { 0 };
	const config_client_t *cl;
	const char *client_id, *redirect_uri, *err, *desc = NULL;
	login_t l = { 0 };
	int rc;

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
	if ((err = check_request(&f, &desc)) != NULL) {
		oidc_error_redirect(o, resp, redirect_uri, err, desc,
		    form_count(&f, "state") == 1 ? form_get(&f, "state") : NULL);
		goto out;
	}
	if ((rc = login_of(&f, &l)) != PO_OK || (rc = login_http_begin(o->o.logins, &l, req, resp)) != PO_OK) {
		log_error_fr(rc, "cannot start a login");
		/* RFC 6749 §4.1.2.1: the shared store is out of reach for now,
		 * a temporary condition, not a fault of the request. */
		if (rc == PO_ERR_UPSTREAM)
			oidc_error_redirect(o, resp, redirect_uri, OE_TEMPORARILY_UNAVAILABLE,
			    "the sign-in service is briefly unavailable; try again in a moment", form_get(&f, "state"));
		else
			oidc_error_redirect(o, resp, redirect_uri, OE_SERVER_ERROR, "the sign-in could not be started",
			    form_get(&f, "state"));
	}
out:
	login_clear(&l);
	form_clear(&f);
}
