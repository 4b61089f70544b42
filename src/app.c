/*
 * app.c - wiring and routing (see app.h).
 *
 * The router maps the path (below the issuer's path) and method to a
 * handler; it answers 404, 405 (with Allow) and CORS preflights itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "app.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/str.h"
#include "http/clientip.h"
#include "http/server.h"
#include "jose/jwk.h"
#include "oidc/errors.h"
#include "oidc/oidc.h"
#include "plex/plex.h"
#include "store/ratelimit.h"
#include "core/clock.h"
#include "ui/ui.h"

struct app {
	const config_t *cfg;
	jose_key_t *key;
	ui_t *ui;
	plex_client_t *plex;
	oidc_t *oidc;
	http_server_t *http;
	ratelimit_t *rl;
	ip_allow_t trusted; /* [server] trusted_proxies */
	char plex_client_id[64];
};

typedef void (*route_fn)(oidc_t *o, http_req_t *req, http_resp_t *resp);

enum { M_GET = 1, M_POST = 2 };

static const struct route {
	const char *path;
	unsigned methods;
	bool cors; /* answers CORS preflights: called by browser-based clients */
	int rl;    /* rate-limit class, or -1 */
	route_fn fn;
} routes[] = {
	{ "/.well-known/openid-configuration", M_GET, true, -1, oidc_discovery },
	{ "/jwks", M_GET, true, -1, oidc_jwks },
	{ "/authorize", M_GET | M_POST, false, RL_AUTHORIZE, oidc_authorize },
	{ "/token", M_POST, true, RL_TOKEN, oidc_token },
	{ "/userinfo", M_GET | M_POST, true, -1, oidc_userinfo },
	{ "/login/start", M_GET, false, RL_PIN, oidc_login_start },
	{ "/login/status", M_GET, false, RL_POLL, oidc_login_status },
	{ "/login/finish", M_GET, false, -1, oidc_login_finish },
	{ "/login/result", M_GET, false, -1, oidc_login_result },
	{ "/login/return", M_GET, false, -1, oidc_login_return },
	{ "/login/popup-done", M_GET, false, -1, oidc_login_popup_done },
	/* setup mode only (see setup.c) */
	{ "/setup/begin", M_GET, false, RL_AUTHORIZE, oidc_setup_begin },
	{ "/setup/callback", M_GET, false, -1, oidc_setup_callback },
	{ "/setup/config", M_GET, false, -1, oidc_setup_config },
};

/* Answers 429 if the client is over its budget for this endpoint. The
 * login's re-entry after a resume is not counted twice. */
static bool
rate_limited(struct app *a, const struct route *r, http_req_t *req, http_resp_t *resp)
{
	char ra[16];
	int retry = 1;

	if (r->rl < 0 || req->reentry)
		return false;
	if (ratelimit_take(a->rl, (enum rl_class)r->rl, req->client_ip, clock_mono_ms(), &retry))
		return false;
	__atomic_add_fetch(&a->oidc->metrics.rate_limited, 1, __ATOMIC_RELAXED);
	snprintf(ra, sizeof(ra), "%d", retry);
	if (r->rl == RL_TOKEN || r->rl == RL_POLL) {
		oidc_error_json(resp, 429, OE_TEMPORARILY_UNAVAILABLE, "too many requests; retry later");
	} else {
		oidc_error_page(a->oidc, resp, 429, "unavailable", "Too many attempts",
		    "There were too many sign-in attempts from your network. Wait a minute, then try again.", NULL, NULL);
	}
	http_resp_header(resp, "Retry-After", ra);
	return true;
}

static void
serve_asset(struct app *a, const char *name, http_req_t *req, http_resp_t *resp)
{
	const ui_asset_t *as = ui_asset_get(a->ui, name);

	if (as == NULL) {
		http_resp_text(resp, 404, "text/plain; charset=utf-8", "Not found\n", 10);
		return;
	}
	http_resp_header(resp, "ETag", as->etag);
	/* Operators can replace assets (an SVG logo, say): opened directly,
	 * an asset gets no script and no plugin. */
	http_resp_header(resp, "Content-Security-Policy", "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; sandbox");
	http_resp_header(resp, "Cache-Control", "public, max-age=3600");
	if (req->if_none_match && strcmp(req->if_none_match, as->etag) == 0) {
		resp->status = 304;
		return;
	}
	resp->status = 200;
	resp->content_type = as->content_type;
	resp->static_body = as->data;
	resp->static_len = as->len;
}

