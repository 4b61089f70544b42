/*
 * test_config.c - the configuration module (src/config/config.c and its
 * helpers): a valid file and its defaults, one table row per kind of
 * mistake with the "file:LINE: [section] key:" its message must start with,
 * environment overrides, secret files (in a temporary directory), CRLF and
 * BOM, limits, and the example file shipped in etc/.
 *
 * Run from the top of the source tree (make does): it reads
 * etc/plex-oidc.example.ini.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_value.h"
#include "core/buf.h"
#include "core/err.h"
#include "po_limits.h"
#include "t.h"

#define EXAMPLE_INI "etc/plex-oidc.example.ini"

/* 40 URL-safe characters */
#define SECRET40 "abcdefghij-KLMNOPQRST_0123456789.uvwxy~z"
#define SECRET40B "ZYXWVUTSRQponmlkjihg-0123456789_abcdefgh"

/* Building blocks with known line counts, so each row can say its line. */
#define LISTEN "listen = 127.0.0.1:8080\n"
#define ISSUER "issuer = https://auth.example.com\n"
#define DATADIR "data_dir = /var/lib/plex-oidc\n"
/* lines 1-4 */
#define SERVER "[server]\n" LISTEN ISSUER DATADIR
/* 2 lines */
#define PLEX "[plex]\nserver_id = 0123456789abcdef\n"
/* 3 lines */
#define CLIENT "[client.grafana]\nsecret = " SECRET40 "\nredirect_uris = https://g.example.com/cb\n"
/* 9 lines */
#define VALID SERVER PLEX CLIENT

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Parses text as "t.ini"; returns rc, leaves the messages in msg. */
static int
parse(const char *text, char *const *env, config_t **c, buf_t *msg)
{
	buf_init(msg, 64 * 1024);
	return config_parse(text, strlen(text), "t.ini", env, c, msg);
}

static void
test_valid_defaults(void)
{
	const config_client_t *cl;
	config_t *c = NULL;
	buf_t msg;
	int rc;

	rc = parse(VALID, NULL, &c, &msg);
	T_EQ_INT(rc, PO_OK);
	T_EQ_STR(buf_str(&msg), "");
	T_CHECK(c != NULL);
	if (c == NULL)
		goto out;
	T_EQ_STR(c->listen_host, "127.0.0.1");
	T_EQ_INT(c->listen_port, 8080);
	T_EQ_STR(c->issuer, "https://auth.example.com");
	T_EQ_STR(c->issuer_path, "");
	T_CHECK(c->issuer_https);
	T_EQ_STR(c->data_dir, "/var/lib/plex-oidc");
	T_EQ_STR(c->log_level, "info");
	T_EQ_INT(c->n_trusted_proxies, 0);
	T_EQ_INT(c->n_plex_server_ids, 1);
	T_EQ_STR(c->plex_server_ids[0], "0123456789abcdef");
	T_EQ_STR(c->plex_product, "Plex Login");
	T_EQ_STR(c->plex_api_url, "https://plex.tv");
	T_EQ_STR(c->plex_auth_url, "https://app.plex.tv/auth");
	T_CHECK(c->ui_title == NULL && c->ui_message == NULL && c->ui_logo == NULL);
	T_CHECK(c->ui_background == NULL && c->ui_accent_color == NULL);
	T_CHECK(c->ui_custom_css == NULL && c->ui_assets_dir == NULL);
	T_EQ_INT(c->n_clients, 1);
	cl = config_client_find(c, "grafana");
	T_CHECK(cl != NULL);
	if (cl != NULL) {
		T_EQ_STR(cl->id, "grafana");
		T_EQ_STR(cl->secret, SECRET40);
		T_EQ_INT(cl->n_redirect_uris, 1);
		T_EQ_STR(cl->redirect_uris[0], "https://g.example.com/cb");
		T_CHECK(cl->name == NULL);
		T_CHECK(config_client_redirect_ok(cl, "https://g.example.com/cb"));
		/* exact match only: no prefix, no normalisation */
		T_CHECK(!config_client_redirect_ok(cl, "https://g.example.com/cb/x"));
		T_CHECK(!config_client_redirect_ok(cl, "https://g.example.com/cb?x=1"));
		T_CHECK(!config_client_redirect_ok(cl, "https://G.example.com/cb"));
		T_CHECK(!config_client_redirect_ok(cl, "https://g.example.com/c"));
		T_CHECK(!config_client_redirect_ok(cl, NULL));
	}
	T_CHECK(config_client_find(c, "Grafana") == NULL);
	T_CHECK(config_client_find(c, "grafan") == NULL);
	T_CHECK(config_client_find(c, NULL) == NULL);
	T_CHECK(config_client_find(NULL, "grafana") == NULL);
out:
	config_free(c);
	config_free(NULL);
	buf_free(&msg);
}

/* Every key set, relative paths resolved from the file's directory. */
static void
test_valid_full(void)
{
	static const char text[] =
	    "[server]\n"
	    "listen = [::]:8443   ; all interfaces\n"
	    "issuer = https://example.com:8443/auth\n"
	    "data_dir = state\n"
	    "log_level = debug\n"
	    "trusted_proxies = 127.0.0.1  ::1\t10.0.0.0/8 fd00::/8\n"
	    "[plex]\n"
	    "server_id = abc-DEF-123\n"
	    "product = My Login # for the Plex consent screen\n"
	    "api_url = http://127.0.0.1:9999\n"
	    "auth_url = http://127.0.0.1:9999/auth\n"
	    "[ui]\n"
	    "title = Example Media\n"
	    "message = Hello; sign in#1 = ok\n"
	    "logo = img/logo.png\n"
	    "background = /srv/bg.jpg\n"
	    "accent_color = #E5a00d\n"
	    "custom_css = custom.css\n"
	    "assets_dir = ui\n"
	    "[client.grafana]\n"
	    "name = Grafana\n"
	    "secret = " SECRET40 "\n"
	    "redirect_uris = https://g.example.com/login/generic_oauth http://10.0.0.5:3000/cb?x=1\n"
	    "[client.my-app.v2]\n"
	    "secret = " SECRET40B "\n"
	    "redirect_uris = https://app.example.com/cb\n";
	const config_client_t *cl;
	config_t *c = NULL;
	buf_t msg;
	int rc;

	buf_init(&msg, 64 * 1024);
	rc = config_parse(text, strlen(text), "/etc/plex-oidc/plex-oidc.ini", NULL, &c, &msg);
	T_EQ_INT(rc, PO_OK);
	T_EQ_STR(buf_str(&msg), "");
	if (c == NULL)
		goto out;
	T_EQ_STR(c->listen_host, "::");
	T_EQ_INT(c->listen_port, 8443);
	T_EQ_STR(c->issuer, "https://example.com:8443/auth");
	T_EQ_STR(c->issuer_path, "/auth");
	T_CHECK(c->issuer_https);
	T_EQ_STR(c->data_dir, "/etc/plex-oidc/state");
	T_EQ_STR(c->log_level, "debug");
	T_EQ_INT(c->n_trusted_proxies, 4);
	if (c->n_trusted_proxies == 4) {
		T_EQ_STR(c->trusted_proxies[0], "127.0.0.1");
		T_EQ_STR(c->trusted_proxies[1], "::1");
		T_EQ_STR(c->trusted_proxies[2], "10.0.0.0/8");
		T_EQ_STR(c->trusted_proxies[3], "fd00::/8");
	}
	T_EQ_INT(c->n_plex_server_ids, 1);
	T_EQ_STR(c->plex_server_ids[0], "abc-DEF-123");
	T_EQ_STR(c->plex_product, "My Login");
	T_EQ_STR(c->plex_api_url, "http://127.0.0.1:9999");
	T_EQ_STR(c->plex_auth_url, "http://127.0.0.1:9999/auth");
	T_EQ_STR(c->ui_title, "Example Media");
	T_EQ_STR(c->ui_message, "Hello; sign in#1 = ok");
	T_EQ_STR(c->ui_logo, "/etc/plex-oidc/img/logo.png");
	T_EQ_STR(c->ui_background, "/srv/bg.jpg");
	T_EQ_STR(c->ui_accent_color, "#E5a00d");
	T_EQ_STR(c->ui_custom_css, "/etc/plex-oidc/custom.css");
	T_EQ_STR(c->ui_assets_dir, "/etc/plex-oidc/ui");
	T_EQ_INT(c->n_clients, 2);
	cl = config_client_find(c, "grafana");
	if (cl != NULL) {
		T_EQ_STR(cl->name, "Grafana");
		T_EQ_INT(cl->n_redirect_uris, 2);
		T_CHECK(config_client_redirect_ok(cl, "http://10.0.0.5:3000/cb?x=1"));
		T_CHECK(config_client_redirect_ok(cl, "https://g.example.com/login/generic_oauth"));
	}
	cl = config_client_find(c, "my-app.v2");
	T_CHECK(cl != NULL);
	if (cl != NULL)
		T_EQ_STR(cl->secret, SECRET40B);
out:
	config_free(c);
	buf_free(&msg);
}

