/*
 * fuzz_gateurl.c - libFuzzer target for forward auth's return-URL and host
 * parsers, gate_url_check() and gate_host_parse() (src/gate/gate_url.h):
 * the address a sign-in sends the browser back to, an open redirect if
 * they accept the wrong thing.
 *
 * Input: the URL (and, as is, a X-Forwarded-Host value), checked against
 * two configurations: an https issuer and an http (loopback) one, with an
 * exact app host and a wildcard one.
 *
 * Properties: an accepted URL starts with "https://" (or "http://" with the
 * http issuer only), is at most LIM_GATE_URL_MAX bytes of printable ASCII
 * without '\\', '#', '"', '<' or '>', has no '@' or '%' before its path
 * and no "//" right after its host, names a configured app (u.app in range) and its parsed host is
 * lower-case and that app's; a parsed host is 1 to LIM_GATE_HOST_MAX
 * bytes of [a-z0-9.-] with no empty label and no trailing dot.
 */
#include "fuzz.h"

#include "config/config.h"
#include "core/buf.h"
#include "core/err.h"
#include "gate/gate_url.h"
#include "po_limits.h"

#define APPS                                                   \
	"[plex]\nserver_id = 0123456789abcdef\nowner_id = 1\n" \
	"[app.sonarr]\nhosts = sonarr.example.com\n[app.arr]\nhosts = *.arr.example.com\nallow = plex-friend\n"

static config_t *
load(const char *text)
{
	config_t *c = NULL;
	buf_t msg;

	buf_init(&msg, 4096);
	FUZZ_CHECK(config_parse(text, strlen(text), "fuzz.ini", NULL, &c, &msg) == PO_OK);
	buf_free(&msg);
	return c;
}

static void
check_host(const gate_host_t *h)
{
	size_t i;

	FUZZ_CHECK(h->len >= 1 && h->len <= LIM_GATE_HOST_MAX && strlen(h->name) == h->len);
	FUZZ_CHECK(h->name[0] != '.' && h->name[h->len - 1] != '.' && strstr(h->name, "..") == NULL);
	for (i = 0; i < h->len; i++)
		FUZZ_CHECK((h->name[i] >= 'a' && h->name[i] <= 'z') || (h->name[i] >= '0' && h->name[i] <= '9') ||
		    h->name[i] == '-' || h->name[i] == '.');
}

static void
check_url(const config_t *c, const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *rest;
	gate_url_t u;
	size_t i, start;

	if (gate_url_check(c, s, size, &u) != NULL) {
		FUZZ_CHECK(u.app == -1);
		return;
	}
	FUZZ_CHECK(size <= LIM_GATE_URL_MAX);
	FUZZ_CHECK(u.app >= 0 && (size_t)u.app < c->n_apps);
	FUZZ_CHECK(gate_app_find(c, &u.host) == u.app);
	check_host(&u.host);
	if (c->issuer_https)
		FUZZ_CHECK(u.https && size >= 8 && memcmp(s, "https://", 8) == 0);
	start = u.https ? 8 : 7;
	FUZZ_CHECK(size >= start && memcmp(s, u.https ? "https://" : "http://", start) == 0);
	for (i = 0; i < size; i++)
		FUZZ_CHECK(data[i] > 0x20 && data[i] < 0x7f && data[i] != '\\' && data[i] != '#' && data[i] != '"' &&
		    data[i] != '<' && data[i] != '>');
	for (i = start; i < size && s[i] != '/' && s[i] != '?'; i++)
		FUZZ_CHECK(s[i] != '@' && s[i] != '%');
	rest = s + i;
	FUZZ_CHECK(size - i < 2 || rest[0] != '/' || rest[1] != '/');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static config_t *https, *http;
	gate_host_t h;

	if (https == NULL) {
		https = load("[server]\nlisten = 127.0.0.1:8080\nissuer = https://auth.example.com\ndata_dir = /d\n" APPS);
		http = load("[server]\nlisten = 127.0.0.1:8080\nissuer = http://localhost:8080\ndata_dir = /d\n"
		            "cookie_domain = localhost\n[plex]\nserver_id = 0123456789abcdef\nowner_id = 1\n"
		            "[app.a]\nhosts = app.localhost *.x.localhost\n");
	}
	check_url(https, data, size);
	check_url(http, data, size);
	if (gate_host_parse((const char *)data, size, &h) == PO_OK)
		check_host(&h);
	return 0;
}
