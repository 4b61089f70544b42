/*
 * test_config_store.c - the [store] section (src/config/config_store.c):
 * urls of both kinds and their defaults, one table row per mistake with
 * the "file:LINE: [store] key:" its message must start with, the
 * password file (in a temporary directory), the warning for a remote
 * Redis without a password, and the environment (a url without a
 * section, as containers set it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/err.h"
#include "po_limits.h"
#include "t.h"

#define SECRET40 "abcdefghij-KLMNOPQRST_0123456789.uvwxy~z"
/* lines 1-10; [store] starts at line 11 */
#define VALID                                                                                                   \
	"[server]\nlisten = 127.0.0.1:8080\nissuer = https://auth.example.com\ndata_dir = /var/lib/plex-oidc\n" \
	"[plex]\nserver_id = 0123456789abcdef\nowner_id = 1\n"                                                  \
	"[client.grafana]\nsecret = " SECRET40 "\nredirect_uris = https://g.example.com/cb\n"

static int
parse(const char *text, char *const *env, config_t **c, buf_t *msg, const char *file)
{
	buf_init(msg, 64 * 1024);
	return config_parse(text, strlen(text), file ? file : "t.ini", env, c, msg);
}

static void
test_without_store(void)
{
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(VALID, NULL, &c, &msg, NULL), PO_OK);
	T_CHECK(c && c->store_url == NULL && c->store_host == NULL && c->store_socket == NULL &&
	    c->store_password == NULL && c->store_prefix == NULL);
	config_free(c);
	buf_free(&msg);
}

static void
test_valid(void)
{
	static const struct {
		const char *text, *host, *socket;
		unsigned port, db;
	} v[] = {
		{ "url = redis://127.0.0.1\n", "127.0.0.1", NULL, 6379, 0 },
		{ "url = redis://127.0.0.1:6380/2\n", "127.0.0.1", NULL, 6380, 2 },
		{ "url = redis://localhost/\n", "localhost", NULL, 6379, 0 },
		{ "url = redis://[::1]:7000/15\n", "::1", NULL, 7000, 15 },
		{ "url = redis://[::1]\n", "::1", NULL, 6379, 0 },
		{ "url = unix:/run/redis/redis.sock\n", NULL, "/run/redis/redis.sock", 0, 0 },
		{ "url = unix:/run/redis/redis.sock?db=3\n", NULL, "/run/redis/redis.sock", 0, 3 },
		/* relative to the config file's directory, like every path */
		{ "url = unix:redis.sock\n", NULL, "/etc/po/redis.sock", 0, 0 },
		{ "url = redis://127.0.0.1\ntls = no\nprefix = home:\n", "127.0.0.1", NULL, 6379, 0 },
	};
	config_t *c;
	buf_t msg, text;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c = NULL;
		buf_init(&text, 4096);
		T_EQ_INT(buf_appendf(&text, VALID "[store]\n%s", v[i].text), PO_OK);
		rc = parse(buf_str(&text), NULL, &c, &msg, "/etc/po/t.ini");
		if (rc != PO_OK || c == NULL) {
			fprintf(stderr, "  case %zu: rc %d: %s", i, rc, buf_str(&msg));
			T_CHECK(!"valid");
		} else {
			T_CHECK(c->store_url != NULL);
			T_CHECK(v[i].host ? c->store_host && strcmp(c->store_host, v[i].host) == 0 : c->store_host == NULL);
			T_CHECK(v[i].socket ? c->store_socket && strcmp(c->store_socket, v[i].socket) == 0
			                    : c->store_socket == NULL);
			T_EQ_INT(c->store_port, v[i].port);
			T_EQ_INT(c->store_db, v[i].db);
			T_EQ_INT(c->n_warnings, 0); /* loopback or a socket: no password needed */
		}
		config_free(c);
		buf_free(&msg);
		buf_free(&text);
	}
}