static void
route(void *arg, http_req_t *req, http_resp_t *resp)
{
	struct app *a = arg;
	const char *p = req->path, *ip = a->cfg->issuer_path;
	size_t iplen = strlen(ip), i;
	unsigned m;
	bool options = strcmp(req->method, "OPTIONS") == 0;

	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
		m = M_GET;
	else if (strcmp(req->method, "POST") == 0)
		m = M_POST;
	else
		m = 0;
	/* Everything lives below the issuer's path (Discovery §4.1). */
	if (iplen && (strncmp(p, ip, iplen) != 0 || (p[iplen] != '/' && p[iplen] != '\0')))
		goto not_found;
	p += iplen;
	if (strncmp(p, "/assets/", 8) == 0 && m == M_GET) {
		serve_asset(a, p + 8, req, resp);
		return;
	}
	if ((strcmp(p, "/healthz") == 0 || strcmp(p, "/metrics") == 0) && m != M_GET) {
		http_resp_text(resp, 405, "text/plain; charset=utf-8", "Method not allowed\n", 19);
		http_resp_header(resp, "Allow", "GET, HEAD");
		return;
	}
	if (strcmp(p, "/healthz") == 0 && m == M_GET) {
		/* The server only listens once the key is loaded and the
		 * documents are built: answering means ready. */
		http_resp_text(resp, 200, "text/plain; charset=utf-8", "ok\n", 3);
		http_resp_header(resp, "Cache-Control", "no-store");
		return;
	}
	if (strcmp(p, "/metrics") == 0 && m == M_GET) {
		resp->status = 200;
		resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
		if (oidc_metrics_render(a->oidc, &resp->body) != PO_OK)
			resp->status = 500;
		http_resp_header(resp, "Cache-Control", "no-store");
		return;
	}
	if ((strcmp(p, "/") == 0 || p[0] == '\0') && m == M_GET && a->oidc->setup_mode) {
		oidc_setup_home(a->oidc, req, resp);
		return;
	}
	if (strncmp(p, "/setup/", 7) == 0 && !a->oidc->setup_mode)
		goto not_found;
	if ((strcmp(p, "/") == 0 || p[0] == '\0') && m == M_GET) {
		oidc_error_page(a->oidc, resp, 200, "info", "Sign in with Plex",
		    "This is a sign-in service. Open the app you want to use and choose to sign in there.", NULL, NULL);
		return;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		if (strcmp(p, r->path) != 0)
			continue;
		if (options && r->cors) {
			/* CORS preflight (Fetch standard): allow any origin; the
			 * endpoints are protected by credentials, not origins. */
			resp->status = 204;
			http_resp_header(resp, "Access-Control-Allow-Origin", "*");
			http_resp_header(resp, "Access-Control-Allow-Methods",
			    r->methods & M_POST ? (r->methods & M_GET ? "GET, POST, OPTIONS" : "POST, OPTIONS") : "GET, OPTIONS");
			http_resp_header(resp, "Access-Control-Allow-Headers", "Authorization, Content-Type");
			http_resp_header(resp, "Access-Control-Max-Age", "86400");
			return;
		}
		if ((r->methods & m) == 0) {
			http_resp_text(resp, 405, "text/plain; charset=utf-8", "Method not allowed\n", 19);
			http_resp_header(resp, "Allow",
			    r->methods == (M_GET | M_POST) ? "GET, HEAD, POST" : r->methods == M_POST ? "POST" : "GET, HEAD");
			if (r->cors)
				http_resp_header(resp, "Access-Control-Allow-Origin", "*");
			return;
		}
		if (rate_limited(a, r, req, resp))
			return;
		r->fn(a->oidc, req, resp);
		return;
	}
not_found:
	http_resp_text(resp, 404, "text/plain; charset=utf-8", "Not found\n", 10);
	http_resp_header(resp, "Cache-Control", "no-store");
}

/* Creates dir (and only the last component) with mode 0700 if missing. */
static int
ensure_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			log_error("data_dir %s exists but is not a directory", dir);
			return PO_ERR_IO;
		}
		return PO_OK;
	}
	if (mkdir(dir, 0700) != 0) {
		log_error("cannot create data_dir %s: %s", dir, strerror(errno));
		return PO_ERR_IO;
	}
	log_info("created data directory %s", dir);
	return PO_OK;
}

