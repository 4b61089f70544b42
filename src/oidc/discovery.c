/*
 * discovery.c - the discovery document (OpenID Connect Discovery 1.0 §3)
 * and the JWKS (RFC 7517 §5), built once at start and served as fixed bytes
 * (relying parties such as Spring give up on a slow JWKS; see
 * docs/relying-parties).
 *
 * Only what is implemented is advertised: clients act on what they read
 * here (Jellyfin's uses PAR if it is listed, for example).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "oidc/oidc.h"

/* Builds the issuer-relative URL of an endpoint. NULL on allocation failure. */
static json_t *
endpoint(const char *issuer, const char *path)
{
	buf_t b;
	json_t *j = NULL;

	buf_init(&b, 4096);
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
		json_array_append_new(a, json_string(*v));
	return a;
}

static void serve_fixed_json(http_resp_t *resp, const char *doc, size_t len);

int
oidc_build_documents(oidc_t *o)
{
	static const char *const scopes[] = { "openid", "profile", "email", NULL };
	static const char *const rtypes[] = { "code", NULL };
	static const char *const rmodes[] = { "query", NULL };
	static const char *const grants[] = { "authorization_code", NULL };
	static const char *const subjects[] = { "public", NULL };
	static const char *const auths[] = { "client_secret_basic", "client_secret_post", NULL };
	static const char *const pkce[] = { "S256", NULL };
	static const char *const claims[] = { "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
		"name", "preferred_username", "picture", "email", "email_verified", NULL };
	const char *iss = o->cfg->issuer;
	const char *algs[] = { jose_key_alg(o->key), NULL };
	json_t *d = NULL, *jwks = NULL, *keys = NULL, *jwk = NULL;
	int rc = PO_ERR_NOMEM;

	if ((d = json_object()) == NULL)
		goto out;
	json_object_set_new(d, "issuer", json_string(iss));
	json_object_set_new(d, "authorization_endpoint", endpoint(iss, "/authorize"));
	json_object_set_new(d, "token_endpoint", endpoint(iss, "/token"));
	json_object_set_new(d, "userinfo_endpoint", endpoint(iss, "/userinfo"));
	json_object_set_new(d, "jwks_uri", endpoint(iss, "/jwks"));
	json_object_set_new(d, "scopes_supported", str_array(scopes));
	json_object_set_new(d, "response_types_supported", str_array(rtypes));
	json_object_set_new(d, "response_modes_supported", str_array(rmodes));
	json_object_set_new(d, "grant_types_supported", str_array(grants));
	json_object_set_new(d, "subject_types_supported", str_array(subjects));
	json_object_set_new(d, "id_token_signing_alg_values_supported", str_array(algs));
	json_object_set_new(d, "token_endpoint_auth_methods_supported", str_array(auths));
	json_object_set_new(d, "code_challenge_methods_supported", str_array(pkce));
	json_object_set_new(d, "claims_supported", str_array(claims));
	/* Discovery §3: request_uri_parameter_supported defaults to true, so
	 * say false explicitly. */
	json_object_set_new(d, "request_parameter_supported", json_false());
	json_object_set_new(d, "request_uri_parameter_supported", json_false());
	json_object_set_new(d, "claims_parameter_supported", json_false());
	json_object_set_new(d, "authorization_response_iss_parameter_supported", json_true());
	if ((o->discovery = json_dumps(d, JSON_COMPACT)) == NULL)
		goto out;
	o->discovery_len = strlen(o->discovery);

	if ((jwks = json_object()) == NULL || (keys = json_array()) == NULL ||
	    (jwk = jose_key_public_jwk(o->key)) == NULL)
		goto out;
	json_array_append_new(keys, jwk);
	jwk = NULL; /* transferred */
	json_object_set_new(jwks, "keys", keys);
	keys = NULL; /* transferred */
	if ((o->jwks = json_dumps(jwks, JSON_COMPACT)) == NULL)
		goto out;
	o->jwks_len = strlen(o->jwks);
	/* Both documents as whole responses, built once: discovery and JWKS
	 * are what relying parties fetch most. */
	{
		http_resp_t t = { 0 };

		serve_fixed_json(&t, o->discovery, o->discovery_len);
		o->discovery_resp = http_shared_new(&t);
		http_resp_clear(&t);
		memset(&t, 0, sizeof(t));
		serve_fixed_json(&t, o->jwks, o->jwks_len);
		t.content_type = "application/jwk-set+json";
		o->jwks_resp = http_shared_new(&t);
		http_resp_clear(&t);
		if (o->discovery_resp == NULL || o->jwks_resp == NULL)
			goto out;
	}
	rc = PO_OK;
out:
	json_decref(d);
	json_decref(jwks);
	json_decref(keys);
	json_decref(jwk);
	return rc;
}

/* Fixed JSON for relying parties: cacheable for a while (keys change only
 * with the key file), readable cross-origin. */
static void
serve_fixed_json(http_resp_t *resp, const char *doc, size_t len)
{
	resp->status = 200;
	resp->content_type = "application/json";
	resp->static_body = doc;
	resp->static_len = len;
	http_resp_header(resp, "Cache-Control", "public, max-age=300");
	oidc_cors_headers(resp);
}

void
oidc_discovery(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	resp->status = 200;
	resp->shared = o->discovery_resp;
}

void
oidc_jwks(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	resp->status = 200;
	resp->shared = o->jwks_resp;
}
