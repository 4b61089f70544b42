/*
 * ttl_cache.h - a bounded, thread-safe, in-memory map from string keys to
 * owned values that expire.
 *
 * The memory backend of the store (store.h) keeps each namespace in one. Every
 * entry of one cache lives the same time (ttl_ms), so entries expire in
 * insertion order: the cache keeps them on a FIFO list and drops expired ones
 * from its head on every insert. When the cache is full, the oldest entry is
 * evicted (a flood can push out old entries, never grow memory).
 *
 * Values are only touched under the cache's lock, through ttl_cache_with():
 * the callback runs with the lock held and must be short and must not call
 * back into the same cache. The cache owns its values and frees them with
 * free_fn when they expire, are evicted or removed.
 */
#ifndef PO_STORE_TTL_CACHE_H
#define PO_STORE_TTL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define TTL_CACHE_KEY_MAX 64

typedef struct ttl_cache ttl_cache_t;

/* What a ttl_cache_with() callback wants done with the entry afterwards. */
enum ttl_cache_action {
	TTL_CACHE_KEEP = 0,
	TTL_CACHE_REMOVE = 1
};
/* Called with the lock held. *size is the bytes the entry counts against
 * the byte budget; the callback may change it when the value grew or shrank
 * in place (the cache re-counts it on return). */
typedef enum ttl_cache_action (*ttl_cache_fn)(void *val, size_t *size, void *arg);

/* Creates a cache of at most max entries living ttl_ms each. free_fn frees a
 * value (may be NULL). NULL on allocation failure. */
ttl_cache_t *ttl_cache_new(size_t max, int64_t ttl_ms, void (*free_fn)(void *));
/* Also bounds the bytes held: entries put with a size count against
 * max_bytes, and the oldest are evicted to stay under it. Call once, before
 * use. (A count alone does not bound memory when entries vary in size:
 * an authorization request can carry kilobytes of state and nonce.) */
void ttl_cache_set_max_bytes(ttl_cache_t *c, size_t max_bytes);
/* Changes the lifetime of entries put from now on (call before use: the
 * FIFO order assumes one lifetime for every entry). */
void ttl_cache_set_ttl(ttl_cache_t *c, int64_t ttl_ms);
/* Frees every value and the cache. Accepts NULL. */
void ttl_cache_free(ttl_cache_t *c);
/* Inserts val under key (1..TTL_CACHE_KEY_MAX bytes). Takes ownership of val
 * in every case (freed on failure). PO_OK, PO_ERR_INVALID (bad key or key
 * already present) or PO_ERR_NOMEM. */
int ttl_cache_put(ttl_cache_t *c, const char *key, void *val, int64_t now_ms);
/* ttl_cache_put with the value's size in bytes, for the byte budget. An
 * entry larger than the whole budget is refused (PO_ERR_LIMIT, val freed). */
int ttl_cache_put_sized(ttl_cache_t *c, const char *key, void *val, size_t size, int64_t now_ms);
/* Runs fn(val, arg) under the lock for a live entry. PO_OK, or
 * PO_ERR_NOTFOUND if there is no such entry or it expired (fn not run). */
int ttl_cache_with(ttl_cache_t *c, const char *key, int64_t now_ms, ttl_cache_fn fn, void *arg);
/* Removes an entry if present. PO_OK or PO_ERR_NOTFOUND. */
int ttl_cache_remove(ttl_cache_t *c, const char *key);
/* Live entries (expired ones not yet swept may be counted). */
size_t ttl_cache_count(ttl_cache_t *c);
/* Drops expired entries now (also done on every put). */
void ttl_cache_sweep(ttl_cache_t *c, int64_t now_ms);

#endif
