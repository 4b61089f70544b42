/*
 * store_priv.h - what a store backend implements (not part of the contract;
 * store.h is). store.c checks arguments and dispatches; a backend sees only
 * valid keys and namespaces.
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
};

struct store {
	const struct store_ops *ops;
	void *impl;
};

/* The default time to live of each namespace, in milliseconds
 * (po_limits.h); store_set_ttl changes it for a store. */
long long store_ns_ttl_ms(enum store_ns ns);

#endif
