/*
 * oidc.h - the OpenID Connect provider: discovery, JWKS, the authorization
 * endpoint (whose logins the login pages carry out), the authorization
 * response, the token and UserInfo endpoints, and setup mode.
 *
 * One file per endpoint (discovery.c, authorize.c, code.c, token.c,
 * userinfo.c, setup.c), protocol rules in claims.c and pkce.c, stored
 * records in grant.c, and the one place protocol errors become answers in
 * errors.c. Handlers take a request and a response (http/server.h) and
 * never touch sockets, so tests drive them directly.
 *
 * The provider is opaque: app.c builds it, adds its routes, and frees it;
 * nobody reaches into it.
 */
#ifndef PO_OIDC_OIDC_H
#define PO_OIDC_OIDC_H

#include <stdbool.h>

#include "config/config.h"
#include "http/router.h"
#include "keys/keyholder.h"
#include "login/login_http.h"
#include "metrics.h"
#include "session/access.h"
#include "store/store.h"
#include "ui/ui.h"

typedef struct oidc oidc_t;

typedef struct oidc_opts {
	const config_t *cfg;  /* immutable */
	keyholder_t *keys;    /* the key ring: signing keys and sealing keys */
	unsigned algs;        /* the JWS algorithms in use (JOSE_ALG_BIT): RS256 and the clients' */
	const ui_t *ui;       /* immutable */
	store_t *store;       /* codes, access tokens, setup records */
	login_http_t *logins; /* where authorization requests become logins */
	access_t *access;     /* access re-checks of sessions and refresh tokens */
	metrics_t *metrics;
	bool setup_mode; /* decided by how the binary was started, never by config */
} oidc_opts_t;

/* Builds the provider and its fixed documents (discovery, JWKS), and
 * registers itself as the login pages' OIDC door. The options' pointers
 * must outlive it. PO_OK or PO_ERR_NOMEM. */
int oidc_new(const oidc_opts_t *opts, oidc_t **out) PO_WUR;
/* Adds the provider's routes (setup mode's too, when on); guard classes for
 * the authorization and token endpoints (rate limits). */
int oidc_routes(oidc_t *o, router_t *r, int authorize_guard, int token_guard) PO_WUR;
/* The key ring was reloaded (rotation): the JWKS answer is built again
 * from it. The old answer is freed by a later oidc_tick, once no request
 * can still be sending it. PO_OK or PO_ERR_NOMEM (the old answer stays). */
int oidc_keys_changed(oidc_t *o) PO_WUR;
/* Housekeeping, every few seconds: frees answers replaced long enough ago. */
void oidc_tick(oidc_t *o);
/* The JWS algorithms the configuration's clients use (RS256 always). */
unsigned oidc_algs_in_use(const config_t *cfg);
/* Frees; the HTTP server must have stopped. Accepts NULL. */
void oidc_free(oidc_t *o);

/* Setup mode's look at an account's resources (login_resources_hook,
 * arg = the provider): the servers it owns, for the setup page. */
void oidc_setup_remember(void *o, const identity_t *who, const plex_resources_t *res);

/* Setup mode's configuration: loopback only, on port, the built-in "setup"
 * client, a throw-away data directory created from dir_template (mkdtemp;
 * the name is written back into it); PLEX_OIDC_PLEX_* and PLEX_OIDC_UI_*
 * variables of env apply, none other. PO_OK, else the reason is printed to
 * stderr. */
int oidc_setup_config(unsigned port, char *dir_template, char *const *env, config_t **out);
/* Removes what setup mode wrote into that directory, and the directory. */
void oidc_setup_cleanup(const char *dir);

#endif
