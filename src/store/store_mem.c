/*
 * store_mem.c - the memory backend of the store (see store.h): one
 * ttl_cache per namespace, each value a blob the cache owns.
 *
 * Bounds: every namespace has a maximum count and a byte budget
 * (po_limits.h); a blob counts what the allocator really holds for it
 * (malloc_usable_size) plus the cache's entry, so a flood of large records
 * evicts the oldest instead of growing memory. A blob that grows in
 * store_update() is counted again.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/str.h"
#include "po_limits.h"
#include "store/store_priv.h"
#include "store/ttl_cache.h"

/* What the cache's own entry costs, beyond the blob (key, links, malloc
 * overhead): counted so small records are not under-counted. */
#define MEM_ENTRY_OVERHEAD 192

struct blob {
	size_t len;
	char *data; /* len bytes + NUL */
};

struct mem {
	ttl_cache_t *ns[STORE_NS_COUNT];
};

static const struct {
	size_t max_count;
	size_t max_bytes;
} mem_bounds[STORE_NS_COUNT] = {
	[STORE_LOGINS] = { LIM_LOGINS_MAX, LIM_LOGINS_BYTES_MAX },
	[STORE_CODES] = { LIM_CODES_MAX, LIM_CODES_BYTES_MAX },
	[STORE_TOKENS] = { LIM_TOKENS_MAX, LIM_TOKENS_BYTES_MAX },
	[STORE_SETUP] = { LIM_SETUP_ACCOUNTS_MAX, LIM_SETUP_BYTES_MAX },
	[STORE_ACCESS] = { LIM_ACCESS_KEPT_MAX, LIM_ACCESS_KEPT_BYTES_MAX },
	[STORE_REVOKED] = { LIM_REVOKED_MAX, LIM_REVOKED_BYTES_MAX },
	[STORE_REFRESH] = { LIM_REFRESH_CHAINS_MAX, LIM_REFRESH_CHAINS_BYTES_MAX },
};

static void
blob_free(void *p)
{
	struct blob *b = p;

	if (b == NULL)
		return;
	if (b->data) {
		str_wipe(b->data, b->len);
		free(b->data);
	}
	free(b);
}

static size_t
blob_size(const struct blob *b)
{
	return MEM_ENTRY_OVERHEAD + malloc_usable_size((void *)(uintptr_t)b) +
	    (b->data ? malloc_usable_size(b->data) : 0);
}

/* A new blob holding a copy of (val, len). */
static struct blob *
blob_new(const void *val, size_t len)
{
	struct blob *b = calloc(1, sizeof(*b));

	if (b == NULL || (b->data = malloc(len + 1)) == NULL) {
		free(b);
		return NULL;
	}
	if (len)
		memcpy(b->data, val, len);
	b->data[len] = '\0';
	b->len = len;
	return b;
}

static int
mem_put(void *impl, enum store_ns ns, const char *key, const void *val, size_t len)
{
	struct mem *m = impl;
	struct blob *b = blob_new(val, len);

	if (b == NULL)
		return PO_ERR_NOMEM;
	return ttl_cache_put_sized(m->ns[ns], key, b, blob_size(b), clock_mono_ms());
}

struct get_op {
	buf_t *out;
	int remove;
	int rc;
};

static enum ttl_cache_action
get_locked(void *val, size_t *size, void *arg)
{
	struct blob *b = val;
	struct get_op *g = arg;

	g->rc = buf_append(g->out, b->data, b->len);
	return g->rc == PO_OK && g->remove ? TTL_CACHE_REMOVE : TTL_CACHE_KEEP;
}

static int
mem_get(void *impl, enum store_ns ns, const char *key, buf_t *out, int remove)
{
	struct mem *m = impl;
	struct get_op g = { out, remove, PO_OK };
	int rc;

	if ((rc = ttl_cache_with(m->ns[ns], key, clock_mono_ms(), get_locked, &g)) != PO_OK)
		return rc;
	return g.rc;
}

static int
mem_del(void *impl, enum store_ns ns, const char *key)
{
	return ttl_cache_remove(((struct mem *)impl)->ns[ns], key);
}

struct update_op {
	store_update_fn fn;
	void *arg;
	int rc;
};

static enum ttl_cache_action
update_locked(void *val, size_t *size, void *arg)
{
	struct blob *b = val;
	struct update_op *u = arg;
	enum store_write w;
	buf_t next;
	char *data;
	size_t len;

	buf_init(&next, LIM_STORE_VALUE_MAX);
	w = u->fn(u->arg, b->data, b->len, &next);
	if (w == STORE_DELETE) {
		buf_free(&next);
		return TTL_CACHE_REMOVE;
	}
	if (w == STORE_REPLACE) {
		if ((data = buf_steal(&next, &len)) == NULL) {
			u->rc = PO_ERR_NOMEM;
		} else {
			str_wipe(b->data, b->len);
			free(b->data);
			b->data = data;
			b->len = len;
			*size = blob_size(b);
		}
	}
	buf_free(&next);
	return TTL_CACHE_KEEP;
}

static int
mem_update(void *impl, enum store_ns ns, const char *key, store_update_fn fn, void *arg)
{
	struct mem *m = impl;
	struct update_op u = { fn, arg, PO_OK };
	int rc;

	if ((rc = ttl_cache_with(m->ns[ns], key, clock_mono_ms(), update_locked, &u)) != PO_OK)
		return rc;
	return u.rc;
}

static size_t
mem_count(void *impl, enum store_ns ns)
{
	return ttl_cache_count(((struct mem *)impl)->ns[ns]);
}

static void
mem_set_ttl(void *impl, enum store_ns ns, long long ttl_ms)
{
	ttl_cache_set_ttl(((struct mem *)impl)->ns[ns], ttl_ms);
}

static void
mem_free(void *impl)
{
	struct mem *m = impl;

	if (m == NULL)
		return;
	for (int i = 0; i < STORE_NS_COUNT; i++)
		ttl_cache_free(m->ns[i]);
	free(m);
}

/* No permanent records, always up, not counted (store_priv.h). */
static const struct store_ops mem_ops = {
	.put = mem_put,
	.get = mem_get,
	.del = mem_del,
	.update = mem_update,
	.count = mem_count,
	.set_ttl = mem_set_ttl,
	.free = mem_free,
};

store_t *
store_mem_new(void)
{
	store_t *s = NULL;
	struct mem *m = NULL;

	if ((s = calloc(1, sizeof(*s))) == NULL || (m = calloc(1, sizeof(*m))) == NULL)
		goto fail;
	for (int i = 0; i < STORE_NS_COUNT; i++) {
		if ((m->ns[i] = ttl_cache_new(mem_bounds[i].max_count, store_ns_ttl_ms(i), blob_free)) == NULL)
			goto fail;
		ttl_cache_set_max_bytes(m->ns[i], mem_bounds[i].max_bytes);
	}
	s->ops = &mem_ops;
	s->impl = m;
	return s;
fail:
	mem_free(m);
	free(s);
	return NULL;
}
