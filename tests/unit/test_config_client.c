/*
 * test_config_client.c - what a client needs, as configured
 * (src/config/config_preset.c and config_client.c): every preset's row,
 * keys that override it, public clients and their redirect URIs (loopback
 * on any port, private-use schemes), secret_hash, [server] webfinger, and
 * one table row per mistake with the "file:LINE: [section] key:" its
 * message must start with. Same style as test_config.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/secret_hash.h"
#include "t.h"

#define SECRET40 "abcdefghij-KLMNOPQRST_0123456789.uvwxy~z"
/* Lines 1-4 */
#define SERVER "[server]\nlisten = 127.0.0.1:8080\nissuer = https://auth.example.com\ndata_dir = /var/lib/p\n"
/* Lines 5-7 */
#define PLEX "[plex]\nserver_id = 0123456789abcdef\nowner_id = 1\n"
/* Line 8 is the client's header, 9 its redirect_uris; keys after it from 10. */
#define HEAD(id) "[client." id "]\nredirect_uris = https://app.example.com/cb\n"
#define SECRET "secret = " SECRET40 "\n"
/* RFC 7914's vector (test_secret_hash.c): a valid value. */
#define HASH "$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw"

static int
parse(const char *text, char *const *env, config_t **c, buf_t *msg)
{
	buf_init(msg, 64 * 1024);
	return config_parse(text, strlen(text), "t.ini", env, c, msg);
}

/* Parses text, which must load; NULL (and the messages printed) if not. */
static config_t *
load(const char *text, char *const *env)
{
	config_t *c = NULL;
	buf_t msg;

	if (parse(text, env, &c, &msg) != PO_OK)
		fprintf(stderr, "  did not load:\n%s", buf_str(&msg));
	buf_free(&msg);
	return c;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define ALL CONFIG_CLAIMS_ALL
static void
test_presets(void)
{
	static const struct {
		const char *name;
		const char *extra; /* the secret, or none for a public client */
		enum config_auth auth;
		bool pkce;
		unsigned claims;
		bool groups, email;
	} v[] = {
		{ "generic", SECRET, CONFIG_AUTH_SECRET, false, ALL, false, false },
		{ "cloudflare", SECRET, CONFIG_AUTH_SECRET, false, ALL, true, true },
		{ "grafana", SECRET, CONFIG_AUTH_SECRET, false, ALL, false, true },
		{ "oauth2-proxy", SECRET, CONFIG_AUTH_SECRET, false, ALL, false, true },
		{ "jellyfin", SECRET, CONFIG_AUTH_SECRET_POST, true, ALL, false, false },
		{ "home-assistant", "", CONFIG_AUTH_NONE, true, ALL, false, false },
		{ "proxmox", SECRET, CONFIG_AUTH_SECRET_BASIC, true, ALL, false, false },
		{ "portainer", SECRET, CONFIG_AUTH_SECRET, false, 0, false, false },
		{ "immich", SECRET, CONFIG_AUTH_SECRET_POST, true, ALL, false, true },
		{ "nextcloud", SECRET, CONFIG_AUTH_SECRET_POST, true, ALL, true, false },
	};
	char text[2048];
	config_t *c;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(text, sizeof(text), SERVER PLEX HEAD("a") "preset = %s\n%s", v[i].name, v[i].extra);
		if ((c = load(text, NULL)) == NULL) {
			T_CHECK(0);
			continue;
		}
		T_EQ_STR(c->clients[0].preset, v[i].name);
		if (c->clients[0].auth != v[i].auth || c->clients[0].require_pkce != v[i].pkce ||
		    c->clients[0].id_token_claims != v[i].claims || c->clients[0].always_send_groups != v[i].groups ||
		    c->clients[0].require_email != v[i].email) {
			fprintf(stderr, "  preset %s: auth %d pkce %d claims %#x groups %d email %d\n", v[i].name,
			    c->clients[0].auth, c->clients[0].require_pkce, c->clients[0].id_token_claims,
			    c->clients[0].always_send_groups, c->clients[0].require_email);
			T_CHECK(0);
		}
		T_EQ_INT(config_client_public(&c->clients[0]), v[i].auth == CONFIG_AUTH_NONE);
		config_free(c);
	}
	/* no preset: generic */
	if ((c = load(SERVER PLEX HEAD("a") SECRET, NULL)) != NULL) {
		T_EQ_STR(c->clients[0].preset, "generic");
		T_EQ_INT(c->clients[0].auth, CONFIG_AUTH_SECRET);
		T_CHECK(!c->clients[0].require_pkce && !c->clients[0].require_email && !c->clients[0].always_send_groups);
		T_EQ_INT(c->clients[0].id_token_claims, ALL);
		config_free(c);
	}
}

