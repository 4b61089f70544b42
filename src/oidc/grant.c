/*
 * grant.c - the stored records of the provider (see grant.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/str.h"
#include "http/form.h"
#include "oidc/claims.h"
#include "oidc/grant.h"
#include "po_limits.h"

void
authz_req_clear(authz_req_t *r)
{
	free(r->client_id);
	free(r->redirect_uri);
	str_free_secret(r->state);
	str_free_secret(r->nonce);
	free(r->code_challenge);
	memset(r, 0, sizeof(*r));
}

static int
query_param(buf_t *out, const char *name, const char *value)
{
	int rc;

	if (value == NULL)
		return PO_OK;
	if ((out->len && (rc = buf_puts(out, "&")) != PO_OK) || (rc = buf_puts(out, name)) != PO_OK ||
	    (rc = buf_puts(out, "=")) != PO_OK)
		return rc;
	return form_encode(out, value);
}

int
authz_req_to_query(const authz_req_t *r, const char *extra, buf_t *out)
{
	char scope[SCOPE_STR_MAX];
	int rc;

	scope_format(r->scopes, scope, sizeof(scope));
	if ((rc = query_param(out, "client_id", r->client_id)) != PO_OK ||
	    (rc = query_param(out, "redirect_uri", r->redirect_uri)) != PO_OK ||
	    (rc = query_param(out, "response_type", "code")) != PO_OK || (rc = query_param(out, "scope", scope)) != PO_OK ||
	    (rc = query_param(out, "state", r->state)) != PO_OK || (rc = query_param(out, "nonce", r->nonce)) != PO_OK ||
	    (rc = query_param(out, "code_challenge", r->code_challenge)) != PO_OK ||
	    (rc = query_param(out, "code_challenge_method", r->code_challenge ? "S256" : NULL)) != PO_OK)
		return rc;
	if (extra && extra[0] && ((rc = buf_puts(out, "&")) != PO_OK || (rc = buf_puts(out, extra)) != PO_OK))
		return rc;
	return PO_OK;
}

static int
dup_param(const form_t *f, const char *name, char **out)
{
	const char *v = form_get(f, name);

	*out = NULL;
	if (v == NULL || v[0] == '\0')
		return PO_OK;
	return (*out = str_dup(v)) != NULL ? PO_OK : PO_ERR_NOMEM;
}

int
authz_req_from_query(const char *q, size_t len, authz_req_t *out)
{
	form_t f = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = form_parse(q, len, &f)) != PO_OK)
		goto out;
	out->scopes = scope_parse(form_get(&f, "scope"));
	if ((rc = dup_param(&f, "client_id", &out->client_id)) != PO_OK ||
	    (rc = dup_param(&f, "redirect_uri", &out->redirect_uri)) != PO_OK ||
	    (rc = dup_param(&f, "state", &out->state)) != PO_OK || (rc = dup_param(&f, "nonce", &out->nonce)) != PO_OK ||
	    (rc = dup_param(&f, "code_challenge", &out->code_challenge)) != PO_OK)
		goto out;
	if (out->client_id == NULL || out->redirect_uri == NULL)
		rc = PO_ERR_INVALID;
out:
	form_clear(&f);
	if (rc != PO_OK)
		authz_req_clear(out);
	return rc;
}

/* ---- JSON helpers ---- */

static int
set(json_t *o, const char *k, json_t *v)
{
	return json_object_set_new(o, k, v) == 0 ? PO_OK : PO_ERR_NOMEM;
}

static int
set_str(json_t *o, const char *k, const char *v)
{
	return v == NULL ? PO_OK : set(o, k, json_string(v));
}

static bool
get_str(const json_t *o, const char *k, size_t max, char **out)
{
	const json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL)
		return true;
	if (!json_is_string(v) || json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
		return false;
	return (*out = str_dup(json_string_value(v))) != NULL;
}

/* Adds "who", then dumps o into out. Consumes o. */
static int
finish_record(json_t *o, const identity_t *who, buf_t *out)
{
	json_t *w = NULL;
	char *s = NULL;
	int rc = PO_ERR_NOMEM;

	if (o == NULL || (who && (w = identity_to_json(who)) == NULL))
		goto out;
	if (w && (rc = set(o, "who", w)) != PO_OK) {
		w = NULL; /* consumed by set */
		goto out;
	}
	w = NULL; /* transferred */
	rc = PO_ERR_NOMEM;
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	rc = buf_puts(out, s);
out:
	json_decref(o);
	json_decref(w);
	str_free_secret(s);
	return rc;
}

/* ---- codes ---- */