/* http issuers on loopback hosts, IPv6 listen addresses, paths from a file
 * in the current directory or the root. */
static void
test_valid_variants(void)
{
	static const struct {
		const char *listen, *issuer, *file;
		const char *host;
		int port;
		const char *path;
		int https;
		const char *data_dir;
	} v[] = {
		{ "[::1]:8080", "http://127.0.0.1:8080", "t.ini", "::1", 8080, "", 0, "d" },
		{ "[2001:db8::1]:1", "http://127.1.2.3/x", "./t.ini", "2001:db8::1", 1, "/x", 0, "./d" },
		{ "0.0.0.0:65535", "http://localhost:9000/a/b", "/t.ini", "0.0.0.0", 65535, "/a/b", 0, "/d" },
		{ "127.0.0.1:80", "http://LocalHost", "a/b/t.ini", "127.0.0.1", 80, "", 0, "a/b/d" },
		{ "127.0.0.1:80", "http://[::1]:8080/oidc", "t.ini", "127.0.0.1", 80, "/oidc", 0, "d" },
		{ "127.0.0.1:80", "https://[2001:db8::2]", "t.ini", "127.0.0.1", 80, "", 1, "d" },
		{ "127.0.0.1:80", "https://auth.example.com/%7Euser", "t.ini", "127.0.0.1", 80, "/%7Euser", 1,
		    "d" },
	};
	char text[1024];
	config_t *c;
	buf_t msg;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(text, sizeof(text), "[server]\nlisten = %s\nissuer = %s\ndata_dir = d\n" PLEX CLIENT,
		    v[i].listen, v[i].issuer);
		c = NULL;
		buf_init(&msg, 64 * 1024);
		rc = config_parse(text, strlen(text), v[i].file, NULL, &c, &msg);
		if (rc != PO_OK)
			fprintf(stderr, "  variant %zu: %s", i, buf_str(&msg));
		T_EQ_INT(rc, PO_OK);
		if (c != NULL) {
			T_EQ_STR(c->listen_host, v[i].host);
			T_EQ_INT(c->listen_port, v[i].port);
			T_EQ_STR(c->issuer, v[i].issuer);
			T_EQ_STR(c->issuer_path, v[i].path);
			T_EQ_INT(c->issuer_https, v[i].https);
			T_EQ_STR(c->data_dir, v[i].data_dir);
		}
		config_free(c);
		buf_free(&msg);
	}
}

/* One mistake per row: PO_ERR_INVALID, no config, and a message containing
 * `want` (its "file:LINE: [section] key:" at least), and `lines` messages. */
