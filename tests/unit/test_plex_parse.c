/*
 * test_plex_parse.c - table-driven vectors for plex_parse.c: the shapes
 * plex.tv answers with (docs/PLEX-API.md), the ways those answers vary in the
 * wild (null, missing and wrongly typed fields, managed users without
 * email, PIN ids past 2^31) and input that is not a Plex answer at all.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "po_limits.h"
#include "plex/plex_parse.h"
#include "policy/policy.h"
#include "t.h"

#define OK PO_OK
#define BAD PO_ERR_INVALID
#define SID "0123456789abcdef0123456789abcdef01234567"
static char sid_[] = SID, empty_[] = "", *SIDS[] = { sid_ }, *EMPTY[] = { empty_ };

/* Runs one vector's checks and names the vector if any of them failed. */
#define VEC_BEGIN(v)                        \
	int vec_prev_failed = t_cur_failed; \
	t_cur_failed = 0
#define VEC_END(v)                                                            \
	do {                                                                  \
		if (t_cur_failed)                                             \
			fprintf(stderr, "    in vector \"%s\"\n", (v)->name); \
		t_cur_failed |= vec_prev_failed;                              \
	} while (0)

/* Like T_EQ_STR, but "want NULL" means the field must be NULL. */
#define T_EQ_OPT(a, want)                                                                            \
	do {                                                                                         \
		if ((want) == NULL) {                                                                \
			if ((a) != NULL) {                                                           \
				fprintf(stderr, "  FAIL %s:%d: %s is \"%s\", want NULL\n", __FILE__, \
				    __LINE__, #a, (a));                                              \
				t_cur_failed = 1;                                                    \
			}                                                                            \
		} else                                                                               \
			T_EQ_STR((a), (want));                                                       \
	} while (0)

/* Inputs that are no Plex answer at all: every parser refuses them. */
static const char *const junk[] = {
	"",
	"null",
	"true",
	"42",
	"\"a string\"",
	"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
	("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors><error code=\"1001\" "
	 "message=\"User could not be authenticated\" status=\"422\"/></errors>"),
	"{\"id\": 2147483712, \"code\": \"8lzjqnq8lye02n52jq3fqxf8e\", \"uuid\": \"dae3",
	"[{\"name\": \"x\", \"provides\": \"server\"",
	"{\"id\": 1, \"code\": \"abc\", \"uuid\": \"u\"} trailing",
	"\xff\xfe{\0\"\0",
	"{\"id\": 1, \"code\": \"abc\", \"uuid\": \"u\",}",
};

/* ---- PIN ---- */

struct pin_vec {
	const char *name;
	const char *json;
	int rc;
	int64_t id;
	const char *code;
	const char *token;
	int64_t expires_in;
};

static const struct pin_vec pin_vecs[] = {
	{ "created (doc sample)",
	    "{\"id\": 2147483712, \"code\": \"8lzjqnq8lye02n52jq3fqxf8e\", \"product\": \"My Login\","
	    " \"trusted\": false, \"clientIdentifier\": \"3b0f3c1e-aaaa\", \"expiresIn\": 1800,"
	    " \"createdAt\": \"2026-09-01T17:00:03Z\", \"expiresAt\": \"2026-09-01T17:30:03Z\","
	    " \"authToken\": null, \"newRegistration\": null,"
	    " \"location\": {\"code\": \"US\", \"european_union_member\": false}}",
	    OK, 2147483712LL, "8lzjqnq8lye02n52jq3fqxf8e", NULL, 1800 },
	{ "approved",
	    "{\"id\": 2147483712, \"code\": \"8lzjqnq8lye02n52jq3fqxf8e\", \"expiresIn\": 1700,"
	    " \"authToken\": \"xY3_kq-Lp9zT2mN8vB4c\"}",
	    OK, 2147483712LL, "8lzjqnq8lye02n52jq3fqxf8e", "xY3_kq-Lp9zT2mN8vB4c", 1700 },
	{ "id past 2^32", "{\"id\": 4294967301, \"code\": \"abcd\"}", OK, 4294967301LL, "abcd", NULL, 0 },
	{ "id past 2^53", "{\"id\": 9007199254740993, \"code\": \"abcd\"}", OK, 9007199254740993LL, "abcd",
	    NULL, 0 },
	{ "id int64 max", "{\"id\": 9223372036854775807, \"code\": \"abcd\"}", OK, INT64_MAX, "abcd", NULL,
	    0 },
	{ "id past int64", "{\"id\": 9223372036854775808, \"code\": \"abcd\"}", BAD, 0, NULL, NULL, 0 },
	{ "non-strong 4-char code", "{\"id\": 12, \"code\": \"AB12\", \"expiresIn\": 900}", OK, 12, "AB12",
	    NULL, 900 },
	{ "authToken empty", "{\"id\": 5, \"code\": \"abcd\", \"authToken\": \"\"}", OK, 5, "abcd", NULL, 0 },
	{ "authToken number", "{\"id\": 5, \"code\": \"abcd\", \"authToken\": 12345}", OK, 5, "abcd", NULL, 0 },
	{ "authToken object", "{\"id\": 5, \"code\": \"abcd\", \"authToken\": {}}", OK, 5, "abcd", NULL, 0 },
	{ "authToken with CRLF", "{\"id\": 5, \"code\": \"abcd\", \"authToken\": \"abc\\r\\nX-Evil: 1\"}", BAD,
	    0, NULL, NULL, 0 },
	{ "authToken with space", "{\"id\": 5, \"code\": \"abcd\", \"authToken\": \"abc def\"}", BAD, 0, NULL,
	    NULL, 0 },
	{ "authToken non-ASCII", "{\"id\": 5, \"code\": \"abcd\", \"authToken\": \"abc\\u00e9\"}", BAD, 0, NULL,
	    NULL, 0 },
	{ "expiresIn null", "{\"id\": 5, \"code\": \"abcd\", \"expiresIn\": null}", OK, 5, "abcd", NULL, 0 },
	{ "expiresIn string", "{\"id\": 5, \"code\": \"abcd\", \"expiresIn\": \"1800\"}", OK, 5, "abcd", NULL,
	    0 },
	{ "expiresIn negative", "{\"id\": 5, \"code\": \"abcd\", \"expiresIn\": -3}", OK, 5, "abcd", NULL, 0 },
	{ "id missing", "{\"code\": \"abcd\"}", BAD, 0, NULL, NULL, 0 },
	{ "id null", "{\"id\": null, \"code\": \"abcd\"}", BAD, 0, NULL, NULL, 0 },
	{ "id string", "{\"id\": \"2147483712\", \"code\": \"abcd\"}", BAD, 0, NULL, NULL, 0 },
	{ "id real", "{\"id\": 2147483712.0, \"code\": \"abcd\"}", BAD, 0, NULL, NULL, 0 },
	{ "id zero", "{\"id\": 0, \"code\": \"abcd\"}", BAD, 0, NULL, NULL, 0 },
	{ "id negative", "{\"id\": -7, \"code\": \"abcd\"}", BAD, 0, NULL, NULL, 0 },
	{ "code missing", "{\"id\": 5}", BAD, 0, NULL, NULL, 0 },
	{ "code null", "{\"id\": 5, \"code\": null}", BAD, 0, NULL, NULL, 0 },
	{ "code empty", "{\"id\": 5, \"code\": \"\"}", BAD, 0, NULL, NULL, 0 },
	{ "code number", "{\"id\": 5, \"code\": 1234}", BAD, 0, NULL, NULL, 0 },
	{ "code with punctuation", "{\"id\": 5, \"code\": \"ab&cd\"}", BAD, 0, NULL, NULL, 0 },
	{ "code 65 chars",
	    "{\"id\": 5, \"code\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", BAD,
	    0, NULL, NULL, 0 },
	{ "duplicate id", "{\"id\": 5, \"id\": 6, \"code\": \"abcd\"}", BAD, 0, NULL, NULL, 0 },
	{ "NUL in code", "{\"id\": 5, \"code\": \"ab\\u0000cd\"}", BAD, 0, NULL, NULL, 0 },
	{ "root is an array", "[{\"id\": 5, \"code\": \"abcd\"}]", BAD, 0, NULL, NULL, 0 },
	{ "error envelope",
	    "{\"errors\":[{\"code\":1020,\"message\":\"Code not found or expired\",\"status\":404}]}", BAD, 0,
	    NULL, NULL, 0 },
};

static void
test_pin_vectors(void)
{
	size_t i;

	for (i = 0; i < sizeof(pin_vecs) / sizeof(pin_vecs[0]); i++) {
		const struct pin_vec *v = &pin_vecs[i];
		plex_pin_t p;
		int rc;

		VEC_BEGIN(v);
		memset(&p, 0xa5, sizeof(p)); /* the parser must not read *out */
		rc = plex_parse_pin(v->json, strlen(v->json), &p);
		T_EQ_INT(rc, v->rc);
		if (rc == PO_OK) {
			T_EQ_INT(p.id, v->id);
			T_EQ_OPT(p.code, v->code);
			T_EQ_OPT(p.auth_token, v->token);
			T_EQ_INT(p.expires_in, v->expires_in);
		} else {
			T_CHECK(p.code == NULL && p.auth_token == NULL && p.id == 0);
		}
		plex_pin_clear(&p);
		T_CHECK(p.code == NULL && p.auth_token == NULL);
		VEC_END(v);
	}
}

/* Tokens can be ~540-character JWTs; the bound is LIM_PLEX_TOKEN_MAX. */
static void
test_pin_token_lengths(void)
{
	static const size_t lens[] = { 20, 540, LIM_PLEX_TOKEN_MAX, LIM_PLEX_TOKEN_MAX + 1 };
	size_t i, j;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t tl = lens[i], n = tl + 64;
		char *json = malloc(n);
		plex_pin_t p = { 0 };
		int rc, off;

		if (json == NULL)
			abort();
		off = snprintf(json, n, "{\"id\": 3000000000, \"code\": \"abcd\", \"authToken\": \"");
		for (j = 0; j < tl; j++)
			json[(size_t)off + j] = (char)("abcXYZ012-_."[j % 12]);
		snprintf(json + off + tl, n - (size_t)off - tl, "\"}");
		rc = plex_parse_pin(json, strlen(json), &p);
		if (tl <= LIM_PLEX_TOKEN_MAX) {
			T_EQ_INT(rc, PO_OK);
			T_CHECK(p.auth_token != NULL && strlen(p.auth_token) == tl);
			T_EQ_INT(p.id, 3000000000LL);
		} else {
			T_EQ_INT(rc, PO_ERR_INVALID);
			T_CHECK(p.auth_token == NULL);
		}
		plex_pin_clear(&p);
		free(json);
	}
}

