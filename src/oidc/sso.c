/*
 * sso.c - the sign-on session at the provider: reading it from the
 * browser's cookie (session/session.h) with its revocation, ending it, and
 * the pages a session's outcome shows. The logout endpoint is logout.c.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/cookie.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "policy/policy.h"
#include "session/access.h"
#include "po_limits.h"
#include "ui/page.h"

/* "You don't have access to " and an app's name. */
#define SSO_HEADING_MAX (64 + LIM_PLEX_FIELD_MAX)

int
oidc_session_of(const oidc_t *o, const keyring_t *ring, const http_req_t *req, int64_t now, session_t *out)
{
	int rc;

	if ((rc = session_from_request(ring, o->o.cfg->issuer, o->o.cfg->issuer_https, now, req, out)) != PO_OK)
		return rc;
	/* Ended before its time (logout, a share removed): as good as absent.
	 * A store out of reach cannot tell: the session is not trusted then
	 * either. */
	if ((rc = session_check_revoked(o->o.store, out->sid)) != PO_OK)
		session_clear(out);
	return rc;
}

void
oidc_end_session(oidc_t *o, const session_t *s, http_resp_t *resp)
{
	int rc = session_revoke(o->o.store, s->sid);

	if (rc != PO_OK && rc != PO_ERR_INVALID) /* INVALID: revoked already */
		log_warn_fr(rc, "a session could not be marked as ended; its cookie is removed");
	access_forget(o->o.access, s->sid);
	oidc_clear_session_cookies(o, resp);
}

void
oidc_clear_session_cookies(const oidc_t *o, http_resp_t *resp)
{
	const config_t *cfg = o->o.cfg;

	if (session_set_cookie(resp, cfg->issuer_https, NULL, 0, 0) != PO_OK)
		log_warn("the session cookie could not be removed");
	/* Forward auth's copy of the session, on the parent domain (the
	 * issuer's host is under it, so this answer may remove it). */
	if (cfg->cookie_domain != NULL &&
	    session_set_gate_cookie(resp, cfg->issuer_https, cfg->cookie_domain, NULL, 0, 0) != PO_OK)
		log_warn("the forward-auth cookie could not be removed");
}

int
oidc_gate_session_of(const oidc_t *o, const keyring_t *ring, const http_req_t *req, int64_t now, session_t *out)
{
	const config_t *cfg = o->o.cfg;
	const char *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (cfg->cookie_domain == NULL || req->cookie == NULL ||
	    cookie_get(req->cookie, strlen(req->cookie), session_gate_cookie_name(cfg->issuer_https), &v, &n) != PO_OK)
		return PO_ERR_NOTFOUND;
	if ((rc = session_open_gate(ring, cfg->issuer, now, v, n, out)) != PO_OK)
		return rc;
	if ((rc = session_check_revoked(o->o.store, out->sid)) != PO_OK)
		session_clear(out);
	return rc;
}

void
oidc_no_access_page(const oidc_t *o, http_resp_t *resp, const char *account, const char *app)
{
	buf_t heading;

	buf_init(&heading, SSO_HEADING_MAX);
	if (app == NULL || buf_appendf(&heading, "You don't have access to %s", app) != PO_OK)
		buf_reset(&heading);
	const char *text = "This Plex server is not shared with the account you signed in with.";
	const char *detail = "Ask the server's owner to share their Plex server with this account, then try again.";

	if (app != NULL) {
		text = "Your Plex account is signed in, but it is not among the people this app is for.";
		detail = "Ask the server's owner for access to this app, or sign out and sign in with another Plex account.";
	}
	ui_var_t vars[] = {
		{ "kind", "denied" },
		{ "heading", heading.len ? buf_str(&heading) : "No access for this Plex account" },
		{ "text", text },
		{ "account", account },
		{ "detail", detail },
		{ "secondary_url", oidc_logout_url(o) },
		{ "secondary_label", "Sign out" },
	};

	oidc_page(o, resp, 403, vars, sizeof(vars) / sizeof(vars[0]));
	buf_free(&heading);
}

bool
oidc_client_admits(const oidc_t *o, const config_client_t *cl, const identity_t *who)
{
	config_groupset_t g;

	policy_groups(o->o.cfg, who, &g);
	if (policy_allows(&cl->allow, &g))
		return true;
	/* The uuid and name are not secrets; they make the log useful. */
	log_info("sign-in: Plex account %s (%s) is not among the groups client %s allows", who->sub, who->name, cl->id);
	metrics_inc(o->o.metrics, M_APP_DENIED);
	return false;
}

enum oidc_refusal
oidc_client_refusal(const oidc_t *o, const config_client_t *cl, const identity_t *who)
{
	if (!oidc_client_admits(o, cl, who))
		return OIDC_REFUSED_GROUPS;
	if (cl->require_email && (who->email == NULL || who->email[0] == '\0')) {
		log_info("sign-in: Plex account %s (%s) has no email, which client %s requires", who->sub, who->name,
		    cl->id);
		metrics_inc(o->o.metrics, M_APP_DENIED);
		return OIDC_REFUSED_NO_EMAIL;
	}
	return OIDC_ADMITTED;
}

const char *
oidc_refusal_text(enum oidc_refusal why)
{
	return why == OIDC_REFUSED_NO_EMAIL ? "this application requires an email address and the account has none"
	                                    : "this account may not use this application";
}

void
oidc_refusal_page(const oidc_t *o, http_resp_t *resp, const char *account, const config_client_t *cl,
    enum oidc_refusal why)
{
	buf_t heading;

	if (why != OIDC_REFUSED_NO_EMAIL) {
		oidc_no_access_page(o, resp, account, oidc_client_label(cl));
		return;
	}
	buf_init(&heading, SSO_HEADING_MAX);
	if (buf_appendf(&heading, "%s needs an email address", oidc_client_label(cl)) != PO_OK)
		buf_reset(&heading);
	ui_var_t vars[] = {
		{ "kind", "denied" },
		{ "heading", heading.len ? buf_str(&heading) : "This app needs an email address" },
		{ "text", "Your Plex account has no email address, and this app identifies people by their email. "
		          "Managed Plex Home users have none." },
		{ "account", account },
		{ "detail", "Sign in with a Plex account that has an email address, or ask the server's owner about "
		            "access to this app." },
		{ "secondary_url", oidc_logout_url(o) },
		{ "secondary_label", "Sign out" },
	};
	oidc_page(o, resp, 403, vars, sizeof(vars) / sizeof(vars[0]));
	buf_free(&heading);
}

const char *
oidc_client_label(const config_client_t *cl)
{
	return cl->name != NULL ? cl->name : cl->id;
}

void
oidc_unavailable_page(const oidc_t *o, http_resp_t *resp)
{
	oidc_error_page(o, resp, 503, "unavailable", "Plex is not answering",
	    "Plex's sign-in service did not respond, so we could not check your access. This is usually brief: please "
	    "try again in a minute.",
	    NULL, NULL);
	(void)http_resp_fail(resp, http_resp_header(resp, "Retry-After", OIDC_UNAVAILABLE_RETRY_AFTER));
}

const char *
oidc_logout_url(const oidc_t *o)
{
	return o->logout_url;
}
