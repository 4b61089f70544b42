/*
 * token.c - the token endpoint (RFC 6749 §3.2, §4.1.3; OIDC Core §3.1.3):
 * client authentication, the code checks, and the ID and access tokens.
 *
 * Client authentication (RFC 6749 §2.3.1): client_secret_basic or
 * client_secret_post, exactly one per request, secrets compared in constant
 * time. A code is single-use: its first presentation consumes it whatever
 * the outcome, and a second one gets invalid_grant and revokes the access
 * token the first one issued (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/b64url.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/str.h"
#include "jose/jws.h"
#include "po_limits.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "oidc/pkce.h"

/* The client's credentials as presented. */
struct creds {
	char *id;
	char *secret;
	bool basic;
};

static void
creds_clear(struct creds *c)
{
	free(c->id);
	str_free_secret(c->secret);
	memset(c, 0, sizeof(*c));
}

/* Reads the credentials from Authorization: Basic or the body. Returns NULL
 * when well-formed, else an error description (invalid_request). */
static const char *
read_creds(const http_req_t *req, const form_t *f, struct creds *c)
{
	const char *auth = req->authorization;

	if (auth && strncasecmp(auth, "Basic ", 6) == 0) {
		uint8_t raw[1024];
		const char *b = auth + 6, *colon;
		long n;

		c->basic = true;
		while (*b == ' ')
			b++;
		if ((n = b64_decode(b, strlen(b), raw, sizeof(raw) - 1)) < 0)
			return "the Authorization header is not valid Basic credentials";
		raw[n] = '\0';
		if ((colon = memchr(raw, ':', (size_t)n)) == NULL) {
			str_wipe(raw, sizeof(raw));
			return "the Authorization header is not valid Basic credentials";
		}
		/* RFC 6749 §2.3.1: both parts are form-urlencoded. */
		c->id = form_decode((const char *)raw, (size_t)(colon - (const char *)raw), true);
		c->secret = form_decode(colon + 1, (size_t)n - (size_t)(colon + 1 - (const char *)raw), true);
		str_wipe(raw, sizeof(raw));
		if (c->id == NULL || c->secret == NULL)
			return "the Authorization header is not valid Basic credentials";
		if (form_get(f, "client_secret"))
			return "use one client authentication method, not two";
		if (form_get(f, "client_id") && strcmp(form_get(f, "client_id"), c->id) != 0)
			return "client_id does not match the Authorization header";
		return NULL;
	}
	if (auth)
		return NULL; /* another scheme: treated as no credentials */
	if (form_get(f, "client_id"))
		c->id = str_dup(form_get(f, "client_id"));
	if (form_get(f, "client_secret"))
		c->secret = str_dup(form_get(f, "client_secret"));
	return NULL;
}

struct redeem {
	const char *client_id; /* the authenticated client */
	code_grant_t *copy;    /* a copy of the grant, first use only */
	bool replay;
	bool wrong_client;
	char revoke[48];       /* access token to revoke on replay */
};

static enum ttl_cache_action
redeem_locked(void *val, void *arg)
{
	code_grant_t *g = val;
	struct redeem *r = arg;

	/* Another client cannot use, burn or revoke this client's code. */
	if (strcmp(g->req.client_id, r->client_id) != 0) {
		r->wrong_client = true;
		return TTL_CACHE_KEEP;
	}
	if (g->used) {
		r->replay = true;
		g->replayed = true; /* an exchange still signing revokes its own token */
		memcpy(r->revoke, g->access_token, sizeof(r->revoke));
		g->access_token[0] = '\0';
		return TTL_CACHE_KEEP;
	}
	g->used = true; /* consumed, whatever happens next */
	if ((r->copy = calloc(1, sizeof(*r->copy))) == NULL)
		return TTL_CACHE_KEEP;
	if (authz_req_copy(&r->copy->req, &g->req) != PO_OK || (r->copy->claims = claims_dup(g->claims)) == NULL) {
		code_grant_free(r->copy);
		r->copy = NULL;
		return TTL_CACHE_KEEP;
	}
	r->copy->issued_ms = g->issued_ms;
	return TTL_CACHE_KEEP;
}

struct remember {
	const char *token;
	bool replayed; /* out: the code was replayed while we were issuing */
};