static void
test_token_ok(void)
{
	T_CHECK(plex_token_ok("xY3_kq-Lp9zT2mN8vB4c", 20));
	T_CHECK(plex_token_ok("eyJhbGciOiJIUzI1NiJ9.e30.sig", 27));
	T_CHECK(!plex_token_ok("", 0));
	T_CHECK(!plex_token_ok(NULL, 5));
	T_CHECK(!plex_token_ok("abc\r\nX: y", 9));
	T_CHECK(!plex_token_ok("abc def", 7));
	T_CHECK(!plex_token_ok("abc\0def", 7));
	T_CHECK(!plex_token_ok("abc\x7f", 4));
}

/* ---- User ---- */

struct user_vec {
	const char *name;
	const char *json;
	int rc;
	int64_t id;
	const char *uuid, *username, *title, *friendly, *email, *thumb;
	bool restricted, home;
	const char *display, *login;
};

static const struct user_vec user_vecs[] = {
	{ "owner (doc sample)",
	    "{\"id\": 22526914, \"uuid\": \"dae343c1f45beb4f\", \"username\": \"alice\", \"title\": \"alice\","
	    " \"friendlyName\": \"Alice Liddell\", \"email\": \"alice@example.com\","
	    " \"thumb\": \"https://plex.tv/users/dae343c1f45beb4f/avatar?c=1731605021\","
	    " \"confirmed\": true, \"restricted\": false, \"home\": false, \"protected\": false,"
	    " \"twoFactorEnabled\": false, \"joinedAt\": 1556281940, \"subscription\": {\"active\": false}}",
	    OK, 22526914, "dae343c1f45beb4f", "alice", "alice", "Alice Liddell", "alice@example.com",
	    "https://plex.tv/users/dae343c1f45beb4f/avatar?c=1731605021", false, false, "Alice Liddell",
	    "alice" },
	{ "managed Home user, email null, username empty",
	    "{\"id\": 52004411, \"uuid\": \"b3c4d5e6f7a80912\", \"username\": \"\", \"title\": \"Mia\","
	    " \"friendlyName\": \"\", \"email\": null, \"thumb\": \"https://plex.tv/users/b3c4/avatar\","
	    " \"restricted\": true, \"home\": true, \"protected\": true}",
	    OK, 52004411, "b3c4d5e6f7a80912", NULL, "Mia", NULL, NULL, "https://plex.tv/users/b3c4/avatar",
	    true, true, "Mia", "Mia" },
	{ "managed Home user, username null, email empty",
	    "{\"id\": 7, \"uuid\": \"u7\", \"username\": null, \"title\": \"Kid\", \"email\": \"\","
	    " \"restricted\": true, \"home\": true}",
	    OK, 7, "u7", NULL, "Kid", NULL, NULL, NULL, true, true, "Kid", "Kid" },
	{ "Home member", "{\"id\": 31000001, \"uuid\": \"4f1a2b3c5d6e7f80\", \"username\": \"hank\","
	                 " \"title\": \"hank\", \"email\": \"hank@example.net\", \"home\": true, \"restricted\": false}",
	    OK, 31000001, "4f1a2b3c5d6e7f80", "hank", "hank", NULL, "hank@example.net", NULL, false, true,
	    "hank", "hank" },
	{ "only a uuid", "{\"uuid\": \"abc\"}", OK, 0, "abc", NULL, NULL, NULL, NULL, NULL, false, false, "abc",
	    "abc" },
	{ "everything null", "{\"id\": null, \"uuid\": \"abc\", \"username\": null, \"title\": null,"
	                     " \"friendlyName\": null, \"email\": null, \"thumb\": null, \"restricted\": null, \"home\": null}",
	    OK, 0, "abc", NULL, NULL, NULL, NULL, NULL, false, false, "abc", "abc" },
	{ "wrong types", "{\"id\": \"22526914\", \"uuid\": \"abc\", \"username\": 5, \"title\": [],"
	                 " \"friendlyName\": {}, \"email\": false, \"thumb\": 1.5, \"restricted\": \"true\", \"home\": 1}",
	    OK, 0, "abc", NULL, NULL, NULL, NULL, NULL, false, false, "abc", "abc" },
	{ "title but no username", "{\"uuid\": \"abc\", \"title\": \"T\"}", OK, 0, "abc", NULL, "T", NULL, NULL,
	    NULL, false, false, "T", "T" },
	{ "username but no title", "{\"uuid\": \"abc\", \"username\": \"un\"}", OK, 0, "abc", "un", NULL, NULL,
	    NULL, NULL, false, false, "un", "un" },
	{ "unicode names", "{\"uuid\": \"abc\", \"username\": \"j\\u00f6rg\", \"friendlyName\": \"J\\u00f6rg \\u2603\"}",
	    OK, 0, "abc", "j\xc3\xb6rg", NULL, "J\xc3\xb6rg \xe2\x98\x83", NULL, NULL, false, false,
	    "J\xc3\xb6rg \xe2\x98\x83", "j\xc3\xb6rg" },
	{ "uuid missing", "{\"id\": 5, \"username\": \"alice\", \"email\": \"a@example.com\"}", BAD, 0, NULL,
	    NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL },
	{ "uuid null", "{\"uuid\": null}", BAD, 0, NULL, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL },
	{ "uuid empty", "{\"uuid\": \"\"}", BAD, 0, NULL, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL },
	{ "uuid number", "{\"uuid\": 1234}", BAD, 0, NULL, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL },
	{ "uuid with space", "{\"uuid\": \"ab cd\"}", BAD, 0, NULL, NULL, NULL, NULL, NULL, NULL, false, false,
	    NULL, NULL },
	{ "uuid with newline", "{\"uuid\": \"ab\\ncd\"}", BAD, 0, NULL, NULL, NULL, NULL, NULL, NULL, false, false,
	    NULL, NULL },
	{ "duplicate uuid", "{\"uuid\": \"a\", \"uuid\": \"b\"}", BAD, 0, NULL, NULL, NULL, NULL, NULL, NULL, false,
	    false, NULL, NULL },
	{ "array root", "[{\"uuid\": \"a\"}]", BAD, 0, NULL, NULL, NULL, NULL, NULL, NULL, false, false, NULL,
	    NULL },
	{ "401 envelope",
	    "{\"errors\":[{\"code\":1001,\"message\":\"User could not be authenticated\",\"status\":401}]}", BAD,
	    0, NULL, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL },
};