/* Every explicit key wins over the preset. */
static void
test_keys_override_preset(void)
{
	config_t *c;

	c = load(SERVER PLEX HEAD("a") SECRET "preset = grafana\nrequire_email = no\nalways_send_groups = yes\n"
	                                      "require_pkce = yes\nid_token_claims = email groups\n"
	                                      "token_endpoint_auth_method = client_secret_post\n",
	    NULL);
	if (c != NULL) {
		T_EQ_STR(c->clients[0].preset, "grafana");
		T_CHECK(!c->clients[0].require_email);
		T_CHECK(c->clients[0].always_send_groups);
		T_CHECK(c->clients[0].require_pkce);
		T_EQ_INT(c->clients[0].id_token_claims, CONFIG_CLAIM_EMAIL | CONFIG_CLAIM_GROUPS);
		T_EQ_INT(c->clients[0].auth, CONFIG_AUTH_SECRET_POST);
		config_free(c);
	}
	/* home-assistant as a confidential client: public = no drops the
	 * preset's auth (none) for the default; PKCE stays the preset's */
	if ((c = load(SERVER PLEX HEAD("ha") SECRET "preset = home-assistant\npublic = no\n", NULL)) != NULL) {
		T_EQ_INT(c->clients[0].auth, CONFIG_AUTH_SECRET);
		T_CHECK(c->clients[0].require_pkce);
		T_CHECK(c->clients[0].secret != NULL);
		config_free(c);
	}
	/* ...or with a method named */
	if ((c = load(SERVER PLEX HEAD("ha") SECRET "preset = home-assistant\n"
	                                            "token_endpoint_auth_method = client_secret_post\n",
	         NULL)) != NULL) {
		T_EQ_INT(c->clients[0].auth, CONFIG_AUTH_SECRET_POST);
		config_free(c);
	}
	/* proxmox without PKCE; portainer with every claim; none alone */
	if ((c = load(SERVER PLEX HEAD("p") SECRET "preset = proxmox\nrequire_pkce = no\n" HEAD("q") SECRET
	         "preset = portainer\nid_token_claims = all\n" HEAD("r") SECRET
	         "id_token_claims = none\n",
	         NULL)) != NULL) {
		T_CHECK(!c->clients[0].require_pkce);
		T_EQ_INT(c->clients[0].auth, CONFIG_AUTH_SECRET_BASIC);
		T_EQ_INT(c->clients[1].id_token_claims, ALL);
		T_EQ_INT(c->clients[2].id_token_claims, 0);
		config_free(c);
	}
	/* token_endpoint_auth_method = none makes a public client; public =
	 * yes with none agrees */
	if ((c = load(SERVER PLEX HEAD("n") "token_endpoint_auth_method = none\n" HEAD("m") "public = yes\ntoken_endpoint_auth_method = none\nrequire_pkce = yes\n",
	         NULL)) != NULL) {
		T_CHECK(config_client_public(&c->clients[0]) && config_client_public(&c->clients[1]));
		T_CHECK(c->clients[0].require_pkce && c->clients[1].require_pkce);
		T_CHECK(c->clients[0].secret == NULL && c->clients[0].secret_hash == NULL);
		config_free(c);
	}
}

