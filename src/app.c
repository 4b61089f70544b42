/*
 * app.c - wiring (see app.h): every module built from the configuration,
 * the routes of both the provider and the login pages in one router, the
 * few answers that belong to no module (assets, /healthz, /metrics, the
 * root page), the rate limits in front of the endpoints that cost
 * something, and the ordered shutdown.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "app_priv.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "gate/gate.h"
#include "http/clientip.h"
#include "http/router.h"
#include "http/server.h"
#include "keys/keyholder.h"
#include "keys/keyring.h"
#include "login/login_flow.h"
#include "login/login_http.h"
#include "metrics.h"
#include "oidc/errors.h"
#include "oidc/oidc.h"
#include "plex/plex.h"
#include "plex/plex_id.h"
#include "po_limits.h"
#include "session/access.h"
#include "store/ratelimit.h"
#include "store/store.h"
#include "store/store_redis.h"
#include "ui/page.h"
#include "ui/ui.h"

/* HTTP worker threads: handlers never block (plex.tv calls run on the
 * plex client's thread), so two keep both cores busy. */
#define APP_HTTP_THREADS 2
/* With a shared store, handlers wait for Redis (a round trip or a few per
 * request): more threads keep both cores busy meanwhile (bench/run,
 * docs/PERFORMANCE.md). At most LIM_STORE_CONNS - 1 of them use the store
 * at once, so none waits for a connection. */
#define APP_HTTP_THREADS_SHARED 4
/* Seconds a client is told to wait after 429, as text, when the limiter
 * gives none. */
#define APP_RETRY_AFTER_MAX 16

/* ---- the answers of no module ---- */

/* 429 when the client is over its budget for this endpoint (the router's
 * guard; a login's re-entry after a resume is not counted twice). */
static bool
rate_limited(void *arg, int cls, http_req_t *req, http_resp_t *resp)
{
	struct app *a = arg;
	char ra[APP_RETRY_AFTER_MAX];
	int retry = 1;

	if (ratelimit_take(a->rl, (enum rl_class)cls, req->client_ip, clock_mono_ms(), &retry))
		return false;
	metrics_inc(a->metrics, M_RATE_LIMITED);
	snprintf(ra, sizeof(ra), "%d", retry);
	if (cls == RL_TOKEN || cls == RL_POLL)
		oidc_error_json(resp, 429, OE_TEMPORARILY_UNAVAILABLE, "too many requests; retry later");
	else
		page_error(a->ui, a->cfg->issuer_path, resp, 429, "unavailable", "Too many attempts",
		    "There were too many sign-in attempts from your network. Wait a minute, then try again.", NULL, NULL);
	(void)http_resp_fail(resp, http_resp_header(resp, "Retry-After", ra));
	return true;
}

static int
asset_answer(const ui_asset_t *as, const http_req_t *req, http_resp_t *resp)
{
	int rc;

	if ((rc = http_resp_header(resp, "ETag", as->etag)) != PO_OK ||
	    /* Operators can replace assets (an SVG logo, say): opened directly,
	     * an asset gets no script and no plugin. */
	    (rc = http_resp_header(resp, "Content-Security-Policy",
	         "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; sandbox")) != PO_OK ||
	    (rc = http_resp_header(resp, "Cache-Control", "public, max-age=3600")) != PO_OK)
		return rc;
	if (req->if_none_match && strcmp(req->if_none_match, as->etag) == 0) {
		resp->status = 304;
		return PO_OK;
	}
	resp->status = 200;
	resp->content_type = as->content_type;
	resp->static_body = as->data;
	resp->static_len = as->len;
	return PO_OK;
}

static void
serve_asset(void *arg, http_req_t *req, http_resp_t *resp)
{
	struct app *a = arg;
	const char *p = router_subpath(a->router, req);
	const ui_asset_t *as = p ? ui_asset_get(a->ui, p + strlen("/assets/")) : NULL;

	if (as == NULL)
		(void)http_resp_fail(resp, http_resp_text(resp, 404, "text/plain; charset=utf-8", "Not found\n"));
	else
		(void)http_resp_fail(resp, asset_answer(as, req, resp));
}

