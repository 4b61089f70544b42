/*
 * test_oidc.c - the endpoint handlers driven without sockets (h2o's habit):
 * authorization request validation (error page vs. error redirect, RFC 6749
 * §4.1.2.1), the token endpoint's checks on a code planted in the store,
 * userinfo, and scopes and claims.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "http/router.h"
#include "keys/keyholder.h"
#include "keys/keyring.h"
#include "login/login_flow.h"
#include "login/login_http.h"
#include "login/logins.h"
#include "po_limits.h"
#include "oidc/claims.h"
#include "oidc/grant.h"
#include "oidc/oidc.h"
#include "oidc/pkce.h"
#include "store/store.h"
#include "ui/ui.h"
#include "t.h"

#define SECRET "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-42"
#define RURI "https://app.example/cb"
#define RURI_ENC "https%3A%2F%2Fapp.example%2Fcb"

static config_t *cfg;
static keyholder_t *keys;
static ui_t *ui;
static store_t *store;
static login_flow_t *flow;
static login_http_t *logins;
static oidc_t *o;
static router_t *router;

static const char *
header(const http_resp_t *r, const char *name)
{
	for (size_t i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr[i].name, name) == 0)
			return r->hdr[i].value;
	return NULL;
}

/* Runs a synthetic request through the router; the caller clears resp. */
static void
run(const char *path, const char *method, const char *query, const char *body, const char *auth, http_resp_t *resp)
{
	http_req_t req;

	memset(&req, 0, sizeof(req));
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, 1 << 20);
	resp->status = 200;
	req.method = method;
	req.path = path;
	req.query = query ? query : "";
	req.query_len = strlen(req.query);
	req.body = body ? body : "";
	req.body_len = strlen(req.body);
	req.content_type = body ? "application/x-www-form-urlencoded" : NULL;
	req.authorization = auth;
	req.peer_ip = "127.0.0.1";
	req.client_ip = "127.0.0.1";
	req.request_id = "0000000000000000";
	router_handle(router, &req, resp);
	/* What the server would send instead of a half-built answer. */
	if (resp->err != PO_OK)
		resp->status = 500;
}

