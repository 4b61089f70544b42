/*
 * refresh.c - refresh tokens (RFC 6749 §6; OpenID Connect Core §11, §12).
 *
 * A refresh token is sealed (session/seal.h, purpose "refresh", context the
 * issuer) and held by the client alone: it carries the client it was issued
 * to, its chain and its own id, the user and their Plex token, the scopes,
 * the chain's absolute expiry ([server] refresh_lifetime from the first
 * token) and the last access check. A restart loses nothing.
 *
 * Rotation (RFC 9700 §4.14.2): every refresh returns a new token of the
 * same chain, and the server remembers only each chain's current token id
 * (STORE_REFRESH, for refresh_lifetime, bounded by LIM_REFRESH_CHAINS_MAX).
 * Presenting any other token of the chain again is a reuse: the chain is
 * revoked, the thief and the victim both sign in again. A chain the store
 * no longer knows (a restart of a memory store, an eviction) is accepted
 * and known again from then on (docs/SECURITY.md).
 *
 * Every refresh re-checks Plex access like a session: a friend who was
 * un-shared gets invalid_grant; plex.tv down within access_grace still
 * refreshes, past it temporarily_unavailable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/str.h"
#include "oidc/claims.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "po_limits.h"
#include "session/access.h"
#include "session/seal.h"

#define REFRESH_PURPOSE "refresh"
#define REFRESH_FORMAT 1
/* Chain and token ids: 16 random bytes, base64url (22 characters) + NUL. */
#define REFRESH_ID_BYTES 16
#define REFRESH_ID_SIZE 24
/* What STORE_REFRESH holds for a chain: "j=" and the current id, or: */
#define REFRESH_REVOKED "revoked"

struct refresh {
	char cid[LIM_CLIENT_ID_MAX + 1];
	char chain[REFRESH_ID_SIZE];
	char jti[REFRESH_ID_SIZE];
	identity_t *who;
	char *plex_token;
	unsigned scopes;
	int64_t created, expires, checked, good;
};

static void
refresh_clear(struct refresh *r)
{
	identity_free(r->who);
	str_free_secret(r->plex_token);
	memset(r, 0, sizeof(*r));
}

static int
refresh_seal(const keyring_t *ring, const char *issuer, const struct refresh *r, char **out)
{
	json_t *o = json_object(), *who = identity_to_json(r->who);
	char *pt = NULL;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	if (o == NULL || who == NULL)
		goto out;
	if (json_object_set_new(o, "who", who) != 0) {
		who = NULL; /* consumed */
		goto out;
	}
	who = NULL; /* transferred */
	if (json_object_set_new(o, "v", json_integer(REFRESH_FORMAT)) != 0 ||
	    json_object_set_new(o, "cid", json_string(r->cid)) != 0 ||
	    json_object_set_new(o, "ch", json_string(r->chain)) != 0 ||
	    json_object_set_new(o, "j", json_string(r->jti)) != 0 ||
	    json_object_set_new(o, "pt", json_string(r->plex_token)) != 0 ||
	    json_object_set_new(o, "sc", json_integer(r->scopes)) != 0 ||
	    json_object_set_new(o, "c", json_integer(r->created)) != 0 ||
	    json_object_set_new(o, "e", json_integer(r->expires)) != 0 ||
	    json_object_set_new(o, "k", json_integer(r->checked)) != 0 ||
	    json_object_set_new(o, "g", json_integer(r->good)) != 0 || (pt = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	rc = seal_seal(ring, REFRESH_PURPOSE, issuer, pt, strlen(pt), out);
out:
	json_decref(o);
	json_decref(who);
	str_free_secret(pt);
	return rc;
}

static bool
get_id(const json_t *o, const char *k, char *out, size_t outsz)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= outsz)
		return false;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return true;
}

static bool
get_int(const json_t *o, const char *k, int64_t *out)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = json_integer_value(v);
	return true;
}

/* Opens a refresh token. PO_OK, or PO_ERR_INVALID for anything that is not
 * one of ours for this issuer (tampered, truncated, another installation's,
 * a retired key) or is malformed inside. Expiry is the caller's check. */