static void
test_public_redirects(void)
{
	config_t *c = load(SERVER PLEX "[client.cli]\npublic = yes\nredirect_uris = http://127.0.0.1/cb "
	                               "http://[::1]:8400/native?x=1 com.example.app:/oauth2redirect "
	                               "app.immich:///oauth-callback https://app.example.com/cb\n"
	                               "[client.web]\nredirect_uris = http://127.0.0.1:8080/cb\n" SECRET,
	    NULL);
	const config_client_t *cl, *web;

	if (c == NULL) {
		T_CHECK(0);
		return;
	}
	cl = config_client_find(c, "cli");
	web = config_client_find(c, "web");
	/* RFC 8252 §7.3: a loopback IP literal matches with any port, or none */
	T_CHECK(config_client_redirect_ok(cl, "http://127.0.0.1/cb"));
	T_CHECK(config_client_redirect_ok(cl, "http://127.0.0.1:51234/cb"));
	T_CHECK(config_client_redirect_ok(cl, "http://127.0.0.1:1/cb"));
	T_CHECK(config_client_redirect_ok(cl, "http://127.0.0.1:65535/cb"));
	T_CHECK(config_client_redirect_ok(cl, "http://[::1]:8400/native?x=1"));
	T_CHECK(config_client_redirect_ok(cl, "http://[::1]:9/native?x=1"));
	T_CHECK(config_client_redirect_ok(cl, "http://[::1]/native?x=1"));
	/* ...everything else still exactly */
	T_CHECK(!config_client_redirect_ok(cl, "http://127.0.0.1:0/cb"));
	T_CHECK(!config_client_redirect_ok(cl, "http://127.0.0.1:65536/cb"));
	T_CHECK(!config_client_redirect_ok(cl, "http://127.0.0.1:/cb"));
	T_CHECK(!config_client_redirect_ok(cl, "http://127.0.0.1:80/cb2"));
	T_CHECK(!config_client_redirect_ok(cl, "http://127.0.0.1:80/c"));
	T_CHECK(!config_client_redirect_ok(cl, "http://127.0.0.1:80/cb?x"));
	T_CHECK(!config_client_redirect_ok(cl, "http://127.0.0.1.example.com/cb"));
	T_CHECK(!config_client_redirect_ok(cl, "http://127.0.0.1:80@evil.example.com/cb"));
	T_CHECK(!config_client_redirect_ok(cl, "http://127.0.0.2:80/cb"));
	T_CHECK(!config_client_redirect_ok(cl, "https://127.0.0.1:80/cb"));
	T_CHECK(!config_client_redirect_ok(cl, "http://localhost:80/cb"));
	T_CHECK(!config_client_redirect_ok(cl, "http://[::1]:8400/native?x=2"));
	T_CHECK(!config_client_redirect_ok(cl, "http://[::2]:8400/native?x=1"));
	T_CHECK(!config_client_redirect_ok(cl, "http://127.0.0.1:8400/native?x=1")); /* the other host */
	/* private-use URIs exactly */
	T_CHECK(config_client_redirect_ok(cl, "com.example.app:/oauth2redirect"));
	T_CHECK(config_client_redirect_ok(cl, "app.immich:///oauth-callback"));
	T_CHECK(!config_client_redirect_ok(cl, "com.example.app:/oauth2redirect/"));
	T_CHECK(!config_client_redirect_ok(cl, "com.example.evil:/oauth2redirect"));
	T_CHECK(config_client_redirect_ok(cl, "https://app.example.com/cb"));
	T_CHECK(!config_client_redirect_ok(cl, "https://app.example.com:8443/cb"));
	/* a confidential client's loopback URI stays exact */
	T_CHECK(config_client_redirect_ok(web, "http://127.0.0.1:8080/cb"));
	T_CHECK(!config_client_redirect_ok(web, "http://127.0.0.1:8081/cb"));
	T_CHECK(!config_client_redirect_ok(web, "http://127.0.0.1/cb"));
	config_free(c);
}

