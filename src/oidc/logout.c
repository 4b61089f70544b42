/*
 * logout.c - the end-session endpoint (OpenID Connect RP-Initiated Logout
 * 1.0): an app sends the browser here with id_token_hint, client_id,
 * post_logout_redirect_uri and state; the browser's sign-on session ends
 * and the browser goes back to the app.
 *
 *   - post_logout_redirect_uri must be one the client registered (§3):
 *     anything else is an error page, never a redirect; without a client it
 *     cannot be checked and is refused the same way.
 *   - With an id_token_hint this provider signed for the session's user
 *     (§2), the session ends at once. Without one, the user is asked to
 *     confirm (a form posted back here with a confirmation token sealed for
 *     this session and a few minutes), so a link on another site cannot
 *     sign people out.
 *   - Nothing to end (no session) is not an error: the user is signed out.
 *   - Forward auth's copy of the session (the cookie on [server]
 *     cookie_domain) ends with it: the same id is revoked and both cookies
 *     are removed. A browser that has only that copy signs out of it the
 *     same way; one whose copy comes from an older sign-in than its
 *     provider session has that older id revoked too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "oidc/prompt.h"
#include "po_limits.h"
#include "session/seal.h"
#include "ui/page.h"

#define LOGOUT_PURPOSE "logout"
/* The confirmation token: the session id and when the page was shown. */
#define LOGOUT_CONFIRM_MAX 128

/* What the request asked, checked. */
struct logout {
	const char *client_id;   /* checked: a client of ours, or NULL */
	const char *post_logout; /* checked against the client, or NULL */
	const char *state;
	prompt_t hint; /* id_token_hint, verified */
};

/* The hint's aud: a string, or the first of an array. */
static int
hint_aud(const keyring_t *r, const char *issuer, const char *hint, int64_t now, char *out, size_t outsz)
{
	char *payload = NULL;
	json_t *c = NULL;
	const json_t *aud;
	int rc = PO_ERR_INVALID;

	out[0] = '\0';
	if (hint == NULL || keyring_verify_jws(r, hint, strlen(hint), now, &payload) != PO_OK ||
	    (c = json_loads(payload, 0, NULL)) == NULL || !json_is_string(json_object_get(c, "iss")) ||
	    strcmp(json_string_value(json_object_get(c, "iss")), issuer) != 0)
		goto out;
	aud = json_object_get(c, "aud");
	if (json_is_array(aud))
		aud = json_array_get(aud, 0);
	if (json_is_string(aud) && json_string_length(aud) < outsz) {
		memcpy(out, json_string_value(aud), json_string_length(aud) + 1);
		rc = PO_OK;
	}
out:
	json_decref(c);
	free(payload);
	return rc;
}

/* Reads and checks the parameters. NULL when they can be followed, else a
 * sentence for the error page. */
static const char *
read_request(oidc_t *o, const form_t *f, const keyring_t *r, int64_t now, struct logout *lo, char *aud, size_t audsz)
{
	const config_client_t *cl = NULL;

	memset(lo, 0, sizeof(*lo));
	lo->client_id = form_get(f, "client_id");
	lo->post_logout = form_get(f, "post_logout_redirect_uri");
	lo->state = form_get(f, "state");
	prompt_hint(f, r, o->o.cfg->issuer, now, &lo->hint);
	if (lo->hint.hint_ok && hint_aud(r, o->o.cfg->issuer, form_get(f, "id_token_hint"), now, aud, audsz) == PO_OK) {
		/* §2: client_id, if given too, must be the hint's audience. */
		if (lo->client_id && strcmp(lo->client_id, aud) != 0)
			return "The app's name does not match the sign-in it asks to end.";
		lo->client_id = aud;
	}
	if (lo->client_id && (cl = config_client_find(o->o.cfg, lo->client_id)) == NULL)
		return "The app that sent you here is not registered with this sign-in service.";
	if (lo->post_logout && !config_client_post_logout_ok(cl, lo->post_logout))
		return "The app asked to send you back to an address that is not registered for it after signing out.";
	return NULL;
}

/* The end: back to the app (§3, with state), or a page. */
static void
signed_out(oidc_t *o, const struct logout *lo, http_resp_t *resp)
{
	buf_t loc;
	int rc;

	if (lo->post_logout == NULL) {
		oidc_error_page(o, resp, 200, "done", "You are signed out",
		    "Your sign-in on this device has ended. Apps you are still signed in to keep their own sessions until "
		    "you sign out of them.",
		    NULL, NULL);
		return;
	}
	buf_init(&loc, strlen(lo->post_logout) + (lo->state ? 3 * strlen(lo->state) : 0) + LIM_URL_MAX);
	if ((rc = buf_puts(&loc, lo->post_logout)) == PO_OK && lo->state &&
	    (rc = buf_puts(&loc, strchr(lo->post_logout, '?') ? "&state=" : "?state=")) == PO_OK)
		rc = form_encode(&loc, lo->state);
	resp->status = 302;
	if (rc != PO_OK || (rc = http_resp_header(resp, "Location", buf_str(&loc))) != PO_OK ||
	    (rc = http_resp_header(resp, "Cache-Control", "no-store")) != PO_OK)
		(void)http_resp_fail(resp, rc);
	buf_free(&loc);
}

/* The origin of an absolute http(s) URL: "scheme://host[:port]". */
static int
url_origin(const char *url, char *out, size_t outsz)
{
	const char *p = strstr(url, "://");
	size_t n;

	if (p == NULL)
		return PO_ERR_INVALID;
	p += 3;
	n = (size_t)(p - url) + strcspn(p, "/?#");
	if (n >= outsz)
		return PO_ERR_LIMIT;
	memcpy(out, url, n);
	out[n] = '\0';
	return PO_OK;
}

