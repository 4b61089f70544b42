/*
 * oidc.c - the provider: its state, its routes (see oidc.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/err.h"
#include "po_limits.h"
#include "http/server.h"
#include "oidc/internal.h"

int
oidc_new(const oidc_opts_t *opts, oidc_t **out)
{
	oidc_t *o = NULL;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		goto out;
	o->o = *opts;
	pthread_mutex_init(&o->mu, NULL);
	if ((o->logout_url = malloc(strlen(opts->cfg->issuer_path) + sizeof("/logout"))) == NULL)
		goto out;
	memcpy(o->logout_url, opts->cfg->issuer_path, strlen(opts->cfg->issuer_path));
	memcpy(o->logout_url + strlen(opts->cfg->issuer_path), "/logout", sizeof("/logout"));
	if ((rc = oidc_build_discovery(o)) != PO_OK || (rc = oidc_build_jwks(o, &o->jwks, &o->jwks_resp)) != PO_OK ||
	    (rc = client_auth_new(opts->cfg, &o->auth)) != PO_OK)
		goto out;
	login_http_set_door(opts->logins, LOGIN_DOOR_OIDC, &oidc_door, o);
	*out = o;
	o = NULL; /* transferred */
	rc = PO_OK;
out:
	oidc_free(o);
	return rc;
}

void
oidc_free(oidc_t *o)
{
	if (o == NULL)
		return;
	http_shared_free(o->discovery_resp);
	http_shared_free(o->jwks_resp);
	free(o->discovery);
	free(o->jwks);
	free(o->logout_url);
	client_auth_free(o->auth);
	for (size_t i = 0; i < o->n_old; i++) {
		http_shared_free(o->old[i].resp);
		free(o->old[i].doc);
	}
	pthread_mutex_destroy(&o->mu);
	free(o);
}

int
oidc_keys_changed(oidc_t *o)
{
	char *doc = NULL;
	void *resp = NULL;
	int rc;

	if ((rc = oidc_build_jwks(o, &doc, &resp)) != PO_OK)
		return rc;
	oidc_tick(o);
	pthread_mutex_lock(&o->mu);
	if (o->n_old == OIDC_OLD_ANSWERS_MAX) {
		/* Far more key changes than rotations make: keep the old answer
		 * rather than risk freeing one a request is sending. */
		pthread_mutex_unlock(&o->mu);
		http_shared_free(resp);
		free(doc);
		return PO_ERR_LIMIT;
	}
	o->old[o->n_old].resp = o->jwks_resp;
	o->old[o->n_old].doc = o->jwks;
	o->old[o->n_old].since_ms = clock_mono_ms();
	o->n_old++;
	o->jwks_resp = resp;
	o->jwks = doc;
	pthread_mutex_unlock(&o->mu);
	return PO_OK;
}

void
oidc_tick(oidc_t *o)
{
	int64_t now = clock_mono_ms();
	size_t i = 0;

	pthread_mutex_lock(&o->mu);
	while (i < o->n_old) {
		if (now - o->old[i].since_ms < LIM_ANSWER_GRACE_MS) {
			i++;
			continue;
		}
		http_shared_free(o->old[i].resp);
		free(o->old[i].doc);
		o->old[i] = o->old[--o->n_old];
	}
	pthread_mutex_unlock(&o->mu);
}

unsigned
oidc_algs_in_use(const config_t *cfg)
{
	unsigned algs = JOSE_ALG_BIT(JOSE_RS256);

	for (size_t i = 0; i < cfg->n_clients; i++)
		algs |= JOSE_ALG_BIT(oidc_client_alg(&cfg->clients[i]));
	return algs;
}

enum jose_alg
oidc_client_alg(const config_client_t *cl)
{
	enum jose_alg a = JOSE_RS256;

	/* The config checked the name: anything else is RS256's default. */
	if (cl->id_token_alg == NULL || jose_alg_parse(cl->id_token_alg, strlen(cl->id_token_alg), &a) != PO_OK)
		return JOSE_RS256;
	return a;
}

int
oidc_routes(oidc_t *o, router_t *r, int authorize_guard, int token_guard)
{
	const route_t routes[] = {
		{ "/.well-known/openid-configuration", false, ROUTE_GET, true, -1, oidc_discovery, o },
		{ "/jwks", false, ROUTE_GET, true, -1, oidc_jwks, o },
		{ "/authorize", false, ROUTE_GET | ROUTE_POST, false, authorize_guard, oidc_authorize, o },
		{ "/token", false, ROUTE_POST, true, token_guard, oidc_token, o },
		{ "/userinfo", false, ROUTE_GET | ROUTE_POST, true, -1, oidc_userinfo, o },
		{ "/logout", false, ROUTE_GET | ROUTE_POST, false, authorize_guard, oidc_logout, o },
	};

	/* RFC 7033 §5: any origin may read it. */
	const route_t webfinger = { "/.well-known/webfinger", false, ROUTE_GET, true, -1, oidc_webfinger, o };
	int rc;

	if ((rc = router_add_all(r, routes, sizeof(routes) / sizeof(routes[0]))) != PO_OK)
		return rc;
	if (o->o.cfg->webfinger && !o->o.setup_mode && (rc = router_add(r, &webfinger)) != PO_OK)
		return rc;
	return o->o.setup_mode ? oidc_setup_routes(o, r, authorize_guard) : PO_OK;
}

bool
oidc_form_body(const http_req_t *req)
{
	static const char form[] = "application/x-www-form-urlencoded";

	return req->content_type != NULL && strncasecmp(req->content_type, form, sizeof(form) - 1) == 0;
}

int
oidc_request_params(const http_req_t *req, form_t *out)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(req->method, "POST") == 0) {
		/* Only urlencoded bodies carry parameters (RFC 6749 §4.1.3). */
		if (!oidc_form_body(req))
			return PO_ERR_INVALID;
		return form_parse(req->body, req->body_len, out);
	}
	return form_parse(req->query, req->query_len, out);
}

int
oidc_url(const oidc_t *o, buf_t *out, const char *path)
{
	int rc;

	if ((rc = buf_puts(out, o->o.cfg->issuer)) != PO_OK)
		return rc;
	return buf_puts(out, path);
}
