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
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

#define SETUP_STATE_COOKIE "plexoidc_setup_state"

void
oidc_setup_remember(oidc_t *o, const char *sub, int64_t plex_id, const plex_resources_t *res)
{
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
		if ((e = json_object()) == NULL)
			break;
		json_object_set_new(e, "name", json_string(r->name ? r->name : "Plex Media Server"));
		json_object_set_new(e, "id", json_string(r->client_identifier));
		json_object_set_new(e, "owner", json_integer(plex_id));
		json_array_append_new(a, e);
	}
	if ((s = json_dumps(a, JSON_COMPACT)) != NULL) {
		ttl_cache_remove(o->setup_servers, sub);
		ttl_cache_put(o->setup_servers, sub, s, clock_mono_ms());
	}
	json_decref(a);
}

static void
render(oidc_t *o, http_resp_t *resp, const char *tpl, const ui_var_t *vars, size_t n)
{
	ui_var_t all[20];
	size_t i;

	all[0].name = "base";
	all[0].value = o->cfg->issuer_path;
	for (i = 0; i < n && i + 1 < sizeof(all) / sizeof(all[0]); i++)
		all[i + 1] = vars[i];
	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	buf_reset(&resp->body);
	if (ui_render(o->ui, tpl, all, i + 1, &resp->body) != PO_OK) {
		oidc_error_page(o, resp, 500, "error", "Something went wrong", "The setup page could not be shown.", NULL, NULL);
		return;
	}
	oidc_html_headers(resp);
}

void
oidc_setup_home(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	render(o, resp, "setup.html", NULL, 0);
}

void
oidc_setup_begin(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	char state[48];
	buf_t loc, cookie;

	buf_init(&loc, LIM_URL_MAX * 2);
	buf_init(&cookie, 512);
	if (rnd_token(state, sizeof(state), LIM_RANDOM_TOKEN_BYTES) != PO_OK ||
	    oidc_url(o, &loc, "/authorize?client_id=" OIDC_SETUP_CLIENT_ID "&response_type=code"
	                      "&scope=openid%20profile%20email&redirect_uri=") != PO_OK ||
	    form_encode(&loc, o->cfg->clients[0].redirect_uris[0]) != PO_OK || buf_puts(&loc, "&state=") != PO_OK ||
	    buf_puts(&loc, state) != PO_OK ||
	    cookie_format(&cookie, SETUP_STATE_COOKIE, state, "/", 900, o->cfg->issuer_https) != PO_OK) {
		oidc_error_page(o, resp, 500, "error", "Something went wrong", "Setup could not start.", NULL, NULL);
		goto out;
	}
	resp->status = 302;
	http_resp_header(resp, "Location", buf_str(&loc));
	http_resp_header(resp, "Set-Cookie", buf_str(&cookie));
	http_resp_header(resp, "Cache-Control", "no-store");
out:
	buf_free(&loc);
	buf_free(&cookie);
}

struct redeem {
	char *sub;
	char *name;
};

static enum ttl_cache_action
redeem_locked(void *val, void *arg)
{
	code_grant_t *g = val;
	struct redeem *r = arg;

	if (g->used || strcmp(g->req.client_id, OIDC_SETUP_CLIENT_ID) != 0)
		return TTL_CACHE_KEEP;
	r->sub = str_dup(g->claims->sub);
	r->name = str_dup(g->claims->name);
	return TTL_CACHE_REMOVE;
}

static enum ttl_cache_action
copy_servers_locked(void *val, void *arg)
{
	*(char **)arg = str_dup(val);
	return TTL_CACHE_KEEP;
}

