/*
 * test_config_session.c - the configuration of sessions, access re-checks,
 * refresh tokens and key rotation (src/config/config_session.c) and
 * durations (cv_duration): defaults, every unit, the bounds exactly, one
 * table row per mistake with the "file:LINE: [section] key:" its message
 * must start with, the key_rotation check against the lifetimes, and
 * environment overrides. Same style as test_config.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_value.h"
#include "core/buf.h"
#include "core/err.h"
#include "po_limits.h"
#include "t.h"

#define SECRET40 "abcdefghij-KLMNOPQRST_0123456789.uvwxy~z"
/* Lines 1-4; a [server] key added by a row is line 5. */
#define SERVER "[server]\nlisten = 127.0.0.1:8080\nissuer = https://auth.example.com\ndata_dir = /var/lib/p\n"
#define PLEX "[plex]\nserver_id = 0123456789abcdef\n"
/* 3 lines; a client key added after it is on the line after. */
#define CLIENT "[client.grafana]\nsecret = " SECRET40 "\nredirect_uris = https://g.example.com/cb\n"

static int
parse(const char *text, char *const *env, config_t **c, buf_t *msg)
{
	buf_init(msg, 64 * 1024);
	return config_parse(text, strlen(text), "t.ini", env, c, msg);
}

static void
test_defaults(void)
{
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(SERVER PLEX CLIENT, NULL, &c, &msg), PO_OK);
	T_EQ_STR(buf_str(&msg), "");
	if (c != NULL) {
		T_EQ_INT(c->session_lifetime_s, 7 * 86400);
		T_EQ_INT(c->access_recheck_s, 600);
		T_EQ_INT(c->access_grace_s, 3600);
		T_EQ_INT(c->refresh_lifetime_s, 30 * 86400);
		T_EQ_INT(c->key_rotation_s, 0);
		T_EQ_STR(c->clients[0].id_token_alg, "RS256");
		T_CHECK(c->clients[0].refresh_tokens);
	}
	config_free(c);
	buf_free(&msg);
}

static void
test_values(void)
{
	static const char text[] = SERVER "session_lifetime = 12h\n"
	                                  "access_recheck = 90s\n"
	                                  "access_grace = 0s\n"
	                                  "refresh_lifetime = 90d\n"
	                                  "key_rotation = 30d\n" PLEX CLIENT
	                                  "id_token_signed_response_alg = EdDSA\n"
	                                  "refresh_tokens = no\n"
	                                  "[client.b]\nsecret = " SECRET40 "\nredirect_uris = https://b.example.com/cb\n"
	                                  "id_token_signed_response_alg = ES256\nrefresh_tokens = yes\n";
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(text, NULL, &c, &msg), PO_OK);
	T_EQ_STR(buf_str(&msg), "");
	if (c == NULL)
		goto out;
	T_EQ_INT(c->session_lifetime_s, 12 * 3600);
	T_EQ_INT(c->access_recheck_s, 90);
	T_EQ_INT(c->access_grace_s, 0);
	T_EQ_INT(c->refresh_lifetime_s, 90 * 86400);
	T_EQ_INT(c->key_rotation_s, 30 * 86400);
	T_EQ_STR(c->clients[0].id_token_alg, "EdDSA");
	T_CHECK(!c->clients[0].refresh_tokens);
	T_EQ_STR(c->clients[1].id_token_alg, "ES256");
	T_CHECK(c->clients[1].refresh_tokens);
out:
	config_free(c);
	buf_free(&msg);
}