static void
healthz(void *arg, http_req_t *req, http_resp_t *resp)
{
	struct app *a = arg;
	store_health_t h;

	/* The server only listens once the key is loaded and the documents
	 * are built: answering means ready. A shared store is asked, and
	 * said, but the answer stays 200 when it is down: discovery and JWKS
	 * still work, and neither a restart nor taking every replica out of
	 * the load balancer brings Redis back (docs/OPERATIONS.md). Its
	 * address and the reason are in the log, not on this public page. */
	if (store_shared(a->store)) {
		store_health(a->store, true, &h);
		http_resp_begin(resp, 200, "text/plain; charset=utf-8");
		const char *how = h.up ? "ok" : "unreachable (see the log)";
		if (http_resp_fail(resp, buf_appendf(&resp->body, "ok\nstore: %s %s\n", h.backend, how)) == PO_OK)
			(void)http_resp_fail(resp, http_resp_header(resp, "Cache-Control", "no-store"));
		return;
	}
	if (http_resp_text(resp, 200, "text/plain; charset=utf-8", "ok\n") == PO_OK)
		(void)http_resp_fail(resp, http_resp_header(resp, "Cache-Control", "no-store"));
}

static void
metrics_page(void *arg, http_req_t *req, http_resp_t *resp)
{
	struct app *a = arg;

	http_resp_begin(resp, 200, "text/plain; version=0.0.4; charset=utf-8");
	if (http_resp_fail(resp, metrics_render(a->metrics, a->store, &resp->body)) == PO_OK)
		(void)http_resp_fail(resp, http_resp_header(resp, "Cache-Control", "no-store"));
}

static void
root_page(void *arg, http_req_t *req, http_resp_t *resp)
{
	struct app *a = arg;

	page_error(a->ui, a->cfg->issuer_path, resp, 200, "info", "Sign in with Plex",
	    "This is a sign-in service. Open the app you want to use and choose to sign in there.", NULL, NULL);
}

static int
add_routes(struct app *a)
{
	const route_t own[] = {
		{ "/assets/", true, ROUTE_GET, false, -1, serve_asset, a },
		{ "/healthz", false, ROUTE_GET, false, -1, healthz, a },
		{ "/metrics", false, ROUTE_GET, false, -1, metrics_page, a },
	};
	const route_t root = { "/", false, ROUTE_GET, false, -1, root_page, a };
	int rc;

	if ((rc = router_new(a->cfg->issuer_path, &a->router)) != PO_OK)
		return rc;
	router_set_guard(a->router, rate_limited, a);
	if ((rc = router_add_all(a->router, own, sizeof(own) / sizeof(own[0]))) != PO_OK)
		return rc;
	if ((rc = oidc_routes(a->oidc, a->router, RL_AUTHORIZE, RL_TOKEN)) != PO_OK ||
	    (rc = login_http_routes(a->logins, a->router, RL_PIN, RL_POLL)) != PO_OK ||
	    (a->gate != NULL && (rc = gate_routes(a->gate, a->router, RL_AUTHORIZE)) != PO_OK))
		return rc;
	/* Setup mode has its own page at the root (oidc_routes added it). */
	return a->opts.setup_mode ? PO_OK : router_add(a->router, &root);
}

/* ---- start and stop ---- */

/* The store: in memory, or [store]'s Redis (not in setup mode, which has
 * no [store]). A Redis that is down at start is said in the log; plex-oidc
 * starts anyway and reconnects by itself. */
static int
start_store(struct app *a)
{
	const config_t *cfg = a->cfg;
	store_redis_opts_t ro = { 0 };
	store_health_t h;
	int rc;

	if (cfg->store_url == NULL)
		return (a->store = store_mem_new()) != NULL ? PO_OK : PO_ERR_NOMEM;
	ro.host = cfg->store_host;
	ro.port = cfg->store_port;
	ro.socket = cfg->store_socket;
	ro.db = cfg->store_db;
	ro.username = cfg->store_username;
	ro.password = cfg->store_password;
	ro.prefix = cfg->store_prefix;
	ro.issuer = cfg->issuer;
	ro.where = cfg->store_url;
	if ((rc = store_redis_new(&ro, &a->store)) != PO_OK) {
		log_error_fr(rc, "cannot set up the store at %s", cfg->store_url);
		return rc;
	}
	log_info("store: Redis at %s, keys under \"%s\"", cfg->store_url, store_redis_prefix(a->store));
	store_health(a->store, true, &h); /* connects now; a failure is logged */
	return PO_OK;
}