static void
test_user_vectors(void)
{
	size_t i;

	for (i = 0; i < sizeof(user_vecs) / sizeof(user_vecs[0]); i++) {
		const struct user_vec *v = &user_vecs[i];
		plex_user_t u;
		int rc;

		VEC_BEGIN(v);
		memset(&u, 0xa5, sizeof(u));
		rc = plex_parse_user(v->json, strlen(v->json), &u);
		T_EQ_INT(rc, v->rc);
		if (rc == PO_OK) {
			T_EQ_INT(u.id, v->id);
			T_EQ_OPT(u.uuid, v->uuid);
			T_EQ_OPT(u.username, v->username);
			T_EQ_OPT(u.title, v->title);
			T_EQ_OPT(u.friendly_name, v->friendly);
			T_EQ_OPT(u.email, v->email);
			T_EQ_OPT(u.thumb, v->thumb);
			T_EQ_INT(u.restricted, v->restricted);
			T_EQ_INT(u.home, v->home);
			T_EQ_STR(plex_user_display_name(&u), v->display);
			T_EQ_STR(plex_user_login_name(&u), v->login);
		} else {
			T_CHECK(u.uuid == NULL && u.username == NULL && u.email == NULL);
		}
		plex_user_clear(&u);
		T_CHECK(u.uuid == NULL);
		VEC_END(v);
	}
}

