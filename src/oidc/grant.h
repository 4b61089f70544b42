/*
 * grant.h - the records the provider keeps in memory between requests:
 * a pending login (authorization request + Plex progress), an
 * authorization code, and an access token. Each lives in its own
 * ttl_cache (oidc.h) which owns it and frees it with the *_free function.
 * They are only read or changed under their cache's lock (ttl_cache_with).
 */
#ifndef PO_OIDC_GRANT_H
#define PO_OIDC_GRANT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/server.h"
#include "oidc/claims.h"

/* The validated authorization request (OIDC Core §3.1.2.1). */
typedef struct authz_req {
	char *client_id;
	char *redirect_uri;
	char *state;          /* NULL when the client sent none */
	char *nonce;          /* NULL when the client sent none */
	char *code_challenge; /* S256 challenge, NULL without PKCE */
	unsigned scopes;      /* SCOPE_* bits */
	char *retry_query;    /* "try again" parameters not kept above (prompt,
	                       * max_age, response_mode), encoded; NULL if none */
} authz_req_t;

enum login_state {
	LOGIN_IDLE = 0,     /* page shown, button not clicked */
	LOGIN_PIN_PENDING,  /* creating the Plex PIN */
	LOGIN_WAITING,      /* PIN created, waiting for the user at Plex */
	LOGIN_CHECKING,     /* PIN approved: reading user and resources */
	LOGIN_DONE,         /* allowed: a code can be issued */
	LOGIN_DENIED,       /* signed in to Plex, server not shared */
	LOGIN_UNAVAILABLE,  /* plex.tv failed: "try again" */
	LOGIN_EXPIRED,      /* the PIN expired */
	LOGIN_ERROR,        /* Plex refused the token, or an internal error */
};

typedef struct login {
	char bid[48];           /* browser id this login is bound to (cookie) */
	authz_req_t req;
	enum login_state st;
	int64_t pin_id;
	char *pin_code;
	int64_t last_poll_ms;
	bool poll_in_flight;
	int poll_failures;
	http_conn_t *waiter;    /* a /login/start suspended on PIN creation */
	claims_t *claims;       /* LOGIN_DONE */
	char *account;          /* LOGIN_DENIED: the Plex account's name */
} login_t;

typedef struct code_grant {
	authz_req_t req;        /* retry_query unused */
	claims_t *claims;
	int64_t issued_ms;      /* monotonic clock, for the 60 s rule */
	bool used;
	bool replayed;          /* presented again: revoke whatever it issued */
	char access_token[48];  /* what the exchange issued, revoked on replay */
} code_grant_t;

typedef struct token_grant {
	char *client_id;
	unsigned scopes;
	claims_t *claims;
} token_grant_t;

void authz_req_clear(authz_req_t *r);
/* Deep copy of src into dst (retry_query not copied). PO_OK or PO_ERR_NOMEM. */
int authz_req_copy(authz_req_t *dst, const authz_req_t *src);
void login_free(void *p);
void code_grant_free(void *p);
void token_grant_free(void *p);

#endif