/* A confirmation token for session s, made at now. */
static int
confirm_token(const keyring_t *r, const char *issuer, const session_t *s, int64_t now, char **out)
{
	char pt[LOGOUT_CONFIRM_MAX];
	int n = snprintf(pt, sizeof(pt), "%s %lld", s->sid, (long long)now);

	*out = NULL;
	if (n < 0 || (size_t)n >= sizeof(pt))
		return PO_ERR_LIMIT;
	return seal_seal(r, LOGOUT_PURPOSE, issuer, pt, (size_t)n, out);
}

/* true if the form carries a fresh confirmation token for session s. */
static bool
confirmed(const keyring_t *r, const char *issuer, const form_t *f, const session_t *s, int64_t now)
{
	const char *c = form_get(f, "confirm");
	uint8_t *pt = NULL;
	size_t n = 0, sl = strlen(s->sid);
	uint64_t t;
	bool ok = false;

	if (c == NULL || seal_open(r, now, LOGOUT_PURPOSE, issuer, c, strlen(c), &pt, &n) != PO_OK)
		return false;
	if (n > sl + 1 && memcmp(pt, s->sid, sl) == 0 && pt[sl] == ' ' &&
	    str_to_u64((const char *)pt + sl + 1, n - sl - 1, INT64_MAX, &t) == PO_OK &&
	    now - (int64_t)t <= LIM_LOGOUT_CONFIRM_S && (int64_t)t <= now)
		ok = true;
	seal_free(pt, n);
	return ok;
}

static void
confirm_page(oidc_t *o, const keyring_t *r, const struct logout *lo, const session_t *s, int64_t now,
    http_resp_t *resp)
{
	const config_client_t *cl = lo->client_id ? config_client_find(o->o.cfg, lo->client_id) : NULL;
	char *token = NULL;

	if (confirm_token(r, o->o.cfg->issuer, s, now, &token) != PO_OK) {
		oidc_error_page(o, resp, 500, "error", "Something went wrong", "Signing out could not start.", NULL, NULL);
		return;
	}
	{
		ui_var_t vars[] = {
			{ "confirm", token },
			{ "account", s->who->name },
			{ "client_id", lo->client_id },
			{ "client_name", cl && cl->name ? cl->name : NULL },
			{ "post_logout_redirect_uri", lo->post_logout },
			{ "state", lo->state },
		};
		char origin[LIM_URL_MAX];

		/* The form's answer redirects to the app: its origin may be a
		 * form-action target (a registered URI, checked above). */
		if (lo->post_logout && url_origin(lo->post_logout, origin, sizeof(origin)) == PO_OK)
			page_render_form_to(o->o.ui, o->o.cfg->issuer_path, resp, 200, "logout.html", vars,
			    sizeof(vars) / sizeof(vars[0]), origin);
		else
			page_render(o->o.ui, o->o.cfg->issuer_path, resp, 200, "logout.html", vars,
			    sizeof(vars) / sizeof(vars[0]));
	}
	free(token);
}

void
oidc_logout(void *arg, http_req_t *req, http_resp_t *resp)
{
	oidc_t *o = arg;
	keyring_t *r = keyholder_get(o->o.keys);
	int64_t now = clock_now_s();
	form_t f = { 0 };
	struct logout lo;
	session_t s = { 0 }, g = { 0 };
	char aud[LIM_CLIENT_ID_MAX + 1];
	const char *why;
	bool has, has_gate;

	if (oidc_request_params(req, &f) != PO_OK) {
		oidc_error_page(o, resp, 400, "error", "This sign-out link is broken", "The app sent a malformed request.",
		    NULL, NULL);
		goto out;
	}
	if ((why = read_request(o, &f, r, now, &lo, aud, sizeof(aud))) != NULL) {
		oidc_error_page(o, resp, 400, "error", "Sign-out stopped", why, NULL, NULL);
		goto out;
	}
	has = oidc_session_of(o, r, req, now, &s) == PO_OK;
	has_gate = oidc_gate_session_of(o, r, req, now, &g) == PO_OK;
	if (!has && has_gate) {
		/* Signed in through forward auth only: that is the session. */
		s = g;
		memset(&g, 0, sizeof(g)); /* transferred */
		has = true;
		has_gate = false;
	}
	if (!has) {
		/* Nothing to end; expired or ended cookies are removed anyway. */
		oidc_clear_session_cookies(o, resp);
		signed_out(o, &lo, resp);
		goto out;
	}
	/* §2: a hint for this user is proof enough; a confirmed form too. */
	if ((lo.hint.hint_ok && strcmp(lo.hint.hint_sub, s.who->sub) == 0) ||
	    (strcmp(req->method, "POST") == 0 && confirmed(r, o->o.cfg->issuer, &f, &s, now))) {
		log_info("logout: the session of Plex account %s ended", s.who->sub);
		oidc_end_session(o, &s, resp);
		if (has_gate && strcmp(g.sid, s.sid) != 0 && session_revoke(o->o.store, g.sid) != PO_OK)
			log_warn("logout: an older forward-auth session could not be marked as ended; its cookie is removed");
		signed_out(o, &lo, resp);
		goto out;
	}
	confirm_page(o, r, &lo, &s, now, resp);
out:
	session_clear(&s);
	session_clear(&g);
	keyholder_put(r);
	form_clear(&f);
}
