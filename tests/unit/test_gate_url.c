/*
 * test_gate_url.c - forward auth's hosts and return URLs
 * (src/gate/gate_url.c): a table of return URLs, each accepted for its app
 * or refused with the phrase that says why (the open redirects first), the
 * X-Forwarded-Host forms, wildcard hosts matching one label, and http only
 * with an http issuer. Every input is also checked from a copy with no NUL
 * after it, so the parser is seen to keep within (buf, len).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/err.h"
#include "gate/gate_url.h"
#include "po_limits.h"
#include "t.h"

#define CONF(issuer)                                                                      \
	"[server]\nlisten = 127.0.0.1:8080\nissuer = " issuer "\ndata_dir = /var/lib/p\n" \
	"cookie_domain = example.com\n"                                                   \
	"[plex]\nserver_id = 0123456789abcdef\nowner_id = 1\n"                            \
	"[app.sonarr]\nhosts = sonarr.example.com\n"                                      \
	"[app.arr]\nhosts = *.arr.example.com radarr.example.com\nallow = plex-friend\n"

static config_t *
load(const char *text)
{
	config_t *c = NULL;
	buf_t msg;

	buf_init(&msg, 16 * 1024);
	if (config_parse(text, strlen(text), "t.ini", NULL, &c, &msg) != PO_OK)
		fprintf(stderr, "%s", buf_str(&msg));
	buf_free(&msg);
	return c;
}

/* gate_url_check on an exact copy of s (len bytes, no NUL after it). */
static const char *
check(const config_t *c, const char *s, size_t len, gate_url_t *u)
{
	char *copy = malloc(len ? len : 1);
	const char *why;

	memcpy(copy, s, len);
	why = gate_url_check(c, copy, len, u);
	free(copy);
	return why;
}

static void
test_return_urls(void)
{
	static const struct {
		const char *url;
		int app;         /* -1: refused */
		const char *why; /* a prefix of the phrase, when refused */
	} v[] = {
		/* accepted: an app's host, any port, path and query kept */
		{ "https://sonarr.example.com", 0, NULL },
		{ "https://sonarr.example.com/", 0, NULL },
		{ "https://SONARR.Example.COM/calendar?view=week&x=%20y", 0, NULL },
		{ "https://sonarr.example.com:8443/a/b?c=d", 0, NULL },
		{ "https://sonarr.example.com?q=1", 0, NULL },
		{ "https://sonarr.example.com./x", 0, NULL },
		{ "https://a.arr.example.com/", 1, NULL },
		{ "https://radarr.example.com/movies?sort={a|b}", 1, NULL },
		{ "https://sonarr.example.com/%2e%2e/x", 0, NULL },
		/* other hosts and look-alikes */
		{ "https://evil.example/", -1, "is not the address of an app" },
		{ "https://sonarr.example.com.evil/", -1, "is not the address of an app" },
		{ "https://sonarr.example.com.evil.example/", -1, "is not the address of an app" },
		{ "https://xsonarr.example.com/", -1, "is not the address of an app" },
		{ "https://example.com/", -1, "is not the address of an app" },
		{ "https://arr.example.com/", -1, "is not the address of an app" },
		{ "https://a.b.arr.example.com/", -1, "is not the address of an app" },
		{ "https://auth.example.com/", -1, "is not the address of an app" },
		/* no scheme, another scheme, protocol-relative */
		{ "//evil.example/", -1, "does not start with https://" },
		{ "/\\evil.example/", -1, "does not start with https://" },
		{ "\\\\evil.example/", -1, "does not start with https://" },
		{ "/relative/path", -1, "does not start with https://" },
		{ "https:/\\evil.example/", -1, "does not start with https://" },
		{ "https:evil.example", -1, "does not start with https://" },
		{ "HTTPS://sonarr.example.com/", -1, "does not start with https://" },
		{ "javascript:alert(1)//sonarr.example.com/", -1, "does not start with https://" },
		{ "ftp://sonarr.example.com/", -1, "does not start with https://" },
		{ " https://sonarr.example.com/", -1, "does not start with https://" },
		{ "http://sonarr.example.com/", -1, "is not https" },
		{ "", -1, "does not start with https://" },
		/* userinfo, backslashes, encoded characters in the authority */
		{ "https://sonarr.example.com@evil.example/", -1, "has no valid host name" },
		{ "https://user:pw@sonarr.example.com/", -1, "has no valid host name" },
		{ "https://evil.example\\@sonarr.example.com/", -1, "has no valid host name" },
		{ "https://evil.example\\.sonarr.example.com/", -1, "has no valid host name" },
		{ "https://sonarr.example.com\\evil.example", -1, "has no valid host name" },
		{ "https://sonarr.example.com%2Fevil.example/", -1, "has no valid host name" },
		{ "https://sonarr.example.com%2eevil.example/", -1, "has no valid host name" },
		{ "https://%73onarr.example.com/", -1, "has no valid host name" },
		{ "https://evil.example%23.sonarr.example.com/", -1, "has no valid host name" },
		{ "https://[::1]/", -1, "has no valid host name" },
		{ "https://sonarr.example.com:0/", -1, "has no valid host name" },
		{ "https://sonarr.example.com:65536/", -1, "has no valid host name" },
		{ "https://sonarr.example.com:/", -1, "has no valid host name" },
		{ "https://sonarr.example.com:443:1/", -1, "has no valid host name" },
		{ "https://sonarr..example.com/", -1, "has no valid host name" },
		{ "https:///sonarr.example.com/", -1, "has no valid host name" },
		{ "https://", -1, "has no valid host name" },
		{ "https://sonarr.example.com\t/", -1, "has no valid host name" },
		/* the path and query */
		{ "https://sonarr.example.com//evil.example/", -1, "has a path that starts with two slashes" },
		{ "https://sonarr.example.com/\\evil.example/", -1, "has a path that starts with two slashes" },
		{ "https://sonarr.example.com/%2F%2Fevil.example", -1, "has a path that starts with an encoded slash" },
		{ "https://sonarr.example.com/%5cevil.example", -1, "has a path that starts with an encoded slash" },
		{ "https://sonarr.example.com/a\\b", -1, "has a backslash" },
		{ "https://sonarr.example.com/a%0d%0aSet-Cookie:x=y", -1, "has an encoded control character" },
		{ "https://sonarr.example.com/a%00", -1, "has an encoded control character" },
		{ "https://sonarr.example.com/a%7f", -1, "has an encoded control character" },
		{ "https://sonarr.example.com/a%zz", -1, "has a malformed percent-escape" },
		{ "https://sonarr.example.com/a%2", -1, "has a malformed percent-escape" },
		{ "https://sonarr.example.com/a b", -1, "has a space" },
		{ "https://sonarr.example.com/a\r\nLocation: x", -1, "has a space" },
		{ "https://sonarr.example.com/caf\xc3\xa9", -1, "has a space" },
		{ "https://sonarr.example.com/#frag", -1, "has a fragment" },
		{ "https://sonarr.example.com/<script>", -1, "has a character that must be percent-encoded" },
	};
	config_t *c = load(CONF("https://auth.example.com"));
	gate_url_t u;
	const char *why;
	size_t i;
	int ok;

	T_CHECK(c != NULL);
	if (c == NULL)
		return;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		why = check(c, v[i].url, strlen(v[i].url), &u);
		if (v[i].app >= 0)
			ok = why == NULL && u.app == v[i].app && u.https;
		else
			ok = why != NULL && strncmp(why, v[i].why, strlen(v[i].why)) == 0 && u.app == -1;
		if (!ok)
			fprintf(stderr, "  case \"%s\": %s (app %d)\n", v[i].url, why ? why : "accepted", u.app);
		T_CHECK(ok);
	}
	/* the host as the browser will see it: lower-case, no trailing dot */
	T_CHECK(check(c, "https://Sonarr.Example.com.:8443/", 33, &u) == NULL);
	T_EQ_STR(u.host.name, "sonarr.example.com");
	T_EQ_INT(u.host.port, 8443);
	/* an embedded NUL is a control character, not the end */
	T_CHECK(check(c, "https://sonarr.example.com/a\0b", 30, &u) != NULL);
	config_free(c);
}