static void
test_errors(void)
{
	static const struct {
		const char *name, *text, *want;
		int lines;
	} v[] = {
		/* structure */
		{ "unknown key", SERVER "isuer = https://x.example.com\n" PLEX CLIENT,
		    "t.ini:5: [server] isuer: unknown key; the keys of [server] are: listen, issuer, "
		    "data_dir, log_level, trusted_proxies, session_lifetime, access_recheck, access_grace, "
		    "refresh_lifetime, key_rotation",
		    1 },
		{ "unknown client key", VALID "secrets = x\n",
		    "t.ini:10: [client.grafana] secrets: unknown key; the keys of [client.ID] are: secret, "
		    "secret_file, redirect_uris, name, id_token_signed_response_alg, refresh_tokens",
		    1 },
		{ "unknown section, its keys skipped", VALID "[serverx]\nlisten = 1\nfoo = 2\n",
		    "t.ini:10: unknown section [serverx]; the sections are [server], [plex], [ui], [store], "
		    "[client.ID], [group.NAME] and [app.NAME]",
		    1 },
		{ "section names are case-sensitive", VALID "[UI]\n", "t.ini:10: unknown section [UI]", 1 },
		{ "client without id", VALID "[client]\n",
		    "t.ini:10: [client]: a client section needs an id: [client.ID]", 1 },
		{ "bad client id", VALID "[client.bad id]\nsecret = x\n",
		    "t.ini:10: [client.bad id]: invalid client id \"bad id\": use 1 to 64 characters", 1 },
		{ "empty client id", VALID "[client.]\n", "t.ini:10: [client.]: invalid client id \"\"", 1 },
		{ "duplicate client id", VALID "[client.grafana]\nsecret = x\n",
		    "t.ini:10: [client.grafana]: duplicate client id (first defined at line 7)", 1 },
		{ "duplicate section", VALID "[server]\nlog_level = debug\n",
		    "t.ini:10: [server]: section repeated (first at line 1)", 1 },
		{ "duplicate key", "[server]\n" LISTEN LISTEN ISSUER DATADIR PLEX CLIENT,
		    "t.ini:3: [server] listen: duplicate key (first set at line 2)", 1 },
		{ "key outside a section", "log_level = debug\n" VALID,
		    "t.ini:1: log_level: key outside any section; put it under [server], [plex], [ui], [store] or "
		    "[client.ID]",
		    1 },
		{ "malformed line", SERVER "garbage\n" PLEX CLIENT,
		    "t.ini:5: expected \"key = value\", \"[section]\" or a comment", 1 },
		{ "malformed header", SERVER "[plex\n" PLEX CLIENT,
		    "t.ini:5: missing \"]\" at the end of the section header", 1 },
		{ "control character", SERVER "log_level = info\x1b[31m\n" PLEX CLIENT,
		    "t.ini:5: contains a control character", 1 },
		{ "empty value", "[server]\n" LISTEN "issuer =\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: has an empty value", 1 },
		{ "empty optional value", VALID "[ui]\ntitle =   \n",
		    "t.ini:11: [ui] title: has an empty value; remove the line to use the default", 1 },
		/* missing */
		{ "missing listen", "[server]\n" ISSUER DATADIR PLEX CLIENT,
		    "t.ini:1: [server] listen: missing; this key is required, e.g. \"listen = "
		    "127.0.0.1:8080\"",
		    1 },
		{ "missing issuer", "[server]\n" LISTEN DATADIR PLEX CLIENT,
		    "t.ini:1: [server] issuer: missing; this key is required", 1 },
		{ "missing data_dir", "[server]\n" LISTEN ISSUER PLEX CLIENT,
		    "t.ini:1: [server] data_dir: missing; this key is required", 1 },
		{ "missing server section", PLEX CLIENT, "t.ini: [server] listen: missing", 3 },
		{ "missing server_id", SERVER "[plex]\nproduct = x\n" CLIENT,
		    "t.ini:5: [plex] server_id: missing; this key is required", 1 },
		{ "missing plex section", SERVER CLIENT, "t.ini: [plex] server_id: missing", 1 },
		{ "no clients", SERVER PLEX,
		    "t.ini: no [client.ID] or [app.NAME] section: add a [client.ID] for each application", 1 },
		{ "missing secret", SERVER PLEX "[client.grafana]\nredirect_uris = https://g.example.com/cb\n",
		    "t.ini:7: [client.grafana] secret: missing; set secret_file = PATH (a file holding the "
		    "secret), secret = SECRET or secret_hash = HASH (from plex-oidc hash-secret); generate one "
		    "with: openssl rand -base64 48 | tr '+/' '-_' | tr -d '='",
		    1 },
		{ "missing redirect_uris", SERVER PLEX "[client.grafana]\nsecret = " SECRET40 "\n",
		    "t.ini:7: [client.grafana] redirect_uris: missing; this key is required", 1 },
		/* [server] values */
		{ "port too big", "[server]\nlisten = 127.0.0.1:70000\n" ISSUER DATADIR PLEX CLIENT,
		    "t.ini:2: [server] listen: has an invalid port (use 1-65535)", 1 },
		{ "port zero", "[server]\nlisten = 127.0.0.1:0\n" ISSUER DATADIR PLEX CLIENT,
		    "t.ini:2: [server] listen: has an invalid port", 1 },
		{ "port not a number", "[server]\nlisten = 127.0.0.1:http\n" ISSUER DATADIR PLEX CLIENT,
		    "t.ini:2: [server] listen: has an invalid port", 1 },
		{ "port signed", "[server]\nlisten = [::]:+80\n" ISSUER DATADIR PLEX CLIENT,
		    "t.ini:2: [server] listen: has an invalid port", 1 },
		{ "listen without port", "[server]\nlisten = 8080\n" ISSUER DATADIR PLEX CLIENT,
		    "t.ini:2: [server] listen: must be ADDRESS:PORT", 1 },
		{ "listen without address", "[server]\nlisten = :8080\n" ISSUER DATADIR PLEX CLIENT,
		    "t.ini:2: [server] listen: has no address; use 0.0.0.0:PORT", 1 },
		{ "listen IPv6 without brackets", "[server]\nlisten = ::1:8080\n" ISSUER DATADIR PLEX CLIENT,
		    "t.ini:2: [server] listen: looks like an IPv6 address without brackets", 1 },
		{ "listen host name", "[server]\nlisten = localhost:8080\n" ISSUER DATADIR PLEX CLIENT,
		    "t.ini:2: [server] listen: must start with an IP address", 1 },
		{ "listen bad IPv6", "[server]\nlisten = [::g]:8080\n" ISSUER DATADIR PLEX CLIENT,
		    "t.ini:2: [server] listen: has an invalid IPv6 address in brackets", 1 },
		{ "listen IPv6 no port", "[server]\nlisten = [::1]\n" ISSUER DATADIR PLEX CLIENT,
		    "t.ini:2: [server] listen: must end with \":PORT\"", 1 },
		{ "http issuer, public host",
		    "[server]\n" LISTEN "issuer = http://auth.example.com\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: must be https unless the host is a loopback address: "
		    "relying parties and browsers need an https issuer",
		    1 },
		{ "http issuer, private address",
		    "[server]\n" LISTEN "issuer = http://192.168.1.10:8080\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: must be https unless", 1 },
		{ "http issuer, look-alike host",
		    "[server]\n" LISTEN "issuer = http://localhost.example.com\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: must be https unless", 1 },
		{ "issuer trailing slash",
		    "[server]\n" LISTEN "issuer = https://auth.example.com/\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: must not end with \"/\": relying parties compare the issuer "
		    "exactly and append /.well-known/openid-configuration to it; write "
		    "\"https://auth.example.com\"",
		    1 },
		{ "issuer trailing slashes on a path",
		    "[server]\n" LISTEN "issuer = https://example.com/auth//\n" DATADIR PLEX CLIENT,
		    "write \"https://example.com/auth\"", 1 },
		{ "issuer query", "[server]\n" LISTEN "issuer = https://example.com/?a=b\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: must not have a query", 1 },
		{ "issuer fragment", "[server]\n" LISTEN "issuer = https://example.com#x\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: must not have a query (\"?...\") or fragment", 1 },
		{ "issuer userinfo",
		    "[server]\n" LISTEN "issuer = https://user:pw@example.com\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: must not contain a user name or password", 1 },
		{ "issuer not absolute", "[server]\n" LISTEN "issuer = auth.example.com\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: must be an absolute URL starting with https://", 1 },
		{ "issuer upper-case scheme",
		    "[server]\n" LISTEN "issuer = HTTPS://auth.example.com\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: must be an absolute URL", 1 },
		{ "issuer with a space",
		    "[server]\n" LISTEN "issuer = https://a.example.com/a b\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: contains a space", 1 },
		{ "issuer bad port", "[server]\n" LISTEN "issuer = https://a.example.com:0\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: has an invalid port", 1 },
		{ "issuer no host", "[server]\n" LISTEN "issuer = https:///x\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: has no host name", 1 },
		{ "issuer bad host",
		    "[server]\n" LISTEN "issuer = https://a%20b.example.com\n" DATADIR PLEX CLIENT,
		    "t.ini:3: [server] issuer: has an invalid host name", 1 },
		{ "bad log level", SERVER "log_level = verbose\n" PLEX CLIENT,
		    "t.ini:5: [server] log_level: must be one of debug, info, warn, error", 1 },
		{ "bad CIDR prefix", SERVER "trusted_proxies = 10.0.0.0/8 10.0.0.0/33\n" PLEX CLIENT,
		    "t.ini:5: [server] trusted_proxies: \"10.0.0.0/33\" has an invalid prefix length (use /0 "
		    "to /32 for IPv4)",
		    1 },
		{ "bad IPv6 CIDR prefix", SERVER "trusted_proxies = fd00::/129\n" PLEX CLIENT,
		    "t.ini:5: [server] trusted_proxies: \"fd00::/129\" has an invalid prefix length (use /0 "
		    "to /128 for IPv6)",
		    1 },
		{ "bad proxy address", SERVER "trusted_proxies = 10.0.0.300 proxy.local\n" PLEX CLIENT,
		    "t.ini:5: [server] trusted_proxies: \"10.0.0.300\" is not an IP address or CIDR range", 2 },
		{ "empty CIDR prefix", SERVER "trusted_proxies = 10.0.0.0/\n" PLEX CLIENT,
		    "t.ini:5: [server] trusted_proxies: \"10.0.0.0/\" has an invalid prefix length", 1 },
		{ "proxies with commas", SERVER "trusted_proxies = 10.0.0.1, 10.0.0.2\n" PLEX CLIENT,
		    "t.ini:5: [server] trusted_proxies: \"10.0.0.1,\" contains a comma; separate entries "
		    "with spaces",
		    1 },
		/* [plex] values */
		{ "bad server_id", SERVER "[plex]\nserver_id = abc_def\n" CLIENT,
		    "t.ini:6: [plex] server_id: \"abc_def\" is not a server id: use 1 to 128 letters, digits or '-'", 1 },
		{ "duplicate [plex]", VALID "[plex]\n", "t.ini:10: [plex]: section repeated", 1 },
		{ "api_url trailing slash", SERVER PLEX "api_url = https://plex.tv/\n" CLIENT,
		    "t.ini:7: [plex] api_url: must not end with \"/\"", 1 },
		{ "auth_url fragment", SERVER PLEX "auth_url = https://app.plex.tv/auth#\n" CLIENT,
		    "t.ini:7: [plex] auth_url: must not have a query (\"?...\") or fragment", 1 },
		{ "api_url not a URL", SERVER PLEX "api_url = plex.tv\n" CLIENT,
		    "t.ini:7: [plex] api_url: must be an absolute URL", 1 },
		/* [ui] values */
		{ "accent colour, 5 digits", VALID "[ui]\naccent_color = #12345\n",
		    "t.ini:11: [ui] accent_color: must be a hex colour such as #e5a00d or #fa0", 1 },
		{ "accent colour, no #", VALID "[ui]\naccent_color = e5a00d\n",
		    "t.ini:11: [ui] accent_color: must be a hex colour", 1 },
		{ "accent colour, not hex", VALID "[ui]\naccent_color = #ggg\n",
		    "t.ini:11: [ui] accent_color: must be a hex colour", 1 },
		{ "accent colour, name", VALID "[ui]\naccent_color = red\n",
		    "t.ini:11: [ui] accent_color: must be a hex colour", 1 },
		/* [client.ID] values */
		{ "secret with + and /",
		    SERVER PLEX "[client.grafana]\nsecret = abcdefghij+KLMNOPQRST/0123456789=uvwxyz\n"
		                "redirect_uris = https://g.example.com/cb\n",
		    "t.ini:8: [client.grafana] secret: the secret has characters other than A-Z a-z 0-9 - . _ ~ "
		    "(URL-safe): Cloudflare Access sends client secrets without URL-encoding them",
		    1 },
		{ "short secret",
		    SERVER PLEX "[client.grafana]\nsecret = abc123\nredirect_uris = https://g.example.com/cb\n",
		    "t.ini:8: [client.grafana] secret: the secret is 6 characters long; at least 32 are "
		    "required; generate one with: openssl rand -base64 48 | tr '+/' '-_' | tr -d '='",
		    1 },
		{ "31-character secret",
		    SERVER PLEX "[client.grafana]\nsecret = abcdefghijabcdefghijabcdefghija\n"
		                "redirect_uris = https://g.example.com/cb\n",
		    "t.ini:8: [client.grafana] secret: the secret is 31 characters long", 1 },
		{ "secret and secret_file", VALID "secret_file = grafana.secret\n",
		    "t.ini:10: [client.grafana] secret_file: set together with secret; give only one of "
		    "secret, secret_file and secret_hash",
		    1 },
		{ "redirect URI with fragment",
		    SERVER PLEX "[client.grafana]\nsecret = " SECRET40 "\n"
		                "redirect_uris = https://g.example.com/ok https://g.example.com/cb#frag\n",
		    "t.ini:9: [client.grafana] redirect_uris: \"https://g.example.com/cb#frag\" must not "
		    "contain a fragment",
		    1 },
		{ "redirect URI relative",
		    SERVER PLEX "[client.grafana]\nsecret = " SECRET40 "\nredirect_uris = /cb\n",
		    "t.ini:9: [client.grafana] redirect_uris: \"/cb\" must be an absolute URL", 1 },
		{ "redirect URI custom scheme",
		    SERVER PLEX "[client.grafana]\nsecret = " SECRET40 "\nredirect_uris = com.example:/cb\n",
		    "t.ini:9: [client.grafana] redirect_uris: \"com.example:/cb\" is a private-use URI (RFC 8252 "
		    "§7.1), which only a public client may use",
		    1 },
		/* several mistakes: all reported, sorted by line whichever pass found them */
		{ "several", "[server]\nlisten = 127.0.0.1:0\n" ISSUER DATADIR "bogus = 1\n" PLEX CLIENT,
		    "t.ini:2: [server] listen: has an invalid port (use 1-65535)\n"
		    "t.ini:5: [server] bogus: unknown key",
		    2 },
	};
	config_t *c;
	buf_t msg;
	size_t i;
	int rc, ok;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c = (config_t *)&msg; /* must be reset to NULL */
		rc = parse(v[i].text, NULL, &c, &msg);
		ok = rc == PO_ERR_INVALID && c == NULL && strstr(buf_str(&msg), v[i].want) != NULL &&
		    count_lines(buf_str(&msg)) == v[i].lines;
		if (!ok)
			fprintf(stderr, "  case \"%s\": rc %d, messages:\n%s", v[i].name, rc, buf_str(&msg));
		T_CHECK(ok);
		config_free(c == (config_t *)&msg ? NULL : c);
		buf_free(&msg);
	}
}