static void
test_secret_hash(void)
{
	config_t *c = load(SERVER PLEX HEAD("h") "secret_hash = " HASH "\n", NULL);
	bool match = false;
	char *env[] = { "PLEX_OIDC_CLIENT_H_SECRET_HASH=" HASH, NULL };

	if (c != NULL) {
		T_CHECK(c->clients[0].secret == NULL);
		T_CHECK(c->clients[0].secret_hash != NULL);
		if (c->clients[0].secret_hash != NULL) {
			T_EQ_INT(secret_hash_verify(c->clients[0].secret_hash, "pleaseletmein", 13, &match), PO_OK);
			T_CHECK(match);
		}
		config_free(c);
	}
	/* from the environment, the hash replaces the file's secret */
	if ((c = load(SERVER PLEX HEAD("h") SECRET, env)) != NULL) {
		T_CHECK(c->clients[0].secret == NULL && c->clients[0].secret_hash != NULL);
		config_free(c);
	}
}

static void
test_webfinger_key(void)
{
	config_t *c = load(SERVER "webfinger = yes\n" PLEX HEAD("a") SECRET, NULL);

	if (c != NULL) {
		T_CHECK(c->webfinger);
		config_free(c);
	}
	if ((c = load(SERVER PLEX HEAD("a") SECRET, NULL)) != NULL) {
		T_CHECK(!c->webfinger); /* off by default */
		config_free(c);
	}
}

