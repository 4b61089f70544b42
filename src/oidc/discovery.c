/*
 * discovery.c - the discovery document (OpenID Connect Discovery 1.0 §3)
 * and the JWKS (RFC 7517 §5), built once at start and served as fixed bytes
 * (relying parties such as Spring give up on a slow JWKS; see
 * docs/INTEGRATIONS.md, "What relying parties rely on").
 *
 * Only what is implemented is advertised: clients act on what they read
 * here (Jellyfin's uses PAR if it is listed, for example).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "http/router.h"
#include "oidc/internal.h"
#include "oidc/oidc.h"
#include "po_limits.h"

/* How long relying parties may cache discovery and the JWKS (seconds, as
 * text for the header). Keys are pre-published for longer than this before
 * they sign anything. */
#define DISCOVERY_MAX_AGE_S "300"

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
		json_array_append_new(a, json_string(*v));
	return a;
}

static int fixed_answer(const char *doc, const char *ctype, void **out);

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
	const char *iss = o->o.cfg->issuer;
	const char *algs[] = { jose_key_alg(o->o.key), NULL };
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

	if ((jwks = json_object()) == NULL || (keys = json_array()) == NULL ||
	    (jwk = jose_key_public_jwk(o->o.key)) == NULL)
		goto out;
	json_array_append_new(keys, jwk);
	jwk = NULL; /* transferred */
	json_object_set_new(jwks, "keys", keys);
	keys = NULL; /* transferred */
	if ((o->jwks = json_dumps(jwks, JSON_COMPACT)) == NULL)
		goto out;
	/* Both documents as whole answers, built once: discovery and JWKS are
	 * what relying parties fetch most. */
	if ((rc = fixed_answer(o->discovery, "application/json", &o->discovery_resp)) != PO_OK)
		goto out;
	rc = fixed_answer(o->jwks, "application/jwk-set+json", &o->jwks_resp);
out:
	json_decref(d);
	json_decref(jwks);
	json_decref(keys);
	json_decref(jwk);
	return rc;
}

/* Fixed JSON for relying parties: cacheable for a while (keys change only
 * with the key file), readable cross-origin. */
static int
fixed_answer(const char *doc, const char *ctype, void **out)
{
	http_resp_t t = { .status = 200, .content_type = ctype, .static_body = doc, .static_len = strlen(doc) };
	int rc;

	if ((rc = http_resp_header(&t, "Cache-Control", "public, max-age=" DISCOVERY_MAX_AGE_S)) == PO_OK &&
	    (rc = http_cors_allow(&t)) == PO_OK && (*out = http_shared_new(&t)) == NULL)
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

	resp->status = 200;
	resp->shared = o->jwks_resp;
}
