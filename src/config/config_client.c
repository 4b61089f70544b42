/*
 * config_client.c - pass 3 of the [client.ID] sections: secrets (inline,
 * from a file, or as a hash), redirect URIs, who may sign in, token
 * settings; and the lookups the endpoints make (config.h). What the
 * application needs (preset, public...) is config_preset.c's.
 *
 * A secret never appears in a message, and every copy of one is wiped
 * when freed.
 */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_priv.h"
#include "config/config_value.h"
#include "core/err.h"
#include "core/secret_hash.h"
#include "core/str.h"
#include "po_limits.h"

#define CFG_SECRET_HINT "generate one with: openssl rand -base64 48 | tr '+/' '-_' | tr -d '='"

/* Checks a client secret (len bytes). `path` names the secret file it came
 * from, NULL if inline. The secret itself never appears in a message. */
static bool
cfg_secret_ok(cfg_parse_t *x, raw_sect_t *s, int k, const char *v, size_t len, const char *path)
{
	const char *in = path != NULL ? " in " : "", *where = path != NULL ? path : "";

	if (len == 0) {
		cfg_key_err(x, s, k, "the secret%s%s is empty; " CFG_SECRET_HINT, in, where);
	} else if (!cv_secret_chars_ok(v, len)) {
		cfg_key_err(x, s, k, "the secret%s%s has characters other than A-Z a-z 0-9 - . _ ~ "
		                     "(URL-safe): Cloudflare Access sends client secrets without URL-encoding them, so "
		                     "any other character breaks sign-in; " CFG_SECRET_HINT,
		    in, where);
	} else if (len < LIM_CLIENT_SECRET_MIN) {
		cfg_key_err(x, s, k, "the secret%s%s is %zu characters long; at least %d are required; " CFG_SECRET_HINT, in, where, len, LIM_CLIENT_SECRET_MIN);
	} else if (len > LIM_CLIENT_SECRET_MAX) {
		cfg_key_err(x, s, k, "the secret%s%s is %zu characters long; at most %d are allowed", in,
		    where, len, LIM_CLIENT_SECRET_MAX);
	} else {
		return true;
	}
	return false;
}

/* secret_hash: a PHC string of plex-oidc hash-secret, kept parsed. */
static int
cfg_client_secret_hash(cfg_parse_t *x, raw_sect_t *s, config_client_t *cl)
{
	const char *v = cfg_get(x, s, K_SECRET_HASH, NULL), *why;
	secret_hash_t h;

	if (v == NULL)
		return PO_OK;
	if ((why = secret_hash_parse(v, strlen(v), &h)) != NULL) {
		cfg_key_err(x, s, K_SECRET_HASH, "%s", why);
		return PO_OK;
	}
	if ((cl->secret_hash = malloc(sizeof(*cl->secret_hash))) == NULL) {
		secret_hash_clear(&h);
		return PO_ERR_NOMEM;
	}
	*cl->secret_hash = h;
	secret_hash_clear(&h);
	return PO_OK;
}

/* secret, secret_file or secret_hash: exactly one, none for a public
 * client (config.h). */