static void
test_errors(void)
{
	static const struct {
		const char *name, *text, *want;
		int lines;
	} v[] = {
		{ "unknown preset, with the list", SERVER PLEX HEAD("a") SECRET "preset = grafanna\n",
		    "t.ini:11: [client.a] preset: \"grafanna\" is not a preset; the presets are: cloudflare, grafana, "
		    "oauth2-proxy, jellyfin, home-assistant, proxmox, portainer, immich, nextcloud, generic",
		    1 },
		{ "empty preset", SERVER PLEX HEAD("a") SECRET "preset =\n", "t.ini:11: [client.a] preset: has an empty value",
		    1 },
		{ "public client with a secret", SERVER PLEX HEAD("a") "public = yes\n" SECRET,
		    "t.ini:11: [client.a] secret: set for a public client (public = yes): a public client has no secret",
		    1 },
		{ "public preset with a secret file", SERVER PLEX HEAD("ha") "preset = home-assistant\nsecret_file = x\n",
		    "t.ini:11: [client.ha] secret_file: set for a public client (preset home-assistant)", 1 },
		{ "none with a hashed secret", SERVER PLEX HEAD("a") "token_endpoint_auth_method = none\nsecret_hash = " HASH "\n",
		    "t.ini:11: [client.a] secret_hash: set for a public client (token_endpoint_auth_method = none)", 1 },
		{ "public client without PKCE", SERVER PLEX HEAD("a") "public = yes\nrequire_pkce = no\n",
		    "t.ini:11: [client.a] require_pkce: a public client must use PKCE", 1 },
		{ "public and a secret method", SERVER PLEX HEAD("a") "public = yes\ntoken_endpoint_auth_method = client_secret_basic\n",
		    "t.ini:11: [client.a] token_endpoint_auth_method: client_secret_basic contradicts public = yes", 1 },
		{ "not public but none", SERVER PLEX HEAD("a") SECRET "public = no\ntoken_endpoint_auth_method = none\n",
		    "t.ini:12: [client.a] token_endpoint_auth_method: none contradicts public = no", 1 },
		{ "unsupported method", SERVER PLEX HEAD("a") SECRET "token_endpoint_auth_method = private_key_jwt\n",
		    "t.ini:11: [client.a] token_endpoint_auth_method: private_key_jwt is not supported", 1 },
		{ "unknown method", SERVER PLEX HEAD("a") SECRET "token_endpoint_auth_method = Client_Secret_Basic\n",
		    "t.ini:11: [client.a] token_endpoint_auth_method: \"Client_Secret_Basic\" is not one of", 1 },
		{ "public = maybe", SERVER PLEX HEAD("a") SECRET "public = maybe\n", "t.ini:11: [client.a] public: must be yes or no",
		    1 },
		{ "require_email = true", SERVER PLEX HEAD("a") SECRET "require_email = true\n",
		    "t.ini:11: [client.a] require_email: must be yes or no", 1 },
		{ "always_send_groups = 1", SERVER PLEX HEAD("a") SECRET "always_send_groups = 1\n",
		    "t.ini:11: [client.a] always_send_groups: must be yes or no", 1 },
		{ "unknown claim", SERVER PLEX HEAD("a") SECRET "id_token_claims = email phone\n",
		    "t.ini:11: [client.a] id_token_claims: \"phone\" is not a claim plex-oidc releases", 1 },
		{ "all with a claim", SERVER PLEX HEAD("a") SECRET "id_token_claims = all email\n",
		    "t.ini:11: [client.a] id_token_claims: all and none stand alone", 1 },
		{ "secret and secret_hash", SERVER PLEX HEAD("a") SECRET "secret_hash = " HASH "\n",
		    "t.ini:11: [client.a] secret_hash: set together with secret; give only one of secret, secret_file "
		    "and secret_hash",
		    1 },
		{ "a secret, not its hash", SERVER PLEX HEAD("a") "secret_hash = " SECRET40 "\n",
		    "t.ini:10: [client.a] secret_hash: is not a hash made by plex-oidc hash-secret", 1 },
		{ "a hash asking too much", SERVER PLEX HEAD("a") "secret_hash = $scrypt$ln=16,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w\n",
		    "t.ini:10: [client.a] secret_hash: asks for more work than a token request may spend", 1 },
		{ "private-use URI, confidential client", SERVER PLEX "[client.a]\nredirect_uris = com.example.app:/cb\n" SECRET,
		    "t.ini:9: [client.a] redirect_uris: \"com.example.app:/cb\" is a private-use URI (RFC 8252 §7.1), "
		    "which only a public client may use",
		    1 },
		{ "javascript: for a public client", SERVER PLEX "[client.a]\npublic = yes\nredirect_uris = javascript:alert(1)\n",
		    "t.ini:10: [client.a] redirect_uris: \"javascript:alert(1)\" has a scheme that is not a reverse domain name",
		    1 },
		{ "upper-case scheme", SERVER PLEX "[client.a]\npublic = yes\nredirect_uris = Com.Example.App:/cb\n",
		    "t.ini:10: [client.a] redirect_uris: \"Com.Example.App:/cb\" must be an absolute URL", 1 },
		{ "private-use URI with a fragment", SERVER PLEX "[client.a]\npublic = yes\nredirect_uris = com.example.app:/cb#x\n",
		    "t.ini:10: [client.a] redirect_uris: \"com.example.app:/cb#x\" must not contain a fragment", 1 },
		{ "a bad http URL of a public client", SERVER PLEX "[client.a]\npublic = yes\nredirect_uris = http://\n",
		    "t.ini:10: [client.a] redirect_uris: \"http://\" has no host name", 1 },
		{ "webfinger = on", SERVER "webfinger = on\n" PLEX HEAD("a") SECRET,
		    "t.ini:5: [server] webfinger: must be yes or no", 1 },
	};
	config_t *c;
	buf_t msg;
	size_t i;
	int rc, ok;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c = (config_t *)&msg; /* must be reset to NULL */
		rc = parse(v[i].text, NULL, &c, &msg);
		ok = rc == PO_ERR_INVALID && c == NULL && strstr(buf_str(&msg), v[i].want) != NULL &&
		    count_lines(buf_str(&msg)) == (size_t)v[i].lines;
		if (!ok)
			fprintf(stderr, "  case \"%s\": rc %d, messages:\n%s", v[i].name, rc, buf_str(&msg));
		T_CHECK(ok);
		config_free(c == (config_t *)&msg ? NULL : c);
		buf_free(&msg);
	}
}

int
main(void)
{
	T_RUN(test_presets);
	T_RUN(test_keys_override_preset);
	T_RUN(test_public_redirects);
	T_RUN(test_secret_hash);
	T_RUN(test_webfinger_key);
	T_RUN(test_errors);
	return T_DONE();
}