/* A message never shows a secret. */
static void
test_secret_not_in_message(void)
{
	const char *bad = "abcdefghij+KLMNOPQRST/0123456789=uvwxyz";
	char text[1024];
	config_t *c = NULL;
	buf_t msg;

	snprintf(text, sizeof(text),
	    SERVER PLEX "[client.grafana]\nsecret = %s\nredirect_uris = https://g.example.com/cb\n", bad);
	T_EQ_INT(parse(text, NULL, &c, &msg), PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "secret") != NULL);
	T_CHECK(strstr(buf_str(&msg), "abcdefghij") == NULL);
	buf_free(&msg);
	config_free(c);
}

static void
test_env(void)
{
	char *const env[] = {
		"PATH=/usr/bin",
		"PLEX_OIDC_CONFIG=/etc/plex-oidc/plex-oidc.ini", /* not a section's: left alone */
		"PLEX_OIDC_SERVER_ISSUER=https://other.example.com/sso",
		"PLEX_OIDC_SERVER_LOG_LEVEL=warn",
		"PLEX_OIDC_SERVER_TRUSTED_PROXIES=10.0.0.1",
		"PLEX_OIDC_PLEX_PRODUCT=Env Login",
		"PLEX_OIDC_UI_TITLE=Hi = there ; not a comment",
		"PLEX_OIDC_UI_MESSAGE=", /* empty: unset */
		"PLEX_OIDC_CLIENT_GRAFANA_SECRET=" SECRET40B,
		"PLEX_OIDC_CLIENT_MY_APP_V2_NAME=My App",
		"PLEX_OIDC_SERVER_DATA_DIR=/data",
		NULL,
	};
	const char *text = "[server]\n" LISTEN ISSUER PLEX CLIENT
	                   "[client.my-app.v2]\nsecret = " SECRET40 "\nredirect_uris = https://a.example.com/cb\n"
	                   "[ui]\nmessage = from the file\n";
	const config_client_t *cl;
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(text, env, &c, &msg), PO_OK);
	T_EQ_STR(buf_str(&msg), "");
	if (c != NULL) {
		T_EQ_STR(c->issuer, "https://other.example.com/sso");
		T_EQ_STR(c->issuer_path, "/sso");
		T_EQ_STR(c->log_level, "warn");
		T_EQ_STR(c->data_dir, "/data");
		T_EQ_INT(c->n_trusted_proxies, 1);
		T_EQ_STR(c->plex_product, "Env Login");
		T_EQ_STR(c->ui_title, "Hi = there ; not a comment");
		T_EQ_STR(c->ui_message, "from the file");
		cl = config_client_find(c, "grafana");
		T_CHECK(cl != NULL && cl->secret != NULL && strcmp(cl->secret, SECRET40B) == 0);
		cl = config_client_find(c, "my-app.v2");
		T_CHECK(cl != NULL && cl->name != NULL && strcmp(cl->name, "My App") == 0);
	}
	config_free(c);
	buf_free(&msg);

	/* the environment alone can supply a section the file lacks */
	{
		char *const env2[] = { "PLEX_OIDC_SERVER_LISTEN=[::]:80",
			"PLEX_OIDC_SERVER_ISSUER=https://a.example.com", "PLEX_OIDC_SERVER_DATA_DIR=/d", NULL };
		c = NULL;
		T_EQ_INT(parse(PLEX CLIENT, env2, &c, &msg), PO_OK);
		T_EQ_STR(buf_str(&msg), "");
		if (c != NULL) {
			T_EQ_STR(c->listen_host, "::");
			T_EQ_STR(c->issuer, "https://a.example.com");
		}
		config_free(c);
		buf_free(&msg);
	}
}