/* Loads the persisted X-Plex-Client-Identifier, or creates one (a random
 * UUID v4). It must never change: PINs are bound to it (plex-api.md). */
static int
load_client_identifier(const char *dir, char *out, size_t outsz)
{
	buf_t path;
	FILE *f = NULL;
	int rc = PO_ERR_IO, fd = -1;
	unsigned char r[16];
	size_t n;

	buf_init(&path, 4096);
	if (buf_appendf(&path, "%s/plex-client-id", dir) != PO_OK)
		goto out;
	if ((f = fopen(buf_str(&path), "r")) != NULL) {
		n = fread(out, 1, outsz - 1, f);
		out[n] = '\0';
		out[strcspn(out, "\r\n")] = '\0';
		if (strlen(out) < 8) {
			log_error("%s is empty or damaged; delete it to create a new identifier", buf_str(&path));
			goto out;
		}
		rc = PO_OK;
		goto out;
	}
	if (rnd_bytes(r, sizeof(r)) != PO_OK)
		goto out;
	r[6] = (r[6] & 0x0f) | 0x40; /* RFC 4122 §4.4: version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(out, outsz, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
	    r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	if ((fd = open(buf_str(&path), O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, out, strlen(out)) != (ssize_t)strlen(out) || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		log_error("cannot write %s: %s", buf_str(&path), strerror(errno));
		goto out;
	}
	log_info("created Plex client identifier in %s", buf_str(&path));
	rc = PO_OK;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	buf_free(&path);
	return rc;
}

int
app_start(const config_t *cfg, app_t **out)
{
	struct app *a = NULL;
	int rc = PO_ERR_NOMEM, created = 0;
	ui_opts_t uo = { 0 };
	plex_opts_t po = { 0 };
	http_server_opts_t ho = { 0 };

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto out;
	a->cfg = cfg;
	if ((a->rl = ratelimit_new()) == NULL)
		goto out;
	if ((rc = ip_allow_new(cfg->trusted_proxies, cfg->n_trusted_proxies, &a->trusted)) != PO_OK)
		goto out;
	if ((rc = ensure_dir(cfg->data_dir)) != PO_OK)
		goto out;
	if ((rc = jose_key_load_or_create(cfg->data_dir, &a->key, &created)) != PO_OK)
		goto out;
	if ((rc = load_client_identifier(cfg->data_dir, a->plex_client_id, sizeof(a->plex_client_id))) != PO_OK)
		goto out;
	uo.title = cfg->ui_title;
	uo.message = cfg->ui_message;
	uo.logo_path = cfg->ui_logo;
	uo.background_path = cfg->ui_background;
	uo.accent_color = cfg->ui_accent_color;
	uo.custom_css_path = cfg->ui_custom_css;
	uo.assets_dir = cfg->ui_assets_dir;
	if ((rc = ui_new(&uo, &a->ui)) != PO_OK)
		goto out;
	po.api_url = cfg->plex_api_url;
	po.client_identifier = a->plex_client_id;
	po.product = cfg->plex_product;
	po.version = PO_VERSION;
	if ((rc = plex_client_new(&po, &a->plex)) != PO_OK) {
		log_error("cannot start the plex.tv client");
		goto out;
	}
	if ((rc = oidc_new(cfg, a->key, a->ui, a->plex, a->plex_client_id, &a->oidc)) != PO_OK)
		goto out;
	plex_client_set_observer(a->plex, oidc_plex_observer, a->oidc);
	ho.host = cfg->listen_host;
	ho.port = cfg->listen_port;
	ho.threads = 2;
	ho.handler = route;
	ho.arg = a;
	ho.trusted = &a->trusted;
	if ((rc = http_server_start(&ho, &a->http)) != PO_OK)
		goto out;
	log_info("plex-oidc %s listening on %s port %u, issuer %s", PO_VERSION, cfg->listen_host,
	    (unsigned)http_server_port(a->http), cfg->issuer);
	*out = a;
	a = NULL; /* transferred */
	rc = PO_OK;
out:
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
	http_server_quiesce(a->http);
	if (a->oidc)
		oidc_stop_plex(a->oidc);
	plex_client_free(a->plex); /* cancelled callbacks resume waiting requests */
	http_server_stop(a->http);
	oidc_free(a->oidc);
	ui_free(a->ui);
	jose_key_free(a->key);
	ratelimit_free(a->rl);
	ip_allow_clear(&a->trusted);
	free(a);
}
