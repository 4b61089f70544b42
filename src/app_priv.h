/*
 * app_priv.h - what app.c and app_keys.c share: the running server's
 * parts (struct app) and the key ring's start and housekeeping. Not for
 * other modules: they see app.h.
 *
 * Ownership: struct app owns every part it points to (app_stop frees them
 * in order); cfg is borrowed from the caller of app_start.
 */
#ifndef PO_APP_PRIV_H
#define PO_APP_PRIV_H

#include <pthread.h>
#include <stdbool.h>

#include "app.h"
#include "core/err.h"
#include "gate/gate.h"
#include "http/clientip.h"
#include "http/router.h"
#include "http/server.h"
#include "keys/keyholder.h"
#include "login/login_flow.h"
#include "login/login_http.h"
#include "metrics.h"
#include "oidc/oidc.h"
#include "plex/plex.h"
#include "plex/plex_id.h"
#include "session/access.h"
#include "store/ratelimit.h"
#include "store/store.h"
#include "ui/ui.h"

struct app {
	const config_t *cfg;
	app_opts_t opts;
	unsigned algs;     /* the JWS algorithms in use */
	keyholder_t *keys; /* the key ring, reloaded when its file changes */
	pthread_t maint;   /* housekeeping: key ring reloads, rotation */
	bool maint_started;
	pthread_mutex_t maint_mu;
	pthread_cond_t maint_cv;
	bool stopping; /* under maint_mu */
	ui_t *ui;
	store_t *store;
	metrics_t *metrics;
	plex_client_t *plex;
	access_t *access;
	login_flow_t *flow;
	login_http_t *logins;
	oidc_t *oidc;
	gate_t *gate; /* forward auth; NULL without [app.NAME] */
	router_t *router;
	http_server_t *http;
	ratelimit_t *rl;
	ip_allow_t trusted; /* [server] trusted_proxies */
	char plex_client_id[PLEX_ID_SIZE];
};

/* Loads the key ring of data_dir, takes signing-key.pem over, or creates
 * it on the very first start; never silently replaces one (keyring.h).
 * Sets a->algs and a->keys. PO_OK or an error, logged. */
PO_WUR int app_keys_start(struct app *a);

/* Starts the housekeeping thread (key ring reloads, key_rotation, the
 * provider's tick); a->maint_mu and a->maint_cv are initialized. */
PO_WUR int app_maintenance_start(struct app *a);

/* Stops and joins it; nothing when it was not started. Idempotent. */
void app_maintenance_stop(struct app *a);

#endif