/* Errors in overrides name the variable, not a line of the file. */
static void
test_env_errors(void)
{
	static const struct {
		const char *name;
		const char *var;
		const char *text;
		const char *want;
	} v[] = {
		{ "bad value", "PLEX_OIDC_SERVER_ISSUER=http://auth.example.com", VALID,
		    "environment PLEX_OIDC_SERVER_ISSUER: [server] issuer: must be https unless the host is "
		    "a loopback address" },
		{ "bad port", "PLEX_OIDC_SERVER_LISTEN=0.0.0.0:99999", VALID,
		    "environment PLEX_OIDC_SERVER_LISTEN: [server] listen: has an invalid port" },
		{ "short secret", "PLEX_OIDC_CLIENT_GRAFANA_SECRET=short", VALID,
		    "environment PLEX_OIDC_CLIENT_GRAFANA_SECRET: [client.grafana] secret: the secret is 5 "
		    "characters long" },
		{ "unknown key", "PLEX_OIDC_SERVER_ISUER=https://x.example.com", VALID,
		    "environment PLEX_OIDC_SERVER_ISUER: matches no [server] key; the keys are: listen, "
		    "issuer, data_dir, log_level, trusted_proxies, session_lifetime, access_recheck, access_grace, "
		    "refresh_lifetime, key_rotation, webfinger, cookie_domain (as PLEX_OIDC_SERVER_KEY)" },
		{ "unknown ui key", "PLEX_OIDC_UI_COLOR=#fff", VALID,
		    "environment PLEX_OIDC_UI_COLOR: matches no [ui] key" },
		{ "client not in the file", "PLEX_OIDC_CLIENT_NOPE_SECRET=" SECRET40, VALID,
		    "environment PLEX_OIDC_CLIENT_NOPE_SECRET: matches no key of a [client.ID] section in the "
		    "file" },
		{ "lower-case name", "PLEX_OIDC_SERVER_issuer=https://x.example.com", VALID,
		    "environment PLEX_OIDC_SERVER_issuer: matches no [server] key" },
		{ "control character", "PLEX_OIDC_PLEX_PRODUCT=a\r\nX-Evil: 1", VALID,
		    "environment PLEX_OIDC_PLEX_PRODUCT: contains a control character" },
		{ "ambiguous client", "PLEX_OIDC_CLIENT_A_B_NAME=x",
		    VALID "[client.a.b]\nsecret = " SECRET40 "\nredirect_uris = https://a.example.com/cb\n"
		          "[client.a-b]\nsecret = " SECRET40 "\nredirect_uris = https://a.example.com/cb\n",
		    "environment PLEX_OIDC_CLIENT_A_B_NAME: is ambiguous: it names a key of both [client.a.b] "
		    "and [client.a-b]" },
	};
	char *env[2];
	config_t *c;
	buf_t msg;
	size_t i;
	int rc, ok;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c = NULL;
		env[0] = (char *)(uintptr_t)v[i].var; /* environ's type is not const */
		env[1] = NULL;
		rc = parse(v[i].text, env, &c, &msg);
		ok = rc == PO_ERR_INVALID && c == NULL && strstr(buf_str(&msg), v[i].want) != NULL &&
		    count_lines(buf_str(&msg)) == 1 && strstr(buf_str(&msg), "t.ini") == NULL;
		if (!ok)
			fprintf(stderr, "  case \"%s\": rc %d, messages:\n%s", v[i].name, rc, buf_str(&msg));
		T_CHECK(ok);
		config_free(c);
		buf_free(&msg);
	}
}

/* A temporary directory for file tests; removed by tmp_cleanup(). */
typedef struct tmp {
	char dir[64];
	char paths[16][128];
	int n;
} tmp_t;

static int
tmp_init(tmp_t *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_config.XXXXXX");
	return mkdtemp(t->dir) != NULL ? 0 : -1;
}

/* Writes dir/name with (data, len); returns the path (in t) or NULL. */
static const char *
tmp_write(tmp_t *t, const char *name, const char *data, size_t len)
{
	char tmp[sizeof(t->paths[0])], *p;
	FILE *f;

	if (t->n == 16)
		return NULL;
	/* via tmp: t->dir and t->paths are parts of one object (-Wrestrict) */
	snprintf(tmp, sizeof(tmp), "%s/%s", t->dir, name);
	p = t->paths[t->n++];
	memcpy(p, tmp, sizeof(tmp));
	if ((f = fopen(p, "wb")) == NULL)
		return NULL;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return NULL;
	}
	return fclose(f) == 0 ? p : NULL;
}

static void
tmp_cleanup(tmp_t *t)
{
	int i;

	for (i = 0; i < t->n; i++)
		unlink(t->paths[i]);
	rmdir(t->dir);
}

