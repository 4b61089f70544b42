/*
 * authorize.c - the authorization endpoint (RFC 6749 §4.1.1, OpenID Connect
 * Core §3.1.2). Validates the request, remembers it as a pending login bound
 * to this browser, and answers with the login page: the one page the user
 * sees.
 *
 * Error handling follows RFC 6749 §4.1.2.1: when the client or the
 * redirect URI cannot be trusted, the user gets an error page and is never
 * redirected (no open redirect); every other error goes back to the client
 * as an error redirect with the state.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/str.h"
#include "http/cookie.h"
#include "po_limits.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "oidc/pkce.h"

int
oidc_request_params(const http_req_t *req, form_t *out)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(req->method, "POST") == 0) {
		/* Only urlencoded bodies carry parameters (RFC 6749 §4.1.3). */
		if (req->content_type == NULL ||
		    strncasecmp(req->content_type, "application/x-www-form-urlencoded", 33) != 0)
			return PO_ERR_INVALID;
		return form_parse(req->body, req->body_len, out);
	}
	return form_parse(req->query, req->query_len, out);
}

static bool
token_chars_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

const char *
oidc_bid_cookie_name(const oidc_t *o)
{
	if (!o->cfg->issuer_https)
		return OIDC_BID_COOKIE; /* loopback testing: no prefix possible */
	return o->cfg->issuer_path[0] ? OIDC_BID_COOKIE_SECURE : OIDC_BID_COOKIE_HOST;
}

bool
oidc_browser_id(const oidc_t *o, const http_req_t *req, char *out, size_t outsz)
{
	const char *v;
	size_t n;

	if (req->cookie == NULL ||
	    cookie_get(req->cookie, strlen(req->cookie), oidc_bid_cookie_name(o), &v, &n) != PO_OK)
		return false;
	if (n != 43 || n >= outsz || !token_chars_ok(v, n))
		return false;
	memcpy(out, v, n);
	out[n] = '\0';
	return true;
}

int
oidc_url(const oidc_t *o, buf_t *out, const char *path)
{
	int rc = buf_puts(out, o->cfg->issuer);

	return rc == PO_OK ? buf_puts(out, path) : rc;
}

void
oidc_render_login(oidc_t *o, http_resp_t *resp, const char *id, const char *state, const char *client_id)
{
	const config_client_t *cl = config_client_find(o->cfg, client_id);
	ui_var_t vars[] = {
		{ "base", o->cfg->issuer_path },
		{ "login_id", id },
		{ "state", state },
		{ "client_name", cl && cl->name ? cl->name : "" },
	};

	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	buf_reset(&resp->body);
	if (ui_render(o->ui, "login.html", vars, sizeof(vars) / sizeof(vars[0]), &resp->body) != PO_OK) {
		oidc_error_page(o, resp, 500, "error", "Something went wrong", "The sign-in page could not be shown.",
		    NULL, NULL);
		return;
	}
	oidc_html_headers(resp);
}

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
		if ((rc = form_encode(out, f->p[i].name)) == PO_OK && (rc = buf_puts(out, "=")) == PO_OK)
			rc = form_encode(out, f->p[i].value);
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

/* What a pending login costs in memory, for the store's byte budget: the
 * record, its strings, and the store's entry with malloc overhead. */
static size_t
login_size(const login_t *l)
{
	const void *s[] = { l, l->req.client_id, l->req.redirect_uri, l->req.state, l->req.nonce,
		l->req.code_challenge, l->req.retry_query };
	size_t n = 192, i; /* the store's entry (key, links) */

	/* What the allocator really holds, not just the string lengths. */
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		n += s[i] ? malloc_usable_size((void *)(uintptr_t)s[i]) + 16 : 0;
	return n;
}

static int
retry_param(buf_t *out, const char *name, const char *value)
{
	int rc;

	if (value == NULL)
		return PO_OK;
	if (out->len && (rc = buf_puts(out, "&")) != PO_OK)
		return rc;
	if ((rc = buf_puts(out, name)) != PO_OK || (rc = buf_puts(out, "=")) != PO_OK)
		return rc;
	return form_encode(out, value);
}

