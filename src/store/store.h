/*
 * store.h - where the server keeps short-lived state between requests:
 * pending logins, authorization codes, access tokens.
 *
 * One interface, so the protocol code never knows which backend holds its
 * records: the memory backend (the default, store_mem.c) and, for replicas,
 * a shared one (Redis or Valkey, store_redis.h). Values are opaque bytes (the modules that own a record
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
 * when a shared backend cannot be reached or did not answer in time
 * (callers answer "try again"; the store reconnects by itself).
 *
 * Besides the records: permanent records (no time to live, for the key
 * ring, shared backends only), the backend's health, and counters of
 * every call for /metrics.
 */
#ifndef PO_STORE_STORE_H
#define PO_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	STORE_KEEP = 0, /* leave the value as it is */
	STORE_REPLACE,  /* replace it with what the callback wrote to next */
	STORE_DELETE,   /* remove the key */
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
 * yet swept). A shared backend does not count (0): store_shared(). */
size_t store_count(store_t *s, enum store_ns ns);
/* The namespace's name, for logs and metrics ("logins", "codes"...). */
const char *store_ns_name(enum store_ns ns);

/* ---- Permanent records ----
 *
 * Records without a time to live, by name (the rules of keys), for what
 * every replica must share for good: the key ring. Only a shared backend
 * keeps them; the memory backend answers PO_ERR_INVALID to all three
 * (check store_shared(): without one, such things live in data_dir).
 * Values are at most LIM_STORE_PERM_VALUE_MAX bytes (else PO_ERR_LIMIT).
 * The same errors as above otherwise. */

/* Copies the value of name into out (appended). PO_ERR_NOTFOUND if none. */
int store_perm_get(store_t *s, const char *name, buf_t *out) PO_WUR;
/* Stores (name, val) if name is absent: of replicas racing to create it,
 * exactly one gets PO_OK; the others get PO_ERR_INVALID and read the
 * winner's value with store_perm_get(). */
int store_perm_put(store_t *s, const char *name, const void *val, size_t len) PO_WUR;
/* Compare-and-replace: replaces the value with (val, len) if it is still
 * exactly (old, old_len). PO_OK; PO_ERR_INVALID when it is not (another
 * replica changed it: read it again and decide again); PO_ERR_NOTFOUND
 * when name is absent. */
int store_perm_replace(store_t *s, const char *name, const void *old, size_t old_len, const void *val,
    size_t len) PO_WUR;

/* ---- Health and counters (/healthz, /metrics) ---- */

/* true for a backend shared by replicas (Redis), false for memory. */
bool store_shared(const store_t *s);

/* Where the backend stands. */
typedef struct store_health {
	const char *backend; /* "memory" or "redis" (static) */
	bool up;             /* reachable (memory: always) */
	char where[128];     /* "redis://10.0.0.5:6379/0", never a password; "" for memory */
	char error[160];     /* why not up, for /healthz and logs; "" when up */
} store_health_t;

/* Fills *h. probe: a shared backend is asked now (one PING, bounded by
 * LIM_STORE_COMMAND_TIMEOUT_MS; during the reconnect back-off, not at
 * all); else the outcome of the last call is reported. */
void store_health(store_t *s, bool probe, store_health_t *h);

/* The calls that are counted. */
enum store_op {
	STORE_OP_PUT = 0,
	STORE_OP_GET,
	STORE_OP_TAKE,
	STORE_OP_DEL,
	STORE_OP_UPDATE,
	STORE_OP_PERM_GET,
	STORE_OP_PERM_PUT,
	STORE_OP_PERM_REPLACE,
	STORE_OP_COUNT
};
/* Latency buckets: upper bounds in microseconds (store_lat_bound_us), the
 * last bucket is +Inf. */
#define STORE_LAT_BUCKETS 10
extern const int64_t store_lat_bound_us[STORE_LAT_BUCKETS - 1];

/* Counters since the store was made. Only a shared backend is counted (a
 * memory store's are all zero: its calls take nanoseconds and cannot
 * fail for want of a server). */
typedef struct store_stats {
	uint64_t calls[STORE_OP_COUNT];
	uint64_t errors[STORE_OP_COUNT];                 /* answered PO_ERR_UPSTREAM */
	uint64_t lat[STORE_OP_COUNT][STORE_LAT_BUCKETS]; /* per bucket, not cumulative */
	uint64_t lat_sum_us[STORE_OP_COUNT];
	uint64_t conflicts;        /* store_update() tries redone after another writer */
	uint64_t connects;         /* connections opened */
	uint64_t connect_failures; /* connections that could not be opened */
} store_stats_t;

/* A snapshot of the counters (each read atomically, not all together). */
void store_stats(store_t *s, store_stats_t *out);
/* "put", "get", "take", "del", "update", "perm_get", "perm_put",
 * "perm_replace"; "unknown" otherwise. */
const char *store_op_name(enum store_op op);

#endif
