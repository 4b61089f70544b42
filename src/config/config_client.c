/*
 * config_client.c - pass 3 of the [client.ID] sections: secrets (inline or
 * from a file), redirect URIs, who may sign in, token settings; and the
 * lookups the endpoints make (config.h).
 *
 * A secret never appears in a message, and every copy of one is wiped
 * when freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_priv.h"
#include "config/config_value.h"
#include "core/err.h"
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
		    "any other character breaks sign-in; " CFG_SECRET_HINT, in, where);
	} else if (len < LIM_CLIENT_SECRET_MIN) {
		cfg_key_err(x, s, k, "the secret%s%s is %zu characters long; at least %d are required; "
		    CFG_SECRET_HINT, in, where, len, LIM_CLIENT_SECRET_MIN);
	} else if (len > LIM_CLIENT_SECRET_MAX) {
		cfg_key_err(x, s, k, "the secret%s%s is %zu characters long; at most %d are allowed", in,
		    where, len, LIM_CLIENT_SECRET_MAX);
	} else {
		return true;
	}
	return false;
}

/* secret or secret_file: exactly one (config.h). */
static int
cfg_client_secret(cfg_parse_t *x, raw_sect_t *s, config_client_t *cl)
{
	const raw_val_t *sv = &s->val[K_SECRET], *fv = &s->val[K_SECRET_FILE];
	char *path = NULL, *data = NULL;
	const char *v;
	size_t len = 0;
	int rc = PO_OK, e;

	if (sv->v != NULL && fv->v != NULL) {
		cfg_key_err(x, s, K_SECRET_FILE, "set together with secret; give only one of secret and "
		    "secret_file");
		goto out;
	}
	if (sv->v == NULL && fv->v == NULL) {
		cfg_key_err(x, s, K_SECRET, "missing; set secret_file = PATH (a file holding the secret) "
		    "or secret = SECRET; " CFG_SECRET_HINT);
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
	/* + 2: the "\r\n" an editor may add. */
	rc = cfg_read_file(path, LIM_CLIENT_SECRET_MAX + 2, &data, &len, &e);
	if (rc == PO_ERR_IO || rc == PO_ERR_LIMIT) {
		if (rc == PO_ERR_IO)
			cfg_key_err(x, s, K_SECRET_FILE, "cannot read %s: %s", path, strerror(e));
		else
			cfg_key_err(x, s, K_SECRET_FILE, "%s is larger than %d bytes; it must hold only the "
			    "secret", path, LIM_CLIENT_SECRET_MAX);
		rc = PO_OK;
		goto out;
	}
	if (rc != PO_OK)
		goto out;
	/* One trailing newline, as `echo` and editors write it (config.h). */
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	data[len] = '\0';
	if (cfg_secret_ok(x, s, K_SECRET_FILE, data, len, path)) {
		cl->secret = data;
		data = NULL; /* transferred */
	}
out:
	free(path);
	str_free_secret(data);
	return rc;
}

static int
cfg_build_client(cfg_parse_t *x, const config_t *c, raw_sect_t *s, config_client_t *cl)
{
	int rc;

	if ((cl->id = str_dup(cfg_sect_name(s))) == NULL)
		return PO_ERR_NOMEM;
	if ((rc = cfg_client_secret(x, s, cl)) != PO_OK)
		return rc;
	if (cfg_get(x, s, K_REDIRECT_URIS, "redirect_uris = https://app.example.com/callback") != NULL) {
		if ((rc = cfg_words(x, s, K_REDIRECT_URIS, LIM_REDIRECT_URIS_MAX, cfg_check_redirect,
		    &cl->redirect_uris, &cl->n_redirect_uris)) != PO_OK)
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

bool
config_client_redirect_ok(const config_client_t *cl, const char *uri)
{
	size_t i;

	if (cl == NULL || uri == NULL)
		return false;
	/* Exact string comparison: no normalisation, no prefix match
	 * (RFC 6749 §3.1.2.3, OpenID Connect Core §3.1.2.1). */
	for (i = 0; i < cl->n_redirect_uris; i++)
		if (str_eq(cl->redirect_uris[i], uri))
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
		cfg_free_list(cl->redirect_uris, cl->n_redirect_uris);
		cfg_free_list(cl->post_logout_redirect_uris, cl->n_post_logout_redirect_uris);
		free(cl->name);
	}
	free(c->clients);
}