/* Copies pattern into out with its "%s" (if any) replaced by dir. */
static void
subst_dir(char *out, size_t outsz, const char *pattern, const char *dir)
{
	const char *at = strstr(pattern, "%s");

	if (at == NULL)
		snprintf(out, outsz, "%s", pattern);
	else
		snprintf(out, outsz, "%.*s%s%s", (int)(at - pattern), pattern, dir, at + 2);
}

/* secret_file: relative to the config file's directory, one trailing
 * newline stripped, problems named with the file's path. */
static void
test_secret_file(void)
{
	static const struct {
		const char *name;   /* case name */
		const char *file;   /* file name written, NULL: none */
		const char *data;   /* its content */
		const char *ref;    /* secret_file value; "%s" stands for the directory */
		const char *secret; /* expected secret, or NULL for an error */
		const char *want;   /* expected message; "%s" stands for the directory */
	} v[] = {
		{ "newline", "a.secret", SECRET40 "\n", "a.secret", SECRET40, NULL },
		{ "CRLF", "b.secret", SECRET40 "\r\n", "b.secret", SECRET40, NULL },
		{ "no newline", "c.secret", SECRET40, "c.secret", SECRET40, NULL },
		{ "absolute path", "d.secret", SECRET40B "\n", "%s/d.secret", SECRET40B, NULL },
		{ "two newlines", "e.secret", SECRET40 "\n\n", "e.secret", NULL,
		    "t.ini:8: [client.grafana] secret_file: the secret in %s/e.secret has characters other "
		    "than" },
		{ "too short", "f.secret", "short\n", "f.secret", NULL,
		    "t.ini:8: [client.grafana] secret_file: the secret in %s/f.secret is 5 characters "
		    "long; at least 32 are required; generate one with: openssl rand" },
		{ "empty", "g.secret", "\n", "g.secret", NULL,
		    "t.ini:8: [client.grafana] secret_file: the secret in %s/g.secret is empty" },
		{ "missing", NULL, NULL, "missing.secret", NULL,
		    "t.ini:8: [client.grafana] secret_file: cannot read %s/missing.secret: No such file or "
		    "directory" },
		{ "a directory", NULL, NULL, ".", NULL,
		    "t.ini:8: [client.grafana] secret_file: cannot read %s/.: Is a directory" },
	};
	char text[1024], ref[256], cfg[256], want[512], big[LIM_CLIENT_SECRET_MAX + 8];
	config_t *c;
	tmp_t t;
	buf_t msg;
	size_t i;
	int rc;

	T_CHECK(tmp_init(&t) == 0);
	snprintf(cfg, sizeof(cfg), "%s/t.ini", t.dir);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].file != NULL)
			T_CHECK(tmp_write(&t, v[i].file, v[i].data, strlen(v[i].data)) != NULL);
		subst_dir(ref, sizeof(ref), v[i].ref, t.dir);
		snprintf(text, sizeof(text),
		    SERVER PLEX "[client.grafana]\nsecret_file = %s\nredirect_uris = https://g.example.com/cb\n",
		    ref);
		c = NULL;
		buf_init(&msg, 64 * 1024);
		rc = config_parse(text, strlen(text), cfg, NULL, &c, &msg);
		if (v[i].secret != NULL) {
			if (rc != PO_OK)
				fprintf(stderr, "  case \"%s\": %s", v[i].name, buf_str(&msg));
			T_EQ_INT(rc, PO_OK);
			if (c != NULL)
				T_EQ_STR(c->clients[0].secret, v[i].secret);
		} else {
			subst_dir(want, sizeof(want), v[i].want, t.dir);
			if (strstr(buf_str(&msg), want) == NULL)
				fprintf(stderr, "  case \"%s\": rc %d, messages:\n%s", v[i].name, rc, buf_str(&msg));
			T_EQ_INT(rc, PO_ERR_INVALID);
			T_CHECK(strstr(buf_str(&msg), want) != NULL);
			T_EQ_INT(count_lines(buf_str(&msg)), 1);
		}
		config_free(c);
		buf_free(&msg);
	}

	/* larger than a secret may be */
	memset(big, 'a', sizeof(big));
	T_CHECK(tmp_write(&t, "big.secret", big, sizeof(big)) != NULL);
	snprintf(text, sizeof(text),
	    SERVER PLEX "[client.grafana]\nsecret_file = big.secret\nredirect_uris = https://g.example.com/cb\n");
	c = NULL;
	buf_init(&msg, 64 * 1024);
	T_EQ_INT(config_parse(text, strlen(text), cfg, NULL, &c, &msg), PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "big.secret is larger than 512 bytes; it must hold only the secret") !=
	    NULL);
	buf_free(&msg);

	/* an environment secret replaces the file's secret_file (never read) */
	{
		char *const env[] = { "PLEX_OIDC_CLIENT_GRAFANA_SECRET=" SECRET40B, NULL };
		snprintf(text, sizeof(text),
		    SERVER PLEX "[client.grafana]\nsecret_file = nowhere\nredirect_uris = https://g.example.com/cb\n");
		c = NULL;
		buf_init(&msg, 64 * 1024);
		T_EQ_INT(config_parse(text, strlen(text), cfg, env, &c, &msg), PO_OK);
		if (c != NULL)
			T_EQ_STR(c->clients[0].secret, SECRET40B);
		config_free(c);
		buf_free(&msg);
	}
	/* ... and the other way round; both from the environment is an error */
	{
		char *const env[] = { "PLEX_OIDC_CLIENT_GRAFANA_SECRET_FILE=a.secret", NULL };
		char *const env2[] = { "PLEX_OIDC_CLIENT_GRAFANA_SECRET_FILE=a.secret",
			"PLEX_OIDC_CLIENT_GRAFANA_SECRET=" SECRET40B, NULL };
		c = NULL;
		buf_init(&msg, 64 * 1024);
		T_EQ_INT(config_parse(VALID, strlen(VALID), cfg, env, &c, &msg), PO_OK);
		if (c != NULL)
			T_EQ_STR(c->clients[0].secret, SECRET40);
		config_free(c);
		buf_free(&msg);
		c = NULL;
		buf_init(&msg, 64 * 1024);
		T_EQ_INT(config_parse(VALID, strlen(VALID), cfg, env2, &c, &msg), PO_ERR_INVALID);
		T_CHECK(strstr(buf_str(&msg), "environment PLEX_OIDC_CLIENT_GRAFANA_SECRET_FILE: "
		                              "[client.grafana] secret_file: set together with secret") != NULL);
		buf_free(&msg);
	}

	/* config_load() reads the file and resolves from its directory */
	{
		const char *path;
		snprintf(text, sizeof(text),
		    SERVER PLEX "[client.grafana]\nsecret_file = a.secret\nredirect_uris = https://g.example.com/cb\n"
		                "[ui]\nlogo = logo.png\n");
		path = tmp_write(&t, "load.ini", text, strlen(text));
		T_CHECK(path != NULL);
		c = NULL;
		buf_init(&msg, 64 * 1024);
		rc = path != NULL ? config_load(path, NULL, &c, &msg) : -1;
		T_EQ_INT(rc, PO_OK);
		if (c != NULL) {
			snprintf(want, sizeof(want), "%s/logo.png", t.dir);
			T_EQ_STR(c->ui_logo, want);
			T_EQ_STR(c->clients[0].secret, SECRET40);
		}
		config_free(c);
		buf_free(&msg);
	}
	tmp_cleanup(&t);
}