/* Creates dir (and only the last component) with mode 0700 if missing. */
static int
ensure_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0) {
		log_info("created data directory %s", dir);
		return PO_OK;
	}
	/* EEXIST also when another replica sharing data_dir created it a
	 * moment ago: stat after mkdir, not before, so the race is harmless. */
	if (errno != EEXIST) {
		log_error("cannot create data_dir %s: %s", dir, strerror(errno));
		return PO_ERR_IO;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_error("data_dir %s exists but is not a directory", dir);
		return PO_ERR_IO;
	}
	return PO_OK;
}

static int
start_ui(struct app *a)
{
	const config_t *cfg = a->cfg;
	ui_opts_t uo = { 0 };

	uo.title = cfg->ui_title;
	uo.message = cfg->ui_message;
	uo.logo_path = cfg->ui_logo;
	uo.background_path = cfg->ui_background;
	uo.accent_color = cfg->ui_accent_color;
	uo.custom_css_path = cfg->ui_custom_css;
	uo.assets_dir = cfg->ui_assets_dir;
	return ui_new(&uo, &a->ui);
}

static int
start_plex(struct app *a)
{
	plex_opts_t po = { 0 };
	int rc;

	po.api_url = a->cfg->plex_api_url;
	po.client_identifier = a->plex_client_id;
	po.product = a->cfg->plex_product;
	po.version = PO_VERSION;
	if ((rc = plex_client_new(&po, &a->plex)) != PO_OK) {
		log_error_fr(rc, "cannot start the plex.tv client");
		return rc;
	}
	plex_client_set_observer(a->plex, metrics_plex_observe, a->metrics);
	return PO_OK;
}

/* The re-check's plex.tv call. */
static int
access_plex_resources(void *plex, const char *token, plex_resources_cb cb, void *arg)
{
	return plex_resources_get(plex, token, cb, arg);
}

/* The namespaces whose lifetime the configuration decides. */
static void
store_lifetimes(struct app *a)
{
	const config_t *c = a->cfg;
	int64_t sealed = c->session_lifetime_s > c->refresh_lifetime_s ? c->session_lifetime_s : c->refresh_lifetime_s;

	/* A kept check is used for access_recheck, a failed one paces the next
	 * attempt for LIM_ACCESS_RETRY_S. */
	store_set_ttl(a->store, STORE_ACCESS, ((long long)c->access_recheck_s + LIM_ACCESS_RETRY_S) * 1000);
	/* Revoked sessions and chains: until they would have expired. */
	store_set_ttl(a->store, STORE_REVOKED, (long long)sealed * 1000);
	store_set_ttl(a->store, STORE_REFRESH, (long long)c->refresh_lifetime_s * 1000);
}

/* Forward auth, when [app.NAME] sections guard apps (never in setup mode,
 * whose configuration has none). */
static int
start_gate(struct app *a)
{
	gate_opts_t go = { 0 };

	if (a->cfg->n_apps == 0 || a->opts.setup_mode)
		return PO_OK;
	go.cfg = a->cfg;
	go.keys = a->keys;
	go.ui = a->ui;
	go.store = a->store;
	go.logins = a->logins;
	go.access = a->access;
	go.metrics = a->metrics;
	return gate_new(&go, &a->gate);
}

/* The login flow, the login pages and the provider, which build on each
 * other in this order. */
static int
start_doors(struct app *a)
{
	login_flow_opts_t fo = { 0 };
	login_http_opts_t ho = { 0 };
	access_opts_t ao = { 0 };
	oidc_opts_t oo = { 0 };
	int rc;

	ao.store = a->store;
	ao.resources_get = access_plex_resources;
	ao.plex = a->plex;
	ao.cfg = a->cfg;
	ao.metrics = a->metrics;
	if ((rc = access_new(&ao, &a->access)) != PO_OK)
		return rc;

	fo.store = a->store;
	fo.ops = login_flow_plex_ops();
	fo.plex = a->plex;
	fo.cfg = a->cfg;
	fo.metrics = a->metrics;
	fo.keys = a->keys;
	fo.setup_mode = a->opts.setup_mode;
	if ((rc = login_flow_new(&fo, &a->flow)) != PO_OK)
		return rc;
	ho.cfg = a->cfg;
	ho.ui = a->ui;
	ho.store = a->store;
	ho.flow = a->flow;
	ho.metrics = a->metrics;
	ho.plex_client_id = a->plex_client_id;
	if ((rc = login_http_new(&ho, &a->logins)) != PO_OK)
		return rc;
	oo.cfg = a->cfg;
	oo.keys = a->keys;
	oo.algs = a->algs;
	oo.ui = a->ui;
	oo.store = a->store;
	oo.logins = a->logins;
	oo.access = a->access;
	oo.metrics = a->metrics;
	oo.setup_mode = a->opts.setup_mode;
	if ((rc = oidc_new(&oo, &a->oidc)) != PO_OK)
		return rc;
	if (a->opts.setup_mode)
		login_flow_set_hook(a->flow, oidc_setup_remember, a->oidc);
	return start_gate(a);
}