/* The longest URL accepted, and one byte more. */
static void
test_length(void)
{
	static const char head[] = "https://sonarr.example.com/";
	config_t *c = load(CONF("https://auth.example.com"));
	char *s = malloc(LIM_GATE_URL_MAX + 1);
	gate_url_t u;

	T_CHECK(c != NULL && s != NULL);
	if (c == NULL || s == NULL) {
		config_free(c);
		free(s);
		return;
	}
	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, 'a', LIM_GATE_URL_MAX + 1 - (sizeof(head) - 1));
	T_CHECK(check(c, s, LIM_GATE_URL_MAX, &u) == NULL);
	T_EQ_STR(check(c, s, LIM_GATE_URL_MAX + 1, &u), "is too long");
	free(s);
	config_free(c);
}

/* http is allowed only with an http (loopback, testing) issuer. */
static void
test_http_issuer(void)
{
	config_t *c = load("[server]\nlisten = 127.0.0.1:8080\nissuer = http://localhost:8080\ndata_dir = /var/lib/p\n"
	                   "cookie_domain = localhost\n"
	                   "[plex]\nserver_id = 0123456789abcdef\nowner_id = 1\n[app.bench]\nhosts = app.localhost\n");
	gate_url_t u;

	T_CHECK(c != NULL);
	if (c == NULL)
		return;
	T_CHECK(check(c, "http://app.localhost:9000/x", 27, &u) == NULL && !u.https && u.app == 0);
	T_CHECK(check(c, "https://app.localhost/", 22, &u) == NULL && u.https);
	T_EQ_STR(check(c, "ftp://app.localhost/", 20, &u), "does not start with https:// or http://");
	T_EQ_STR(check(c, "http://localhost/", 17, &u), "is not the address of an app guarded here");
	config_free(c);
}

