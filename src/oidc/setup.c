/*
 * setup.c - setup mode: plex-oidc started without a configuration file.
 *
 * It listens on 127.0.0.1 only. The operator opens the page, signs in with
 * Plex through the normal login flow (as the built-in client "setup"), sees
 * the Plex servers their account owns, picks one, and gets a complete
 * configuration file with a freshly generated client secret, plus the exact
 * values to paste into the relying party (Cloudflare Access first).
 *
 *   GET /                  the setup page (signed out)
 *   GET /setup/begin       sets a state cookie, redirects to /authorize
 *   GET /setup/callback    checks state, redeems the code, shows the servers
 *   GET /setup/config      renders the configuration for the chosen values
 *
 * Setup mode is decided by how the binary is started (no --config: main.c),
 * never by a configuration value.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/str.h"
#include "http/cookie.h"
#include "po_limits.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "ui/page.h"

#define SETUP_STATE_COOKIE "plexoidc_setup_state"
/* The state cookie lives as long as a pending login. */
#define SETUP_STATE_MAX_AGE_S LIM_LOGIN_TTL_S
/* A server id for setup mode's own configuration: it must parse, and it
 * grants nothing (setup mode lets every account in, to list the servers it
 * owns; login_flow.c). */
#define SETUP_SERVER_ID "0000000000000000000000000000000000000000"
/* The generated client secret: 48 random bytes in base64url (64
 * characters), URL-safe as Cloudflare Access needs. */
#define SETUP_SECRET_BYTES 48
#define SETUP_SECRET_SIZE 80
/* The generated configuration file and the parser's messages about it. */
#define SETUP_INI_MAX (16 * 1024)
/* A path in setup mode's temporary directory (/tmp/plex-oidc-setup-XXXXXX). */
#define SETUP_PATH_MAX 256

void
oidc_setup_remember(void *arg, const identity_t *who, const plex_resources_t *res)
{
	oidc_t *o = arg;
	json_t *a = json_array();
	char *s = NULL;
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < res->n; i++) {
		const plex_resource_t *r = &res->items[i];
		json_t *e;
		if (!r->provides_server || !r->owned || r->client_identifier == NULL)
			continue;
		if ((e = json_object()) == NULL || json_object_set_new(e, "name", json_string(r->name ? r->name : "Plex Media Server")) != 0 ||
		    json_object_set_new(e, "id", json_string(r->client_identifier)) != 0 ||
		    json_object_set_new(e, "owner", json_integer(who->plex_id)) != 0 || json_array_append_new(a, e) != 0)
			break;
	}
	if ((s = json_dumps(a, JSON_COMPACT)) != NULL) {
		(void)store_del(o->o.store, STORE_SETUP, who->sub);
		if (store_put(o->o.store, STORE_SETUP, who->sub, s, strlen(s)) != PO_OK)
			log_warn("setup: cannot remember the servers of Plex account %s", who->sub);
	}
	json_decref(a);
	free(s);
}

static void
render(const oidc_t *o, http_resp_t *resp, const char *tpl, const ui_var_t *vars, size_t n)
{
	page_render(o->o.ui, o->o.cfg->issuer_path, resp, 200, tpl, vars, n);
}

static void
setup_home(void *arg, http_req_t *req, http_resp_t *resp)
{
	render(arg, resp, "setup.html", NULL, 0);
}

static void
setup_begin(void *arg, http_req_t *req, http_resp_t *resp)
{
	oidc_t *o = arg;
	char state[GRANT_TOKEN_SIZE];
	buf_t loc, cookie;
	int rc;

	buf_init(&loc, LIM_URL_MAX * 2);
	buf_init(&cookie, LIM_COOKIE_HEADER_MAX);
	if ((rc = rnd_token(state, sizeof(state), LIM_RANDOM_TOKEN_BYTES)) != PO_OK ||
	    (rc = oidc_url(o, &loc, "/authorize?client_id=" OIDC_SETUP_CLIENT_ID "&response_type=code"
	                            "&scope=openid%20profile%20email&redirect_uri=")) != PO_OK ||
	    (rc = form_encode(&loc, o->o.cfg->clients[0].redirect_uris[0])) != PO_OK ||
	    (rc = buf_puts(&loc, "&state=")) != PO_OK || (rc = buf_puts(&loc, state)) != PO_OK ||
	    (rc = cookie_format(&cookie, SETUP_STATE_COOKIE, state, "/", SETUP_STATE_MAX_AGE_S, o->o.cfg->issuer_https)) !=
	        PO_OK) {
		oidc_error_page(o, resp, 500, "error", "Something went wrong", "Setup could not start.", NULL, NULL);
		goto out;
	}
	resp->status = 302;
	if ((rc = http_resp_header(resp, "Location", buf_str(&loc))) != PO_OK ||
	    (rc = http_resp_header(resp, "Set-Cookie", buf_str(&cookie))) != PO_OK)
		goto out; /* sticky */
	(void)http_resp_fail(resp, http_resp_header(resp, "Cache-Control", "no-store"));
out:
	str_wipe(state, sizeof(state));
	buf_free(&loc);
	buf_free(&cookie);
}