int
app_start(const config_t *cfg, const app_opts_t *opts, app_t **out)
{
	struct app *a = NULL;
	http_server_opts_t ho = { 0 };
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto out;
	a->cfg = cfg;
	a->opts = *opts;
	pthread_mutex_init(&a->maint_mu, NULL);
	pthread_cond_init(&a->maint_cv, NULL);
	/* Setup mode's own configuration has nothing to warn about. */
	for (size_t i = 0; !opts->setup_mode && i < cfg->n_warnings; i++)
		log_warn("%s", cfg->warnings[i]);
	if ((a->rl = ratelimit_new()) == NULL || (a->metrics = metrics_new()) == NULL)
		goto out;
	/* The keys before the Plex client identifier: a first start that
	 * stops in between must not look like lost keys the next time. */
	if ((rc = start_store(a)) != PO_OK)
		goto out;
	store_lifetimes(a);
	if ((rc = ip_allow_new(cfg->trusted_proxies, cfg->n_trusted_proxies, &a->trusted)) != PO_OK ||
	    (rc = ensure_dir(cfg->data_dir)) != PO_OK || (rc = app_keys_start(a)) != PO_OK ||
	    (rc = plex_id_load_or_create(cfg->data_dir, a->plex_client_id, sizeof(a->plex_client_id))) != PO_OK ||
	    (rc = start_ui(a)) != PO_OK || (rc = start_plex(a)) != PO_OK || (rc = start_doors(a)) != PO_OK ||
	    (rc = add_routes(a)) != PO_OK || (rc = app_maintenance_start(a)) != PO_OK)
		goto out;
	ho.host = cfg->listen_host;
	ho.port = cfg->listen_port;
	ho.threads = store_shared(a->store) ? APP_HTTP_THREADS_SHARED : APP_HTTP_THREADS;
	ho.handler = router_handle;
	ho.arg = a->router;
	ho.trusted = &a->trusted;
	if ((rc = http_server_start(&ho, &a->http)) != PO_OK)
		goto out;
	log_info("plex-oidc %s listening on %s port %u, issuer %s", PO_VERSION, cfg->listen_host,
	    (unsigned)http_server_port(a->http), cfg->issuer);
	*out = a;
	a = NULL; /* transferred */
	rc = PO_OK;
out:
	if (rc != PO_OK)
		log_error_fr(rc, "cannot start");
	app_stop(a);
	return rc;
}

void
app_wait_signal(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

void
app_stop(app_t *a)
{
	if (a == NULL)
		return;
	app_maintenance_stop(a);
	http_server_quiesce(a->http);
	login_flow_stop(a->flow);
	access_stop(a->access);
	plex_client_free(a->plex); /* cancelled callbacks resume waiting requests */
	http_server_stop(a->http);
	router_free(a->router);
	gate_free(a->gate);
	oidc_free(a->oidc);
	login_http_free(a->logins);
	login_flow_free(a->flow);
	access_free(a->access);
	ui_free(a->ui);
	keyholder_free(a->keys);
	store_free(a->store);
	metrics_free(a->metrics);
	ratelimit_free(a->rl);
	ip_allow_clear(&a->trusted);
	pthread_cond_destroy(&a->maint_cv);
	pthread_mutex_destroy(&a->maint_mu);
	free(a);
}

int
app_setup_config(unsigned port, char *dir_template, char *const *env, config_t **out)
{
	return oidc_setup_config(port, dir_template, env, out);
}

void
app_setup_cleanup(const char *dir)
{
	oidc_setup_cleanup(dir);
}