/* Builds {"uuid": "<uuid of ulen x>", "title": "<tlen y>"} for the bounds. */
static char *
user_json(size_t ulen, size_t tlen)
{
	size_t n = ulen + tlen + 64, i;
	char *s = malloc(n), *p;

	if (s == NULL)
		abort();
	p = s;
	p += snprintf(p, n, "{\"uuid\": \"");
	for (i = 0; i < ulen; i++)
		*p++ = 'u';
	p += snprintf(p, n - (size_t)(p - s), "\", \"title\": \"");
	for (i = 0; i < tlen; i++)
		*p++ = 't';
	snprintf(p, n - (size_t)(p - s), "\"}");
	return s;
}

static void
test_user_bounds(void)
{
	plex_user_t u = { 0 };
	char *s = NULL;

	s = user_json(255, 2048);
	T_EQ_INT(plex_parse_user(s, strlen(s), &u), PO_OK);
	T_CHECK(u.uuid != NULL && strlen(u.uuid) == 255);
	T_CHECK(u.title != NULL && strlen(u.title) == 2048);
	plex_user_clear(&u);
	free(s);

	s = user_json(256, 1);
	T_EQ_INT(plex_parse_user(s, strlen(s), &u), PO_ERR_INVALID);
	plex_user_clear(&u);
	free(s);

	/* An absurd optional field reads as absent, not as an error. */
	s = user_json(8, 2049);
	T_EQ_INT(plex_parse_user(s, strlen(s), &u), PO_OK);
	T_CHECK(u.title == NULL);
	T_EQ_STR(plex_user_display_name(&u), "uuuuuuuu");
	plex_user_clear(&u);
	free(s);
}

