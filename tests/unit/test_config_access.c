/*
 * test_config_access.c - who may use what, as configured
 * (src/config/config_access.c and the allow key of config_client.c): the
 * groups and their numbering, allow lists and their defaults, [app.NAME]
 * hosts, several Plex servers, one table row per mistake with the
 * "file:LINE: [section] key:" its message must start with, the warning for
 * a group nobody allows, and environment overrides of the new sections.
 * Same style as test_config.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/err.h"
#include "po_limits.h"
#include "t.h"

#define SECRET40 "abcdefghij-KLMNOPQRST_0123456789.uvwxy~z"
/* Lines 1-4 */
#define SERVER "[server]\nlisten = 127.0.0.1:8080\nissuer = https://auth.example.com\ndata_dir = /var/lib/p\n"
/* Lines 5-7 */
#define PLEX "[plex]\nserver_id = 0123456789abcdef\nowner_id = 1\n"
/* Lines 8-10; a key added after it is line 11. */
#define CLIENT "[client.grafana]\nsecret = " SECRET40 "\nredirect_uris = https://g.example.com/cb\n"

static int
parse(const char *text, char *const *env, config_t **c, buf_t *msg)
{
	buf_init(msg, 64 * 1024);
	return config_parse(text, strlen(text), "t.ini", env, c, msg);
}

static bool
only(const config_groupset_t *g, const int *want, size_t n, size_t n_groups)
{
	config_groupset_t w;
	size_t i;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < n; i++)
		config_groupset_add(&w, (size_t)want[i]);
	for (i = 0; i < n_groups; i++)
		if (config_groupset_has(g, i) != config_groupset_has(&w, i))
			return false;
	return true;
}

static void
test_defaults_and_numbering(void)
{
	config_t *c = NULL;
	buf_t msg;
	static const int everyone[] = { CONFIG_GROUP_OWNER, CONFIG_GROUP_HOME, CONFIG_GROUP_FRIEND };
	static const int owner[] = { CONFIG_GROUP_OWNER };

	T_EQ_INT(parse(SERVER PLEX CLIENT "[app.sonarr]\nhosts = Sonarr.Example.com *.arr.example.com\n", NULL, &c,
	             &msg),
	    PO_OK);
	if (c == NULL) {
		fprintf(stderr, "%s", buf_str(&msg));
		buf_free(&msg);
		return;
	}
	T_EQ_INT(c->n_groups, CONFIG_GROUPS_BUILTIN);
	T_EQ_STR(c->groups[CONFIG_GROUP_OWNER].name, "plex-owner");
	T_EQ_STR(c->groups[CONFIG_GROUP_HOME].name, "plex-home");
	T_EQ_STR(c->groups[CONFIG_GROUP_FRIEND].name, "plex-friend");
	T_EQ_INT(config_group_find(c, "plex-home"), CONFIG_GROUP_HOME);
	T_EQ_INT(config_group_find(c, "Plex-Home"), -1);
	/* a client admits whoever the server is shared with; an app the owner */
	T_CHECK(only(&c->clients[0].allow, everyone, 3, c->n_groups));
	T_EQ_INT(c->n_apps, 1);
	T_EQ_STR(c->apps[0].id, "sonarr");
	T_EQ_STR(c->apps[0].name, "sonarr");
	T_EQ_INT(c->apps[0].n_hosts, 2);
	T_EQ_STR(c->apps[0].hosts[0], "sonarr.example.com");
	T_EQ_STR(c->apps[0].hosts[1], "*.arr.example.com");
	T_CHECK(only(&c->apps[0].allow, owner, 1, c->n_groups));
	T_EQ_INT(c->n_warnings, 0);
	config_free(c);
	buf_free(&msg);
}

