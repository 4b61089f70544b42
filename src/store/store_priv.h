/*
 * store_priv.h - what a store backend implements (not part of the contract;
 * store.h is). store.c checks arguments, counts and times the calls of a
 * shared backend, and dispatches; a backend sees only valid keys, names
 * and namespaces.
 */
#ifndef PO_STORE_STORE_PRIV_H
#define PO_STORE_STORE_PRIV_H

#include "store/store.h"

struct store_ops {
	int (*put)(void *impl, enum store_ns ns, const char *key, const void *val, size_t len);
	int (*get)(void *impl, enum store_ns ns, const char *key, buf_t *out, int remove);
	int (*del)(void *impl, enum store_ns ns, const char *key);
	int (*update)(void *impl, enum store_ns ns, const char *key, store_update_fn fn, void *arg);
	size_t (*count)(void *impl, enum store_ns ns);
	void (*set_ttl)(void *impl, enum store_ns ns, long long ttl_ms);
	void (*free)(void *impl);
	/* The rest may be NULL (the memory backend): no permanent records
	 * (PO_ERR_INVALID), always up, nothing of its own to count. */
	int (*perm_get)(void *impl, const char *name, buf_t *out);
	int (*perm_put)(void *impl, const char *name, const void *val, size_t len);
	int (*perm_replace)(void *impl, const char *name, const void *old, size_t old_len, const void *val,
	    size_t len);
	void (*health)(void *impl, bool probe, store_health_t *h);
	/* Adds the backend's own counters (conflicts, connects...) to *out. */
	void (*stats)(void *impl, store_stats_t *out);
	bool shared; /* counted and timed by store.c */
};

struct store {
	const struct store_ops *ops;
	void *impl;
	store_stats_t st; /* updated with relaxed atomics (shared backends) */
};

/* The default time to live of each namespace, in milliseconds
 * (po_limits.h); store_set_ttl changes it for a store. */
long long store_ns_ttl_ms(enum store_ns ns);

#endif
