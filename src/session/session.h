/*
 * session.h - the browser's sign-on session, kept by the browser: who
 * signed in with Plex, when, their Plex token (to re-check access), and
 * what Plex said at the last check, sealed (session/seal.h, AES-256-GCM
 * with the key ring's sealing key; purpose "session", context the issuer)
 * into a cookie. The server holds nothing per session, so memory does not
 * grow with the number of signed-in users and a restart signs nobody out;
 * the sealing keys in data_dir are what make the cookie unforgeable and
 * unreadable.
 *
 * The cookie is HttpOnly and SameSite=Lax, with the __Host- prefix and
 * Secure when the issuer is https (RFC 6265bis §4.1.3.2): no sibling
 * subdomain can plant or read it. Its Max-Age is what is left of the
 * session's absolute lifetime ([server] session_lifetime), which nothing
 * extends: a new Plex sign-in makes a new session.
 *
 * A session is ended before its time by logout or by a re-check that finds
 * the share gone: its id is then remembered as revoked (store.h,
 * STORE_REVOKED) until it would have expired anyway.
 *
 * Forward auth (gate/gate.h) carries the same session (same id, same
 * checks) in a second cookie set on [server] cookie_domain, so that every
 * guarded host receives it: sealed for another purpose ("gate"), so a
 * value taken from a guarded app never opens as the provider's sign-on
 * session, and revoking the id ends both. Being shared by sibling hosts it
 * cannot have the __Host- prefix; it is __Secure- and Secure when the
 * issuer is https, HttpOnly and SameSite=Lax like the other.
 */
#ifndef PO_SESSION_SESSION_H
#define PO_SESSION_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "http/server.h"
#include "keys/keyring.h"
#include "policy/identity.h"
#include "store/store.h"

/* A session id: base64url of 16 random bytes (22 characters) and a NUL. */
#define SESSION_ID_SIZE 24
#define SESSION_COOKIE "plexoidc_session"
#define SESSION_COOKIE_HOST "__Host-plexoidc_session"
#define SESSION_GATE_COOKIE "plexoidc_gate"
#define SESSION_GATE_COOKIE_SECURE "__Secure-plexoidc_gate"

typedef struct session {
	char sid[SESSION_ID_SIZE]; /* names the session (logout revokes it) */
	identity_t *who;           /* access: the relationship at the last good check */
	char *plex_token;          /* the user's Plex token: a secret */
	int64_t created;           /* Unix seconds */
	int64_t expires;           /* created + session_lifetime: never extended */
	int64_t checked;           /* the last access check (plex.tv answered or not) */
	int64_t good;              /* the last check plex.tv answered */
	int64_t usable_until;      /* opened: expires, or sooner when the key
	                            * that sealed it retires (seal_retire) */
} session_t;

/* A new session for who (copied) signed in at now with plex_token
 * (copied), lasting lifetime_s. PO_OK, PO_ERR_CRYPTO (no randomness) or
 * PO_ERR_NOMEM. */
int session_new(const identity_t *who, const char *plex_token, int64_t now, int64_t lifetime_s, session_t *out) PO_WUR;
/* Wipes and frees what s holds. */
void session_clear(session_t *s);

/* Seals s for issuer into *out (malloc'd; caller frees). PO_OK, PO_ERR_LIMIT
 * (too large for a cookie), PO_ERR_CRYPTO, PO_ERR_NOMEM. */
int session_seal(const keyring_t *r, const char *issuer, const session_t *s, char **out) PO_WUR;
/* Opens a sealed session at now. PO_OK; PO_ERR_INVALID when it is not one
 * of ours for this issuer (tampered, truncated, another installation's,
 * sealed with a retired key, malformed inside) or it has expired. */
int session_open(const keyring_t *r, const char *issuer, int64_t now, const char *in, size_t len, session_t *out) PO_WUR;

/* The same for the forward-auth cookie (purpose "gate"). */
int session_seal_gate(const keyring_t *r, const char *issuer, const session_t *s, char **out) PO_WUR;
int session_open_gate(const keyring_t *r, const char *issuer, int64_t now, const char *in, size_t len,
    session_t *out) PO_WUR;

/* The session cookie's name for an http or https issuer. */
const char *session_cookie_name(bool https);
/* The session of the request's cookie, opened: PO_OK, PO_ERR_NOTFOUND (no
 * cookie) or PO_ERR_INVALID (as session_open). */
int session_from_request(const keyring_t *r, const char *issuer, bool https, int64_t now, const http_req_t *req,
    session_t *out) PO_WUR;
/* Adds the Set-Cookie header that stores value (sealed) until expires
 * (Max-Age from now), or, with value NULL, that removes the cookie. */
int session_set_cookie(http_resp_t *resp, bool https, const char *value, int64_t expires, int64_t now) PO_WUR;

/* The forward-auth cookie: its name, and the Set-Cookie header that stores
 * value (sealed by session_seal_gate) on domain until expires, or, with
 * value NULL, removes it. */
const char *session_gate_cookie_name(bool https);
int session_set_gate_cookie(http_resp_t *resp, bool https, const char *domain, const char *value, int64_t expires,
    int64_t now) PO_WUR;

/* Revocation (STORE_REVOKED, keyed by the session id): PO_OK when sid is
 * not revoked, PO_ERR_INVALID when it is, or the store's error (a store out
 * of reach cannot tell: callers must not trust the session then). */
int session_check_revoked(store_t *st, const char *sid) PO_WUR;
/* Remembers sid as revoked. PO_OK, PO_ERR_INVALID (revoked already) or the
 * store's error. */
int session_revoke(store_t *st, const char *sid) PO_WUR;

#endif