/* Redeems a code of the setup client (single use): the account's uuid and
 * name. */
struct redeem {
	char *sub;
	char *name;
};

static enum store_write
redeem_fn(void *arg, const char *val, size_t len, buf_t *next)
{
	struct redeem *r = arg;
	code_grant_t g;
	enum store_write w = STORE_KEEP;

	free(r->sub);
	free(r->name);
	r->sub = r->name = NULL;
	if (code_grant_decode(val, len, &g) != PO_OK)
		return STORE_KEEP;
	if (!g.used && strcmp(g.req.client_id, OIDC_SETUP_CLIENT_ID) == 0) {
		r->sub = str_dup(g.who->sub);
		r->name = str_dup(g.who->name);
		w = STORE_DELETE;
	}
	code_grant_clear(&g);
	return w;
}

static void
setup_callback(void *arg, http_req_t *req, http_resp_t *resp)
{
	oidc_t *o = arg;
	form_t q = { 0 };
	struct redeem r = { NULL, NULL };
	const char *code, *state, *cv = NULL;
	size_t cvlen = 0;
	buf_t servers;

	buf_init(&servers, LIM_SETUP_BYTES_MAX);
	if (form_parse(req->query, req->query_len, &q) != PO_OK || (code = form_get(&q, "code")) == NULL ||
	    (state = form_get(&q, "state")) == NULL || state[0] == '\0' || req->cookie == NULL ||
	    cookie_get(req->cookie, strlen(req->cookie), SETUP_STATE_COOKIE, &cv, &cvlen) != PO_OK ||
	    !str_ct_eq(cv, cvlen, state, strlen(state)) ||
	    store_update(o->o.store, STORE_CODES, code, redeem_fn, &r) != PO_OK || r.sub == NULL) {
		oidc_error_page(o, resp, 400, "expired", "Sign in again",
		    "This setup sign-in has expired or was already used.", "/setup/begin", "Sign in with Plex");
		goto out;
	}
	if (store_get(o->o.store, STORE_SETUP, r.sub, &servers) != PO_OK)
		buf_reset(&servers);
	{
		ui_var_t vars[] = {
			{ "signed_in", "1" },
			{ "account", r.name },
			{ "servers_json", servers.len ? buf_str(&servers) : "[]" },
		};
		render(o, resp, "setup.html", vars, sizeof(vars) / sizeof(vars[0]));
	}
out:
	form_clear(&q);
	free(r.sub);
	free(r.name);
	buf_free(&servers);
}

/* The values the configuration page needs, checked. */
struct setup_in {
	const char *server, *issuer, *client, *redirect, *owner;
};

