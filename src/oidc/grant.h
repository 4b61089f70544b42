/*
 * grant.h - what the provider keeps between requests, as store records:
 * the authorization request a login carries, the authorization code, and
 * the access token. Each is encoded here (JSON, short keys) and decoded
 * strictly: a record that does not have the right shape is treated as
 * absent.
 */
#ifndef PO_OIDC_GRANT_H
#define PO_OIDC_GRANT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "policy/identity.h"

/* A random code or access token: base64url of LIM_RANDOM_TOKEN_BYTES, in
 * a buffer with room for the NUL. */
#define GRANT_TOKEN_SIZE 48

/* The validated authorization request (OIDC Core §3.1.2.1). */
typedef struct authz_req {
	char *client_id;
	char *redirect_uri;
	char *state;          /* NULL when the client sent none */
	char *nonce;          /* NULL when the client sent none */
	char *code_challenge; /* S256 challenge, NULL without PKCE */
	unsigned scopes;      /* SCOPE_* bits */
} authz_req_t;

typedef struct code_grant {
	authz_req_t req;
	identity_t *who;
	char *sess;        /* the sign-on session, sealed: where a refresh token
	                    * gets the Plex token from (offline_access); may be NULL */
	int64_t issued_ms; /* wall clock, for the 60 s rule */
	bool used;
	bool replayed;                       /* presented again: revoke whatever it issued */
	char access_token[GRANT_TOKEN_SIZE]; /* what the exchange issued, revoked on replay */
} code_grant_t;

typedef struct token_grant {
	char *client_id;
	unsigned scopes;
	identity_t *who;
} token_grant_t;

void authz_req_clear(authz_req_t *r);
/* The request as a query string, to store with its login and to replay it
 * ("try again"): its fields, plus extra (already encoded: "prompt=login",
 * may be NULL or ""). Appends to out. */
int authz_req_to_query(const authz_req_t *r, const char *extra, buf_t *out) PO_WUR;
/* Back from such a query (extra parameters ignored). PO_OK,
 * PO_ERR_INVALID (no client_id or redirect_uri), PO_ERR_NOMEM. */
int authz_req_from_query(const char *q, size_t len, authz_req_t *out) PO_WUR;

void code_grant_clear(code_grant_t *g);
int code_grant_encode(const code_grant_t *g, buf_t *out) PO_WUR;
int code_grant_decode(const char *buf, size_t len, code_grant_t *g) PO_WUR;

void token_grant_clear(token_grant_t *t);
int token_grant_encode(const token_grant_t *t, buf_t *out) PO_WUR;
int token_grant_decode(const char *buf, size_t len, token_grant_t *t) PO_WUR;

#endif
