/*
 * oidc.h - the OpenID Connect provider: its shared context and the handler
 * of every endpoint. One file per endpoint (discovery.c, authorize.c,
 * login.c, token.c, userinfo.c), protocol rules in claims.c, pkce.c and
 * errors.c, the stored records in grant.c.
 *
 * Handlers take the context, a request and a response (server.h) and never
 * touch sockets, so they can be driven by tests. The context is built once
 * by app.c; everything in it is either immutable or owns its lock.
 */
#ifndef PO_OIDC_OIDC_H
#define PO_OIDC_OIDC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "http/server.h"
#include "jose/jwk.h"
#include "plex/plex.h"
#include "store/ttl_cache.h"
#include "ui/ui.h"

/* Counters for /metrics; updated with atomic adds from any thread. */
typedef struct oidc_metrics {
	uint64_t logins_started;   /* login pages rendered */
	uint64_t logins_succeeded; /* codes issued */
	uint64_t logins_denied;    /* signed in to Plex, no access */
	uint64_t tokens_issued;
	uint64_t rate_limited;     /* requests answered 429 */
	uint64_t plex_errors[PLEX_EP_COUNT];
	uint64_t plex_calls[PLEX_EP_COUNT];
	/* latency histogram of plex.tv calls, buckets in oidc_plex_buckets_ms */
	uint64_t plex_latency_bucket[PLEX_EP_COUNT][8];
	uint64_t plex_latency_sum_us[PLEX_EP_COUNT];
} oidc_metrics_t;

/* The server id and client id of the configuration that main.c builds for
 * setup mode. */
#define OIDC_SETUP_SERVER_ID "setup-mode"
#define OIDC_SETUP_CLIENT_ID "setup"

typedef struct oidc {
	const config_t *cfg;      /* borrowed, immutable */
	const jose_key_t *key;    /* borrowed, immutable */
	const ui_t *ui;           /* borrowed, immutable */
	plex_client_t *plex;      /* borrowed, thread-safe */
	const char *plex_client_id; /* borrowed: the persisted X-Plex-Client-Identifier */
	pthread_rwlock_t plex_lock; /* read: a plex call is being made; write: stopping */
	int stopping;             /* set under plex_lock (write) at shutdown */
	ttl_cache_t *logins;      /* owned: login id -> struct login */
	ttl_cache_t *codes;       /* owned: code -> struct code_grant */
	ttl_cache_t *tokens;      /* owned: access token -> struct token_grant */
	char *discovery;          /* owned: the discovery document, built once */
	size_t discovery_len;
	char *jwks;               /* owned: the JWKS document, built once */
	size_t jwks_len;
	void *discovery_resp;     /* owned: both as whole responses (http_shared_new) */
	void *jwks_resp;
	/* Setup mode (no config file): every Plex account may sign in, and the
	 * servers it owns are kept for the setup page (setup.c). */
	bool setup_mode;
	ttl_cache_t *setup_servers; /* owned: Plex uuid -> JSON array of owned servers */
	oidc_metrics_t metrics;
} oidc_t;

/* Builds the context: stores and the discovery and JWKS bytes. The borrowed
 * pointers must outlive it. cfg->plex_server_id equal to OIDC_SETUP_SERVER_ID
 * turns on setup mode. PO_OK or PO_ERR_NOMEM. */
int oidc_new(const config_t *cfg, const jose_key_t *key, const ui_t *ui, plex_client_t *plex,
    const char *plex_client_id, oidc_t **out);
/* First step of shutdown: after it returns no handler starts a plex.tv call
 * (they answer "try again" instead), so the plex client can be freed. */
void oidc_stop_plex(oidc_t *o);
/* Frees the context. The plex client must have been stopped first (its
 * callbacks reference logins). Accepts NULL. */
void oidc_free(oidc_t *o);

/* Endpoint handlers. `path` handling and method checks are done by the
 * router (app.c); each handler still checks what it needs. */
void oidc_discovery(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_jwks(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_authorize(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_login_start(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_login_status(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_login_finish(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_login_result(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_login_return(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_login_popup_done(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_token(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_userinfo(oidc_t *o, http_req_t *req, http_resp_t *resp);
/* Setup mode (setup.c): the start page, the callback after the operator's
 * Plex sign-in, and the generated configuration. */
void oidc_setup_home(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_setup_begin(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_setup_callback(oidc_t *o, http_req_t *req, http_resp_t *resp);
void oidc_setup_config(oidc_t *o, http_req_t *req, http_resp_t *resp);

/* Appends the Prometheus text exposition of the metrics to out. */
int oidc_metrics_render(oidc_t *o, buf_t *out);

/* The Plex call observer (metrics); pass to plex_client_set_observer. */
void oidc_plex_observer(void *arg, enum plex_endpoint ep, long http_status, int64_t latency_us);

#endif