static void
test_errors(void)
{
	static const struct {
		const char *name, *store, *want;
	} v[] = {
		{ "section without url", "prefix = x:\n", "t.ini:11: [store] url: missing; [store] needs url = " },
		{ "empty section", "", "t.ini:11: [store] url: missing" },
		{ "empty url", "url =\n", "t.ini:12: [store] url: has an empty value" },
		{ "unknown key", "url = redis://127.0.0.1\npassword = x\n",
		    "t.ini:13: [store] password: unknown key; the keys of [store] are: url, password_file, username, "
		    "prefix, tls" },
		{ "other scheme", "url = http://127.0.0.1:6379\n",
		    "t.ini:12: [store] url: must be redis://HOST[:PORT][/DB] or unix:/PATH/TO/SOCKET[?db=N]" },
		{ "rediss", "url = rediss://redis.example.com\n", "t.ini:12: [store] url: TLS is not available" },
		{ "tls = yes", "url = redis://127.0.0.1\ntls = yes\n",
		    "t.ini:13: [store] tls: TLS is not available: Debian 12's hiredis (0.14) has no TLS support" },
		{ "tls = maybe", "url = redis://127.0.0.1\ntls = maybe\n", "t.ini:13: [store] tls: must be yes or no" },
		{ "password in the url", "url = redis://:secret@127.0.0.1\n",
		    "t.ini:12: [store] url: must not hold a user name or password: put the password in password_file" },
		{ "no host", "url = redis://:6379\n", "t.ini:12: [store] url: needs a host" },
		{ "bad host", "url = redis://red_is\n", "t.ini:12: [store] url: has an invalid host" },
		{ "port 0", "url = redis://127.0.0.1:0\n", "t.ini:12: [store] url: has an invalid port (use 1-65535)" },
		{ "port too big", "url = redis://127.0.0.1:65536\n", "t.ini:12: [store] url: has an invalid port" },
		{ "db not a number", "url = redis://127.0.0.1/zero\n", "t.ini:12: [store] url: has an invalid database" },
		{ "a query", "url = redis://127.0.0.1/0?timeout=1\n", "t.ini:12: [store] url: must not have a query" },
		{ "bad IPv6", "url = redis://[::g]:1\n", "t.ini:12: [store] url: has an invalid IPv6 address" },
		{ "unterminated IPv6", "url = redis://[::1\n", "t.ini:12: [store] url: has an unterminated IPv6" },
		{ "empty socket path", "url = unix:\n", "t.ini:12: [store] url: unix: needs the socket's path" },
		{ "socket option", "url = unix:/run/r.sock?database=1\n",
		    "t.ini:12: [store] url: accepts one option after the socket's path: ?db=N" },
		{ "long socket path",
		    "url = unix:/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		    "sock\n",
		    "t.ini:12: [store] url: has a socket path longer than 107 bytes" },
		{ "prefix with a space", "url = redis://127.0.0.1\nprefix = my prefix\n",
		    "t.ini:13: [store] prefix: must be 1 to 64 printable characters without spaces" },
		{ "username without password", "url = redis://127.0.0.1\nusername = po\n",
		    "t.ini:13: [store] username: is set without password_file" },
		{ "missing password file", "url = redis://127.0.0.1\npassword_file = /nonexistent/redis.pw\n",
		    "t.ini:13: [store] password_file: cannot read /nonexistent/redis.pw: No such file or directory" },
	};
	config_t *c;
	buf_t msg, text;
	size_t i;
	int rc;
	bool ok;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c = NULL;
		buf_init(&text, 4096);
		T_EQ_INT(buf_appendf(&text, VALID "[store]\n%s", v[i].store), PO_OK);
		rc = parse(buf_str(&text), NULL, &c, &msg, NULL);
		ok = rc == PO_ERR_INVALID && c == NULL && strncmp(buf_str(&msg), v[i].want, strlen(v[i].want)) == 0;
		if (!ok)
			fprintf(stderr, "  case \"%s\": rc %d, messages:\n%s", v[i].name, rc, buf_str(&msg));
		T_CHECK(ok);
		config_free(c);
		buf_free(&msg);
		buf_free(&text);
	}
}

/* A few problems at once are all reported. */
static void
test_all_problems(void)
{
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(VALID "[store]\nurl = redis://u:p@h\ntls = yes\nprefix = a b\n", NULL, &c, &msg, NULL),
	    PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "t.ini:12: [store] url:") != NULL);
	T_CHECK(strstr(buf_str(&msg), "t.ini:13: [store] tls:") != NULL);
	T_CHECK(strstr(buf_str(&msg), "t.ini:14: [store] prefix:") != NULL);
	buf_free(&msg);
}

