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
#include "jose/jwk.h"
#include "oidc/claims.h"
#include "oidc/grant.h"
#include "oidc/oidc.h"
#include "oidc/pkce.h"
#include "ui/ui.h"
#include "t.h"

#define SECRET "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-42"
#define RURI "https://app.example/cb"
#define RURI_ENC "https%3A%2F%2Fapp.example%2Fcb"

static config_t *cfg;
static jose_key_t *key;
static ui_t *ui;
static oidc_t *o;

static const char *
header(const http_resp_t *r, const char *name)
{
	for (size_t i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr[i].name, name) == 0)
			return r->hdr[i].value;
	return NULL;
}

/* Runs a handler on a synthetic request; the caller clears resp. */
static void
run(void (*fn)(oidc_t *, http_req_t *, http_resp_t *), const char *method, const char *query, const char *body,
    const char *auth, http_resp_t *resp)
{
	http_req_t req;

	memset(&req, 0, sizeof(req));
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, 1 << 20);
	resp->status = 200;
	req.method = method;
	req.path = "/";
	req.query = query ? query : "";
	req.query_len = strlen(req.query);
	req.body = body ? body : "";
	req.body_len = strlen(req.body);
	req.content_type = body ? "application/x-www-form-urlencoded" : NULL;
	req.authorization = auth;
	req.peer_ip = "127.0.0.1";
	req.request_id = "0000000000000000";
	fn(o, &req, resp);
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
		run(oidc_authorize, "GET", v[i].query, NULL, NULL, &r);
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
		run(oidc_authorize, "GET", "client_id=app&redirect_uri=" RURI_ENC "&scope=openid&state=xyz%20%26", NULL, NULL, &r);
		T_CHECK(header(&r, "Location") && strstr(header(&r, "Location"), "&state=xyz%20%26"));
		http_resp_clear(&r);
	}
}