static void
test_authorize_table(void)
{
	static const struct {
		const char *query;
		int status;        /* 200 page, 302 redirect, 400 error page */
		const char *error; /* expected error= in the redirect */
	} v[] = {
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid&state=s", 200, NULL },
		/* unknown client, bad or missing redirect_uri: a page, never a redirect */
		{ "client_id=nope&redirect_uri=" RURI_ENC "&response_type=code&scope=openid", 400, NULL },
		{ "redirect_uri=" RURI_ENC "&response_type=code&scope=openid", 400, NULL },
		{ "client_id=app&response_type=code&scope=openid", 400, NULL },
		{ "client_id=app&redirect_uri=" RURI_ENC "x&response_type=code&scope=openid", 400, NULL },
		{ "client_id=app&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&response_type=code&scope=openid", 400, NULL },
		{ "client_id=app&client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid", 400, NULL },
		{ "client_id=app&redirect_uri=%zz", 400, NULL },
		/* everything else: back to the client */
		{ "client_id=app&redirect_uri=" RURI_ENC "&scope=openid&state=s", 302, "invalid_request" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=token&scope=openid", 302, "unsupported_response_type" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=profile", 302, "invalid_scope" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code", 302, "invalid_scope" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid&prompt=none", 302, "login_required" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid&prompt=none%20login", 302, "invalid_request" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", 302, "invalid_request" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid&code_challenge=short&code_challenge_method=S256", 302, "invalid_request" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid&code_challenge_method=S256", 302, "invalid_request" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid&request=eyJ", 302, "request_not_supported" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid&request_uri=https%3A%2F%2Fx", 302, "request_uri_not_supported" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid&response_mode=form_post", 302, "invalid_request" },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid&state=a&state=b", 302, "invalid_request" },
		/* unknown parameters and scopes are ignored */
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid%20address%20phone&display=page&extra=foobar", 200, NULL },
		{ "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256", 200, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		http_resp_t r;
		const char *loc;
		run("/authorize", "GET", v[i].query, NULL, NULL, &r);
		if (r.status != v[i].status)
			fprintf(stderr, "  case %zu: %s\n", i, v[i].query);
		T_EQ_INT(r.status, v[i].status);
		loc = header(&r, "Location");
		if (v[i].status == 302) {
			char want[128];
			T_CHECK(loc != NULL && strncmp(loc, RURI "?error=", strlen(RURI) + 7) == 0);
			snprintf(want, sizeof(want), "error=%s", v[i].error);
			T_CHECK(loc != NULL && strstr(loc, want) != NULL);
			T_CHECK(loc != NULL && strstr(loc, "&iss=") != NULL);
		} else {
			T_CHECK(loc == NULL); /* never a redirect elsewhere */
			T_CHECK(strstr(buf_str(&r.body), "<html") != NULL);
		}
		http_resp_clear(&r);
	}
	/* the state comes back with an error */
	{
		http_resp_t r;
		run("/authorize", "GET", "client_id=app&redirect_uri=" RURI_ENC "&scope=openid&state=xyz%20%26", NULL, NULL, &r);
		T_CHECK(header(&r, "Location") && strstr(header(&r, "Location"), "&state=xyz%20%26"));
		http_resp_clear(&r);
	}
}

static void
test_authorize_page_and_post(void)
{
	http_resp_t r;

	run("/authorize", "POST", NULL, "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid", NULL,
	    &r);
	T_EQ_INT(r.status, 200);
	T_CHECK(strstr(buf_str(&r.body), "data-login-id=\"") != NULL);
	T_CHECK(header(&r, "Set-Cookie") && strstr(header(&r, "Set-Cookie"), "HttpOnly; SameSite=Lax"));
	T_CHECK(header(&r, "Content-Security-Policy") && strstr(header(&r, "Content-Security-Policy"), "frame-ancestors 'none'"));
	T_EQ_STR(header(&r, "Cache-Control"), "no-store");
	http_resp_clear(&r);
}

/* Plants a code as /login/finish would. */
static void
plant_code(const char *code, const char *challenge, int64_t issued_ms)
{
	code_grant_t g = { 0 };
	plex_user_t u = {
		.uuid = "dae343c1f45beb4f",
		.username = "alice",
		.title = "alice",
		.friendly_name = "Alice Liddell",
		.email = "alice@example.com",
		.confirmed = true,
	};
	buf_t rec;

	buf_init(&rec, 1 << 16);
	g.req.client_id = strdup("app");
	g.req.redirect_uri = strdup(RURI);
	g.req.nonce = strdup("n-0S6_WzA2Mj");
	g.req.code_challenge = challenge ? strdup(challenge) : NULL;
	g.req.scopes = SCOPE_OPENID | SCOPE_PROFILE | SCOPE_EMAIL;
	g.who = identity_from_plex(&u, 1700000000);
	g.issued_ms = issued_ms;
	T_EQ_INT(code_grant_encode(&g, &rec), PO_OK);
	T_EQ_INT(store_put(store, STORE_CODES, code, rec.data, rec.len), PO_OK);
	code_grant_clear(&g);
	buf_free(&rec);
}

static void
token(const char *body, const char *auth, http_resp_t *r)
{
	run("/token", "POST", NULL, body, auth, r);
}

static void
test_token_table(void)
{
	/* "app:" SECRET in base64 */
	static const char *basic = "Basic YXBwOnMzY3IzdC1zM2NyM3QtczNjcjN0LXMzY3IzdC1zM2NyM3QtNDI=";
	static const struct {
		const char *code, *challenge, *body, *auth;
		int64_t age;
		int status;
		const char *error;
	} v[] = {
		{ "c1", NULL, "grant_type=authorization_code&code=c1&redirect_uri=" RURI_ENC, NULL, 0, 200, NULL },
		{ "c2", NULL, "grant_type=authorization_code&code=c2&redirect_uri=" RURI_ENC "&client_id=app&client_secret=" SECRET, "", 0, 200, NULL },
		{ "c3", NULL, "grant_type=authorization_code&code=c3&redirect_uri=" RURI_ENC, "Basic YXBwOndyb25n", 0, 401, "invalid_client" },
		{ "c4", NULL, "grant_type=authorization_code&code=c4&redirect_uri=" RURI_ENC "&client_id=app&client_secret=wrong", "", 0, 401, "invalid_client" },
		{ "c5", NULL, "grant_type=authorization_code&code=c5&redirect_uri=" RURI_ENC "&client_secret=" SECRET, NULL, 0, 400, "invalid_request" },
		{ "c6", NULL, "grant_type=password&code=c6&redirect_uri=" RURI_ENC, NULL, 0, 400, "unsupported_grant_type" },
		{ "c7", NULL, "code=c7&redirect_uri=" RURI_ENC, NULL, 0, 400, "invalid_request" },
		{ "c8", NULL, "grant_type=authorization_code&code=c8", NULL, 0, 400, "invalid_request" },
		{ "c9", NULL, "grant_type=authorization_code&code=c9&redirect_uri=https%3A%2F%2Fapp.example%2Fother", NULL, 0, 400, "invalid_grant" },
		{ "c10", NULL, "grant_type=authorization_code&code=c10&redirect_uri=" RURI_ENC, NULL, 61, 400, "invalid_grant" },
		{ "c11", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "grant_type=authorization_code&code=c11&redirect_uri=" RURI_ENC "&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", NULL, 0, 200, NULL },
		{ "c12", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "grant_type=authorization_code&code=c12&redirect_uri=" RURI_ENC "&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX", NULL, 0, 400, "invalid_grant" },
		{ "c13", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "grant_type=authorization_code&code=c13&redirect_uri=" RURI_ENC, NULL, 0, 400, "invalid_grant" },
		{ "c14", NULL, "grant_type=authorization_code&code=c14&redirect_uri=" RURI_ENC "&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", NULL, 0, 400, "invalid_grant" },
		{ "c15", NULL, "grant_type=authorization_code&code=c15&code=c15&redirect_uri=" RURI_ENC, NULL, 0, 400, "invalid_request" },
		{ "c16", NULL, "grant_type=authorization_code&code=unknown&redirect_uri=" RURI_ENC, NULL, 0, 400, "invalid_grant" },
		{ "c17", NULL, "grant_type=authorization_code&code=c17&redirect_uri=" RURI_ENC "&client_secret=" SECRET, "basic", 0, 400, "invalid_request" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		http_resp_t r;
		const char *auth = v[i].auth;
		char want[64];

		plant_code(v[i].code, v[i].challenge, clock_now_ms() - v[i].age * 1000);
		if (auth == NULL || strcmp(auth, "basic") == 0)
			auth = basic;
		else if (auth[0] == '\0')
			auth = NULL;
		token(v[i].body, auth, &r);
		if (r.status != v[i].status)
			fprintf(stderr, "  case %s: %d %s\n", v[i].code, r.status, buf_str(&r.body));
		T_EQ_INT(r.status, v[i].status);
		T_EQ_STR(header(&r, "Cache-Control"), "no-store");
		if (v[i].error) {
			snprintf(want, sizeof(want), "\"error\":\"%s\"", v[i].error);
			T_CHECK(strstr(buf_str(&r.body), want) != NULL);
		} else {
			T_CHECK(strstr(buf_str(&r.body), "\"id_token\":\"eyJ") != NULL);
			T_CHECK(strstr(buf_str(&r.body), "\"token_type\":\"Bearer\"") != NULL);
		}
		if (v[i].status == 401 && auth && strncmp(auth, "Basic", 5) == 0)
			T_CHECK(header(&r, "WWW-Authenticate") != NULL);
		http_resp_clear(&r);
	}
}

/* Finds "access_token":"..." in a token response. */
static void
access_token_of(const char *body, char *out, size_t outsz)
{
	const char *p = strstr(body, "\"access_token\":\"");
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += 16;
	n = strcspn(p, "\"");
	snprintf(out, outsz, "%.*s", (int)n, p);
}

static void
test_replay_revokes_and_userinfo(void)
{
	static const char *basic = "Basic YXBwOnMzY3IzdC1zM2NyM3QtczNjcjN0LXMzY3IzdC1zM2NyM3QtNDI=";
	http_resp_t r;
	char at[64], bearer[80];

	plant_code("r1", NULL, clock_now_ms());
	token("grant_type=authorization_code&code=r1&redirect_uri=" RURI_ENC, basic, &r);
	T_EQ_INT(r.status, 200);
	access_token_of(buf_str(&r.body), at, sizeof(at));
	http_resp_clear(&r);
	T_CHECK(at[0] != '\0');
	snprintf(bearer, sizeof(bearer), "Bearer %s", at);

	run("/userinfo", "GET", NULL, NULL, bearer, &r);
	T_EQ_INT(r.status, 200);
	T_CHECK(strstr(buf_str(&r.body), "\"sub\":\"dae343c1f45beb4f\"") != NULL);
	T_CHECK(strstr(buf_str(&r.body), "\"email\":\"alice@example.com\"") != NULL);
	T_CHECK(strstr(buf_str(&r.body), "\"email_verified\":true") != NULL);
	http_resp_clear(&r);

	/* the replay fails and revokes the token */
	token("grant_type=authorization_code&code=r1&redirect_uri=" RURI_ENC, basic, &r);
	T_EQ_INT(r.status, 400);
	T_CHECK(strstr(buf_str(&r.body), "invalid_grant") != NULL);
	http_resp_clear(&r);
	run("/userinfo", "GET", NULL, NULL, bearer, &r);
	T_EQ_INT(r.status, 401);
	T_CHECK(header(&r, "WWW-Authenticate") && strstr(header(&r, "WWW-Authenticate"), "error=\"invalid_token\""));
	http_resp_clear(&r);
	run("/userinfo", "GET", NULL, NULL, NULL, &r);
	T_EQ_INT(r.status, 401);
	T_CHECK(header(&r, "WWW-Authenticate") && !strstr(header(&r, "WWW-Authenticate"), "error="));
	http_resp_clear(&r);
}

static void
test_other_client_cannot_burn_a_code(void)
{
	static const char *basic = "Basic YXBwOnMzY3IzdC1zM2NyM3QtczNjcjN0LXMzY3IzdC1zM2NyM3QtNDI=";
	http_resp_t r;

	plant_code("w1", NULL, clock_now_ms());
	token("grant_type=authorization_code&code=w1&redirect_uri=" RURI_ENC
	      "&client_id=other&client_secret=other-other-other-other-other-other-1",
	    NULL, &r);
	T_EQ_INT(r.status, 400);
	T_CHECK(strstr(buf_str(&r.body), "another client") != NULL);
	http_resp_clear(&r);
	/* the rightful client still gets its tokens */
	token("grant_type=authorization_code&code=w1&redirect_uri=" RURI_ENC, basic, &r);
	T_EQ_INT(r.status, 200);
	http_resp_clear(&r);
}

static void
test_scopes_and_claims(void)
{
	plex_user_t managed = { .uuid = "b3c4d5e6f7a80912", .username = NULL, .title = "Mia", .email = NULL };
	identity_t *c = identity_from_plex(&managed, 5);
	json_t *j = json_object();
	char buf[64];

	T_EQ_INT(scope_parse("openid"), SCOPE_OPENID);
	T_EQ_INT(scope_parse("  openid   profile email address "), SCOPE_OPENID | SCOPE_PROFILE | SCOPE_EMAIL);
	T_EQ_INT(scope_parse("openidprofile"), 0);
	T_EQ_INT(scope_parse(""), 0);
	scope_format(SCOPE_OPENID | SCOPE_EMAIL, buf, sizeof(buf));
	T_EQ_STR(buf, "openid email");
	T_CHECK(c != NULL);
	T_EQ_INT(claims_to_json(NULL, c, SCOPE_OPENID | SCOPE_PROFILE | SCOPE_EMAIL, j), PO_OK);
	T_EQ_STR(json_string_value(json_object_get(j, "sub")), "b3c4d5e6f7a80912");
	T_EQ_STR(json_string_value(json_object_get(j, "name")), "Mia");
	T_EQ_STR(json_string_value(json_object_get(j, "preferred_username")), "Mia");
	T_CHECK(json_object_get(j, "email") == NULL); /* managed users have none */
	T_CHECK(json_object_get(j, "email_verified") == NULL);
	json_decref(j);
	j = json_object();
	T_EQ_INT(claims_to_json(NULL, c, SCOPE_OPENID, j), PO_OK);
	T_EQ_INT(json_object_size(j), 1); /* openid alone releases only sub */
	json_decref(j);
	identity_free(c);
	{
		/* an unconfirmed email is never called verified */
		plex_user_t u = { .uuid = "u1", .username = "eve", .email = "eve@example.com", .confirmed = false };
		c = identity_from_plex(&u, 5);
		j = json_object();
		T_EQ_INT(claims_to_json(NULL, c, SCOPE_OPENID | SCOPE_EMAIL, j), PO_OK);
		T_EQ_STR(json_string_value(json_object_get(j, "email")), "eve@example.com");
		T_CHECK(json_is_false(json_object_get(j, "email_verified")));
		json_decref(j);
		identity_free(c);
	}
}

/* The browser-id cookie with an https issuer that has a path: __Host-,
 * Secure, Path=/ (a sibling subdomain cannot plant a duplicate). */
static void
test_https_cookie(void)
{
	static const char ini[] = "[server]\nlisten = 127.0.0.1:8080\nissuer = https://auth.example.com/auth\n"
	                          "data_dir = /tmp\n[plex]\nserver_id = 0123456789abcdef\n"
	                          "[client.app]\nsecret = " SECRET "\nredirect_uris = " RURI "\n";
	config_t *c = NULL;
	login_http_t *lh = NULL;
	oidc_t *op = NULL;
	router_t *rt = NULL, *saved = router;
	http_resp_t r;
	const char *sc;

	T_EQ_INT(config_parse(ini, strlen(ini), "https.ini", NULL, &c, NULL), PO_OK);
	{
		login_http_opts_t ho = { .cfg = c, .ui = ui, .store = store, .flow = flow, .plex_client_id = "x" };
		oidc_opts_t oo = { .cfg = c, .keys = keys, .algs = JOSE_ALG_BIT(JOSE_RS256), .ui = ui, .store = store };
		T_EQ_INT(login_http_new(&ho, &lh), PO_OK);
		oo.logins = lh;
		T_EQ_INT(oidc_new(&oo, &op), PO_OK);
		T_EQ_INT(router_new(c->issuer_path, &rt), PO_OK);
		T_EQ_INT(oidc_routes(op, rt, -1, -1), PO_OK);
	}
	router = rt;
	run("/auth/authorize", "GET", "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid", NULL, NULL,
	    &r);
	router = saved;
	T_EQ_INT(r.status, 200);
	sc = header(&r, "Set-Cookie");
	T_CHECK(sc && strncmp(sc, "__Host-plexoidc_bid=", 20) == 0);
	T_CHECK(sc && strstr(sc, "; Path=/;") != NULL);
	T_CHECK(sc && strstr(sc, "; Secure") != NULL);
	T_CHECK(sc && strstr(sc, "Domain") == NULL);
	http_resp_clear(&r);
	router_free(rt);
	oidc_free(op);
	login_http_free(lh);
	config_free(c);
}

/* A login done with a 2 KiB state of reserved characters and the longest
 * redirect URI: the redirect with the code is sized from its inputs. */
static void
test_long_code_redirect(void)
{
	char state[LIM_PARAM_LEN_MAX + 1], bid[LOGIN_ID_SIZE], id[LOGIN_ID_SIZE], query[128], cookie[128];
	const char *ruri = cfg->clients[2].redirect_uris[0], *loc;
	plex_user_t u = { .id = 1, .uuid = "u-long" };
	authz_req_t ar = { 0 };
	login_t l = { 0 };
	buf_t cont;
	http_req_t req = { 0 };
	http_resp_t r = { 0 };

	T_CHECK(strlen(ruri) > LIM_URL_MAX - 64);
	memset(state, '&', sizeof(state) - 1);
	state[sizeof(state) - 1] = '\0';
	memset(bid, 'b', LOGIN_ID_CHARS);
	bid[LOGIN_ID_CHARS] = '\0';
	buf_init(&cont, LIM_LOGIN_CONT_MAX);
	ar.client_id = "long";
	ar.redirect_uri = (char *)(uintptr_t)ruri;
	ar.state = state;
	ar.scopes = SCOPE_OPENID;
	T_EQ_INT(authz_req_to_query(&ar, NULL, &cont), PO_OK);
	memcpy(l.bid, bid, sizeof(bid));
	l.app = strdup("long");
	l.cont = buf_steal(&cont, NULL);
	l.st = LOGIN_DONE;
	l.who = identity_from_plex(&u, 1);
	l.who->access = PLEX_ACCESS_FRIEND;
	T_EQ_INT(logins_create(store, &l, id), PO_OK);
	snprintf(query, sizeof(query), "l=%s", id);
	snprintf(cookie, sizeof(cookie), "plexoidc_bid=%s", bid);
	buf_init(&r.body, 1 << 20);
	req.method = "GET";
	req.path = "/login/finish";
	req.query = query;
	req.query_len = strlen(query);
	req.body = "";
	req.cookie = cookie;
	req.client_ip = "127.0.0.1";
	router_handle(router, &req, &r);
	T_EQ_INT(r.err, PO_OK);
	T_EQ_INT(r.status, 302);
	loc = header(&r, "Location");
	T_CHECK(loc && strncmp(loc, ruri, strlen(ruri)) == 0);
	T_CHECK(loc && strstr(loc, "&state=%26%26%26") != NULL);
	T_CHECK(loc && strlen(loc) > 3 * LIM_PARAM_LEN_MAX + strlen(ruri));
	http_resp_clear(&r);
	login_clear(&l);
	buf_free(&cont);
}

int
main(void)
{
	static const char ini[] = "[server]\nlisten = 127.0.0.1:8080\nissuer = http://127.0.0.1:8080\ndata_dir = %s\n"
	                          "[plex]\nserver_id = 0123456789abcdef0123456789abcdef01234567\n"
	                          "[client.app]\nsecret = " SECRET "\nredirect_uris = " RURI "\n"
	                          "[client.other]\nsecret = other-other-other-other-other-other-1\nredirect_uris = " RURI "\n"
	                          "[client.long]\nsecret = long-long-long-long-long-long-long-1\nredirect_uris = https://app.example/%s\n";
	char dir[] = "/tmp/test_oidc.XXXXXX", text[8192], path[600], longpath[LIM_URL_MAX];
	buf_t err;
	int rc;

	log_set_level(getenv("T_VERBOSE") ? LOG_DEBUG : LOG_ERROR + 1);
	buf_init(&err, 8192);
	if (mkdtemp(dir) == NULL)
		return 2;
	memset(longpath, 'p', sizeof(longpath));
	longpath[LIM_URL_MAX - strlen("https://app.example/") - 1] = '\0';
	snprintf(text, sizeof(text), ini, dir, longpath);
	if (config_parse(text, strlen(text), "test.ini", NULL, &cfg, &err) != PO_OK) {
		fprintf(stderr, "%s", buf_str(&err));
		return 2;
	}
	{
		keyring_t *ring = NULL;
		if (keyring_create(JOSE_ALG_BIT(JOSE_RS256), clock_now_s(), &ring) != PO_OK ||
		    keyholder_new(ring, NULL, &keys) != PO_OK)
			return 2;
	}
	if (ui_new(NULL, &ui) != PO_OK || (store = store_mem_new()) == NULL)
		return 2;
	{
		login_flow_opts_t fo = { .store = store, .ops = login_flow_plex_ops(), .cfg = cfg };
		login_http_opts_t ho = { .cfg = cfg, .ui = ui, .store = store, .plex_client_id = "test-client-id" };
		oidc_opts_t oo = { .cfg = cfg, .keys = keys, .algs = JOSE_ALG_BIT(JOSE_RS256), .ui = ui, .store = store };

		if (login_flow_new(&fo, &flow) != PO_OK)
			return 2;
		ho.flow = flow;
		if (login_http_new(&ho, &logins) != PO_OK)
			return 2;
		oo.logins = logins;
		if (oidc_new(&oo, &o) != PO_OK || router_new("", &router) != PO_OK ||
		    oidc_routes(o, router, -1, -1) != PO_OK || login_http_routes(logins, router, -1, -1) != PO_OK)
			return 2;
	}
	T_RUN(test_authorize_table);
	T_RUN(test_authorize_page_and_post);
	T_RUN(test_token_table);
	T_RUN(test_replay_revokes_and_userinfo);
	T_RUN(test_other_client_cannot_burn_a_code);
	T_RUN(test_scopes_and_claims);
	T_RUN(test_https_cookie);
	T_RUN(test_long_code_redirect);
	rc = T_DONE();
	router_free(router);
	oidc_free(o);
	login_http_free(logins);
	login_flow_free(flow);
	store_free(store);
	ui_free(ui);
	keyholder_free(keys);
	config_free(cfg);
	buf_free(&err);
	snprintf(path, sizeof(path), "%s/signing-key.pem", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}