static bool
chars_ok(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

/* An absolute https URL without spaces, quotes or a fragment; the issuer
 * also without a query or a trailing slash (Discovery §3). */
static bool
https_url_ok(const char *u, bool is_issuer)
{
	size_t n = strlen(u);

	if (strncmp(u, "https://", 8) != 0 || n <= 8 || n > LIM_URL_MAX || u[8] == '/')
		return false;
	if (strpbrk(u, " \"'<>#\\") != NULL)
		return false;
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return false; /* no control characters: they would break the INI */
	if (is_issuer && (strchr(u, '?') != NULL || u[n - 1] == '/'))
		return false;
	return true;
}

/* The generated configuration file. Loopback listen address: behind a
 * proxy on the same machine, so that proxy is trusted for X-Forwarded-For
 * (else every user would share its address, one rate-limit bucket and one
 * connection cap). */
static int
generated_ini(const oidc_t *o, const struct setup_in *in, const char *secret, buf_t *ini)
{
	int rc;

	if ((rc = buf_appendf(ini,
	         "; plex-oidc configuration, generated by setup mode.\n"
	         "; Check it with: plex-oidc check-config /etc/plex-oidc/plex-oidc.ini\n\n"
	         "[server]\n"
	         "listen   = 127.0.0.1:8080          ; behind your TLS reverse proxy or tunnel\n"
	         "issuer   = %s\n"
	         "data_dir = /var/lib/plex-oidc\n"
	         "; The reverse proxy runs on this machine: believe the client address it\n"
	         "; reports (X-Forwarded-For), so each user gets their own rate limits.\n"
	         "trusted_proxies = 127.0.0.1 ::1\n\n"
	         "[plex]\n"
	         "server_id = %s\n",
	         in->issuer, in->server)) != PO_OK)
		return rc;
	if (in->owner)
		rc = buf_appendf(ini, "owner_id  = %s   ; your Plex account id: only your server and your shares count\n",
		    in->owner);
	else
		rc = buf_puts(ini, "; owner_id = YOUR PLEX ACCOUNT ID   ; strongly recommended: see docs/SECURITY.md\n");
	if (rc != PO_OK)
		return rc;
	return buf_appendf(ini,
	    "product   = %s\n\n"
	    "[client.%s]\n"
	    "secret        = %s\n"
	    "redirect_uris = %s\n",
	    o->o.cfg->plex_product, in->client, secret, in->redirect);
}

static int
endpoint_url(buf_t *out, const char *issuer, const char *path)
{
	return buf_appendf(out, "%s%s", issuer, path);
}

static void
setup_config_page(void *arg, http_req_t *req, http_resp_t *resp)
{
	oidc_t *o = arg;
	form_t q = { 0 };
	struct setup_in in;
	char secret[SETUP_SECRET_SIZE] = "";
	buf_t ini, auth, tok, jwks, disc, err;
	config_t *check = NULL;

	buf_init(&ini, SETUP_INI_MAX);
	buf_init(&auth, LIM_URL_MAX * 2);
	buf_init(&tok, LIM_URL_MAX * 2);
	buf_init(&jwks, LIM_URL_MAX * 2);
	buf_init(&disc, LIM_URL_MAX * 2);
	buf_init(&err, SETUP_INI_MAX);
	if (form_parse(req->query, req->query_len, &q) != PO_OK)
		goto bad;
	in.server = form_get(&q, "server");
	in.issuer = form_get(&q, "issuer");
	in.client = form_get(&q, "client");
	in.redirect = form_get(&q, "redirect_uri");
	in.owner = form_get(&q, "owner");
	if (in.owner && (in.owner[0] == '\0' || !chars_ok(in.owner, "")))
		goto bad;
	if (in.server == NULL || in.issuer == NULL || in.client == NULL || in.redirect == NULL || !in.server[0] ||
	    strlen(in.server) > LIM_PLEX_SERVER_ID_MAX || !chars_ok(in.server, "-") || !in.client[0] ||
	    strlen(in.client) > LIM_CLIENT_ID_MAX || !chars_ok(in.client, "._-") || !https_url_ok(in.issuer, true) ||
	    !https_url_ok(in.redirect, false))
		goto bad;
	/* 48 random bytes in base64url: URL-safe, as Cloudflare Access needs. */
	if (rnd_token(secret, sizeof(secret), SETUP_SECRET_BYTES) != PO_OK || generated_ini(o, &in, secret, &ini) != PO_OK)
		goto bad;
	/* What we print must load: check it with the real parser. */
	if (config_parse(ini.data, ini.len, "generated.ini", NULL, &check, &err) != PO_OK) {
		log_warn("setup: generated configuration does not load: %s", buf_str(&err));
		goto bad;
	}
	if (endpoint_url(&auth, in.issuer, "/authorize") != PO_OK || endpoint_url(&tok, in.issuer, "/token") != PO_OK ||
	    endpoint_url(&jwks, in.issuer, "/jwks") != PO_OK ||
	    endpoint_url(&disc, in.issuer, "/.well-known/openid-configuration") != PO_OK)
		goto bad;
	{
		ui_var_t vars[] = {
			{ "config_text", buf_str(&ini) },
			{ "auth_url", buf_str(&auth) },
			{ "token_url", buf_str(&tok) },
			{ "jwks_url", buf_str(&jwks) },
			{ "discovery_url", buf_str(&disc) },
			{ "client_id", in.client },
			{ "client_secret", secret },
			{ "redirect_uri", in.redirect },
		};
		render(o, resp, "setup-config.html", vars, sizeof(vars) / sizeof(vars[0]));
	}
	goto out;
bad:
	oidc_error_page(o, resp, 400, "error", "Check the values",
	    "The server id, the public https URL (no trailing slash), the client name (letters, digits, . _ -) and the "
	    "app's https redirect URI are all needed.",
	    "/", "Back to setup");
out:
	str_wipe(secret, sizeof(secret));
	config_free(check);
	form_clear(&q);
	buf_free(&ini);
	buf_free(&auth);
	buf_free(&tok);
	buf_free(&jwks);
	buf_free(&disc);
	buf_free(&err);
}

int
oidc_setup_routes(oidc_t *o, router_t *r, int begin_guard)
{
	const route_t routes[] = {
		{ "/", false, ROUTE_GET, false, -1, setup_home, o },
		{ "/setup/begin", false, ROUTE_GET, false, begin_guard, setup_begin, o },
		{ "/setup/callback", false, ROUTE_GET, false, -1, setup_callback, o },
		{ "/setup/config", false, ROUTE_GET, false, -1, setup_config_page, o },
	};

	return router_add_all(r, routes, sizeof(routes) / sizeof(routes[0]));
}

/* ---- setup mode's own configuration (main.c) ---- */

/* The environment entries setup mode honours: PLEX_OIDC_PLEX_* and
 * PLEX_OIDC_UI_*. A new NULL-terminated array of borrowed strings (free
 * the array only); NULL on allocation failure, which means "none". */
static char **
setup_env(char *const *env)
{
	size_t n = 0, i, k = 0;
	char **out;

	while (env && env[n])
		n++;
	if ((out = calloc(n + 1, sizeof(*out))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(env[i], "PLEX_OIDC_PLEX_", 15) == 0 || strncmp(env[i], "PLEX_OIDC_UI_", 13) == 0)
			out[k++] = env[i];
	return out;
}

int
oidc_setup_config(unsigned port, char *dir, char *const *env, config_t **cfg)
{
	char secret[SETUP_SECRET_SIZE] = "", **senv = NULL;
	buf_t ini, err;
	int rc = PO_ERR_INVALID;

	*cfg = NULL;
	buf_init(&ini, SETUP_INI_MAX);
	buf_init(&err, SETUP_INI_MAX);
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "plex-oidc: cannot create a temporary directory: %s\n", strerror(errno));
		goto out;
	}
	if ((rc = rnd_token(secret, sizeof(secret), LIM_RANDOM_TOKEN_BYTES)) != PO_OK ||
	    (rc = buf_appendf(&ini,
	         "[server]\nlisten = 127.0.0.1:%u\nissuer = http://127.0.0.1:%u\ndata_dir = %s\n"
	         "[plex]\nserver_id = " SETUP_SERVER_ID "\n"
	         "[client." OIDC_SETUP_CLIENT_ID "]\nsecret = %s\nredirect_uris = http://127.0.0.1:%u/setup/callback\n"
	         "name = plex-oidc setup\n",
	         port, port, dir, secret, port)) != PO_OK)
		goto out;
	/* Only [plex] and [ui] overrides apply: setup mode stays on loopback
	 * with a throw-away data directory whatever the environment says (a
	 * container's PLEX_OIDC_SERVER_LISTEN=0.0.0.0:8080 must not open the
	 * setup page to the network). */
	senv = setup_env(env);
	if ((rc = config_parse(ini.data, ini.len, "(setup mode)", senv, cfg, &err)) != PO_OK)
		fprintf(stderr, "%s", buf_str(&err));
out:
	str_wipe(secret, sizeof(secret));
	free(senv);
	buf_free(&ini);
	buf_free(&err);
	return rc;
}

void
oidc_setup_cleanup(const char *dir)
{
	char path[SETUP_PATH_MAX];
	struct dirent *e;
	DIR *d;

	/* Our own mkdtemp directory: the keys and identifier written there. */
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.' && snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
				unlink(path);
		closedir(d);
	}
	rmdir(dir);
}
