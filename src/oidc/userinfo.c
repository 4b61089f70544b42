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

#include "core/log.h"
#include "core/err.h"
#include "core/str.h"
#include "oidc/claims.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "po_limits.h"

static int
claims_answer(const config_t *cfg, const token_grant_t *t, http_resp_t *resp)
{
	json_t *j = json_object();
	char *body = NULL;
	int rc = PO_ERR_NOMEM;

	/* The client's own settings (always_send_groups); one removed from
	 * the configuration since gets what the scopes release. */
	if (j == NULL ||
	    (rc = claims_for_client(cfg, config_client_find(cfg, t->client_id), t->who, t->scopes, CLAIMS_USERINFO, j)) !=
	        PO_OK)
		goto out;
	rc = PO_ERR_NOMEM;
	if ((body = json_dumps(j, JSON_COMPACT)) == NULL)
		goto out;
	if ((rc = http_resp_text(resp, 200, "application/json", body)) != PO_OK)
		goto out;
	rc = http_resp_header(resp, "Cache-Control", "no-store");
out:
	json_decref(j);
	free(body);
	return rc;
}

/* RFC 6750 §3: 401 with a challenge. */
static void
unauthorized(http_resp_t *resp, const char *error, const char *desc, const char *challenge)
{
	oidc_error_json(resp, 401, error, desc);
	(void)http_resp_fail(resp, http_resp_header(resp, "WWW-Authenticate", challenge));
}

void
oidc_userinfo(void *arg, http_req_t *req, http_resp_t *resp)
{
	static const char bearer[] = "Bearer ";
	oidc_t *o = arg;
	form_t f = { 0 };
	token_grant_t t = { 0 };
	char *token = NULL;
	const char *a = req->authorization;
	bool post_form = strcmp(req->method, "POST") == 0 && oidc_form_body(req);
	buf_t rec;
	int rc;

	buf_init(&rec, LIM_STORE_VALUE_MAX);
	if (post_form && form_parse(req->body, req->body_len, &f) != PO_OK)
		form_clear(&f);
	/* RFC 6750 §2: a client must not use more than one method. */
	if (a && form_count(&f, "access_token") > 0) {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, "send the access token one way only");
		(void)http_resp_fail(resp,
		    http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"plex-oidc\", error=\"invalid_request\""));
		goto out;
	}
	if (a && strncasecmp(a, bearer, sizeof(bearer) - 1) == 0) {
		a += sizeof(bearer) - 1;
		while (*a == ' ')
			a++;
		token = str_dup(a);
	} else if (a == NULL && form_count(&f, "access_token") == 1) {
		token = str_dup(form_get(&f, "access_token"));
	}
	if (token == NULL) {
		/* RFC 6750 §3.1: no error code when no token was sent. */
		unauthorized(resp, OE_INVALID_REQUEST, "an access token is required", "Bearer realm=\"plex-oidc\"");
		goto out;
	}
	if ((rc = store_get(o->o.store, STORE_TOKENS, token, &rec)) == PO_ERR_UPSTREAM) {
		oidc_error_json(resp, 503, OE_TEMPORARILY_UNAVAILABLE, "try again in a moment");
		goto out;
	}
	if (rc != PO_OK || token_grant_decode(rec.data, rec.len, &t) != PO_OK) {
		unauthorized(resp, OE_INVALID_TOKEN, NULL,
		    "Bearer realm=\"plex-oidc\", error=\"invalid_token\", "
		    "error_description=\"the access token is invalid or expired\"");
		goto out;
	}
	if ((rc = claims_answer(o->o.cfg, &t, resp)) != PO_OK)
		oidc_error_json(resp, 500, OE_SERVER_ERROR, NULL);
out:
	token_grant_clear(&t);
	str_free_secret(token);
	form_clear(&f);
	buf_free(&rec);
}