static int
cfg_client_secret(cfg_parse_t *x, raw_sect_t *s, config_client_t *cl)
{
	const raw_val_t *sv = &s->val[K_SECRET], *fv = &s->val[K_SECRET_FILE], *hv = &s->val[K_SECRET_HASH];
	char *path = NULL, *data = NULL;
	const char *v, *why;
	size_t len = 0;
	int rc = PO_OK, given = (sv->v != NULL) + (fv->v != NULL) + (hv->v != NULL);

	if (config_client_public(cl)) {
		/* RFC 6749 §2.1: a public client cannot keep a secret, so it has
		 * none; one in the file means a mistake somewhere. */
		why = s->val[K_PUBLIC].v != NULL      ? "public = yes"
		    : s->val[K_AUTH_METHOD].v != NULL ? "token_endpoint_auth_method = none"
		                                      : NULL; /* the preset's */
		if (given > 0)
			cfg_key_err(x, s, sv->v != NULL ? K_SECRET : fv->v != NULL ? K_SECRET_FILE
			                                                           : K_SECRET_HASH,
			    "set for a public client (%s%s): a public client has no secret and proves itself with "
			    "PKCE; remove the secret, or set public = no to make it a confidential client",
			    why != NULL ? "" : "preset ", why != NULL ? why : cl->preset);
		goto out;
	}
	if (given > 1) {
		cfg_key_err(x, s, hv->v != NULL ? K_SECRET_HASH : K_SECRET_FILE, "set together with %s; give only one "
		                                                                 "of secret, secret_file and secret_hash",
		    sv->v != NULL ? "secret" : "secret_file");
		goto out;
	}
	if (given == 0) {
		cfg_key_err(x, s, K_SECRET, "missing; set secret_file = PATH (a file holding the secret), "
		                            "secret = SECRET or secret_hash = HASH (from plex-oidc hash-secret); " CFG_SECRET_HINT);
		goto out;
	}
	if (hv->v != NULL) {
		rc = cfg_client_secret_hash(x, s, cl);
		goto out;
	}
	if (sv->v != NULL) {
		if ((v = cfg_get(x, s, K_SECRET, NULL)) != NULL &&
		    cfg_secret_ok(x, s, K_SECRET, v, strlen(v), NULL))
			cl->secret = cfg_take(s, K_SECRET);
		goto out;
	}
	if ((v = cfg_get(x, s, K_SECRET_FILE, NULL)) == NULL)
		goto out;
	if ((path = cfg_path(x, v)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	rc = cfg_read_secret_file(x, s, K_SECRET_FILE, path, LIM_CLIENT_SECRET_MAX, "secret", &data, &len);
	if (rc != PO_OK || data == NULL)
		goto out;
	if (cfg_secret_ok(x, s, K_SECRET_FILE, data, len, path)) {
		cl->secret = data;
		data = NULL; /* transferred */
	}
out:
	free(path);
	str_free_secret(data);
	return rc;
}

/* Native apps (RFC 8252 §7.1): a public client may also be sent back to a
 * private-use URI; http(s) URLs are checked as for any client. */
const char *
cfg_check_redirect_public(const char *w)
{
	if (str_has_prefix(w, strlen(w), "http:") || str_has_prefix(w, strlen(w), "https:"))
		return cfg_check_redirect(w);
	return cv_private_use_uri(w);
}

/* A confidential client's: http(s) only, as always; a private-use URI
 * gets a message that says what would allow it. */
static const char *
cfg_check_redirect_confidential(const char *w)
{
	const char *why = cfg_check_redirect(w);

	if (why != NULL && !str_has_prefix(w, strlen(w), "http") && cv_private_use_uri(w) == NULL)
		return "is a private-use URI (RFC 8252 §7.1), which only a public client may use: a native app has no "
		       "secret to keep; set public = yes (and remove the secret) if this is one";
	return why;
}

static int
cfg_build_client(cfg_parse_t *x, const config_t *c, raw_sect_t *s, config_client_t *cl)
{
	int rc;

	if ((cl->id = str_dup(cfg_sect_name(s))) == NULL)
		return PO_ERR_NOMEM;
	if ((rc = cfg_build_client_protocol(x, s, cl)) != PO_OK || (rc = cfg_client_secret(x, s, cl)) != PO_OK)
		return rc;
	if (cfg_get(x, s, K_REDIRECT_URIS, "redirect_uris = https://app.example.com/callback") != NULL) {
		if ((rc = cfg_words(x, s, K_REDIRECT_URIS, LIM_REDIRECT_URIS_MAX,
		         config_client_public(cl) ? cfg_check_redirect_public : cfg_check_redirect_confidential,
		         &cl->redirect_uris,
		         &cl->n_redirect_uris)) != PO_OK)
			return rc;
		if (cl->n_redirect_uris == 0)
			cfg_key_err(x, s, K_REDIRECT_URIS, "lists no URI");
	}
	if (cfg_get(x, s, K_NAME, NULL) != NULL)
		cl->name = cfg_take(s, K_NAME);
	if (cfg_get(x, s, K_POST_LOGOUT_URIS, NULL) != NULL &&
	    (rc = cfg_words(x, s, K_POST_LOGOUT_URIS, LIM_REDIRECT_URIS_MAX, cfg_check_redirect,
	         &cl->post_logout_redirect_uris, &cl->n_post_logout_redirect_uris)) != PO_OK)
		return rc;
	/* Whoever the server is shared with, unless allow says otherwise:
	 * what every version before groups did. */
	if (s->val[K_CLIENT_ALLOW].v != NULL) {
		cfg_allow(x, c, s, K_CLIENT_ALLOW, &cl->allow);
	} else {
		config_groupset_add(&cl->allow, CONFIG_GROUP_OWNER);
		config_groupset_add(&cl->allow, CONFIG_GROUP_HOME);
		config_groupset_add(&cl->allow, CONFIG_GROUP_FRIEND);
	}
	return cfg_build_client_tokens(x, s, cl);
}

int
cfg_build_clients(cfg_parse_t *x, config_t *c)
{
	size_t i, n = x->n_kind[SECT_CLIENT];
	int rc;

	if (n == 0) {
		if (x->n_kind[SECT_APP] == 0)
			cfg_err(x, 0, "no [client.ID] or [app.NAME] section: add a [client.ID] for each application "
			              "that signs in through plex-oidc, or an [app.NAME] for each one it guards by forward auth "
			              "(see plex-oidc.example.ini)");
		return PO_OK;
	}
	if ((c->clients = calloc(n, sizeof(*c->clients))) == NULL)
		return PO_ERR_NOMEM;
	for (i = 0; i < x->n_named; i++) {
		if (x->named[i].kind != SECT_CLIENT)
			continue;
		c->n_clients++; /* counted first, so config_free() frees a partial client */
		if ((rc = cfg_build_client(x, c, &x->named[i], &c->clients[c->n_clients - 1])) != PO_OK)
			return rc;
	}
	return PO_OK;
}

/* ---- lookups (config.h) ---- */

const config_client_t *
config_client_find(const config_t *c, const char *id)
{
	size_t i;

	if (c == NULL || id == NULL)
		return NULL;
	for (i = 0; i < c->n_clients; i++)
		if (str_eq(c->clients[i].id, id))
			return &c->clients[i];
	return NULL;
}

/* A loopback redirect URI of RFC 8252 §7.3: "http://127.0.0.1" or
 * "http://[::1]", then ":PORT" or nothing, then the rest ("", "/..." or
 * "?..."). On a match, *host_len is the length of the part before the
 * port and *rest where the part after it starts. */
static bool
cfg_loopback_split(const char *u, size_t *host_len, const char **rest)
{
	static const char *const hosts[] = { "http://127.0.0.1", "http://[::1]" };
	const char *p = NULL;
	size_t i, digits = 0;
	uint64_t port;

	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]) && p == NULL; i++)
		if (str_has_prefix(u, strlen(u), hosts[i])) {
			*host_len = strlen(hosts[i]);
			p = u + *host_len;
		}
	if (p == NULL)
		return false;
	if (*p == ':') {
		while (p[1 + digits] >= '0' && p[1 + digits] <= '9')
			digits++;
		if (str_to_u64(p + 1, digits, 65535, &port) != PO_OK || port == 0)
			return false;
		p += 1 + digits;
	}
	if (*p != '\0' && *p != '/' && *p != '?')
		return false; /* "http://127.0.0.1.example.com", "http://127.0.0.1:80@..." */
	*rest = p;
	return true;
}

