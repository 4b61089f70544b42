/* test_ttl_cache.c - the bounded expiring store, driven by a fake clock. */
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "store/ttl_cache.h"
#include "t.h"

static int freed;

static void
count_free(void *p)
{
	freed++;
	free(p);
}

static enum ttl_cache_action
read_int(void *val, size_t *size, void *arg)
{
	*(int *)arg = *(int *)val;
	return TTL_CACHE_KEEP;
}

static enum ttl_cache_action
take(void *val, size_t *size, void *arg)
{
	*(int *)arg = *(int *)val;
	return TTL_CACHE_REMOVE;
}

static int *
box(int v)
{
	int *p = malloc(sizeof(*p));
	*p = v;
	return p;
}

static void
test_put_get_expire(void)
{
	ttl_cache_t *c = ttl_cache_new(10, 1000, count_free);
	int got = 0;

	freed = 0;
	T_EQ_INT(ttl_cache_put(c, "a", box(1), 0), PO_OK);
	T_EQ_INT(ttl_cache_with(c, "a", 999, read_int, &got), PO_OK);
	T_EQ_INT(got, 1);
	/* expires exactly at put + ttl */
	T_EQ_INT(ttl_cache_with(c, "a", 1000, read_int, &got), PO_ERR_NOTFOUND);
	T_EQ_INT(ttl_cache_with(c, "zz", 0, read_int, &got), PO_ERR_NOTFOUND);
	/* the next put sweeps it */
	T_EQ_INT(ttl_cache_put(c, "b", box(2), 1500), PO_OK);
	T_EQ_INT(freed, 1);
	T_EQ_INT(ttl_cache_count(c), 1);
	ttl_cache_free(c);
	T_EQ_INT(freed, 2);
}

static void
test_duplicate_and_bad_keys(void)
{
	ttl_cache_t *c = ttl_cache_new(10, 1000, count_free);
	char longkey[TTL_CACHE_KEY_MAX + 2];

	freed = 0;
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	T_EQ_INT(ttl_cache_put(c, "a", box(1), 0), PO_OK);
	T_EQ_INT(ttl_cache_put(c, "a", box(2), 0), PO_ERR_INVALID);
	T_EQ_INT(freed, 1); /* the refused value was freed */
	T_EQ_INT(ttl_cache_put(c, "", box(3), 0), PO_ERR_INVALID);
	T_EQ_INT(ttl_cache_put(c, longkey, box(3), 0), PO_ERR_INVALID);
	T_EQ_INT(freed, 3);
	ttl_cache_free(c);
}

static void
test_eviction_bounded(void)
{
	ttl_cache_t *c = ttl_cache_new(100, 1000000, count_free);
	char key[32];
	int got = -1, i;

	freed = 0;
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		T_EQ_INT(ttl_cache_put(c, key, box(i), i), PO_OK);
	}
	T_EQ_INT(ttl_cache_count(c), 100);
	T_EQ_INT(freed, 4900);
	/* the oldest were evicted, the newest kept */
	T_EQ_INT(ttl_cache_with(c, "k0", 5000, read_int, &got), PO_ERR_NOTFOUND);
	T_EQ_INT(ttl_cache_with(c, "k4999", 5000, read_int, &got), PO_OK);
	T_EQ_INT(got, 4999);
	T_EQ_INT(ttl_cache_with(c, "k4900", 5000, read_int, &got), PO_OK);
	T_EQ_INT(got, 4900);
	ttl_cache_free(c);
}

static void
test_remove_via_callback(void)
{
	ttl_cache_t *c = ttl_cache_new(10, 1000, count_free);
	int got = 0;

	T_EQ_INT(ttl_cache_put(c, "code", box(7), 0), PO_OK);
	T_EQ_INT(ttl_cache_with(c, "code", 1, take, &got), PO_OK);
	T_EQ_INT(got, 7);
	T_EQ_INT(ttl_cache_with(c, "code", 2, take, &got), PO_ERR_NOTFOUND);
	T_EQ_INT(ttl_cache_put(c, "x", box(8), 3), PO_OK);
	T_EQ_INT(ttl_cache_remove(c, "x"), PO_OK);
	T_EQ_INT(ttl_cache_remove(c, "x"), PO_ERR_NOTFOUND);
	T_EQ_INT(ttl_cache_count(c), 0);
	ttl_cache_free(c);
}

static void
test_growth_keeps_entries(void)
{
	ttl_cache_t *c = ttl_cache_new(100000, 1000, count_free);
	char key[32];
	int got, i, ok = 1;

	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		ttl_cache_put(c, key, box(i), 0);
	}
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		got = -1;
		if (ttl_cache_with(c, key, 1, read_int, &got) != PO_OK || got != i)
			ok = 0;
	}
	T_CHECK(ok);
	ttl_cache_sweep(c, 1000);
	T_EQ_INT(ttl_cache_count(c), 0);
	ttl_cache_free(c);
}

static void
test_byte_budget(void)
{
	ttl_cache_t *c = ttl_cache_new(1000, 1000, count_free);
	int got = 0;

	freed = 0;
	ttl_cache_set_max_bytes(c, 10000);
	T_EQ_INT(ttl_cache_put_sized(c, "a", box(1), 4000, 0), PO_OK);
	T_EQ_INT(ttl_cache_put_sized(c, "b", box(2), 4000, 0), PO_OK);
	/* a third would pass 10000 bytes: the oldest goes */
	T_EQ_INT(ttl_cache_put_sized(c, "c", box(3), 4000, 0), PO_OK);
	T_EQ_INT(ttl_cache_count(c), 2);
	T_EQ_INT(ttl_cache_with(c, "a", 1, read_int, &got), PO_ERR_NOTFOUND);
	T_EQ_INT(ttl_cache_with(c, "c", 1, read_int, &got), PO_OK);
	/* larger than the whole budget: refused, value freed */
	T_EQ_INT(ttl_cache_put_sized(c, "d", box(4), 10001, 0), PO_ERR_LIMIT);
	T_EQ_INT(freed, 2);
	/* removal gives the bytes back */
	T_EQ_INT(ttl_cache_remove(c, "b"), PO_OK);
	T_EQ_INT(ttl_cache_put_sized(c, "e", box(5), 6000, 0), PO_OK);
	T_EQ_INT(ttl_cache_count(c), 2);
	ttl_cache_free(c);
}

int
main(void)
{
	T_RUN(test_put_get_expire);
	T_RUN(test_duplicate_and_bad_keys);
	T_RUN(test_eviction_bounded);
	T_RUN(test_remove_via_callback);
	T_RUN(test_growth_keeps_entries);
	T_RUN(test_byte_budget);
	return T_DONE();
}
