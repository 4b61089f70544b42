/*
 * token.c - the token endpoint (RFC 6749 §3.2, §4.1.3; OIDC Core §3.1.3):
 * client authentication, the code checks, and the ID and access tokens.
 *
 * Client authentication (RFC 6749 §2.3) is client_auth.c's: a secret, by
 * Basic or in the body, compared in constant time (or with its scrypt
 * hash), or none for a public client. A code is single-use: its first presentation consumes it whatever
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
#include "keys/keyring.h"
#include "po_limits.h"
#include "oidc/claims.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "oidc/pkce.h"

/* at_hash: base64url of half a SHA-256 (22 characters) or of half a
 * SHA-512 (43), and the NUL. */
#define TOKEN_AT_HASH_SIZE 48

/* The first presentation of a code, as store_update()'s callback: the
 * code is consumed whatever happens next; a second one is a replay. Every
 * output is rewritten on each call (a shared store may retry). */
struct redeem {
	const char *client_id; /* the authenticated client */
	code_grant_t copy;     /* the grant, first use only */
	bool found;            /* copy is set */
	bool replay;
	bool wrong_client;
	char revoke[GRANT_TOKEN_SIZE]; /* access token to revoke on replay */
	int rc;
};

static enum store_write
redeem_fn(void *arg, const char *val, size_t len, buf_t *next)
{
	struct redeem *r = arg;
	code_grant_t g;

	code_grant_clear(&r->copy);
	r->found = r->replay = r->wrong_client = false;
	r->revoke[0] = '\0';
	if ((r->rc = code_grant_decode(val, len, &g)) != PO_OK)
		return STORE_KEEP;
	/* Another client cannot use, burn or revoke this client's code. */
	if (strcmp(g.req.client_id, r->client_id) != 0) {
		r->wrong_client = true;
		code_grant_clear(&g);
		return STORE_KEEP;
	}
	if (g.used) {
		r->replay = true;
		g.replayed = true; /* an exchange still signing revokes its own token */
		memcpy(r->revoke, g.access_token, sizeof(r->revoke));
		g.access_token[0] = '\0';
	} else {
		g.used = true; /* consumed, whatever happens next */
	}
	if ((r->rc = code_grant_encode(&g, next)) != PO_OK) {
		code_grant_clear(&g);
		return STORE_KEEP;
	}
	if (!r->replay) {
		r->copy = g;
		memset(&g, 0, sizeof(g)); /* transferred */
		r->found = true;
	}
	code_grant_clear(&g);
	return STORE_REPLACE;
}

/* After issuing: the code remembers its access token (to revoke it on a
 * replay), unless a replay came meanwhile. */
struct remember {
	const char *token;
	bool replayed;
	int rc;
};

static enum store_write
remember_fn(void *arg, const char *val, size_t len, buf_t *next)
{
	struct remember *rm = arg;
	code_grant_t g;

	rm->replayed = false;
	if ((rm->rc = code_grant_decode(val, len, &g)) != PO_OK)
		return STORE_KEEP;
	if (g.replayed) {
		rm->replayed = true;
		code_grant_clear(&g);
		return STORE_KEEP;
	}
	memcpy(g.access_token, rm->token, strlen(rm->token) + 1);
	rm->rc = code_grant_encode(&g, next);
	code_grant_clear(&g);
	return rm->rc == PO_OK ? STORE_REPLACE : STORE_KEEP;
}

/* Builds and signs the ID token (OIDC Core §2, §3.1.3.6) with the
 * current key of the client's algorithm. */
static int
id_token(const oidc_t *o, const oidc_issue_t *in, const char *access_token, int64_t now, char **out)
{
	const config_client_t *cl = in->cl;
	enum jose_alg alg = oidc_client_alg(cl);
	keyring_t *ring = keyholder_get(o->o.keys);
	const jose_key_t *key = keyring_signer(ring, alg);
	json_t *c = json_object();
	char at_hash[TOKEN_AT_HASH_SIZE], *payload = NULL;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	if (key == NULL) {
		rc = PO_ERR_INTERNAL; /* the ring was loaded for every algorithm in use */
		goto out;
	}
	if (c == NULL || (rc = claims_for_client(o->o.cfg, cl, in->who, in->scopes, CLAIMS_ID_TOKEN, c)) != PO_OK ||
	    (rc = jose_key_at_hash(key, access_token, strlen(access_token), at_hash, sizeof(at_hash))) != PO_OK)
		goto out;
	rc = PO_ERR_NOMEM;
	if (json_object_set_new(c, "iss", json_string(o->o.cfg->issuer)) != 0 ||
	    json_object_set_new(c, "aud", json_string(cl->id)) != 0 ||
	    json_object_set_new(c, "exp", json_integer(now + LIM_ID_TOKEN_TTL_S)) != 0 ||
	    json_object_set_new(c, "iat", json_integer(now)) != 0 ||
	    json_object_set_new(c, "auth_time", json_integer(in->who->auth_time)) != 0 ||
	    (in->nonce && json_object_set_new(c, "nonce", json_string(in->nonce)) != 0) ||
	    json_object_set_new(c, "at_hash", json_string(at_hash)) != 0 ||
	    (payload = json_dumps(c, JSON_COMPACT)) == NULL)
		goto out;
	rc = jose_jws_sign(key, payload, strlen(payload), out);
out:
	keyholder_put(ring);
	json_decref(c);
	free(payload);
	return rc;
}