static void
test_password_file(void)
{
	char dir[] = "/tmp/test_config_store.XXXXXX", path[128], text[512];
	static const struct {
		const char *content, *want_pw, *want_err;
	} v[] = {
		{ "s3cret-pass\n", "s3cret-pass", NULL },
		{ "s3cret-pass\r\n", "s3cret-pass", NULL },
		{ "s3cret-pass", "s3cret-pass", NULL },
		{ "\n", NULL, "the password in " },
		{ "two\nlines\n", NULL, "has a control character or more than one line" },
	};
	config_t *c;
	buf_t msg;
	FILE *f;
	size_t i;

	if (mkdtemp(dir) == NULL) {
		T_CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/redis.pw", dir);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c = NULL;
		if ((f = fopen(path, "w")) == NULL)
			break;
		fputs(v[i].content, f);
		fclose(f);
		/* relative to the config file */
		snprintf(text, sizeof(text), VALID "[store]\nurl = redis://10.1.2.3\nusername = po\npassword_file = redis.pw\n");
		{
			char file[128];
			snprintf(file, sizeof(file), "%s/t.ini", dir);
			(void)parse(text, NULL, &c, &msg, file);
		}
		if (v[i].want_pw) {
			T_CHECK(c && c->store_password && strcmp(c->store_password, v[i].want_pw) == 0);
			T_CHECK(c && c->store_username && strcmp(c->store_username, "po") == 0);
			T_CHECK(c && c->n_warnings == 0); /* a password: no warning */
			T_CHECK(strstr(buf_str(&msg), v[i].want_pw) == NULL);
		} else {
			T_CHECK(c == NULL && strstr(buf_str(&msg), v[i].want_err) != NULL);
		}
		config_free(c);
		buf_free(&msg);
	}
	/* too large */
	if ((f = fopen(path, "w")) != NULL) {
		for (i = 0; i < LIM_STORE_PASSWORD_MAX + 8; i++)
			fputc('a', f);
		fclose(f);
		c = NULL;
		snprintf(text, sizeof(text), VALID "[store]\nurl = redis://10.1.2.3\npassword_file = %s\n", path);
		T_EQ_INT(parse(text, NULL, &c, &msg, NULL), PO_ERR_INVALID);
		T_CHECK(strstr(buf_str(&msg), "is larger than 1024 bytes") != NULL);
		buf_free(&msg);
	}
	unlink(path);
	rmdir(dir);
}

/* A remote Redis without a password loads, with a warning. */
static void
test_warning(void)
{
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(VALID "[store]\nurl = redis://redis.internal:6379/0\n", NULL, &c, &msg, NULL), PO_OK);
	T_CHECK(c && c->n_warnings == 1 &&
	    strstr(c->warnings[0], "t.ini:12: warning: [store] url: Redis at redis.internal is used without a "
	                           "password") == c->warnings[0]);
	config_free(c);
	buf_free(&msg);
}

static void
test_env(void)
{
	char *env[] = { "PLEX_OIDC_STORE_URL=unix:/run/redis.sock", "PLEX_OIDC_STORE_PREFIX=k8s:", NULL };
	char *bad[] = { "PLEX_OIDC_STORE_URI=redis://x", NULL };
	config_t *c = NULL;
	buf_t msg;

	/* without a [store] section in the file */
	T_EQ_INT(parse(VALID, env, &c, &msg, NULL), PO_OK);
	T_CHECK(c && c->store_socket && strcmp(c->store_socket, "/run/redis.sock") == 0);
	T_CHECK(c && c->store_prefix && strcmp(c->store_prefix, "k8s:") == 0);
	config_free(c);
	buf_free(&msg);
	c = NULL;
	T_EQ_INT(parse(VALID, bad, &c, &msg, NULL), PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "environment PLEX_OIDC_STORE_URI: matches no [store] key; the keys are: url, "
	                              "password_file, username, prefix, tls") != NULL);
	buf_free(&msg);
	/* only a prefix from the environment: the url is missing */
	c = NULL;
	char *half[] = { "PLEX_OIDC_STORE_PREFIX=k8s:", NULL };
	T_EQ_INT(parse(VALID, half, &c, &msg, NULL), PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "[store] url: missing") != NULL);
	buf_free(&msg);
}

int
main(void)
{
	T_RUN(test_without_store);
	T_RUN(test_valid);
	T_RUN(test_errors);
	T_RUN(test_all_problems);
	T_RUN(test_password_file);
	T_RUN(test_warning);
	T_RUN(test_env);
	return T_DONE();
}
