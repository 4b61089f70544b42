/*
 * test_store.c - the store interface on its memory backend: every
 * operation, atomic take, read-modify-write with each verdict, bad keys,
 * and the byte budget counting a record that grows in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "po_limits.h"
#include "store/store.h"
#include "t.h"

static enum store_write
append_x(void *arg, const char *val, size_t len, buf_t *next)
{
	int *calls = arg;

	(*calls)++;
	if (buf_append(next, val, len) != PO_OK || buf_puts(next, "x") != PO_OK)
		return STORE_KEEP;
	return STORE_REPLACE;
}

static enum store_write
verdict(void *arg, const char *val, size_t len, buf_t *next)
{
	return *(enum store_write *)arg;
}

static enum store_write
grow(void *arg, const char *val, size_t len, buf_t *next)
{
	size_t n = *(size_t *)arg;

	for (size_t i = 0; i < n; i++)
		if (buf_puts(next, "y") != PO_OK)
			return STORE_KEEP;
	return STORE_REPLACE;
}

static void
test_operations(void)
{
	store_t *s = store_mem_new();
	buf_t b;
	int calls = 0;
	enum store_write w;

	buf_init(&b, 1024);
	T_EQ_INT(store_put(s, STORE_CODES, "k1", "hello", 5), PO_OK);
	T_EQ_INT(store_put(s, STORE_CODES, "k1", "again", 5), PO_ERR_INVALID); /* only if absent */
	T_EQ_INT(store_put(s, STORE_TOKENS, "k1", "other ns", 8), PO_OK);      /* namespaces are apart */
	T_EQ_INT(store_get(s, STORE_CODES, "k1", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "hello");
	buf_reset(&b);
	T_EQ_INT(store_update(s, STORE_CODES, "k1", append_x, &calls), PO_OK);
	T_EQ_INT(calls, 1);
	T_EQ_INT(store_get(s, STORE_CODES, "k1", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "hellox");
	buf_reset(&b);
	w = STORE_KEEP;
	T_EQ_INT(store_update(s, STORE_CODES, "k1", verdict, &w), PO_OK);
	T_EQ_INT(store_get(s, STORE_CODES, "k1", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "hellox");
	buf_reset(&b);
	/* take: once */
	T_EQ_INT(store_take(s, STORE_CODES, "k1", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "hellox");
	buf_reset(&b);
	T_EQ_INT(store_take(s, STORE_CODES, "k1", &b), PO_ERR_NOTFOUND);
	T_EQ_INT(store_update(s, STORE_CODES, "k1", append_x, &calls), PO_ERR_NOTFOUND);
	T_EQ_INT(calls, 1);
	/* delete by verdict, and by call */
	T_EQ_INT(store_put(s, STORE_CODES, "k2", "", 0), PO_OK);
	w = STORE_DELETE;
	T_EQ_INT(store_update(s, STORE_CODES, "k2", verdict, &w), PO_OK);
	T_EQ_INT(store_get(s, STORE_CODES, "k2", &b), PO_ERR_NOTFOUND);
	T_EQ_INT(store_del(s, STORE_TOKENS, "k1"), PO_OK);
	T_EQ_INT(store_del(s, STORE_TOKENS, "k1"), PO_ERR_NOTFOUND);
	/* bad keys and namespaces */
	T_EQ_INT(store_put(s, STORE_CODES, "", "v", 1), PO_ERR_INVALID);
	T_EQ_INT(store_put(s, STORE_CODES, NULL, "v", 1), PO_ERR_INVALID);
	T_EQ_INT(store_put(s, STORE_NS_COUNT, "k", "v", 1), PO_ERR_INVALID);
	{
		char long_key[STORE_KEY_MAX + 2];
		memset(long_key, 'a', sizeof(long_key) - 1);
		long_key[sizeof(long_key) - 1] = '\0';
		T_EQ_INT(store_put(s, STORE_CODES, long_key, "v", 1), PO_ERR_INVALID);
		T_EQ_INT(store_get(s, STORE_CODES, long_key, &b), PO_ERR_NOTFOUND);
		long_key[STORE_KEY_MAX] = '\0';
		T_EQ_INT(store_put(s, STORE_CODES, long_key, "v", 1), PO_OK);
	}
	T_EQ_STR(store_ns_name(STORE_LOGINS), "logins");
	T_EQ_STR(store_ns_name(STORE_NS_COUNT), "unknown");
	buf_free(&b);
	store_free(s);
	store_free(NULL);
}

/* A record that grows in place counts its new size: the namespace's byte
 * budget then evicts the oldest rather than growing memory. */
static void
test_budget_counts_growth(void)
{
	store_t *s = store_mem_new();
	size_t big = LIM_STORE_VALUE_MAX - 16, n = 0, i;
	char key[32];
	buf_t b;

	buf_init(&b, LIM_STORE_VALUE_MAX);
	/* Fill the logins budget with small records, then grow them all. */
	for (i = 0; i < LIM_LOGINS_BYTES_MAX / (LIM_STORE_VALUE_MAX / 4); i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		T_EQ_INT(store_put(s, STORE_LOGINS, key, "small", 5), PO_OK);
		T_EQ_INT(store_update(s, STORE_LOGINS, key, grow, &big), PO_OK);
	}
	/* the next put must evict: the grown records are over the budget */
	T_EQ_INT(store_put(s, STORE_LOGINS, "last", "small", 5), PO_OK);
	for (i = 0; i < LIM_LOGINS_BYTES_MAX / (LIM_STORE_VALUE_MAX / 4); i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		if (store_get(s, STORE_LOGINS, key, &b) == PO_OK)
			n++;
		buf_reset(&b);
	}
	T_CHECK(n * big <= LIM_LOGINS_BYTES_MAX);
	T_CHECK(n > 0);
	T_EQ_INT(store_count(s, STORE_LOGINS), n + 1);
	/* a value over the store's record limit is refused */
	T_EQ_INT(store_update(s, STORE_LOGINS, "last", grow, &(size_t){ LIM_STORE_VALUE_MAX + 1 }), PO_OK);
	T_EQ_INT(store_get(s, STORE_LOGINS, "last", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "small"); /* the callback could not write it: kept */
	buf_free(&b);
	store_free(s);
}

int
main(void)
{
	T_RUN(test_operations);
	T_RUN(test_budget_counts_growth);
	return T_DONE();
}
