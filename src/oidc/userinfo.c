/*
 * userinfo.c - the UserInfo endpoint (OIDC Core §5.3): the same claims as
 * the ID token for a valid access token, by GET or POST, the token in an
 * Authorization: Bearer header (RFC 6750 §2.1) or, for POST, the
 * access_token form parameter (§2.2).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/str.h"
#include "oidc/errors.h"
#include "oidc/internal.h"

struct lookup {
	json_t *out;
};

static enum ttl_cache_action
lookup_locked(void *val, void *arg)
{
	token_grant_t *t = val;
	struct lookup *lk = arg;

	if ((lk->out = json_object()) != NULL && claims_to_json(t->claims, t->scopes, lk->out) != PO_OK) {
		json_decref(lk->out);
		lk->out = NULL;
	}
	return TTL_CACHE_KEEP;
}

static void
unauthorized(http_resp_t *resp, const char *challenge)
{
	oidc_error_json(resp, 401, OE_INVALID_TOKEN, NULL);
	http_resp_header(resp, "WWW-Authenticate", challenge);
}

void
oidc_userinfo(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	form_t f = { 0 };
	struct lookup lk = { NULL };
	char *token = NULL, *body = NULL;
	const char *a = req->authorization;

	oidc_cors_headers(resp);
	/* RFC 6750 §2: a client must not use more than one method. */
	if (a && strcmp(req->method, "POST") == 0 && req->content_type &&
	    strncasecmp(req->content_type, "application/x-www-form-urlencoded", 33) == 0 &&
	    form_parse(req->body, req->body_len, &f) == PO_OK && form_count(&f, "access_token") > 0) {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, "send the access token one way only");
		http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"plex-oidc\", error=\"invalid_request\"");
		goto out;
	}
	form_clear(&f);
	if (a && strncasecmp(a, "Bearer ", 7) == 0) {
		a += 7;
		while (*a == ' ')
			a++;
		token = str_dup(a);
	} else if (a == NULL && strcmp(req->method, "POST") == 0 && req->content_type &&
	           strncasecmp(req->content_type, "application/x-www-form-urlencoded", 33) == 0 &&
	           form_parse(req->body, req->body_len, &f) == PO_OK && form_count(&f, "access_token") == 1) {
		token = str_dup(form_get(&f, "access_token"));
	}
	if (token == NULL) {
		/* RFC 6750 §3.1: no error code when no token was sent. */
		oidc_error_json(resp, 401, OE_INVALID_REQUEST, "an access token is required");
		http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"plex-oidc\"");
		goto out;
	}
	if (ttl_cache_with(o->tokens, token, clock_mono_ms(), lookup_locked, &lk) != PO_OK) {
		unauthorized(resp, "Bearer realm=\"plex-oidc\", error=\"invalid_token\", "
		                   "error_description=\"the access token is invalid or expired\"");
		goto out;
	}
	if (lk.out == NULL || (body = json_dumps(lk.out, JSON_COMPACT)) == NULL) {
		oidc_error_json(resp, 500, OE_SERVER_ERROR, NULL);
		goto out;
	}
	http_resp_text(resp, 200, "application/json", body, strlen(body));
	http_resp_header(resp, "Cache-Control", "no-store");
out:
	json_decref(lk.out);
	free(body);
	str_free_secret(token);
	form_clear(&f);
}