static void
test_authorize_page_and_post(void)
{
	http_resp_t r;

	run(oidc_authorize, "POST", NULL, "client_id=app&redirect_uri=" RURI_ENC "&response_type=code&scope=openid", NULL,
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
	code_grant_t *g = calloc(1, sizeof(*g));
	plex_user_t u = { .uuid = "dae343c1f45beb4f", .username = "alice", .title = "alice", .friendly_name = "Alice Liddell", .email = "alice@example.com", .confirmed = true };

	g->req.client_id = strdup("app");
	g->req.redirect_uri = strdup(RURI);
	g->req.nonce = strdup("n-0S6_WzA2Mj");
	g->req.code_challenge = challenge ? strdup(challenge) : NULL;
	g->req.scopes = SCOPE_OPENID | SCOPE_PROFILE | SCOPE_EMAIL;
	g->claims = claims_from_user(&u, 1700000000);
	g->issued_ms = issued_ms;
	T_EQ_INT(ttl_cache_put(o->codes, code, g, clock_mono_ms()), PO_OK);
}

static void
token(const char *body, const char *auth, http_resp_t *r)
{
	run(oidc_token, "POST", NULL, body, auth, r);
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

		plant_code(v[i].code, v[i].challenge, clock_mono_ms() - v[i].age * 1000);
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

	plant_code("r1", NULL, clock_mono_ms());
	token("grant_type=authorization_code&code=r1&redirect_uri=" RURI_ENC, basic, &r);
	T_EQ_INT(r.status, 200);
	access_token_of(buf_str(&r.body), at, sizeof(at));
	http_resp_clear(&r);
	T_CHECK(at[0] != '\0');
	snprintf(bearer, sizeof(bearer), "Bearer %s", at);

	run(oidc_userinfo, "GET", NULL, NULL, bearer, &r);
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
	run(oidc_userinfo, "GET", NULL, NULL, bearer, &r);
	T_EQ_INT(r.status, 401);
	T_CHECK(header(&r, "WWW-Authenticate") && strstr(header(&r, "WWW-Authenticate"), "error=\"invalid_token\""));
	http_resp_clear(&r);
	run(oidc_userinfo, "GET", NULL, NULL, NULL, &r);
	T_EQ_INT(r.status, 401);
	T_CHECK(header(&r, "WWW-Authenticate") && !strstr(header(&r, "WWW-Authenticate"), "error="));
	http_resp_clear(&r);
}

static void
test_other_client_cannot_burn_a_code(void)
{
	static const char *basic = "Basic YXBwOnMzY3IzdC1zM2NyM3QtczNjcjN0LXMzY3IzdC1zM2NyM3QtNDI=";
	http_resp_t r;

	plant_code("w1", NULL, clock_mono_ms());
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
	claims_t *c = claims_from_user(&managed, 5);
	json_t *j = json_object();
	char buf[64];

	T_EQ_INT(scope_parse("openid"), SCOPE_OPENID);
	T_EQ_INT(scope_parse("  openid   profile email address "), SCOPE_OPENID | SCOPE_PROFILE | SCOPE_EMAIL);
	T_EQ_INT(scope_parse("openidprofile"), 0);
	T_EQ_INT(scope_parse(""), 0);
	scope_format(SCOPE_OPENID | SCOPE_EMAIL, buf, sizeof(buf));
	T_EQ_STR(buf, "openid email");
	T_CHECK(c != NULL);
	T_EQ_INT(claims_to_json(c, SCOPE_OPENID | SCOPE_PROFILE | SCOPE_EMAIL, j), PO_OK);
	T_EQ_STR(json_string_value(json_object_get(j, "sub")), "b3c4d5e6f7a80912");
	T_EQ_STR(json_string_value(json_object_get(j, "name")), "Mia");
	T_EQ_STR(json_string_value(json_object_get(j, "preferred_username")), "Mia");
	T_CHECK(json_object_get(j, "email") == NULL); /* managed users have none */
	T_CHECK(json_object_get(j, "email_verified") == NULL);
	json_decref(j);
	j = json_object();
	T_EQ_INT(claims_to_json(c, SCOPE_OPENID, j), PO_OK);
	T_EQ_INT(json_object_size(j), 1); /* openid alone releases only sub */
	json_decref(j);
	claims_free(c);
	{
		/* an unconfirmed email is never called verified */
		plex_user_t u = { .uuid = "u1", .username = "eve", .email = "eve@example.com", .confirmed = false };
		c = claims_from_user(&u, 5);
		j = json_object();
		T_EQ_INT(claims_to_json(c, SCOPE_OPENID | SCOPE_EMAIL, j), PO_OK);
		T_EQ_STR(json_string_value(json_object_get(j, "email")), "eve@example.com");
		T_CHECK(json_is_false(json_object_get(j, "email_verified")));
		json_decref(j);
		claims_free(c);
	}
}

int
main(void)
{
	static const char ini[] = "[server]\nlisten = 127.0.0.1:8080\nissuer = http://127.0.0.1:8080\ndata_dir = %s\n"
	                          "[plex]\nserver_id = 0123456789abcdef0123456789abcdef01234567\n"
	                          "[client.app]\nsecret = " SECRET "\nredirect_uris = " RURI "\n"
	                          "[client.other]\nsecret = other-other-other-other-other-other-1\nredirect_uris = " RURI "\n";
	char dir[] = "/tmp/test_oidc.XXXXXX", text[1024], path[600];
	buf_t err;
	int rc;

	log_set_level(getenv("T_VERBOSE") ? LOG_DEBUG : LOG_ERROR + 1);
	buf_init(&err, 8192);
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(text, sizeof(text), ini, dir);
	if (config_parse(text, strlen(text), "test.ini", NULL, &cfg, &err) != PO_OK) {
		fprintf(stderr, "%s", buf_str(&err));
		return 2;
	}
	if (jose_key_load_or_create(dir, &key, NULL) != PO_OK || ui_new(NULL, &ui) != PO_OK ||
	    oidc_new(cfg, key, ui, NULL, "test-client-id", &o) != PO_OK)
		return 2;
	T_RUN(test_authorize_table);
	T_RUN(test_authorize_page_and_post);
	T_RUN(test_token_table);
	T_RUN(test_replay_revokes_and_userinfo);
	T_RUN(test_other_client_cannot_burn_a_code);
	T_RUN(test_scopes_and_claims);
	rc = T_DONE();
	oidc_free(o);
	ui_free(ui);
	jose_key_free(key);
	config_free(cfg);
	buf_free(&err);
	snprintf(path, sizeof(path), "%s/signing-key.pem", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}