static int
refresh_open(const keyring_t *ring, const char *issuer, int64_t now, const char *in, struct refresh *r)
{
	uint8_t *pt = NULL;
	size_t n = 0;
	json_t *o = NULL, *v;
	int64_t sc = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = seal_open(ring, now, REFRESH_PURPOSE, issuer, in, strlen(in), &pt, &n)) != PO_OK)
		goto out;
	rc = PO_ERR_INVALID;
	if ((o = json_loadb((const char *)pt, n, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    json_integer_value(json_object_get(o, "v")) != REFRESH_FORMAT || !get_id(o, "cid", r->cid, sizeof(r->cid)) ||
	    !get_id(o, "ch", r->chain, sizeof(r->chain)) || !get_id(o, "j", r->jti, sizeof(r->jti)) ||
	    !get_int(o, "sc", &sc) || !get_int(o, "c", &r->created) || !get_int(o, "e", &r->expires) ||
	    !get_int(o, "k", &r->checked) || !get_int(o, "g", &r->good))
		goto out;
	v = json_object_get(o, "pt");
	if (!json_is_string(v) || !plex_token_ok(json_string_value(v), json_string_length(v)) ||
	    (r->plex_token = str_dup(json_string_value(v))) == NULL ||
	    (r->who = identity_from_json(json_object_get(o, "who"))) == NULL)
		goto out;
	r->scopes = (unsigned)sc;
	rc = PO_OK;
out:
	json_decref(o);
	seal_free(pt, n);
	if (rc != PO_OK)
		refresh_clear(r);
	return rc;
}

/* ---- chains ---- */

enum chain_verdict {
	CHAIN_OK = 0,
	CHAIN_UNKNOWN,
	CHAIN_REUSED,
	CHAIN_REVOKED
};

/* The chain's state as seen for the token jti (read only). */
static enum chain_verdict
chain_look(oidc_t *o, const struct refresh *r, int *rc)
{
	char want[REFRESH_ID_SIZE + 2];
	buf_t b;
	enum chain_verdict v;

	buf_init(&b, sizeof(want) + sizeof(REFRESH_REVOKED));
	snprintf(want, sizeof(want), "j=%s", r->jti);
	if ((*rc = store_get(o->o.store, STORE_REFRESH, r->chain, &b)) == PO_ERR_NOTFOUND) {
		*rc = PO_OK;
		v = CHAIN_UNKNOWN;
	} else if (*rc != PO_OK) {
		v = CHAIN_UNKNOWN;
	} else if (str_eq(buf_str(&b), REFRESH_REVOKED)) {
		v = CHAIN_REVOKED;
	} else {
		v = str_eq(buf_str(&b), want) ? CHAIN_OK : CHAIN_REUSED;
	}
	buf_free(&b);
	return v;
}

static void
chain_revoke(oidc_t *o, const char *chain)
{
	(void)store_del(o->o.store, STORE_REFRESH, chain);
	if (store_put(o->o.store, STORE_REFRESH, chain, REFRESH_REVOKED, strlen(REFRESH_REVOKED)) != PO_OK)
		log_warn("refresh: a chain could not be marked revoked");
	access_forget(o->o.access, chain);
}

/* Moves the chain from token `from` to token `to`, atomically: two uses of
 * one token at once give one success. */
struct advance {
	const char *from, *to;
	bool moved;
	int rc;
};

static enum store_write
advance_fn(void *arg, const char *val, size_t len, buf_t *next)
{
	struct advance *a = arg;
	char want[REFRESH_ID_SIZE + 2];

	a->moved = false;
	snprintf(want, sizeof(want), "j=%s", a->from);
	if (len != strlen(want) || memcmp(val, want, len) != 0)
		return STORE_KEEP; /* someone else moved it: a reuse */
	if ((a->rc = buf_appendf(next, "j=%s", a->to)) != PO_OK)
		return STORE_KEEP;
	a->moved = true;
	return STORE_REPLACE;
}

static int
chain_advance(oidc_t *o, const char *chain, const char *from, const char *to, bool unknown, bool *moved)
{
	struct advance a = { from, to, false, PO_OK };
	char v[REFRESH_ID_SIZE + 2];
	int rc;

	*moved = false;
	snprintf(v, sizeof(v), "j=%s", to);
	if (unknown) {
		/* Known again from now on; another use got there first: a reuse. */
		if ((rc = store_put(o->o.store, STORE_REFRESH, chain, v, strlen(v))) == PO_OK)
			*moved = true;
		return rc == PO_ERR_INVALID ? PO_OK : rc;
	}
	if ((rc = store_update(o->o.store, STORE_REFRESH, chain, advance_fn, &a)) == PO_OK)
		rc = a.rc;
	*moved = a.moved;
	return rc == PO_ERR_NOTFOUND ? PO_OK : rc;
}

/* ---- the first token ---- */

int
oidc_refresh_first(oidc_t *o, const config_client_t *cl, const char *sess, unsigned scopes, char **out)
{
	keyring_t *ring = keyholder_get(o->o.keys);
	int64_t now = clock_now_s();
	struct refresh r = { 0 };
	session_t s = { 0 };
	char v[REFRESH_ID_SIZE + 2];
	int rc;

	*out = NULL;
	/* The session may have expired since the code was issued (60 s). */
	if ((rc = session_open(ring, o->o.cfg->issuer, now, sess, strlen(sess), &s)) != PO_OK)
		goto out;
	snprintf(r.cid, sizeof(r.cid), "%s", cl->id);
	if ((rc = rnd_token(r.chain, sizeof(r.chain), REFRESH_ID_BYTES)) != PO_OK ||
	    (rc = rnd_token(r.jti, sizeof(r.jti), REFRESH_ID_BYTES)) != PO_OK)
		goto out;
	r.who = s.who;
	r.plex_token = s.plex_token;
	r.scopes = scopes;
	r.created = now;
	r.expires = now + o->o.cfg->refresh_lifetime_s;
	r.checked = s.checked;
	r.good = s.good;
	snprintf(v, sizeof(v), "j=%s", r.jti);
	if ((rc = refresh_seal(ring, o->o.cfg->issuer, &r, out)) == PO_OK &&
	    (rc = store_put(o->o.store, STORE_REFRESH, r.chain, v, strlen(v))) != PO_OK) {
		free(*out);
		*out = NULL;
	}
out:
	/* r borrowed the session's user and token. */
	session_clear(&s);
	keyholder_put(ring);
	return rc;
}

/* ---- grant_type=refresh_token ---- */

static void
wake_request(void *conn)
{
	http_resume(conn);
}

void
oidc_refresh_grant(oidc_t *o, const config_client_t *cl, const form_t *f, http_req_t *req, http_resp_t *resp)
{
	keyring_t *ring = keyholder_get(o->o.keys);
	int64_t now = clock_now_s();
	const char *rt = form_get(f, "refresh_token"), *scope = form_get(f, "scope");
	struct refresh r = { 0 };
	oidc_issue_t in = { 0 };
	access_subject_t sub;
	access_result_t ar;
	enum chain_verdict cv;
	char old_jti[REFRESH_ID_SIZE], *next = NULL;
	unsigned scopes;
	bool moved;
	int rc;

	if (!cl->refresh_tokens) {
		oidc_error_json(resp, 400, OE_UNAUTHORIZED_CLIENT, "this client may not use refresh tokens");
		goto out;
	}
	if (rt == NULL || rt[0] == '\0') {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, "refresh_token is required");
		goto out;
	}
	if (strlen(rt) > LIM_SEALED_MAX || refresh_open(ring, o->o.cfg->issuer, now, rt, &r) != PO_OK ||
	    now >= r.expires) {
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "the refresh token is invalid or expired");
		goto out;
	}
	/* RFC 6749 §10.4: bound to the client it was issued to. */
	if (strcmp(r.cid, cl->id) != 0) {
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "the refresh token was issued to another client");
		goto out;
	}
	/* §6: a narrower scope may be asked for, never a wider one. */
	scopes = r.scopes;
	if (scope != NULL) {
		unsigned want = scope_parse(scope);
		if ((want & ~r.scopes) != 0 || !(want & SCOPE_OPENID)) {
			oidc_error_json(resp, 400, OE_INVALID_SCOPE, "the scope is wider than the one granted");
			goto out;
		}
		scopes = want | (r.scopes & SCOPE_OFFLINE_ACCESS);
	}
	cv = chain_look(o, &r, &rc);
	if (rc != PO_OK) {
		oidc_error_json(resp, 503, OE_TEMPORARILY_UNAVAILABLE, "try again in a moment");
		goto out;
	}
	if (cv == CHAIN_REVOKED || cv == CHAIN_REUSED) {
		if (cv == CHAIN_REUSED) {
			/* RFC 9700 §4.14.2: an old token again: someone else has a
			 * copy. End the whole chain. */
			log_warn("refresh: a refresh token of client %s was used twice; its chain is revoked", cl->id);
			chain_revoke(o, r.chain);
		}
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "the refresh token was revoked");
		goto out;
	}
	sub = (access_subject_t){ r.chain, r.plex_token, r.who->plex_id, r.who->access, r.checked, r.good };
	if ((rc = access_check(o->o.access, &sub, now, wake_request, req->conn, &ar)) != PO_OK) {
		oidc_error_json(resp, 500, OE_SERVER_ERROR, NULL);
		goto out;
	}
	switch (ar.st) {
	case ACCESS_WAIT:
		http_req_suspend(req, resp); /* plex.tv is asked; this runs again */
		goto out;
	case ACCESS_GONE:
	case ACCESS_SIGNED_OUT:
		chain_revoke(o, r.chain);
		oidc_error_json(resp, 400, OE_INVALID_GRANT,
		    ar.st == ACCESS_GONE ? "the Plex server is no longer shared with this account"
		                         : "Plex no longer accepts this sign-in");
		goto out;
	case ACCESS_UNAVAILABLE:
		oidc_error_json(resp, 503, OE_TEMPORARILY_UNAVAILABLE, "Plex is not answering; try again later");
		goto out;
	case ACCESS_OK:
		break;
	}
	r.who->access = ar.rel;
	if (oidc_client_refusal(o, cl, r.who) != OIDC_ADMITTED) {
		/* The allow list changed since the sign-in (a restart with a new
		 * configuration): the chain ends like an un-share. */
		chain_revoke(o, r.chain);
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "this account may no longer use this application");
		goto out;
	}
	r.checked = ar.checked;
	r.good = ar.good;
	memcpy(old_jti, r.jti, sizeof(old_jti));
	if ((rc = rnd_token(r.jti, sizeof(r.jti), REFRESH_ID_BYTES)) != PO_OK ||
	    (rc = refresh_seal(ring, o->o.cfg->issuer, &r, &next)) != PO_OK ||
	    (rc = chain_advance(o, r.chain, old_jti, r.jti, cv == CHAIN_UNKNOWN, &moved)) != PO_OK) {
		oidc_error_json(resp, rc == PO_ERR_UPSTREAM ? 503 : 500,
		    rc == PO_ERR_UPSTREAM ? OE_TEMPORARILY_UNAVAILABLE : OE_SERVER_ERROR, NULL);
		goto out;
	}
	if (!moved) {
		/* Another use of the same token won the race. */
		log_warn("refresh: a refresh token of client %s was used twice at once; its chain is revoked", cl->id);
		chain_revoke(o, r.chain);
		oidc_error_json(resp, 400, OE_INVALID_GRANT, "the refresh token was revoked");
		goto out;
	}
	in.cl = cl;
	in.who = r.who;
	in.scopes = scopes;
	in.refresh_token = next;
	oidc_issue_tokens(o, &in, resp);
out:
	free(next);
	refresh_clear(&r);
	keyholder_put(ring);
}