static void
test_groups_and_allow(void)
{
	config_t *c = NULL;
	buf_t msg;
	static const int fam_home[] = { CONFIG_GROUP_HOME, CONFIG_GROUPS_BUILTIN };
	static const int admins[] = { CONFIG_GROUPS_BUILTIN + 1 };

	T_EQ_INT(parse(SERVER "[plex]\nserver_id = aaaa bbbb-2\nowner_id = 1\n"
	                      "[group.family]\nusers = carol Dave@Example.com  5f3c-uuid\n"
	                      "[group.admins]\nusers = carol\n" CLIENT "allow = family plex-home\n"
	                      "[app.tautulli]\nname = Tautulli\nhosts = tautulli.example.com\nallow = admins\n",
	             NULL, &c, &msg),
	    PO_OK);
	if (c == NULL) {
		fprintf(stderr, "%s", buf_str(&msg));
		buf_free(&msg);
		return;
	}
	T_EQ_INT(c->n_plex_server_ids, 2);
	T_EQ_STR(c->plex_server_ids[1], "bbbb-2");
	T_EQ_INT(c->n_groups, CONFIG_GROUPS_BUILTIN + 2);
	T_EQ_STR(c->groups[CONFIG_GROUPS_BUILTIN].name, "family");
	T_EQ_INT(c->groups[CONFIG_GROUPS_BUILTIN].n_users, 3);
	T_EQ_STR(c->groups[CONFIG_GROUPS_BUILTIN].users[1], "Dave@Example.com");
	T_EQ_INT(c->groups[CONFIG_GROUPS_BUILTIN].line, 8);
	T_CHECK(only(&c->clients[0].allow, fam_home, 2, c->n_groups));
	T_EQ_STR(c->apps[0].name, "Tautulli");
	T_CHECK(only(&c->apps[0].allow, admins, 1, c->n_groups));
	T_EQ_INT(c->n_warnings, 0);
	config_free(c);
	buf_free(&msg);
}

/* A group nobody allows loads, with a warning at its header. */
static void
test_unused_group_warning(void)
{
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(SERVER PLEX CLIENT "[group.family]\nusers = carol\n", NULL, &c, &msg), PO_OK);
	T_EQ_INT(c != NULL ? c->n_warnings : 0, 1);
	if (c != NULL && c->n_warnings == 1)
		T_CHECK(strstr(c->warnings[0], "t.ini:11: warning: [group.family] is allowed by no client or app") ==
		    c->warnings[0]);
	config_free(c);
	buf_free(&msg);
}

/* Forward auth alone needs no client. */
static void
test_apps_without_clients(void)
{
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(SERVER PLEX "[app.sonarr]\nhosts = sonarr.example.com\n", NULL, &c, &msg), PO_OK);
	T_CHECK(c != NULL && c->n_clients == 0 && c->n_apps == 1);
	config_free(c);
	buf_free(&msg);
}