int
oidc_retry_query(const authz_req_t *r, buf_t *out)
{
	char scope[64];
	int rc;

	scope_format(r->scopes, scope, sizeof(scope));
	if ((rc = retry_param(out, "client_id", r->client_id)) == PO_OK &&
	    (rc = retry_param(out, "redirect_uri", r->redirect_uri)) == PO_OK &&
	    (rc = retry_param(out, "response_type", "code")) == PO_OK && (rc = retry_param(out, "scope", scope)) == PO_OK &&
	    (rc = retry_param(out, "state", r->state)) == PO_OK && (rc = retry_param(out, "nonce", r->nonce)) == PO_OK &&
	    (rc = retry_param(out, "code_challenge", r->code_challenge)) == PO_OK)
		rc = retry_param(out, "code_challenge_method", r->code_challenge ? "S256" : NULL);
	if (rc == PO_OK && r->retry_query)
		rc = (rc = buf_puts(out, "&")) == PO_OK ? buf_puts(out, r->retry_query) : rc;
	return rc;
}

static int
dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL || src[0] == '\0')
		return PO_OK;
	return (*dst = str_dup(src)) ? PO_OK : PO_ERR_NOMEM;
}

void
oidc_authorize(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	form_t f = { 0 };
	const config_client_t *cl;
	const char *client_id, *redirect_uri, *err, *desc = NULL;
	login_t *l = NULL;
	char id[48], bid[48];
	bool new_bid = false;
	buf_t cookie, retry;
	int rc;

	buf_init(&cookie, 512);
	buf_init(&retry, LIM_HTTP_URI_MAX * 2);
	if (oidc_request_params(req, &f) != PO_OK) {
		oidc_error_page(o, resp, 400, "error", "This sign-in link is broken",
		    "The app sent a malformed sign-in request. Go back to the app and try again.", NULL, NULL);
		goto out;
	}
	client_id = form_get(&f, "client_id");
	redirect_uri = form_get(&f, "redirect_uri");
	if (client_id == NULL || form_count(&f, "client_id") > 1 ||
	    (cl = config_client_find(o->cfg, client_id)) == NULL) {
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

	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto fail;
	l->req.scopes = scope_parse(form_get(&f, "scope"));
	if (dup_opt(&l->req.client_id, client_id) != PO_OK || dup_opt(&l->req.redirect_uri, redirect_uri) != PO_OK ||
	    dup_opt(&l->req.state, form_get(&f, "state")) != PO_OK ||
	    dup_opt(&l->req.nonce, form_get(&f, "nonce")) != PO_OK ||
	    dup_opt(&l->req.code_challenge, form_get(&f, "code_challenge")) != PO_OK ||
	    encode_retry(&f, &retry) != PO_OK ||
	    (retry.len && (l->req.retry_query = str_dupn(buf_str(&retry), retry.len)) == NULL))
		goto fail; /* usually no extra parameter: nothing kept */
	if (!oidc_browser_id(o, req, bid, sizeof(bid))) {
		if (rnd_token(bid, sizeof(bid), LIM_RANDOM_TOKEN_BYTES) != PO_OK)
			goto fail;
		new_bid = true;
	}
	memcpy(l->bid, bid, sizeof(l->bid));
	if (rnd_token(id, sizeof(id), LIM_RANDOM_TOKEN_BYTES) != PO_OK)
		goto fail;
	rc = ttl_cache_put_sized(o->logins, id, l, login_size(l), clock_mono_ms());
	l = NULL; /* transferred, even on failure */
	if (rc != PO_OK)
		goto fail;
	if (new_bid) {
		/* A session cookie: it only has to outlive one sign-in. */
		if (cookie_format(&cookie, oidc_bid_cookie_name(o), bid, o->cfg->issuer_path[0] ? o->cfg->issuer_path : "/", -1,
		        o->cfg->issuer_https) != PO_OK)
			goto fail;
		http_resp_header(resp, "Set-Cookie", buf_str(&cookie));
	}
	__atomic_add_fetch(&o->metrics.logins_started, 1, __ATOMIC_RELAXED);
	oidc_render_login(o, resp, id, "idle", client_id);
	goto out;
fail:
	log_error("authorize: cannot create a pending login (out of memory or randomness)");
	oidc_error_redirect(o, resp, redirect_uri, OE_SERVER_ERROR, "the sign-in could not be started",
	    form_get(&f, "state"));
out:
	login_free(l);
	buf_free(&cookie);
	buf_free(&retry);
	form_clear(&f);
}
