/*
 * oidc.c - the provider context: stores, documents, metrics (see oidc.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "po_limits.h"
#include "oidc/grant.h"
#include "oidc/oidc.h"

#include "oidc/internal.h"

int
oidc_new(const config_t *cfg, const jose_key_t *key, const ui_t *ui, plex_client_t *plex,
    const char *plex_client_id, oidc_t **out)
{
	oidc_t *o = NULL;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		goto out;
	o->cfg = cfg;
	o->key = key;
	o->ui = ui;
	o->plex = plex;
	o->plex_client_id = plex_client_id;
	pthread_rwlock_init(&o->plex_lock, NULL);
	/* A used code is kept for 10 minutes, well past its 60 s validity, so
	 * a replay is recognised (and its tokens revoked) rather than being
	 * just "unknown" (RFC 6749 §4.1.2). */
	if ((o->logins = ttl_cache_new(LIM_LOGINS_MAX, (int64_t)LIM_LOGIN_TTL_S * 1000, login_free)) == NULL ||
	    (o->codes = ttl_cache_new(LIM_CODES_MAX, (int64_t)600 * 1000, code_grant_free)) == NULL ||
	    (o->tokens = ttl_cache_new(LIM_TOKENS_MAX, (int64_t)LIM_ACCESS_TOKEN_TTL_S * 1000, token_grant_free)) == NULL)
		goto out;
	ttl_cache_set_max_bytes(o->logins, LIM_LOGINS_BYTES_MAX);
	o->setup_mode = strcmp(cfg->plex_server_id, OIDC_SETUP_SERVER_ID) == 0;
	if (o->setup_mode && (o->setup_servers = ttl_cache_new(64, (int64_t)LIM_LOGIN_TTL_S * 1000, free)) == NULL)
		goto out;
	if ((rc = oidc_build_documents(o)) != PO_OK)
		goto out;
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
	ttl_cache_free(o->logins);
	ttl_cache_free(o->codes);
	ttl_cache_free(o->tokens);
	ttl_cache_free(o->setup_servers);
	http_shared_free(o->discovery_resp);
	http_shared_free(o->jwks_resp);
	free(o->discovery);
	free(o->jwks);
	pthread_rwlock_destroy(&o->plex_lock);
	free(o);
}

void
oidc_stop_plex(oidc_t *o)
{
	pthread_rwlock_wrlock(&o->plex_lock);
	o->stopping = 1;
	pthread_rwlock_unlock(&o->plex_lock);
}

void
oidc_plex_observer(void *arg, enum plex_endpoint ep, long http_status, int64_t latency_us)
{
	static const int64_t bounds_ms[8] = { 50, 100, 250, 500, 1000, 2500, 5000, INT64_MAX };
	oidc_metrics_t *m = &((oidc_t *)arg)->metrics;
	int i;

	if ((unsigned)ep >= PLEX_EP_COUNT)
		return;
	__atomic_add_fetch(&m->plex_calls[ep], 1, __ATOMIC_RELAXED);
	if (http_status < 200 || http_status >= 300)
		__atomic_add_fetch(&m->plex_errors[ep], 1, __ATOMIC_RELAXED);
	for (i = 0; i < 8; i++)
		if (latency_us / 1000 < bounds_ms[i] || i == 7) {
			__atomic_add_fetch(&m->plex_latency_bucket[ep][i], 1, __ATOMIC_RELAXED);
			break;
		}
	__atomic_add_fetch(&m->plex_latency_sum_us[ep], (uint64_t)latency_us, __ATOMIC_RELAXED);
}