static void
test_errors(void)
{
	static const struct {
		const char *name, *text, *want;
	} v[] = {
		{ "allow: an unknown group", SERVER PLEX CLIENT "allow = plex-owner family\n",
		    "t.ini:11: [client.grafana] allow: \"family\" is not a group; the groups are: plex-owner plex-home "
		    "plex-friend (add a [group.family] section to define it)" },
		{ "allow: empty", SERVER PLEX CLIENT "allow =\n",
		    "t.ini:11: [client.grafana] allow: is empty: list the groups that may sign in" },
		{ "allow: blank", SERVER PLEX CLIENT "allow =   \n",
		    "t.ini:11: [client.grafana] allow: is empty" },
		{ "allow: group names are case-sensitive", SERVER PLEX CLIENT "allow = Plex-Owner\n",
		    "t.ini:11: [client.grafana] allow: \"Plex-Owner\" is not a group" },
		{ "allow: a comma", SERVER PLEX CLIENT "allow = plex-owner,plex-home\n",
		    "t.ini:11: [client.grafana] allow: \"plex-owner,plex-home\" is not a group" },
		{ "app allow: unknown", SERVER PLEX "[app.sonarr]\nhosts = s.example.com\nallow = admins\n",
		    "t.ini:10: [app.sonarr] allow: \"admins\" is not a group" },
		{ "a built-in group redefined", SERVER PLEX CLIENT "[group.plex-owner]\nusers = carol\n",
		    "t.ini:11: [group.plex-owner]: \"plex-owner\" is a built-in group" },
		{ "a group without users", SERVER PLEX CLIENT "[group.family]\n",
		    "t.ini:11: [group.family] users: missing; this key is required" },
		{ "a group with an empty users", SERVER PLEX CLIENT "[group.family]\nusers =\n",
		    "t.ini:12: [group.family] users: has an empty value" },
		{ "a bad group name", SERVER PLEX CLIENT "[group.my family]\nusers = a\n",
		    "t.ini:11: [group.my family]: invalid group name \"my family\"" },
		{ "a group without a name", SERVER PLEX CLIENT "[group]\nusers = a\n",
		    "t.ini:11: [group]: a group section needs a name: [group.NAME], e.g. [group.family]" },
		{ "duplicate group", SERVER PLEX CLIENT "[group.a]\nusers = x\n[group.a]\nusers = y\n",
		    "t.ini:13: [group.a]: duplicate group name (first defined at line 11)" },
		{ "unknown group key", SERVER PLEX CLIENT "[group.a]\nmembers = x\n",
		    "t.ini:12: [group.a] members: unknown key; the keys of [group.NAME] are: users" },
		{ "an app without hosts", SERVER PLEX "[app.sonarr]\nallow = plex-owner\n",
		    "t.ini:8: [app.sonarr] hosts: missing; this key is required" },
		{ "a host with a scheme", SERVER PLEX "[app.sonarr]\nhosts = https://s.example.com\n",
		    "t.ini:9: [app.sonarr] hosts: \"https://s.example.com\" is not a host name" },
		{ "a host with a port", SERVER PLEX "[app.sonarr]\nhosts = s.example.com:8443\n",
		    "t.ini:9: [app.sonarr] hosts: \"s.example.com:8443\" is not a host name" },
		{ "a wildcard inside", SERVER PLEX "[app.sonarr]\nhosts = s.*.example.com\n",
		    "t.ini:9: [app.sonarr] hosts: \"s.*.example.com\" is not a host name" },
		{ "a wildcard over a TLD", SERVER PLEX "[app.sonarr]\nhosts = *.com\n",
		    "t.ini:9: [app.sonarr] hosts: \"*.com\" is a wildcard over a top-level domain" },
		{ "an empty label", SERVER PLEX "[app.sonarr]\nhosts = s..example.com\n",
		    "t.ini:9: [app.sonarr] hosts: \"s..example.com\" has an empty label" },
		{ "a host in two apps",
		    SERVER PLEX "[app.a]\nhosts = s.example.com\n[app.b]\nhosts = x.example.com S.example.com\n",
		    "t.ini:11: [app.b] hosts: \"s.example.com\" is also a host of [app.a]" },
		{ "an unknown app key", SERVER PLEX "[app.a]\nhosts = s.example.com\nupstream = x\n",
		    "t.ini:10: [app.a] upstream: unknown key; the keys of [app.NAME] are: hosts, allow, name" },
		{ "a server id among several", SERVER "[plex]\nserver_id = aaaa bad_id\n" CLIENT,
		    "t.ini:6: [plex] server_id: \"bad_id\" is not a server id" },
		{ "server id blank", SERVER "[plex]\nserver_id =  \n" CLIENT, "t.ini:6: [plex] server_id: has an empty value" },
		{ "setup-mode among several", SERVER "[plex]\nserver_id = aaaa setup-mode\n" CLIENT,
		    "t.ini:6: [plex] server_id: \"setup-mode\" is not a server id: setup mode starts" },
		{ "neither clients nor apps", SERVER PLEX "[group.a]\nusers = x\n",
		    "t.ini: no [client.ID] or [app.NAME] section" },
	};
	config_t *c;
	buf_t msg;
	size_t i;
	int rc, ok;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c = NULL;
		rc = parse(v[i].text, NULL, &c, &msg);
		ok = rc == PO_ERR_INVALID && c == NULL && strstr(buf_str(&msg), v[i].want) != NULL;
		if (!ok)
			fprintf(stderr, "  case \"%s\": rc %d, messages:\n%s", v[i].name, rc, buf_str(&msg));
		T_CHECK(ok);
		config_free(c);
		buf_free(&msg);
	}
}

