/*
 * ttl_cache.c - bounded expiring map (see ttl_cache.h).
 *
 * A chained hash table (grown by doubling, so an idle cache costs a few
 * hundred bytes) plus a FIFO list in insertion order. Because every entry
 * of a cache has the same lifetime, the FIFO head is always the next to
 * expire and the oldest to evict. Keys are our own random tokens, so the
 * table does not need a keyed hash against flooding: lookups never insert.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/ttl_cache.h"

struct entry {
	struct entry *hnext; /* hash chain */
	struct entry *prev;  /* FIFO, oldest first */
	struct entry *next;
	int64_t expires_ms;
	size_t size; /* bytes counted against max_bytes */
	void *val;
	size_t klen;
	char key[TTL_CACHE_KEY_MAX + 1];
};

struct ttl_cache {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
	size_t max;
	size_t bytes;     /* sum of entry sizes */
	size_t max_bytes; /* 0: no byte budget */
	int64_t ttl_ms;
	struct entry *head, *tail;
	void (*free_fn)(void *);
};

static uint64_t
hash_key(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (n--) {
		h ^= (unsigned char)*k++;
		h *= 1099511628211ULL;
	}
	return h;
}

ttl_cache_t *
ttl_cache_new(size_t max, int64_t ttl_ms, void (*free_fn)(void *))
{
	ttl_cache_t *c = NULL;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->nbuckets = 16;
	if ((c->buckets = calloc(c->nbuckets, sizeof(*c->buckets))) == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->max = max ? max : 1;
	c->ttl_ms = ttl_ms;
	c->free_fn = free_fn;
	return c;
}

static struct entry **
find_slot(ttl_cache_t *c, const char *key, size_t klen)
{
	struct entry **pp = &c->buckets[hash_key(key, klen) & (c->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->hnext)
		if ((*pp)->klen == klen && memcmp((*pp)->key, key, klen) == 0)
			return pp;
	return pp; /* points at the terminating NULL */
}

/* Unlinks e from its chain and the FIFO and frees it. Lock held. */
static void
drop(ttl_cache_t *c, struct entry *e)
{
	struct entry **pp = find_slot(c, e->key, e->klen);

	if (*pp == e)
		*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	c->count--;
	c->bytes -= e->size;
	if (c->free_fn && e->val)
		c->free_fn(e->val);
	free(e);
}

static void
sweep_locked(ttl_cache_t *c, int64_t now_ms)
{
	while (c->head && c->head->expires_ms <= now_ms)
		drop(c, c->head);
}

static void
grow_locked(ttl_cache_t *c)
{
	size_t n = c->nbuckets * 2, i;
	struct entry **nb;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return; /* keep the old table: longer chains, still correct */
	for (i = 0; i < c->nbuckets; i++) {
		struct entry *e = c->buckets[i], *next;
		for (; e; e = next) {
			size_t b = hash_key(e->key, e->klen) & (n - 1);
			next = e->hnext;
			e->hnext = nb[b];
			nb[b] = e;
		}
	}
	free(c->buckets);
	c->buckets = nb;
	c->nbuckets = n;
}

void
ttl_cache_set_ttl(ttl_cache_t *c, int64_t ttl_ms)
{
	c->ttl_ms = ttl_ms;
}

void
ttl_cache_set_max_bytes(ttl_cache_t *c, size_t max_bytes)
{
	c->max_bytes = max_bytes;
}

int
ttl_cache_put(ttl_cache_t *c, const char *key, void *val, int64_t now_ms)
{
	return ttl_cache_put_sized(c, key, val, 0, now_ms);
}

int
ttl_cache_put_sized(ttl_cache_t *c, const char *key, void *val, size_t size, int64_t now_ms)
{
	size_t klen = key ? strlen(key) : 0;
	struct entry *e = NULL, **slot;
	int rc = PO_ERR_INVALID;

	if (klen == 0 || klen > TTL_CACHE_KEY_MAX)
		goto out;
	if (c->max_bytes && size > c->max_bytes) {
		rc = PO_ERR_LIMIT;
		goto out;
	}
	pthread_mutex_lock(&c->lock);
	sweep_locked(c, now_ms);
	if (*(slot = find_slot(c, key, klen)) != NULL) {
		pthread_mutex_unlock(&c->lock);
		goto out;
	}
	while (c->head && (c->count >= c->max || (c->max_bytes && c->bytes + size > c->max_bytes)))
		drop(c, c->head); /* evict the oldest */
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		pthread_mutex_unlock(&c->lock);
		rc = PO_ERR_NOMEM;
		goto out;
	}
	memcpy(e->key, key, klen);
	e->klen = klen;
	e->size = size;
	c->bytes += size;
	e->val = val;
	val = NULL; /* transferred */
	e->expires_ms = now_ms + c->ttl_ms;
	slot = find_slot(c, key, klen); /* eviction may have changed chains */
	*slot = e;
	e->prev = c->tail;
	if (c->tail)
		c->tail->next = e;
	else
		c->head = e;
	c->tail = e;
	c->count++;
	if (c->count > c->nbuckets)
		grow_locked(c);
	pthread_mutex_unlock(&c->lock);
	rc = PO_OK;
out:
	if (val && c->free_fn)
		c->free_fn(val);
	return rc;
}

int
ttl_cache_with(ttl_cache_t *c, const char *key, int64_t now_ms, ttl_cache_fn fn, void *arg)
{
	size_t klen = key ? strlen(key) : 0;
	struct entry *e;
	int rc = PO_ERR_NOTFOUND;

	if (klen == 0 || klen > TTL_CACHE_KEY_MAX)
		return PO_ERR_NOTFOUND;
	pthread_mutex_lock(&c->lock);
	e = *find_slot(c, key, klen);
	if (e && e->expires_ms > now_ms) {
		size_t size = e->size;
		enum ttl_cache_action act = fn(e->val, &size, arg);

		c->bytes = c->bytes - e->size + size;
		e->size = size;
		if (act == TTL_CACHE_REMOVE)
			drop(c, e);
		rc = PO_OK;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
ttl_cache_remove(ttl_cache_t *c, const char *key)
{
	size_t klen = key ? strlen(key) : 0;
	struct entry *e;
	int rc = PO_ERR_NOTFOUND;

	if (klen == 0 || klen > TTL_CACHE_KEY_MAX)
		return rc;
	pthread_mutex_lock(&c->lock);
	if ((e = *find_slot(c, key, klen)) != NULL) {
		drop(c, e);
		rc = PO_OK;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

size_t
ttl_cache_count(ttl_cache_t *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void
ttl_cache_sweep(ttl_cache_t *c, int64_t now_ms)
{
	pthread_mutex_lock(&c->lock);
	sweep_locked(c, now_ms);
	pthread_mutex_unlock(&c->lock);
}

void
ttl_cache_free(ttl_cache_t *c)
{
	if (c == NULL)
		return;
	while (c->head)
		drop(c, c->head);
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