bool
config_client_redirect_ok(const config_client_t *cl, const char *uri)
{
	const char *rr, *ur;
	size_t rh, uh, i;

	if (cl == NULL || uri == NULL)
		return false;
	/* Exact string comparison: no normalisation, no prefix match
	 * (RFC 6749 §3.1.2.3, OpenID Connect Core §3.1.2.1). */
	for (i = 0; i < cl->n_redirect_uris; i++)
		if (str_eq(cl->redirect_uris[i], uri))
			return true;
	/* RFC 8252 §7.3: a native app listens on a port the system gives it at
	 * the time, so for a loopback IP literal "the authorization server
	 * MUST allow any port to be specified"; everything else still matches
	 * exactly. Public clients only: a web app's redirect URIs stay exact. */
	if (!config_client_public(cl) || !cfg_loopback_split(uri, &uh, &ur))
		return false;
	for (i = 0; i < cl->n_redirect_uris; i++)
		if (cfg_loopback_split(cl->redirect_uris[i], &rh, &rr) && rh == uh &&
		    memcmp(cl->redirect_uris[i], uri, uh) == 0 && str_eq(rr, ur))
			return true;
	return false;
}

bool
config_client_post_logout_ok(const config_client_t *cl, const char *uri)
{
	size_t i;

	if (cl == NULL || uri == NULL)
		return false;
	/* Exact comparison, as for redirect_uris (RP-Initiated Logout §3). */
	for (i = 0; i < cl->n_post_logout_redirect_uris; i++)
		if (str_eq(cl->post_logout_redirect_uris[i], uri))
			return true;
	return false;
}

void
cfg_free_clients(config_t *c)
{
	config_client_t *cl;
	size_t i;

	for (i = 0; i < c->n_clients; i++) {
		cl = &c->clients[i];
		free(cl->id);
		str_free_secret(cl->secret);
		if (cl->secret_hash != NULL)
			secret_hash_clear(cl->secret_hash);
		free(cl->secret_hash);
		cfg_free_list(cl->redirect_uris, cl->n_redirect_uris);
		cfg_free_list(cl->post_logout_redirect_uris, cl->n_post_logout_redirect_uris);
		free(cl->name);
	}
	free(c->clients);
}