static void
test_hosts(void)
{
	static const struct {
		const char *in;
		const char *name; /* NULL: refused */
		unsigned port;
	} v[] = {
		{ "sonarr.example.com", "sonarr.example.com", 0 },
		{ "Sonarr.EXAMPLE.com:8443", "sonarr.example.com", 8443 },
		{ "sonarr.example.com.", "sonarr.example.com", 0 },
		{ "sonarr.example.com.:443", "sonarr.example.com", 443 },
		{ "localhost", "localhost", 0 },
		{ "", NULL, 0 },
		{ ":443", NULL, 0 },
		{ ".", NULL, 0 },
		{ ".example.com", NULL, 0 },
		{ "a..b", NULL, 0 },
		{ "sonarr.example.com..", NULL, 0 },
		{ "sonarr.example.com..:443", NULL, 0 },
		{ "sonarr.example.com:", NULL, 0 },
		{ "sonarr.example.com:99999", NULL, 0 },
		{ "sonarr.example.com:123456", NULL, 0 },
		{ "sonarr.example.com:-1", NULL, 0 },
		{ "[::1]:443", NULL, 0 },
		{ "::1", NULL, 0 },
		{ "user@sonarr.example.com", NULL, 0 },
		{ "sonarr.example.com, evil.example", NULL, 0 },
		{ "sonarr.example.com evil.example", NULL, 0 },
		{ "sonarr%2eexample.com", NULL, 0 },
		{ "sonarr_example.com", NULL, 0 },
		{ "*.example.com", NULL, 0 },
		{ "a234567890123456789012345678901234567890123456789012345678901234.com", NULL, 0 }, /* 64 */
	};
	gate_host_t h;
	size_t i;
	int rc, ok;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rc = gate_host_parse(v[i].in, strlen(v[i].in), &h);
		ok = v[i].name ? rc == PO_OK && strcmp(h.name, v[i].name) == 0 && h.port == v[i].port : rc == PO_ERR_INVALID;
		if (!ok)
			fprintf(stderr, "  host \"%s\": rc %d, name \"%s\" port %u\n", v[i].in, rc, h.name, h.port);
		T_CHECK(ok);
	}
	/* 63 characters is a label; (buf, len) bounds: no NUL needed */
	T_EQ_INT(gate_host_parse("a23456789012345678901234567890123456789012345678901234567890123.com", 67, &h), PO_OK);
	T_EQ_INT(gate_host_parse("sonarr.example.comXXXX", 18, &h), PO_OK);
	T_EQ_STR(h.name, "sonarr.example.com");
}

static void
test_app_find(void)
{
	config_t *c = load(CONF("https://auth.example.com"));
	gate_host_t h;

	T_CHECK(c != NULL);
	if (c == NULL)
		return;
	T_EQ_INT(gate_host_parse("SONARR.example.com:444", 22, &h), PO_OK);
	T_EQ_INT(gate_app_find(c, &h), 0);
	T_EQ_INT(gate_host_parse("x.arr.example.com", 17, &h), PO_OK);
	T_EQ_INT(gate_app_find(c, &h), 1);
	T_EQ_INT(gate_host_parse("radarr.example.com", 18, &h), PO_OK);
	T_EQ_INT(gate_app_find(c, &h), 1);
	T_EQ_INT(gate_host_parse("arr.example.com", 15, &h), PO_OK);
	T_EQ_INT(gate_app_find(c, &h), -1);
	T_EQ_INT(gate_host_parse("x.y.arr.example.com", 19, &h), PO_OK);
	T_EQ_INT(gate_app_find(c, &h), -1);
	T_EQ_INT(gate_host_parse("sonarr.example.co", 17, &h), PO_OK);
	T_EQ_INT(gate_app_find(c, &h), -1);
	config_free(c);
}

/* An exact host wins over a wildcard that comes first in the file: the
 * wildcard's allow list must not decide for the exact app. */
static void
test_exact_before_wildcard(void)
{
	config_t *c = load("[server]\nlisten = 127.0.0.1:8080\nissuer = https://auth.example.com\n"
	                   "data_dir = /var/lib/p\ncookie_domain = example.com\n"
	                   "[plex]\nserver_id = 0123456789abcdef\nowner_id = 1\n"
	                   "[app.dash]\nhosts = *.example.com\nallow = plex-friend\n"
	                   "[app.sonarr]\nhosts = sonarr.example.com\n");
	gate_host_t h;
	gate_url_t u;

	T_CHECK(c != NULL);
	if (c == NULL)
		return;
	T_EQ_INT(gate_host_parse("sonarr.example.com", 18, &h), PO_OK);
	T_EQ_INT(gate_app_find(c, &h), 1);
	T_EQ_INT(gate_host_parse("grafana.example.com", 19, &h), PO_OK);
	T_EQ_INT(gate_app_find(c, &h), 0);
	T_CHECK(gate_url_check(c, "https://sonarr.example.com/x", 28, &u) == NULL);
	T_EQ_INT(u.app, 1);
	config_free(c);
}

int
main(void)
{
	T_RUN(test_return_urls);
	T_RUN(test_length);
	T_RUN(test_http_issuer);
	T_RUN(test_hosts);
	T_RUN(test_app_find);
	T_RUN(test_exact_before_wildcard);
	return T_DONE();
}