/* The environment overrides keys of the sections the file defines, and
 * names the section kinds when it cannot. */
static void
test_env(void)
{
	char *env[] = { "PLEX_OIDC_GROUP_FAMILY_USERS=erin", "PLEX_OIDC_APP_SONARR_ALLOW=family", NULL };
	char *bad[] = { "PLEX_OIDC_GROUP_OTHER_USERS=erin", NULL };
	config_t *c = NULL;
	buf_t msg;

	T_EQ_INT(parse(SERVER PLEX "[group.family]\nusers = carol\n[app.sonarr]\nhosts = s.example.com\n", env, &c,
	             &msg),
	    PO_OK);
	if (c != NULL) {
		T_EQ_INT(c->groups[CONFIG_GROUPS_BUILTIN].n_users, 1);
		T_EQ_STR(c->groups[CONFIG_GROUPS_BUILTIN].users[0], "erin");
		T_CHECK(config_groupset_has(&c->apps[0].allow, CONFIG_GROUPS_BUILTIN));
		T_CHECK(!config_groupset_has(&c->apps[0].allow, CONFIG_GROUP_OWNER));
	}
	config_free(c);
	buf_free(&msg);
	c = NULL;
	T_EQ_INT(parse(SERVER PLEX "[group.family]\nusers = carol\n[app.sonarr]\nhosts = s.example.com\nallow = family\n",
	             bad, &c, &msg),
	    PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "environment PLEX_OIDC_GROUP_OTHER_USERS: matches no key of a [group.NAME] section "
	                              "in the file") != NULL);
	config_free(c);
	buf_free(&msg);
}

/* The bounds: too many groups is refused, with the number. */
static void
test_limits(void)
{
	buf_t text, msg;
	config_t *c = NULL;
	int i;

	buf_init(&text, 64 * 1024);
	T_EQ_INT(buf_puts(&text, SERVER PLEX CLIENT), PO_OK);
	for (i = 0; i <= LIM_GROUPS_MAX; i++)
		T_EQ_INT(buf_appendf(&text, "[group.g%d]\nusers = u\n", i), PO_OK);
	T_EQ_INT(parse(buf_str(&text), NULL, &c, &msg), PO_ERR_INVALID);
	T_CHECK(strstr(buf_str(&msg), "too many groups (at most 64)") != NULL);
	config_free(c);
	buf_free(&msg);
	buf_free(&text);
}

/* [server] cookie_domain: the default from the issuer, and one table row
 * per mistake, each naming the host that is not under it. */