/* The 200 answer (RFC 6749 §5.1). */
static int
token_answer(http_resp_t *resp, const char *at, const char *jwt, unsigned scopes, const char *refresh)
{
	char scope[SCOPE_STR_MAX];
	json_t *j = json_object();
	char *body = NULL;
	int rc = PO_ERR_NOMEM;

	scope_format(scopes, scope, sizeof(scope));
	if (j == NULL || json_object_set_new(j, "access_token", json_string(at)) != 0 ||
	    json_object_set_new(j, "token_type", json_string("Bearer")) != 0 ||
	    json_object_set_new(j, "expires_in", json_integer(LIM_ACCESS_TOKEN_TTL_S)) != 0 ||
	    json_object_set_new(j, "id_token", json_string(jwt)) != 0 ||
	    json_object_set_new(j, "scope", json_string(scope)) != 0 ||
	    (refresh && json_object_set_new(j, "refresh_token", json_string(refresh)) != 0) ||
	    (body = json_dumps(j, JSON_COMPACT)) == NULL)
		goto out;
	if ((rc = http_resp_text(resp, 200, "application/json", body)) != PO_OK ||
	    (rc = http_resp_header(resp, "Cache-Control", "no-store")) != PO_OK)
		goto out;
	rc = http_resp_header(resp, "Pragma", "no-cache");
out:
	json_decref(j);
	str_free_secret(body);
	return rc;
}

/* Checks everything but the client; NULL when the request may have tokens,
 * else the error code (*status, *desc set). */
static const char *
check_grant(const form_t *f, const code_grant_t *g, int *status, const char **desc)
{
	const char *ruri, *verifier;

	*status = 400;
	if (clock_now_ms() - g->issued_ms > (int64_t)LIM_CODE_TTL_S * 1000) {
		*desc = "the code is invalid or expired";
		return OE_INVALID_GRANT;
	}
	/* RFC 6749 §4.1.3: required and identical when it was in the request. */
	if ((ruri = form_get(f, "redirect_uri")) == NULL) {
		*desc = "redirect_uri is required";
		return OE_INVALID_REQUEST;
	}
	if (strcmp(ruri, g->req.redirect_uri) != 0) {
		*desc = "redirect_uri does not match the authorization request";
		return OE_INVALID_GRANT;
	}
	verifier = form_get(f, "code_verifier");
	if (g->req.code_challenge) {
		/* RFC 7636 §4.6 */
		const char *ch = g->req.code_challenge;
		if (verifier == NULL || !pkce_s256_matches(verifier, strlen(verifier), ch, strlen(ch))) {
			*desc = "code_verifier does not match the code_challenge";
			return OE_INVALID_GRANT;
		}
	} else if (verifier) {
		/* RFC 9700 §2.1.1: a verifier without a challenge is a downgrade. */
		*desc = "code_verifier sent but no code_challenge was";
		return OE_INVALID_GRANT;
	}
	return NULL;
}

