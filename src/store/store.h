/*
 * store.h - where the server keeps short-lived state between requests:
 * pending logins, authorization codes, access tokens.
 *
 * One interface, so the protocol code never knows which backend holds its
 * records: the memory backend (the default, store_mem.c) and, for replicas,
 * a shared one. Values are opaque bytes (the modules that own a record
 * encode and decode it); keys are our own random tokens (at most
 * STORE_KEY_MAX bytes). Each namespace has a fixed time to live, counted
 * from the put, and in memory a maximum count and byte budget (po_limits.h)
 * beyond which the oldest entries are evicted: memory is bounded whatever
 * the traffic.
 *
 * Atomicity: every call is atomic on its one key. store_take() gives a
 * value to exactly one caller; store_update() is a read-modify-write that no
 * other writer of that key interleaves with (in memory under the
 * namespace's lock; a shared backend may call the callback again after a
 * conflict, so the callback must not have side effects beyond its outputs,
 * which it rewrites on every call).
 *
 * Thread-safe. Errors: PO_ERR_NOTFOUND (no such key, or it expired),
 * PO_ERR_INVALID (a bad key, or put on a key that exists), PO_ERR_LIMIT (a
 * value over the namespace's budget), PO_ERR_NOMEM, and PO_ERR_UPSTREAM
 * when a shared backend cannot be reached (callers answer "try again").
 */
#ifndef PO_STORE_STORE_H
#define PO_STORE_STORE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define STORE_KEY_MAX 64

enum store_ns {
	STORE_LOGINS = 0, /* pending logins (login/logins.c) */
	STORE_CODES,      /* authorization codes, kept past use to catch a replay */
	STORE_TOKENS,     /* access tokens for UserInfo */
	STORE_SETUP,      /* setup mode: the servers a Plex account owns */
	STORE_ACCESS,     /* the outcome of a session's last access re-check (session/access.c) */
	STORE_REVOKED,    /* sessions ended before their time (logout, share gone) */
	STORE_REFRESH,    /* refresh token chains: the current token, or revoked */
	STORE_NS_COUNT
};

typedef struct store store_t;

/* What store_update()'s callback wants done. */
enum store_write {
	STORE_KEEP = 0,   /* leave the value as it is */
	STORE_REPLACE,    /* replace it with what the callback wrote to next */
	STORE_DELETE,     /* remove the key */
};
/* Sees the current value (val, len: borrowed, valid during the call) and
 * may write a new one into next (empty on every call). */
typedef enum store_write (*store_update_fn)(void *arg, const char *val, size_t len, buf_t *next);

/* The memory backend, with the bounds of po_limits.h. NULL on allocation
 * failure. */
store_t *store_mem_new(void);
/* Sets a namespace's time to live (milliseconds), for the namespaces whose
 * lifetime the configuration decides (STORE_ACCESS: access_recheck;
 * STORE_REVOKED: session_lifetime; STORE_REFRESH: refresh_lifetime). Call
 * before the store is used. */
void store_set_ttl(store_t *s, enum store_ns ns, long long ttl_ms);
/* Frees the store (wiping values: they may hold secrets). Accepts NULL. */
void store_free(store_t *s);

/* Inserts (key, val) if the key is absent. */
int store_put(store_t *s, enum store_ns ns, const char *key, const void *val, size_t len) PO_WUR;
/* Copies the value of key into out (appended). */
int store_get(store_t *s, enum store_ns ns, const char *key, buf_t *out) PO_WUR;
/* Copies the value into out and removes the key, atomically. */
int store_take(store_t *s, enum store_ns ns, const char *key, buf_t *out) PO_WUR;
/* Removes the key. PO_OK or PO_ERR_NOTFOUND. */
int store_del(store_t *s, enum store_ns ns, const char *key);
/* Read-modify-write of an existing key (its time to live is unchanged).
 * PO_OK once fn's verdict is applied, or an error (fn's outputs are then
 * undefined unless it ran). */
int store_update(store_t *s, enum store_ns ns, const char *key, store_update_fn fn, void *arg) PO_WUR;
/* Live entries of a namespace, for metrics (may count expired ones not
 * yet swept). */
size_t store_count(store_t *s, enum store_ns ns);
/* The namespace's name, for logs and metrics ("logins", "codes"...). */
const char *store_ns_name(enum store_ns ns);

#endif
