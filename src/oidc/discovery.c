/*
 * discovery.c - the discovery document (OpenID Connect Discovery 1.0 §3)
 * and the JWKS (RFC 7517 §5), built once at start and served as fixed bytes
 * (relying parties such as Spring give up on a slow JWKS; see
 * docs/INTEGRATIONS.md, "What relying parties rely on").
 *
 * Only what is implemented is advertised: clients act on what they read
 * here (Jellyfin's uses PAR if it is listed, for example).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "http/router.h"
#include "oidc/internal.h"
#include "oidc/oidc.h"
#include "po_limits.h"

/* "public, max-age=N" and its NUL. */
#define DISCOVERY_CACHE_CONTROL_MAX 48

/* Builds the issuer-relative URL of an endpoint. NULL on allocation failure. */
static json_t *
endpoint(const char *issuer, const char *path)
{
	buf_t b;
	json_t *j = NULL;

	buf_init(&b, LIM_URL_MAX * 2);
	if (buf_puts(&b, issuer) == PO_OK && buf_puts(&b, path) == PO_OK)
		j = json_string(buf_str(&b));
	buf_free(&b);
	return j;
}

static json_t *
str_array(const char *const *v)
{
	json_t *a = json_array();

	for (; a && *v; v++)
		if (json_array_append_new(a, json_string(*v)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int fixed_answer(const char *doc, const char *ctype, void **out);

/* The token endpoint's authentication methods, NULL-terminated: those some
 * client accepts (config.h), so that a relying party reads only what is
 * really accepted; none only when a public client is configured. */
#define DISCOVERY_AUTHS 3
static void
auth_methods(const config_t *cfg, const char **out)
{
	bool basic = false, post = false, none = false;
	size_t i, n = 0;

	for (i = 0; i < cfg->n_clients; i++) {
		basic |= cfg->clients[i].auth == CONFIG_AUTH_SECRET || cfg->clients[i].auth == CONFIG_AUTH_SECRET_BASIC;
		post |= cfg->clients[i].auth == CONFIG_AUTH_SECRET || cfg->clients[i].auth == CONFIG_AUTH_SECRET_POST;
		none |= cfg->clients[i].auth == CONFIG_AUTH_NONE;
	}
	/* Discovery §3: the default, when the list is omitted, is
	 * client_secret_basic; with no client at all, say that. */
	if (basic || !(post || none))
		out[n++] = "client_secret_basic";
	if (post)
		out[n++] = "client_secret_post";
	if (none)
		out[n++] = "none";
	out[n] = NULL;
}

/* Sets member k of d to v (a new reference, consumed), remembering a
 * failure in *ok: the document is built in one go and checked once. */
static void
put(json_t *d, const char *k, json_t *v, bool *ok)
{
	if (v == NULL || json_object_set_new(d, k, v) != 0)
		*ok = false;
}

int
oidc_build_discovery(oidc_t *o)
{
	static const char *const scopes[] = { "openid", "profile", "email", "offline_access", "groups", NULL };
	static const char *const rtypes[] = { "code", NULL };
	static const char *const rmodes[] = { "query", NULL };
	static const char *const grants[] = { "authorization_code", "refresh_token", NULL };
	/* OIDC Core §3.1.2.1; Discovery 1.0 (prompt_values_supported). */
	static const char *const prompts[] = { "none", "login", "consent", "select_account", NULL };
	static const char *const subjects[] = { "public", NULL };
	static const char *const pkce[] = { "S256", NULL };
	static const char *const claims[] = { "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
		"name", "preferred_username", "picture", "email", "email_verified", "groups", NULL };
	const char *iss = o->o.cfg->issuer, *algs[JOSE_ALG_COUNT + 1], *auths[DISCOVERY_AUTHS + 1];
	size_t n = 0;
	json_t *d = NULL;
	bool ok = true;
	int rc = PO_ERR_NOMEM;

	/* Only the algorithms some client's ID tokens use: clients act on what
	 * they read here. */
	for (int a = 0; a < JOSE_ALG_COUNT; a++)
		if (o->o.algs & JOSE_ALG_BIT(a))
			algs[n++] = jose_alg_name((enum jose_alg)a);
	algs[n] = NULL;
	auth_methods(o->o.cfg, auths);
	if ((d = json_object()) == NULL)
		goto out;
	put(d, "issuer", json_string(iss), &ok);
	put(d, "authorization_endpoint", endpoint(iss, "/authorize"), &ok);
	put(d, "token_endpoint", endpoint(iss, "/token"), &ok);
	put(d, "userinfo_endpoint", endpoint(iss, "/userinfo"), &ok);
	put(d, "jwks_uri", endpoint(iss, "/jwks"), &ok);
	/* RP-Initiated Logout 1.0 §2.1. */
	put(d, "end_session_endpoint", endpoint(iss, "/logout"), &ok);
	put(d, "scopes_supported", str_array(scopes), &ok);
	put(d, "response_types_supported", str_array(rtypes), &ok);
	put(d, "response_modes_supported", str_array(rmodes), &ok);
	put(d, "grant_types_supported", str_array(grants), &ok);
	put(d, "subject_types_supported", str_array(subjects), &ok);
	put(d, "id_token_signing_alg_values_supported", str_array(algs), &ok);
	put(d, "token_endpoint_auth_methods_supported", str_array(auths), &ok);
	put(d, "code_challenge_methods_supported", str_array(pkce), &ok);
	put(d, "claims_supported", str_array(claims), &ok);
	put(d, "prompt_values_supported", str_array(prompts), &ok);
	/* Discovery §3: request_uri_parameter_supported defaults to true, so
	 * say false explicitly. */
	put(d, "request_parameter_supported", json_false(), &ok);
	put(d, "request_uri_parameter_supported", json_false(), &ok);
	put(d, "claims_parameter_supported", json_false(), &ok);
	put(d, "authorization_response_iss_parameter_supported", json_true(), &ok);
	if (!ok || (o->discovery = json_dumps(d, JSON_COMPACT)) == NULL)
		goto out;
	/* A whole answer, built once: discovery is what relying parties fetch
	 * most. */
	rc = fixed_answer(o->discovery, "application/json", &o->discovery_resp);
out:
	json_decref(d);
	return rc;
}

int
oidc_build_jwks(oidc_t *o, char **doc, void **resp)
{
	keyring_t *ring = keyholder_get(o->o.keys);
	json_t *jwks = keyring_jwks(ring, clock_now_s());
	int rc = PO_ERR_NOMEM;

	*doc = NULL;
	*resp = NULL;
	keyholder_put(ring);
	if (jwks == NULL || (*doc = json_dumps(jwks, JSON_COMPACT)) == NULL)
		goto out;
	if ((rc = fixed_answer(*doc, "application/jwk-set+json", resp)) != PO_OK) {
		free(*doc);
		*doc = NULL;
	}
out:
	json_decref(jwks);
	return rc;
}

/* Fixed JSON for relying parties: cacheable for a while (a key is
 * published LIM_KEY_PREPUBLISH_S before it signs, twice this), readable
 * cross-origin. */
static int
fixed_answer(const char *doc, const char *ctype, void **out)
{
	http_resp_t t = { .status = 200, .content_type = ctype, .static_body = doc, .static_len = strlen(doc) };
	char cc[DISCOVERY_CACHE_CONTROL_MAX];
	int rc;

	snprintf(cc, sizeof(cc), "public, max-age=%d", LIM_JWKS_MAX_AGE_S);
	if ((rc = http_resp_header(&t, "Cache-Control", cc)) == PO_OK && (rc = http_cors_allow(&t)) == PO_OK &&
	    (*out = http_shared_new(&t)) == NULL)
		rc = PO_ERR_NOMEM;
	http_resp_clear(&t);
	return rc;
}

void
oidc_discovery(void *arg, http_req_t *req, http_resp_t *resp)
{
	oidc_t *o = arg;

	resp->status = 200;
	resp->shared = o->discovery_resp;
}

void
oidc_jwks(void *arg, http_req_t *req, http_resp_t *resp)
{
	oidc_t *o = arg;

	/* Sent by the server right after this returns; a replaced answer is
	 * kept LIM_ANSWER_GRACE_MS before it is freed (oidc_tick). */
	pthread_mutex_lock(&o->mu);
	resp->shared = o->jwks_resp;
	pthread_mutex_unlock(&o->mu);
	resp->status = 200;
}