void
code_grant_clear(code_grant_t *g)
{
	authz_req_clear(&g->req);
	identity_free(g->who);
	free(g->sess);
	str_wipe(g, sizeof(*g));
	memset(g, 0, sizeof(*g));
}

int
code_grant_encode(const code_grant_t *g, buf_t *out)
{
	json_t *o = json_object();
	int rc = PO_ERR_NOMEM;

	if (o == NULL)
		return rc;
	if ((rc = set_str(o, "cid", g->req.client_id)) != PO_OK || (rc = set_str(o, "ru", g->req.redirect_uri)) != PO_OK ||
	    (rc = set_str(o, "st", g->req.state)) != PO_OK || (rc = set_str(o, "nc", g->req.nonce)) != PO_OK ||
	    (rc = set_str(o, "cc", g->req.code_challenge)) != PO_OK ||
	    (rc = set(o, "sc", json_integer(g->req.scopes))) != PO_OK ||
	    (rc = set(o, "iat", json_integer(g->issued_ms))) != PO_OK ||
	    (g->used && (rc = set(o, "u", json_true())) != PO_OK) ||
	    (g->replayed && (rc = set(o, "rp", json_true())) != PO_OK) ||
	    (g->access_token[0] && (rc = set_str(o, "at", g->access_token)) != PO_OK) ||
	    (rc = set_str(o, "ss", g->sess)) != PO_OK) {
		json_decref(o);
		return rc;
	}
	return finish_record(o, g->who, out);
}

int
code_grant_decode(const char *buf, size_t len, code_grant_t *g)
{
	json_t *o = NULL, *v;
	char *at = NULL;
	int rc = PO_ERR_INVALID;

	memset(g, 0, sizeof(*g));
	if ((o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(o))
		goto out;
	if (!get_str(o, "cid", LIM_CLIENT_ID_MAX, &g->req.client_id) || g->req.client_id == NULL ||
	    !get_str(o, "ru", LIM_URL_MAX, &g->req.redirect_uri) || g->req.redirect_uri == NULL ||
	    !get_str(o, "st", LIM_PARAM_LEN_MAX, &g->req.state) || !get_str(o, "nc", LIM_PARAM_LEN_MAX, &g->req.nonce) ||
	    !get_str(o, "cc", LIM_PKCE_CHALLENGE_LEN, &g->req.code_challenge) ||
	    !get_str(o, "at", GRANT_TOKEN_SIZE - 1, &at) || !get_str(o, "ss", LIM_SEALED_MAX, &g->sess))
		goto out;
	if (!json_is_integer(v = json_object_get(o, "sc")) || !json_is_integer(json_object_get(o, "iat")))
		goto out;
	g->req.scopes = (unsigned)json_integer_value(v);
	g->issued_ms = json_integer_value(json_object_get(o, "iat"));
	g->used = json_is_true(json_object_get(o, "u"));
	g->replayed = json_is_true(json_object_get(o, "rp"));
	if (at)
		memcpy(g->access_token, at, strlen(at) + 1);
	if ((g->who = identity_from_json(json_object_get(o, "who"))) == NULL)
		goto out;
	rc = PO_OK;
out:
	str_free_secret(at);
	json_decref(o);
	if (rc != PO_OK)
		code_grant_clear(g);
	return rc;
}

/* ---- access tokens ---- */

void
token_grant_clear(token_grant_t *t)
{
	free(t->client_id);
	identity_free(t->who);
	memset(t, 0, sizeof(*t));
}

int
token_grant_encode(const token_grant_t *t, buf_t *out)
{
	json_t *o = json_object();
	int rc = PO_ERR_NOMEM;

	if (o == NULL)
		return rc;
	if ((rc = set_str(o, "cid", t->client_id)) != PO_OK || (rc = set(o, "sc", json_integer(t->scopes))) != PO_OK) {
		json_decref(o);
		return rc;
	}
	return finish_record(o, t->who, out);
}

int
token_grant_decode(const char *buf, size_t len, token_grant_t *t)
{
	json_t *o = NULL, *v;
	int rc = PO_ERR_INVALID;

	memset(t, 0, sizeof(*t));
	if ((o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(o))
		goto out;
	if (!get_str(o, "cid", LIM_CLIENT_ID_MAX, &t->client_id) || t->client_id == NULL ||
	    !json_is_integer(v = json_object_get(o, "sc")))
		goto out;
	t->scopes = (unsigned)json_integer_value(v);
	if ((t->who = identity_from_json(json_object_get(o, "who"))) == NULL)
		goto out;
	rc = PO_OK;
out:
	json_decref(o);
	if (rc != PO_OK)
		token_grant_clear(t);
	return rc;
}