/* ---- Resources ---- */

struct res_vec {
	const char *name;
	const char *json;
	int rc;
	size_t n;
	enum plex_access access; /* for SID */
};

#define SRV(extra) "{\"name\": \"S\", \"provides\": \"server\", \"clientIdentifier\": \"" SID "\"" extra "}"

static const struct res_vec res_vecs[] = {
	{ "friend (doc sample)",
	    "[{\"name\": \"Bob's Server\", \"product\": \"Plex Media Server\", \"provides\": \"server\","
	    " \"clientIdentifier\": \"" SID "\", \"owned\": false, \"home\": false, \"ownerId\": 9001,"
	    " \"sourceTitle\": \"bob\", \"accessToken\": \"srvtok1234567890abcd\","
	    " \"publicAddress\": \"203.0.113.10\", \"presence\": true,"
	    " \"connections\": [{\"protocol\": \"https\", \"uri\": \"https://a.plex.direct:32400\", \"local\": false}]},"
	    " {\"name\": \"Living Room TV\", \"product\": \"Plex for Apple TV\","
	    " \"provides\": \"client,player,pubsub-player\", \"clientIdentifier\": \"c7d1e5f0aa\","
	    " \"owned\": true, \"accessToken\": null, \"connections\": []}]",
	    OK, 2, PLEX_ACCESS_FRIEND },
	{ "owner", "[" SRV(", \"owned\": true, \"home\": true, \"sourceTitle\": null, \"ownerId\": null") "]", OK, 1,
	    PLEX_ACCESS_OWNER },
	{ "home member", "[" SRV(", \"owned\": false, \"home\": true, \"sourceTitle\": \"alice\"") "]", OK, 1,
	    PLEX_ACCESS_HOME },
	{ "friend, home missing", "[" SRV(", \"owned\": false") "]", OK, 1, PLEX_ACCESS_FRIEND },
	{ "owned and home null", "[" SRV(", \"owned\": null, \"home\": null") "]", OK, 1, PLEX_ACCESS_FRIEND },
	{ "owned as a string fails closed", "[" SRV(", \"owned\": \"true\"") "]", OK, 1, PLEX_ACCESS_FRIEND },
	{ "none: only own players",
	    "[{\"name\": \"Roku\", \"provides\": \"client,player\", \"clientIdentifier\": \"r0ku\", \"owned\": true},"
	    " {\"name\": \"Zed's Server\", \"provides\": \"server\", \"clientIdentifier\": \"fedcba98765\","
	    " \"owned\": false, \"home\": false, \"sourceTitle\": \"zed\"}]",
	    OK, 2, PLEX_ACCESS_NONE },
	{ "client with the server's id is not the server",
	    "[{\"name\": \"P\", \"provides\": \"client,player\", \"clientIdentifier\": \"" SID "\", \"owned\": true}]",
	    OK, 1, PLEX_ACCESS_NONE },
	{ "provides servers", "[{\"provides\": \"servers\", \"clientIdentifier\": \"" SID "\", \"owned\": true}]", OK,
	    1, PLEX_ACCESS_NONE },
	{ "provides media-server", "[{\"provides\": \"media-server\", \"clientIdentifier\": \"" SID "\"}]", OK, 1,
	    PLEX_ACCESS_NONE },
	{ "provides server,client", "[{\"provides\": \"server,client\", \"clientIdentifier\": \"" SID "\"}]", OK, 1,
	    PLEX_ACCESS_FRIEND },
	{ "provides player,server", "[{\"provides\": \"player,server\", \"clientIdentifier\": \"" SID "\","
	                            " \"owned\": false, \"home\": true}]",
	    OK, 1, PLEX_ACCESS_HOME },
	{ "provides with spaces", "[{\"provides\": \" client , server \", \"clientIdentifier\": \"" SID "\"}]", OK,
	    1, PLEX_ACCESS_FRIEND },
	{ "provides Server (case)", "[{\"provides\": \"Server\", \"clientIdentifier\": \"" SID "\"}]", OK, 1,
	    PLEX_ACCESS_NONE },
	{ "provides empty member", "[{\"provides\": \",,\", \"clientIdentifier\": \"" SID "\"}]", OK, 1,
	    PLEX_ACCESS_NONE },
	{ "provides null", "[{\"provides\": null, \"clientIdentifier\": \"" SID "\"}]", OK, 1, PLEX_ACCESS_NONE },
	{ "provides missing", "[{\"clientIdentifier\": \"" SID "\", \"owned\": true}]", OK, 1, PLEX_ACCESS_NONE },
	{ "provides as array", "[{\"provides\": [\"server\"], \"clientIdentifier\": \"" SID "\"}]", OK, 1,
	    PLEX_ACCESS_NONE },
	{ "clientIdentifier missing", "[{\"provides\": \"server\", \"owned\": true}]", OK, 1, PLEX_ACCESS_NONE },
	{ "clientIdentifier null", "[{\"provides\": \"server\", \"clientIdentifier\": null}]", OK, 1,
	    PLEX_ACCESS_NONE },
	{ "clientIdentifier other case",
	    "[{\"provides\": \"server\", \"clientIdentifier\": \"0123456789ABCDEF0123456789ABCDEF01234567\"}]", OK,
	    1, PLEX_ACCESS_NONE },
	{ "clientIdentifier prefix", "[{\"provides\": \"server\", \"clientIdentifier\": \"0123456789abcdef\"}]", OK,
	    1, PLEX_ACCESS_NONE },
	{ "nulls everywhere",
	    "[{\"name\": null, \"product\": null, \"provides\": \"server\", \"clientIdentifier\": \"" SID "\","
	    " \"owned\": false, \"home\": false, \"sourceTitle\": null, \"accessToken\": null,"
	    " \"publicAddress\": null, \"connections\": null, \"ownerId\": null}]",
	    OK, 1, PLEX_ACCESS_FRIEND },
	{ "non-objects skipped", "[null, 1, \"server\", [], true, " SRV(", \"owned\": true") "]", OK, 1,
	    PLEX_ACCESS_OWNER },
	{ "share and ownership: owner wins",
	    "[" SRV(", \"owned\": false") ", " SRV(", \"owned\": true") ", " SRV(", \"home\": true") "]", OK, 3,
	    PLEX_ACCESS_OWNER },
	{ "share and home: home wins", "[" SRV("") ", " SRV(", \"home\": true") "]", OK, 2, PLEX_ACCESS_HOME },
	{ "empty array", "[]", OK, 0, PLEX_ACCESS_NONE },
	{ "root object", SRV(""), BAD, 0, PLEX_ACCESS_NONE },
	{ "duplicate key in an entry", "[{\"provides\": \"client\", \"provides\": \"server\"}]", BAD, 0,
	    PLEX_ACCESS_NONE },
	{ "401 envelope", "{\"errors\":[{\"code\":1001,\"message\":\"x\",\"status\":401}]}", BAD, 0,
	    PLEX_ACCESS_NONE },
};