void
oidc_setup_callback(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	form_t q = { 0 };
	struct redeem r = { NULL, NULL };
	const char *code, *state, *cv = NULL;
	char *servers = NULL;
	size_t cvlen = 0;

	if (form_parse(req->query, req->query_len, &q) != PO_OK || (code = form_get(&q, "code")) == NULL ||
	    (state = form_get(&q, "state")) == NULL || state[0] == '\0' || req->cookie == NULL ||
	    cookie_get(req->cookie, strlen(req->cookie), SETUP_STATE_COOKIE, &cv, &cvlen) != PO_OK ||
	    !str_ct_eq(cv, cvlen, state, strlen(state)) ||
	    ttl_cache_with(o->codes, code, clock_mono_ms(), redeem_locked, &r) != PO_OK || r.sub == NULL) {
		oidc_error_page(o, resp, 400, "expired", "Sign in again",
		    "This setup sign-in has expired or was already used.", "/setup/begin", "Sign in with Plex");
		goto out;
	}
	ttl_cache_with(o->setup_servers, r.sub, clock_mono_ms(), copy_servers_locked, &servers);
	{
		ui_var_t vars[] = {
			{ "signed_in", "1" },
			{ "account", r.name },
			{ "servers_json", servers ? servers : "[]" },
		};
		render(o, resp, "setup.html", vars, sizeof(vars) / sizeof(vars[0]));
	}
out:
	form_clear(&q);
	free(r.sub);
	free(r.name);
	free(servers);
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

void
oidc_setup_config(oidc_t *o, http_req_t *req, http_resp_t *resp)
{
	form_t q = { 0 };
	struct setup_in in;
	char secret[80];
	buf_t ini, auth, tok, jwks, disc, err;
	config_t *check = NULL;

	buf_init(&ini, 16 * 1024);
	buf_init(&auth, LIM_URL_MAX);
	buf_init(&tok, LIM_URL_MAX);
	buf_init(&jwks, LIM_URL_MAX);
	buf_init(&disc, LIM_URL_MAX);
	buf_init(&err, 16 * 1024);
	if (form_parse(req->query, req->query_len, &q) != PO_OK)
		goto bad;
	in.server = form_get(&q, "server");
	in.issuer = form_get(&q, "issuer");
	in.client = form_get(&q, "client");
	in.redirect = form_get(&q, "redirect_uri");
	in.owner = form_get(&q, "owner");
	if (in.owner && (in.owner[0] == '\0' || !chars_ok(in.owner, "")))
		goto bad;
	if (in.server == NULL || in.issuer == NULL || in.client == NULL || in.redirect == NULL ||
	    !in.server[0] || strlen(in.server) > 128 || !chars_ok(in.server, "-") || !in.client[0] ||
	    strlen(in.client) > 64 || !chars_ok(in.client, "._-") || !https_url_ok(in.issuer, true) ||
	    !https_url_ok(in.redirect, false))
		goto bad;
	/* 48 random bytes in base64url: URL-safe, as Cloudflare Access needs. */
	if (rnd_token(secret, sizeof(secret), 48) != PO_OK)
		goto bad;
	buf_appendf(&ini,
	    "; plex-oidc configuration, generated by setup mode.\n"
	    "; Check it with: plex-oidc check-config /etc/plex-oidc/plex-oidc.ini\n\n"
	    "[server]\n"
	    "listen   = 127.0.0.1:8080          ; behind your TLS reverse proxy or tunnel\n"
	    "issuer   = %s\n"
	    "data_dir = /var/lib/plex-oidc\n\n"
	    "[plex]\n"
	    "server_id = %s\n"
	    "%s%s%s"
	    "product   = %s\n\n"
	    "[client.%s]\n"
	    "secret        = %s\n"
	    "redirect_uris = %s\n",
	    in.issuer, in.server, in.owner ? "owner_id  = " : "", in.owner ? in.owner : "", in.owner ? "   ; your Plex account id\n" : "",
	    o->cfg->plex_product, in.client, secret, in.redirect);
	/* What we print must load: check it with the real parser. */
	if (config_parse(ini.data, ini.len, "generated.ini", NULL, &check, &err) != PO_OK) {
		log_warn("setup: generated configuration does not load: %s", buf_str(&err));
		goto bad;
	}
	buf_appendf(&auth, "%s/authorize", in.issuer);
	buf_appendf(&tok, "%s/token", in.issuer);
	buf_appendf(&jwks, "%s/jwks", in.issuer);
	buf_appendf(&disc, "%s/.well-known/openid-configuration", in.issuer);
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