/* Every bound is accepted exactly and refused one second past. */
static void
test_bounds(void)
{
	static const struct {
		const char *key;
		int64_t min, max;
	} b[] = {
		{ "session_lifetime", LIM_SESSION_LIFETIME_MIN_S, LIM_SESSION_LIFETIME_MAX_S },
		{ "access_recheck", LIM_ACCESS_RECHECK_MIN_S, LIM_ACCESS_RECHECK_MAX_S },
		{ "access_grace", 0, LIM_ACCESS_GRACE_MAX_S },
		{ "refresh_lifetime", LIM_REFRESH_LIFETIME_MIN_S, LIM_REFRESH_LIFETIME_MAX_S },
		{ "key_rotation", LIM_KEY_ROTATION_MIN_S, LIM_KEY_ROTATION_MAX_S },
	};
	char text[1024];

	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		const int64_t v[] = { b[i].min, b[i].max, b[i].min - 1, b[i].max + 1 };
		for (int j = 0; j < 4; j++) {
			config_t *c = NULL;
			buf_t msg;
			int rc;

			if (v[j] < 0)
				continue;
			/* short lifetimes, so that key_rotation's own bounds are what is tested */
			snprintf(text, sizeof(text), SERVER "%s = %llds\n%s" PLEX CLIENT, b[i].key, (long long)v[j],
			    strcmp(b[i].key, "key_rotation") == 0 ? "refresh_lifetime = 1d\nsession_lifetime = 1d\n" : "");
			rc = parse(text, NULL, &c, &msg);
			if (rc != (j < 2 ? PO_OK : PO_ERR_INVALID))
				fprintf(stderr, "  %s = %llds: rc %d %s\n", b[i].key, (long long)v[j], rc, buf_str(&msg));
			T_EQ_INT(rc, j < 2 ? PO_OK : PO_ERR_INVALID);
			if (j >= 2) {
				char want[128];
				snprintf(want, sizeof(want), "t.ini:5: [server] %s: %llds is too %s: at %s ", b[i].key,
				    (long long)v[j], j == 2 ? "short" : "long", j == 2 ? "least" : "most");
				T_CHECK(strncmp(buf_str(&msg), want, strlen(want)) == 0);
			}
			config_free(c);
			buf_free(&msg);
		}
	}
}