static void
test_resources_vectors(void)
{
	size_t i;

	for (i = 0; i < sizeof(res_vecs) / sizeof(res_vecs[0]); i++) {
		const struct res_vec *v = &res_vecs[i];
		plex_resources_t r;
		int rc;

		VEC_BEGIN(v);
		memset(&r, 0xa5, sizeof(r));
		rc = plex_parse_resources(v->json, strlen(v->json), &r);
		T_EQ_INT(rc, v->rc);
		if (rc == PO_OK)
			T_EQ_INT(r.n, v->n);
		else
			T_CHECK(r.items == NULL && r.n == 0);
		T_EQ_STR(plex_access_name(policy_server_access(&r, SIDS, 1, 0, 0, NULL)), plex_access_name(v->access));
		plex_resources_clear(&r);
		T_CHECK(r.items == NULL && r.n == 0);
		VEC_END(v);
	}
}

static void
test_resources_fields(void)
{
	const struct res_vec *v = &res_vecs[0];
	plex_resources_t r = { 0 };

	T_EQ_INT(plex_parse_resources(v->json, strlen(v->json), &r), PO_OK);
	T_EQ_INT(r.n, 2);
	if (r.n == 2) {
		T_EQ_STR(r.items[0].name, "Bob's Server");
		T_EQ_STR(r.items[0].client_identifier, SID);
		T_EQ_STR(r.items[0].source_title, "bob");
		T_CHECK(r.items[0].provides_server);
		T_CHECK(!r.items[0].owned && !r.items[0].home);
		T_EQ_STR(r.items[1].name, "Living Room TV");
		T_EQ_STR(r.items[1].client_identifier, "c7d1e5f0aa");
		T_CHECK(r.items[1].source_title == NULL);
		T_CHECK(!r.items[1].provides_server);
		T_CHECK(r.items[1].owned);
	}
	/* No server id configured: nobody gets in. */
	T_EQ_INT(policy_server_access(&r, NULL, 0, 0, 0, NULL), PLEX_ACCESS_NONE);
	T_EQ_INT(policy_server_access(&r, EMPTY, 1, 0, 0, NULL), PLEX_ACCESS_NONE);
	T_EQ_INT(policy_server_access(NULL, SIDS, 1, 0, 0, NULL), PLEX_ACCESS_NONE);
	plex_resources_clear(&r);
	plex_resources_clear(NULL);
}