static void
test_load_errors(void)
{
	config_t *c = (config_t *)&c;
	buf_t msg;

	buf_init(&msg, 64 * 1024);
	T_EQ_INT(config_load("/nonexistent/plex-oidc.ini", NULL, &c, &msg), PO_ERR_IO);
	T_CHECK(c == NULL);
	T_EQ_STR(buf_str(&msg),
	    "/nonexistent/plex-oidc.ini: cannot read the configuration file: No such file or directory\n");
	buf_free(&msg);
}

/* The shipped example parses, given the secret its client would read from
 * a file. */
static void
test_example(void)
{
	char *const env[] = { "PLEX_OIDC_CLIENT_GRAFANA_SECRET=" SECRET40, NULL };
	config_t *c = NULL;
	buf_t msg;
	int rc;

	buf_init(&msg, 64 * 1024);
	rc = config_load(EXAMPLE_INI, env, &c, &msg);
	if (rc != PO_OK)
		fprintf(stderr, "  %s", buf_str(&msg));
	T_EQ_INT(rc, PO_OK);
	T_CHECK(c != NULL && c->n_clients >= 1);
	config_free(c);
	buf_free(&msg);
}

/* CRLF line endings and a UTF-8 BOM, as Windows editors write. */
static void
test_crlf_bom(void)
{
	const char *in = "\xEF\xBB\xBF" VALID "[ui]\ntitle = Hello\n";
	char text[2048];
	size_t n = 0;
	config_t *c = NULL;
	buf_t msg;

	for (; *in != '\0' && n + 2 < sizeof(text); in++) {
		if (*in == '\n')
			text[n++] = '\r';
		text[n++] = *in;
	}
	text[n] = '\0';
	T_EQ_INT(parse(text, NULL, &c, &msg), PO_OK);
	T_EQ_STR(buf_str(&msg), "");
	if (c != NULL) {
		T_EQ_STR(c->listen_host, "127.0.0.1");
		T_EQ_STR(c->data_dir, "/var/lib/plex-oidc");
		T_EQ_STR(c->ui_title, "Hello");
		T_EQ_STR(c->clients[0].secret, SECRET40);
		T_EQ_STR(c->clients[0].redirect_uris[0], "https://g.example.com/cb");
	}
	config_free(c);
	buf_free(&msg);
}

/* LIM_CLIENTS_MAX, LIM_REDIRECT_URIS_MAX, LIM_CONFIG_FILE_MAX and the cap
 * on reported problems. */
static void
test_limits(void)
{
	config_t *c = NULL;
	buf_t text, msg;
	char *big;
	int i;

	/* exactly the maximum of clients and redirect URIs is fine */
	buf_init(&text, 1 << 20);
	T_CHECK(buf_puts(&text, SERVER PLEX) == PO_OK);
	for (i = 0; i < LIM_CLIENTS_MAX; i++)
		T_CHECK(buf_appendf(&text, "[client.c%d]\nsecret = " SECRET40 "\nredirect_uris = https://a/%d\n",
		            i, i) == PO_OK);
	T_CHECK(buf_puts(&text, "[client.last]\nredirect_uris =") == PO_OK);
	for (i = 0; i < LIM_REDIRECT_URIS_MAX; i++)
		T_CHECK(buf_appendf(&text, " https://a.example.com/%d", i) == PO_OK);
	T_CHECK(buf_puts(&text, "\n") == PO_OK);
	T_EQ_INT(parse(buf_str(&text), NULL, &c, &msg), PO_ERR_INVALID);
	/* the client over the limit is refused, and only it */
	T_CHECK(strstr(buf_str(&msg), ": [client.last]: too many clients (at most 256)\n") != NULL);
	T_EQ_INT(count_lines(buf_str(&msg)), 1);
	buf_free(&msg);
	buf_free(&text);

	buf_init(&text, 1 << 20);
	T_CHECK(buf_puts(&text, SERVER PLEX "[client.x]\nsecret = " SECRET40 "\nredirect_uris =") == PO_OK);
	for (i = 0; i < LIM_REDIRECT_URIS_MAX + 1; i++)
		T_CHECK(buf_appendf(&text, " https://a.example.com/%d", i) == PO_OK);
	T_CHECK(buf_puts(&text, "\n") == PO_OK);
	T_EQ_INT(parse(buf_str(&text), NULL, &c, &msg), PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "t.ini:9: [client.x] redirect_uris: lists 33 entries; at most 32 are "
	                              "allowed") != NULL);
	buf_free(&msg);
	buf_free(&text);

	/* many problems: the first CFG_MSGS_MAX, then a count */
	buf_init(&text, 1 << 20);
	T_CHECK(buf_puts(&text, VALID) == PO_OK);
	for (i = 0; i < 200; i++)
		T_CHECK(buf_puts(&text, "nonsense\n") == PO_OK);
	T_EQ_INT(parse(buf_str(&text), NULL, &c, &msg), PO_ERR_INVALID);
	T_EQ_INT(count_lines(buf_str(&msg)), 51);
	T_CHECK(strstr(buf_str(&msg), "t.ini:10: expected") == buf_str(&msg));
	T_CHECK(strstr(buf_str(&msg), "t.ini: ... and 150 more problems not shown\n") != NULL);
	buf_free(&msg);
	buf_free(&text);

	/* a file over LIM_CONFIG_FILE_MAX is refused before parsing */
	big = malloc(LIM_CONFIG_FILE_MAX + 1);
	T_CHECK(big != NULL);
	if (big != NULL) {
		memset(big, '\n', LIM_CONFIG_FILE_MAX + 1);
		buf_init(&msg, 64 * 1024);
		T_EQ_INT(config_parse(big, LIM_CONFIG_FILE_MAX + 1, "big.ini", NULL, &c, &msg), PO_ERR_LIMIT);
		T_CHECK(c == NULL);
		T_CHECK(strstr(buf_str(&msg), "big.ini: larger than 1048576 bytes") != NULL);
		buf_free(&msg);
		free(big);
	}

	/* errmsg may be NULL; a NULL filename is named "(config)" */
	T_EQ_INT(config_parse("x", 1, "t.ini", NULL, &c, NULL), PO_ERR_INVALID);
	buf_init(&msg, 64 * 1024);
	T_EQ_INT(config_parse("x", 1, NULL, NULL, &c, &msg), PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "(config):1: expected") != NULL);
	buf_free(&msg);
	/* a small errmsg ceiling clips the report, nothing worse */
	buf_init(&msg, 40);
	T_EQ_INT(config_parse("x", 1, "t.ini", NULL, &c, &msg), PO_ERR_INVALID);
	T_CHECK(msg.len <= 40);
	buf_free(&msg);
}