static void
test_errors(void)
{
	static const struct {
		const char *name, *text, *want;
	} v[] = {
		{ "a bare number", SERVER "session_lifetime = 3600\n" PLEX CLIENT,
		    "t.ini:5: [server] session_lifetime: \"3600\" needs a unit: write it as 90s, 10m, 12h or 7d" },
		{ "an unknown unit", SERVER "refresh_lifetime = 4w\n" PLEX CLIENT,
		    "t.ini:5: [server] refresh_lifetime: \"4w\" has an unknown unit: use s (seconds), m (minutes), "
		    "h (hours) or d (days)" },
		{ "units are lower-case", SERVER "access_recheck = 10M\n" PLEX CLIENT,
		    "t.ini:5: [server] access_recheck: \"10M\" has an unknown unit" },
		{ "a fraction", SERVER "access_grace = 1.5h\n" PLEX CLIENT,
		    "t.ini:5: [server] access_grace: \"1.5h\" must be a whole number and one unit" },
		{ "a space", SERVER "access_grace = 1 h\n" PLEX CLIENT,
		    "t.ini:5: [server] access_grace: \"1 h\" must be a whole number and one unit" },
		{ "two units", SERVER "session_lifetime = 1d12h\n" PLEX CLIENT,
		    "t.ini:5: [server] session_lifetime: \"1d12h\" must be a whole number and one unit" },
		{ "a sign", SERVER "access_grace = -5m\n" PLEX CLIENT,
		    "t.ini:5: [server] access_grace: \"-5m\" must be a number with a unit" },
		{ "a word", SERVER "key_rotation = weekly\n" PLEX CLIENT,
		    "t.ini:5: [server] key_rotation: \"weekly\" must be a number with a unit" },
		{ "a huge number", SERVER "key_rotation = 99999999999999999999d\n" PLEX CLIENT,
		    "t.ini:5: [server] key_rotation: \"99999999999999999999d\" is far too long" },
		{ "empty", SERVER "key_rotation =\n" PLEX CLIENT,
		    "t.ini:5: [server] key_rotation: has an empty value; remove the line to use the default" },
		{ "too short a session", SERVER "session_lifetime = 60s\n" PLEX CLIENT,
		    "t.ini:5: [server] session_lifetime: 60s is too short: at least 5m (a session must outlast a "
		    "sign-in)" },
		{ "too long a session", SERVER "session_lifetime = 500d\n" PLEX CLIENT,
		    "t.ini:5: [server] session_lifetime: 500d is too long: at most 400d (browsers keep a cookie 400 "
		    "days at most)" },
		{ "too frequent re-checks", SERVER "access_recheck = 9s\n" PLEX CLIENT,
		    "t.ini:5: [server] access_recheck: 9s is too short: at least 10s" },
		{ "too long a grace", SERVER "access_grace = 2d\n" PLEX CLIENT,
		    "t.ini:5: [server] access_grace: 2d is too long: at most 1d" },
		{ "rotation too often for the refresh lifetime", SERVER "key_rotation = 1d\nrefresh_lifetime = 90d\n" PLEX CLIENT,
		    "t.ini:5: [server] key_rotation: 1d is too short for a longest session or refresh lifetime of 90d: "
		    "every rotation keeps the previous sealing key that long, and at most 32 are kept; rotate every "
		    "3d or more, or shorten the lifetimes" },
		{ "an unknown algorithm", SERVER PLEX CLIENT "id_token_signed_response_alg = HS256\n",
		    "t.ini:10: [client.grafana] id_token_signed_response_alg: \"HS256\" is not one of RS256, ES256 or "
		    "EdDSA" },
		{ "algorithm names are exact", SERVER PLEX CLIENT "id_token_signed_response_alg = rs256\n",
		    "t.ini:10: [client.grafana] id_token_signed_response_alg: \"rs256\" is not one of" },
		{ "refresh_tokens true", SERVER PLEX CLIENT "refresh_tokens = true\n",
		    "t.ini:10: [client.grafana] refresh_tokens: must be yes or no" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		config_t *c = NULL;
		buf_t msg;
		int rc = parse(v[i].text, NULL, &c, &msg);

		if (rc != PO_ERR_INVALID || strncmp(buf_str(&msg), v[i].want, strlen(v[i].want)) != 0)
			fprintf(stderr, "  case \"%s\": rc %d\n  got:  %s  want: %s\n", v[i].name, rc, buf_str(&msg),
			    v[i].want);
		T_EQ_INT(rc, PO_ERR_INVALID);
		T_CHECK(c == NULL);
		T_CHECK(strncmp(buf_str(&msg), v[i].want, strlen(v[i].want)) == 0);
		/* one problem, one line */
		T_CHECK(strchr(buf_str(&msg), '\n') == buf_str(&msg) + msg.len - 1);
		config_free(c);
		buf_free(&msg);
	}
}

/* key_rotation at the edge of the previous-key bound: with the default
 * lifetimes (30d + 10 min margin kept) 1d is allowed: 31 keys. */
static void
test_rotation_vs_lifetimes(void)
{
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(SERVER "key_rotation = 1d\n" PLEX CLIENT, NULL, &c, &msg), PO_OK);
	config_free(c);
	buf_free(&msg);
	c = NULL;
	/* 32 days (+ margin) of keeping with a 1d rotation: 33 keys, refused */
	T_EQ_INT(parse(SERVER "key_rotation = 1d\nrefresh_lifetime = 32d\n" PLEX CLIENT, NULL, &c, &msg),
	    PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "rotate every 2d or more") != NULL);
	config_free(c);
	buf_free(&msg);
	c = NULL;
	/* the session lifetime counts too */
	T_EQ_INT(parse(SERVER "key_rotation = 1d\nsession_lifetime = 40d\n" PLEX CLIENT, NULL, &c, &msg),
	    PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "lifetime of 40d") != NULL);
	config_free(c);
	buf_free(&msg);
}