/* plex_parse.h: at most 10000 entries are kept. */
static void
test_resources_cap(void)
{
	static const char ent[] = "{\"provides\":\"client\",\"clientIdentifier\":\"c\"},";
	size_t i, count = 10005, n = count * (sizeof(ent) - 1) + 256;
	char *s = malloc(n), *p;
	plex_resources_t r = { 0 };

	if (s == NULL)
		abort();
	p = s;
	*p++ = '[';
	for (i = 0; i < count; i++) {
		memcpy(p, ent, sizeof(ent) - 1);
		p += sizeof(ent) - 1;
	}
	p += snprintf(p, n - (size_t)(p - s), "%s]", SRV(", \"owned\": true"));
	T_EQ_INT(plex_parse_resources(s, (size_t)(p - s), &r), PO_OK);
	T_EQ_INT(r.n, 10000);
	/* The entry past the cap is not seen: fails closed. */
	T_EQ_INT(policy_server_access(&r, SIDS, 1, 0, 0, NULL), PLEX_ACCESS_NONE);
	plex_resources_clear(&r);
	free(s);
}

/* Bodies over LIM_PLEX_BODY_MAX are refused before parsing. */
static void
test_body_bound(void)
{
	size_t n = LIM_PLEX_BODY_MAX + 2, i;
	char *s = malloc(n);
	plex_resources_t r = { 0 };

	if (s == NULL)
		abort();
	s[0] = '[';
	for (i = 1; i < n - 1; i++)
		s[i] = ' ';
	s[n - 1] = ']';
	T_EQ_INT(plex_parse_resources(s, n, &r), PO_ERR_INVALID);
	T_EQ_INT(plex_parse_resources(s + (n - LIM_PLEX_BODY_MAX), LIM_PLEX_BODY_MAX - 1, &r), PO_ERR_INVALID);
	s[n - LIM_PLEX_BODY_MAX] = '[';
	T_EQ_INT(plex_parse_resources(s + (n - LIM_PLEX_BODY_MAX), LIM_PLEX_BODY_MAX, &r), PO_OK);
	T_EQ_INT(r.n, 0);
	plex_resources_clear(&r);
	free(s);
}