static enum ttl_cache_action
remember_token_locked(void *val, void *arg)
{
	code_grant_t *g = val;
	struct remember *rm = arg;

	if (g->replayed)
		rm->replayed = true;
	else
		snprintf(g->access_token, sizeof(g->access_token), "%s", rm->token);
	return TTL_CACHE_KEEP;
}

/* Builds and signs the ID token (OIDC Core §2, §3.1.3.6). */
static char *
id_token(oidc_t *o, const code_grant_t *g, const char *access_token, int64_t now)
{
	json_t *c = json_object();
	char at_hash[32], *payload = NULL, *jwt = NULL;

	if (c == NULL || claims_to_json(g->claims, g->req.scopes, c) != PO_OK ||
	    jose_at_hash(access_token, strlen(access_token), at_hash, sizeof(at_hash)) != PO_OK)
		goto out;
	json_object_set_new(c, "iss", json_string(o->cfg->issuer));
	json_object_set_new(c, "aud", json_string(g->req.client_id));
	json_object_set_new(c, "exp", json_integer(now + LIM_ID_TOKEN_TTL_S));
	json_object_set_new(c, "iat", json_integer(now));
	json_object_set_new(c, "auth_time", json_integer(g->claims->auth_time));
	if (g->req.nonce)
		json_object_set_new(c, "nonce", json_string(g->req.nonce));
	json_object_set_new(c, "at_hash", json_string(at_hash));
	if ((payload = json_dumps(c, JSON_COMPACT)) == NULL)
		goto out;
	if (jose_jws_sign(o->key, payload, strlen(payload), &jwt) != PO_OK)
		jwt = NULL;
out:
	json_decref(c);
	free(payload);
	return jwt;
}