static void
test_cookie_domain(void)
{
#define ISS(i) "[server]\nlisten = 127.0.0.1:8080\nissuer = " i "\ndata_dir = /var/lib/p\n"
#define CD(d) "cookie_domain = " d "\n"
	static const struct {
		const char *name, *text, *want; /* want: the domain, or a message */
		bool ok;
	} v[] = {
		{ "default: the issuer's host without its first label",
		    ISS("https://auth.example.com") PLEX "[app.s]\nhosts = sonarr.example.com *.arr.example.com\n",
		    "example.com", true },
		{ "explicit, any case", ISS("https://auth.Example.com") CD("EXAMPLE.com") PLEX "[app.s]\nhosts = example.com\n",
		    "example.com", true },
		{ "the issuer's host itself", ISS("https://home.example.com") CD("home.example.com") PLEX "[app.s]\nhosts = sonarr.home.example.com\n", "home.example.com", true },
		{ "localhost, for testing", ISS("http://localhost:8080") CD("localhost") PLEX "[app.s]\nhosts = app.localhost\n",
		    "localhost", true },
		{ "an app host elsewhere", ISS("https://auth.example.com") PLEX "[app.sonarr]\nhosts = sonarr.example.org\n",
		    "t.ini:9: [app.sonarr] hosts: \"sonarr.example.org\" is not under [server] cookie_domain \"example.com\" "
		    "(the default: the issuer's host without its first label): the browser would never send it the "
		    "forward-auth cookie",
		    false },
		{ "a look-alike host", ISS("https://auth.example.com") CD("example.com") PLEX "[app.sonarr]\nhosts = sonarr.badexample.com\n",
		    "t.ini:10: [app.sonarr] hosts: \"sonarr.badexample.com\" is not under [server] cookie_domain \"example.com\"",
		    false },
		{ "a wildcard elsewhere", ISS("https://auth.example.com") CD("example.com") PLEX "[app.s]\nhosts = *.example.org\n",
		    "[app.s] hosts: \"*.example.org\" is not under", false },
		{ "the issuer's host elsewhere", ISS("https://auth.example.org") CD("example.com") PLEX "[app.s]\nhosts = s.example.com\n",
		    "t.ini:5: [server] cookie_domain: \"example.com\" is not the issuer's host \"auth.example.org\" or a parent "
		    "domain of it",
		    false },
		{ "no default from an IP issuer", ISS("http://127.0.0.1:8080") PLEX "[app.s]\nhosts = s.example.com\n",
		    "t.ini:1: [server] cookie_domain: missing: forward auth ([app.s]) sets its cookie", false },
		{ "no default from a two-label issuer", ISS("https://example.com") PLEX "[app.s]\nhosts = s.example.com\n",
		    "[server] cookie_domain: missing", false },
		{ "a leading dot", ISS("https://auth.example.com") CD(".example.com") PLEX "[app.s]\nhosts = s.example.com\n",
		    "t.ini:5: [server] cookie_domain: \".example.com\" has a leading dot", false },
		{ "a top-level domain", ISS("https://auth.example.com") CD("com") PLEX "[app.s]\nhosts = s.example.com\n",
		    "\"com\" is a top-level domain", false },
		{ "an IP address", ISS("https://10.0.0.1") CD("10.0.0.1") PLEX "[app.s]\nhosts = s.example.com\n",
		    "\"10.0.0.1\" is an IP address", false },
		{ "a port", ISS("https://auth.example.com") CD("example.com:443") PLEX "[app.s]\nhosts = s.example.com\n",
		    "\"example.com:443\" is not a domain name", false },
		{ "empty", ISS("https://auth.example.com") CD("") PLEX "[app.s]\nhosts = s.example.com\n",
		    "[server] cookie_domain: has an empty value", false },
	};
	config_t *c;
	buf_t msg;
	size_t i;
	int rc, ok;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c = NULL;
		rc = parse(v[i].text, NULL, &c, &msg);
		if (v[i].ok)
			ok = rc == PO_OK && c != NULL && c->cookie_domain != NULL && strcmp(c->cookie_domain, v[i].want) == 0;
		else
			ok = rc == PO_ERR_INVALID && strstr(buf_str(&msg), v[i].want) != NULL;
		if (!ok)
			fprintf(stderr, "  case \"%s\": rc %d, domain %s, messages:\n%s", v[i].name, rc,
			    c && c->cookie_domain ? c->cookie_domain : "(none)", buf_str(&msg));
		T_CHECK(ok);
		config_free(c);
		buf_free(&msg);
	}
	/* Without apps it does nothing: said, not refused. */
	c = NULL;
	T_EQ_INT(parse(ISS("https://auth.example.com") CD("example.com") PLEX CLIENT, NULL, &c, &msg), PO_OK);
	T_CHECK(c != NULL && c->cookie_domain == NULL && c->n_warnings == 1 &&
	    strstr(c->warnings[0], "t.ini:5: warning: [server] cookie_domain: is set, but no [app.NAME]") != NULL);
	config_free(c);
	buf_free(&msg);
#undef ISS
#undef CD
}

int
main(void)
{
	T_RUN(test_defaults_and_numbering);
	T_RUN(test_groups_and_allow);
	T_RUN(test_unused_group_warning);
	T_RUN(test_apps_without_clients);
	T_RUN(test_errors);
	T_RUN(test_env);
	T_RUN(test_limits);
	T_RUN(test_cookie_domain);
	return T_DONE();
}