/* Parsers take (buf, len) and must not read past len (no NUL needed). */
static void
test_bounded_input(void)
{
	static const char body[] = "{\"id\": 5, \"code\": \"abcd\"}XXXX";
	plex_pin_t p = { 0 };
	char *exact = malloc(sizeof(body) - 5);

	if (exact == NULL)
		abort();
	memcpy(exact, body, sizeof(body) - 5); /* no NUL: ASan catches overreads */
	T_EQ_INT(plex_parse_pin(exact, sizeof(body) - 5, &p), PO_OK);
	T_EQ_STR(p.code, "abcd");
	plex_pin_clear(&p);
	T_EQ_INT(plex_parse_pin(body, sizeof(body) - 1, &p), PO_ERR_INVALID);
	T_EQ_INT(plex_parse_pin(NULL, 0, &p), PO_ERR_INVALID);
	free(exact);
}

static void
test_junk(void)
{
	size_t i;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		size_t len = junk[i][0] == '\xff' ? 6 : strlen(junk[i]);
		plex_pin_t p = { 0 };
		plex_user_t u = { 0 };
		plex_resources_t r = { 0 };

		T_EQ_INT(plex_parse_pin(junk[i], len, &p), PO_ERR_INVALID);
		T_EQ_INT(plex_parse_user(junk[i], len, &u), PO_ERR_INVALID);
		T_EQ_INT(plex_parse_resources(junk[i], len, &r), PO_ERR_INVALID);
		if (t_cur_failed)
			fprintf(stderr, "    in junk[%zu]\n", i);
		plex_pin_clear(&p);
		plex_user_clear(&u);
		plex_resources_clear(&r);
	}
}

/* Every proper prefix of a valid answer is invalid (truncated transfers). */
static void
test_truncated(void)
{
	const char *pin = pin_vecs[1].json, *user = user_vecs[0].json, *res = res_vecs[0].json;
	size_t i;
	int bad = 0;

	for (i = 0; i < strlen(pin); i++) {
		plex_pin_t p = { 0 };
		bad += plex_parse_pin(pin, i, &p) != PO_ERR_INVALID;
		plex_pin_clear(&p);
	}
	for (i = 0; i < strlen(user); i++) {
		plex_user_t u = { 0 };
		bad += plex_parse_user(user, i, &u) != PO_ERR_INVALID;
		plex_user_clear(&u);
	}
	for (i = 0; i < strlen(res); i++) {
		plex_resources_t r = { 0 };
		bad += plex_parse_resources(res, i, &r) != PO_ERR_INVALID;
		plex_resources_clear(&r);
	}
	T_EQ_INT(bad, 0);
}

static void
test_access_names(void)
{
	T_EQ_STR(plex_access_name(PLEX_ACCESS_NONE), "none");
	T_EQ_STR(plex_access_name(PLEX_ACCESS_OWNER), "owner");
	T_EQ_STR(plex_access_name(PLEX_ACCESS_HOME), "home");
	T_EQ_STR(plex_access_name(PLEX_ACCESS_FRIEND), "friend");
	T_EQ_STR(plex_access_name((enum plex_access)99), "none");
}

static void
test_clear_null(void)
{
	plex_pin_clear(NULL);
	plex_user_clear(NULL);
	plex_resources_clear(NULL);
	T_CHECK(1);
}

int
main(void)
{
	T_RUN(test_pin_vectors);
	T_RUN(test_pin_token_lengths);
	T_RUN(test_token_ok);
	T_RUN(test_user_vectors);
	T_RUN(test_user_bounds);
	T_RUN(test_resources_vectors);
	T_RUN(test_resources_fields);
	T_RUN(test_resources_cap);
	T_RUN(test_body_bound);
	T_RUN(test_bounded_input);
	T_RUN(test_junk);
	T_RUN(test_truncated);
	T_RUN(test_access_names);
	T_RUN(test_clear_null);
	return T_DONE();
}