void
oidc_issue_tokens(oidc_t *o, const oidc_issue_t *in, http_resp_t *resp)
{
	token_grant_t tg = { 0 };
	struct remember rm = { 0 };
	char at[GRANT_TOKEN_SIZE] = "", *jwt = NULL;
	unsigned scopes = in->scopes & ~(unsigned)SCOPE_OFFLINE_ACCESS;
	buf_t rec;
	int rc;

	buf_init(&rec, LIM_STORE_VALUE_MAX);
	/* offline_access is granted only with the refresh token it asks for. */
	if (in->refresh_token)
		scopes |= SCOPE_OFFLINE_ACCESS;
	tg.scopes = scopes;
	tg.client_id = in->cl->id; /* borrowed for the encoding */
	tg.who = (identity_t *)(uintptr_t)in->who;
	if ((rc = rnd_token(at, sizeof(at), LIM_RANDOM_TOKEN_BYTES)) != PO_OK ||
	    (rc = id_token(o, in, at, clock_now_s(), &jwt)) != PO_OK || (rc = token_grant_encode(&tg, &rec)) != PO_OK ||
	    (rc = store_put(o->o.store, STORE_TOKENS, at, rec.data, rec.len)) != PO_OK)
		goto fail;
	if (in->code) {
		rm.token = at;
		if ((rc = store_update(o->o.store, STORE_CODES, in->code, remember_fn, &rm)) != PO_OK)
			rc = rc == PO_ERR_NOTFOUND ? PO_OK : rc; /* evicted meanwhile: nothing to remember it by */
		if (rc == PO_OK && rm.replayed) {
			/* Replayed while we were signing: nothing it issued may live. */
			(void)store_del(o->o.store, STORE_TOKENS, at);
			oidc_error_json(resp, 400, OE_INVALID_GRANT, "the code was already used");
			goto out;
		}
	}
	if (rc != PO_OK || (rc = token_answer(resp, at, jwt, scopes, in->refresh_token)) != PO_OK)
		goto fail;
	metrics_inc(o->o.metrics, M_TOKENS_ISSUED);
	goto out;
fail:
	log_error_fr(rc, "cannot issue tokens");
	(void)store_del(o->o.store, STORE_TOKENS, at);
	oidc_error_json(resp, rc == PO_ERR_UPSTREAM ? 503 : 500,
	    rc == PO_ERR_UPSTREAM ? OE_TEMPORARILY_UNAVAILABLE : OE_SERVER_ERROR, NULL);
out:
	free(jwt);
	str_wipe(at, sizeof(at));
	buf_free(&rec);
}

/* The code grant (RFC 6749 §4.1.3): redeemed once, checked, then tokens,
 * and a refresh token when offline_access was granted and the client may
 * have one. */
static void
code_grant(oidc_t *o, const config_client_t *cl, const form_t *f, http_resp_t *resp)
{
	struct redeem rd = { 0 };
	oidc_issue_t in = { 0 };
	const char *err, *desc, *code;
	char *refresh = NULL;
	int status, rc;

	if ((code = form_get(f, "code")) == NULL || code[0] == '\0') {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, "code is required");
		goto out;
	}
	rd.client_id = cl->id;
	if ((rc = store_update(o->o.store, STORE_CODES, code, redeem_fn, &rd)) == PO_OK)
		rc = rd.rc;
	if (rc == PO_ERR_UPSTREAM) {
		oidc_error_json(resp, 503, OE_TEMPORARILY_UNAVAILABLE, "try again in a moment");
		goto out;
	}
	if (rc != PO_OK) {
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "the code is invalid or expired");
		goto out;
	}
	if (rd.replay) {
		if (rd.revoke[0])
			(void)store_del(o->o.store, STORE_TOKENS, rd.revoke);
		log_warn("token: authorization code replayed by client %s; its tokens were revoked", cl->id);
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "the code was already used");
		goto out;
	}
	if (rd.wrong_client) {
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "the code was issued to another client");
		goto out;
	}
	if ((err = check_grant(f, &rd.copy, &status, &desc)) != NULL) {
		oidc_error_json(resp, status, err, desc);
		goto out;
	}
	if ((rd.copy.req.scopes & SCOPE_OFFLINE_ACCESS) && cl->refresh_tokens && rd.copy.sess &&
	    (rc = oidc_refresh_first(o, cl, rd.copy.sess, rd.copy.req.scopes, &refresh)) != PO_OK)
		log_warn_fr(rc, "no refresh token for client %s", cl->id);
	in.cl = cl;
	in.who = rd.copy.who;
	in.scopes = rd.copy.req.scopes;
	in.nonce = rd.copy.req.nonce;
	in.code = code;
	in.refresh_token = refresh;
	oidc_issue_tokens(o, &in, resp);
out:
	free(refresh);
	code_grant_clear(&rd.copy);
	str_wipe(rd.revoke, sizeof(rd.revoke));
}

void
oidc_token(void *arg, http_req_t *req, http_resp_t *resp)
{
	oidc_t *o = arg;
	form_t f = { 0 };
	const config_client_t *cl = NULL;
	const char *grant;

	if (!oidc_form_body(req)) {
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
	if (oidc_client_authenticate(o, req, &f, &cl, resp) != PO_OK)
		goto out;
	if ((grant = form_get(&f, "grant_type")) == NULL) {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, "grant_type is required");
		goto out;
	}
	if (strcmp(grant, "authorization_code") == 0)
		code_grant(o, cl, &f, resp);
	else if (strcmp(grant, "refresh_token") == 0)
		oidc_refresh_grant(o, cl, &f, req, resp);
	else
		oidc_error_json(resp, 400, OE_UNSUPPORTED_GRANT_TYPE, "only authorization_code and refresh_token are supported");
out:
	form_clear(&f);
}