/* The single-value rules of config_value.c, directly. */
static void
test_values(void)
{
	static const struct {
		const char *s;
		int ok;
	} cidr[] = {
		{ "10.0.0.1", 1 }, { "10.0.0.0/8", 1 }, { "0.0.0.0/0", 1 }, { "1.2.3.4/32", 1 },
		{ "::1", 1 }, { "fd00::/8", 1 }, { "::/0", 1 }, { "2001:db8::/128", 1 },
		{ "::ffff:10.0.0.1", 1 }, { "", 0 }, { "/8", 0 }, { "10.0.0.0/", 0 }, { "10.0.0.0/33", 0 },
		{ "10.0.0.0/-1", 0 }, { "10.0.0.0/8/8", 0 }, { "10.0.0", 0 }, { "10.0.0.0.1", 0 },
		{ "fd00::/129", 0 }, { "fe80::1%eth0", 0 }, { "localhost", 0 }, { "10.0.0.0 /8", 0 }
	};
	static const struct {
		const char *s;
		int loopback;
	} lb[] = {
		{ "localhost", 1 }, { "LOCALHOST", 1 }, { "127.0.0.1", 1 }, { "127.255.255.254", 1 },
		{ "::1", 1 }, { "0:0:0:0:0:0:0:1", 1 }, { "128.0.0.1", 0 }, { "::", 0 }, { "::2", 0 },
		{ "localhost.", 0 }, { "localhostx", 0 }, { "10.127.0.1", 0 }, { "::ffff:127.0.0.1", 0 }
	};
	cv_url_t u;
	size_t i;

	for (i = 0; i < sizeof(cidr) / sizeof(cidr[0]); i++) {
		if ((cv_ip_or_cidr(cidr[i].s, strlen(cidr[i].s)) == NULL) != cidr[i].ok)
			fprintf(stderr, "  cidr \"%s\"\n", cidr[i].s);
		T_EQ_INT(cv_ip_or_cidr(cidr[i].s, strlen(cidr[i].s)) == NULL, cidr[i].ok);
	}
	for (i = 0; i < sizeof(lb) / sizeof(lb[0]); i++) {
		if (cv_host_is_loopback(lb[i].s, strlen(lb[i].s)) != lb[i].loopback)
			fprintf(stderr, "  loopback \"%s\"\n", lb[i].s);
		T_EQ_INT(cv_host_is_loopback(lb[i].s, strlen(lb[i].s)), lb[i].loopback);
	}

	T_CHECK(cv_url("https://a.example.com:8443/p/q?x=1#f", &u) == NULL);
	T_CHECK(u.https && u.has_query && u.has_fragment);
	T_CHECK(u.host_len == 13 && memcmp(u.host, "a.example.com", 13) == 0);
	T_CHECK(u.path_len == 4 && memcmp(u.path, "/p/q", 4) == 0);
	T_CHECK(cv_url("http://[::1]:80#a?b", &u) == NULL);
	T_CHECK(!u.https && !u.has_query && u.has_fragment && u.path_len == 0);
	T_CHECK(u.host_len == 3 && memcmp(u.host, "::1", 3) == 0);
	T_CHECK(cv_url("https://a?b", &u) == NULL && u.has_query && u.path_len == 0);
	T_CHECK(cv_url("https://[::1", &u) != NULL);
	T_CHECK(cv_url("https://[::1]x", &u) != NULL);
	T_CHECK(cv_url("https://a:", &u) != NULL);
	T_CHECK(cv_url("https://a:1:2", &u) != NULL);
	T_CHECK(cv_url("https://a/\xc3\xa9", &u) != NULL);
	T_CHECK(cv_url("https://a/{x}", &u) != NULL);
	T_CHECK(cv_url("ftp://a", &u) != NULL);
	T_CHECK(cv_url("https:/a", &u) != NULL);

	T_CHECK(cv_color("#fff") == NULL && cv_color("#A0b1C2") == NULL);
	T_CHECK(cv_color("#ffff") != NULL && cv_color("#") != NULL && cv_color("") != NULL);
	T_CHECK(cv_client_id_ok("a", 1) && cv_client_id_ok("A.b_c-9", 7));
	T_CHECK(!cv_client_id_ok("", 0) && !cv_client_id_ok("a b", 3) && !cv_client_id_ok("a/b", 3));
	T_CHECK(cv_client_id_ok("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 64));
	T_CHECK(!cv_client_id_ok("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 65));
	T_CHECK(cv_secret_chars_ok(SECRET40, strlen(SECRET40)));
	T_CHECK(!cv_secret_chars_ok("a+b", 3) && !cv_secret_chars_ok("a b", 3) && !cv_secret_chars_ok("a%b", 3));
	T_CHECK(cv_plex_server_id_ok("abc-123", 7) && !cv_plex_server_id_ok("abc.123", 7));
}

/* Setup mode is decided by how the binary starts: the value older
 * versions reserved for it is refused, from the file and the environment. */
static void
test_setup_mode_is_not_a_value(void)
{
	static const char *files[] = {
		SERVER "[plex]\nserver_id = setup-mode\n" CLIENT,
		SERVER "[plex]\nserver_id = Setup-Mode\n" CLIENT,
	};
	char *env[] = { "PLEX_OIDC_PLEX_SERVER_ID=setup-mode", NULL };
	config_t *c = NULL;
	buf_t msg;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		T_EQ_INT(parse(files[i], NULL, &c, &msg), PO_ERR_INVALID);
		T_CHECK(strstr(buf_str(&msg), "t.ini:6: [plex] server_id: \"") != NULL);
		T_CHECK(strcasestr(buf_str(&msg), "setup-mode\" is not a server id") != NULL);
		T_CHECK(c == NULL);
		buf_free(&msg);
	}
	T_EQ_INT(parse(VALID, env, &c, &msg), PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "environment PLEX_OIDC_PLEX_SERVER_ID: [plex] server_id: \"setup-mode\"") != NULL);
	buf_free(&msg);
}

/* Without owner_id the file loads, with a warning that says what it risks
 * and where to find the value; with it, no warning. */
static void
test_owner_id_warning(void)
{
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(VALID, NULL, &c, &msg), PO_OK);
	T_EQ_INT(c->n_warnings, 1);
	if (c->n_warnings == 1) {
		T_CHECK(strstr(c->warnings[0], "t.ini:5: warning: [plex] owner_id: not set: a Plex device in another "
		                               "account") == c->warnings[0]);
		T_CHECK(strstr(c->warnings[0], "setup mode shows it") != NULL);
	}
	config_free(c);
	buf_free(&msg);
	T_EQ_INT(parse(SERVER "[plex]\nserver_id = 0123456789abcdef\nowner_id = 9001\n" CLIENT, NULL, &c, &msg), PO_OK);
	T_EQ_INT(c->n_warnings, 0);
	config_free(c);
	buf_free(&msg);
}

int
main(void)
{
	T_RUN(test_valid_defaults);
	T_RUN(test_valid_full);
	T_RUN(test_valid_variants);
	T_RUN(test_errors);
	T_RUN(test_secret_not_in_message);
	T_RUN(test_env);
	T_RUN(test_env_errors);
	T_RUN(test_secret_file);
	T_RUN(test_load_errors);
	T_RUN(test_example);
	T_RUN(test_crlf_bom);
	T_RUN(test_limits);
	T_RUN(test_values);
	T_RUN(test_setup_mode_is_not_a_value);
	T_RUN(test_owner_id_warning);
	return T_DONE();
}