static void
test_env(void)
{
	char *env[] = { "PLEX_OIDC_SERVER_SESSION_LIFETIME=2d", "PLEX_OIDC_CLIENT_GRAFANA_REFRESH_TOKENS=no",
		"PLEX_OIDC_CLIENT_GRAFANA_ID_TOKEN_SIGNED_RESPONSE_ALG=ES256", "PLEX_OIDC_SERVER_KEY_ROTATION=7d", NULL };
	char *bad[] = { "PLEX_OIDC_SERVER_ACCESS_RECHECK=600", NULL };
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(SERVER "session_lifetime = 1d\n" PLEX CLIENT, env, &c, &msg), PO_OK);
	if (c != NULL) {
		T_EQ_INT(c->session_lifetime_s, 2 * 86400);
		T_EQ_INT(c->key_rotation_s, 7 * 86400);
		T_CHECK(!c->clients[0].refresh_tokens);
		T_EQ_STR(c->clients[0].id_token_alg, "ES256");
	}
	config_free(c);
	buf_free(&msg);
	c = NULL;
	T_EQ_INT(parse(SERVER PLEX CLIENT, bad, &c, &msg), PO_ERR_INVALID);
	T_CHECK(strncmp(buf_str(&msg), "environment PLEX_OIDC_SERVER_ACCESS_RECHECK: [server] access_recheck: \"600\" "
	                               "needs a unit",
	            strlen("environment PLEX_OIDC_SERVER_ACCESS_RECHECK: [server] access_recheck: \"600\" needs a unit")) ==
	    0);
	config_free(c);
	buf_free(&msg);
}

static void
test_cv_duration(void)
{
	static const struct {
		const char *s;
		int64_t want; /* -1: refused */
	} t[] = {
		{ "0s", 0 },
		{ "1s", 1 },
		{ "90s", 90 },
		{ "10m", 600 },
		{ "12h", 43200 },
		{ "7d", 604800 },
		{ "007d", 604800 },
		{ "36500d", 36500LL * 86400 },
		{ "36600d", 36600LL * 86400 },
		{ "36601d", -1 },
		{ "", -1 },
		{ "s", -1 },
		{ "10", -1 },
		{ "10 s", -1 },
		{ " 10s", -1 },
		{ "10s ", -1 },
		{ "10S", -1 },
		{ "10ms", -1 },
		{ "1e3s", -1 },
		{ "+5m", -1 },
		{ "5m5", -1 },
		{ "1w", -1 },
		{ "1y", -1 },
		{ "18446744073709551617s", -1 },
	};
	static const struct {
		int64_t secs;
		const char *want;
	} f[] = { { 0, "0s" }, { 59, "59s" }, { 60, "1m" }, { 90, "90s" }, { 3600, "1h" }, { 5400, "90m" },
		{ 86400, "1d" }, { 90000, "25h" }, { 400 * 86400, "400d" } };
	char buf[32];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t got = -1;
		const char *why = cv_duration(t[i].s, &got);

		if ((why == NULL) != (t[i].want >= 0) || (why == NULL && got != t[i].want))
			fprintf(stderr, "  \"%s\": %s %lld\n", t[i].s, why ? why : "ok", (long long)got);
		T_EQ_INT(why == NULL, t[i].want >= 0);
		if (why == NULL)
			T_EQ_INT(got, t[i].want);
	}
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		cv_fmt_duration(f[i].secs, buf, sizeof(buf));
		T_EQ_STR(buf, f[i].want);
	}
}

int
main(void)
{
	T_RUN(test_defaults);
	T_RUN(test_values);
	T_RUN(test_bounds);
	T_RUN(test_errors);
	T_RUN(test_rotation_vs_lifetimes);
	T_RUN(test_env);
	T_RUN(test_cv_duration);
	return T_DONE();
}