void
oidc_token(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	form_t f = { 0 };
	struct creds cr = { 0 };
	struct redeem rd = { 0 };
	const config_client_t *cl = NULL;
	const char *err_desc, *grant, *code, *ruri, *verifier;
	token_grant_t *tg = NULL;
	char at[48] = "", *jwt = NULL, *body = NULL, scope[64];
	json_t *j = NULL;
	int64_t now = clock_now_s();
	int rc;

	oidc_cors_headers(resp);
	if (req->content_type == NULL ||
	    strncasecmp(req->content_type, "application/x-www-form-urlencoded", 33) != 0) {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, "the body must be application/x-www-form-urlencoded");
		goto out;
	}
	if (form_parse(req->body, req->body_len, &f) != PO_OK) {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, "the body is not valid form data");
		goto out;
	}
	/* RFC 6749 §3.2: parameters must not be repeated. */
	for (size_t i = 0; i < f.n; i++)
		if (form_count(&f, f.p[i].name) > 1) {
			oidc_error_json(resp, 400, OE_INVALID_REQUEST, "a parameter was given more than once");
			goto out;
		}
	if ((err_desc = read_creds(req, &f, &cr)) != NULL) {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, err_desc);
		goto out;
	}
	if (cr.id == NULL || cr.secret == NULL || (cl = config_client_find(o->cfg, cr.id)) == NULL ||
	    !str_ct_eq(cr.secret, strlen(cr.secret), cl->secret, strlen(cl->secret))) {
		/* RFC 6749 §5.2: 401, with a challenge when Basic was tried. */
		oidc_error_json(resp, 401, OE_INVALID_CLIENT, "client authentication failed");
		if (cr.basic)
			http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"plex-oidc\", charset=\"UTF-8\"");
		goto out;
	}
	grant = form_get(&f, "grant_type");
	if (grant == NULL) {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, "grant_type is required");
		goto out;
	}
	if (strcmp(grant, "authorization_code") != 0) {
		oidc_error_json(resp, 400, OE_UNSUPPORTED_GRANT_TYPE, "only authorization_code is supported");
		goto out;
	}
	if ((code = form_get(&f, "code")) == NULL || code[0] == '\0') {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, "code is required");
		goto out;
	}
	rd.client_id = cl->id;
	if (ttl_cache_with(o->codes, code, clock_mono_ms(), redeem_locked, &rd) != PO_OK) {
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "the code is invalid or expired");
		goto out;
	}
	if (rd.replay) {
		if (rd.revoke[0])
			ttl_cache_remove(o->tokens, rd.revoke);
		log_warn("token: authorization code replayed by client %s; its tokens were revoked", cl->id);
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "the code was already used");
		goto out;
	}
	if (rd.wrong_client) {
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "the code was issued to another client");
		goto out;
	}
	if (rd.copy == NULL) {
		oidc_error_json(resp, 500, OE_SERVER_ERROR, NULL);
		goto out;
	}
	if (clock_mono_ms() - rd.copy->issued_ms > (int64_t)LIM_CODE_TTL_S * 1000) {
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "the code is invalid or expired");
		goto out;
	}
	/* RFC 6749 §4.1.3: required and identical when it was in the request. */
	if ((ruri = form_get(&f, "redirect_uri")) == NULL) {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, "redirect_uri is required");
		goto out;
	}
	if (strcmp(ruri, rd.copy->req.redirect_uri) != 0) {
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "redirect_uri does not match the authorization request");
		goto out;
	}
	verifier = form_get(&f, "code_verifier");
	if (rd.copy->req.code_challenge) {
		/* RFC 7636 §4.6 */
		if (verifier == NULL || !pkce_s256_matches(verifier, strlen(verifier), rd.copy->req.code_challenge,
		                            strlen(rd.copy->req.code_challenge))) {
			oidc_error_json(resp, 400, OE_INVALID_GRANT, "code_verifier does not match the code_challenge");
			goto out;
		}
	} else if (verifier) {
		/* RFC 9700 §2.1.1: a verifier without a challenge is a downgrade. */
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "code_verifier sent but no code_challenge was");
		goto out;
	}

	if (rnd_token(at, sizeof(at), LIM_RANDOM_TOKEN_BYTES) != PO_OK ||
	    (tg = calloc(1, sizeof(*tg))) == NULL || (tg->client_id = str_dup(cl->id)) == NULL ||
	    (tg->claims = claims_dup(rd.copy->claims)) == NULL)
		goto fail;
	tg->scopes = rd.copy->req.scopes;
	if ((jwt = id_token(o, rd.copy, at, now)) == NULL)
		goto fail;
	rc = ttl_cache_put(o->tokens, at, tg, clock_mono_ms());
	tg = NULL; /* transferred */
	if (rc != PO_OK)
		goto fail;
	{
		struct remember rm = { at, false };
		ttl_cache_with(o->codes, code, clock_mono_ms(), remember_token_locked, &rm);
		if (rm.replayed) {
			/* Replayed while we were signing: nothing it issued may live. */
			ttl_cache_remove(o->tokens, at);
			oidc_error_json(resp, 400, OE_INVALID_GRANT, "the code was already used");
			goto out;
		}
	}
	scope_format(rd.copy->req.scopes, scope, sizeof(scope));
	if ((j = json_object()) == NULL)
		goto fail;
	json_object_set_new(j, "access_token", json_string(at));
	json_object_set_new(j, "token_type", json_string("Bearer"));
	json_object_set_new(j, "expires_in", json_integer(LIM_ACCESS_TOKEN_TTL_S));
	json_object_set_new(j, "id_token", json_string(jwt));
	json_object_set_new(j, "scope", json_string(scope));
	if ((body = json_dumps(j, JSON_COMPACT)) == NULL)
		goto fail;
	http_resp_text(resp, 200, "application/json", body, strlen(body));
	/* RFC 6749 §5.1 */
	http_resp_header(resp, "Cache-Control", "no-store");
	http_resp_header(resp, "Pragma", "no-cache");
	__atomic_add_fetch(&o->metrics.tokens_issued, 1, __ATOMIC_RELAXED);
	goto out;
fail:
	log_error("token: cannot issue tokens (out of memory, randomness or signing failed)");
	oidc_error_json(resp, 500, OE_SERVER_ERROR, NULL);
out:
	token_grant_free(tg);
	code_grant_free(rd.copy);
	creds_clear(&cr);
	form_clear(&f);
	json_decref(j);
	str_free_secret(body);
	free(jwt);
	str_wipe(at, sizeof(at));
	str_wipe(rd.revoke, sizeof(rd.revoke));
}
