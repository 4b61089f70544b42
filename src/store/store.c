/*
 * store.c - argument checks and dispatch to a backend (see store.h), the
 * namespaces' lifetimes, and the counters of a shared backend's calls.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "po_limits.h"
#include "store/store_priv.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ADD(x, n) __atomic_add_fetch(&(x), (n), __ATOMIC_RELAXED)

static const struct {
	const char *name;
	long long ttl_s;
} ns_info[STORE_NS_COUNT] = {
	[STORE_LOGINS] = { "logins", LIM_LOGIN_TTL_S },
	/* A used code is kept well past its validity so that a replay is
	 * recognised (and its tokens revoked) rather than being just
	 * "unknown" (RFC 6749 §4.1.2). */
	[STORE_CODES] = { "codes", LIM_CODE_REPLAY_MEMORY_S },
	[STORE_TOKENS] = { "tokens", LIM_ACCESS_TOKEN_TTL_S },
	[STORE_SETUP] = { "setup", LIM_LOGIN_TTL_S },
	/* Set from the configuration (store_set_ttl); these are its defaults. */
	[STORE_ACCESS] = { "access", CONFIG_ACCESS_RECHECK_DEFAULT_S },
	[STORE_REVOKED] = { "revoked", CONFIG_SESSION_LIFETIME_DEFAULT_S },
	[STORE_REFRESH] = { "refresh", CONFIG_REFRESH_LIFETIME_DEFAULT_S },
};

/* A call to Redis on loopback takes 30-100 µs, across a LAN a few hundred;
 * the buckets span that and show a stall (the last bound is a tenth of
 * LIM_STORE_COMMAND_TIMEOUT_MS). */
const int64_t store_lat_bound_us[STORE_LAT_BUCKETS - 1] = { 50, 100, 250, 500, 1000, 2500, 5000, 10000, 100000 };

static const char *const op_names[STORE_OP_COUNT] = { "put", "get", "take", "del", "update", "perm_get", "perm_put",
	"perm_replace" };

const char *
store_ns_name(enum store_ns ns)
{
	return (unsigned)ns < STORE_NS_COUNT ? ns_info[ns].name : "unknown";
}

const char *
store_op_name(enum store_op op)
{
	return (unsigned)op < STORE_OP_COUNT ? op_names[op] : "unknown";
}

long long
store_ns_ttl_ms(enum store_ns ns)
{
	return ns_info[ns].ttl_s * 1000;
}

static bool
key_ok(const char *key)
{
	size_t n;

	if (key == NULL)
		return false;
	n = strnlen(key, STORE_KEY_MAX + 1);
	return n > 0 && n <= STORE_KEY_MAX;
}

static bool
args_ok(enum store_ns ns, const char *key)
{
	return (unsigned)ns < STORE_NS_COUNT && key_ok(key);
}

/* ---- counting ---- */

static int64_t
begin(const store_t *s)
{
	return s->ops->shared ? clock_mono_us() : 0;
}

/* Counts one call of a shared backend that began at start; returns rc. */
static int
done(store_t *s, enum store_op op, int64_t start, int rc)
{
	int64_t us;
	size_t i;

	if (!s->ops->shared)
		return rc;
	us = clock_mono_us() - start;
	if (us < 0)
		us = 0;
	for (i = 0; i < STORE_LAT_BUCKETS - 1 && us > store_lat_bound_us[i]; i++)
		;
	ADD(s->st.calls[op], 1);
	ADD(s->st.lat[op][i], 1);
	ADD(s->st.lat_sum_us[op], (uint64_t)us);
	if (rc == PO_ERR_UPSTREAM)
		ADD(s->st.errors[op], 1);
	return rc;
}

/* ---- records ---- */

int
store_put(store_t *s, enum store_ns ns, const char *key, const void *val, size_t len)
{
	int64_t t;

	if (!args_ok(ns, key) || (val == NULL && len))
		return PO_ERR_INVALID;
	t = begin(s);
	return done(s, STORE_OP_PUT, t, s->ops->put(s->impl, ns, key, val, len));
}

int
store_get(store_t *s, enum store_ns ns, const char *key, buf_t *out)
{
	int64_t t;

	if (!args_ok(ns, key))
		return PO_ERR_NOTFOUND;
	t = begin(s);
	return done(s, STORE_OP_GET, t, s->ops->get(s->impl, ns, key, out, 0));
}

int
store_take(store_t *s, enum store_ns ns, const char *key, buf_t *out)
{
	int64_t t;

	if (!args_ok(ns, key))
		return PO_ERR_NOTFOUND;
	t = begin(s);
	return done(s, STORE_OP_TAKE, t, s->ops->get(s->impl, ns, key, out, 1));
}

int
store_del(store_t *s, enum store_ns ns, const char *key)
{
	int64_t t;

	if (!args_ok(ns, key))
		return PO_ERR_NOTFOUND;
	t = begin(s);
	return done(s, STORE_OP_DEL, t, s->ops->del(s->impl, ns, key));
}

int
store_update(store_t *s, enum store_ns ns, const char *key, store_update_fn fn, void *arg)
{
	int64_t t;

	if (!args_ok(ns, key))
		return PO_ERR_NOTFOUND;
	t = begin(s);
	return done(s, STORE_OP_UPDATE, t, s->ops->update(s->impl, ns, key, fn, arg));
}

size_t
store_count(store_t *s, enum store_ns ns)
{
	return (unsigned)ns < STORE_NS_COUNT ? s->ops->count(s->impl, ns) : 0;
}

/* ---- permanent records ---- */

int
store_perm_get(store_t *s, const char *name, buf_t *out)
{
	int64_t t;

	if (s->ops->perm_get == NULL || !key_ok(name))
		return PO_ERR_INVALID;
	t = begin(s);
	return done(s, STORE_OP_PERM_GET, t, s->ops->perm_get(s->impl, name, out));
}

int
store_perm_put(store_t *s, const char *name, const void *val, size_t len)
{
	int64_t t;

	if (s->ops->perm_put == NULL || !key_ok(name) || (val == NULL && len))
		return PO_ERR_INVALID;
	if (len > LIM_STORE_PERM_VALUE_MAX)
		return PO_ERR_LIMIT;
	t = begin(s);
	return done(s, STORE_OP_PERM_PUT, t, s->ops->perm_put(s->impl, name, val, len));
}

int
store_perm_replace(store_t *s, const char *name, const void *old, size_t old_len, const void *val, size_t len)
{
	int64_t t;

	if (s->ops->perm_replace == NULL || !key_ok(name) || (val == NULL && len) || (old == NULL && old_len))
		return PO_ERR_INVALID;
	if (len > LIM_STORE_PERM_VALUE_MAX)
		return PO_ERR_LIMIT;
	t = begin(s);
	return done(s, STORE_OP_PERM_REPLACE, t, s->ops->perm_replace(s->impl, name, old, old_len, val, len));
}

/* ---- health and counters ---- */

bool
store_shared(const store_t *s)
{
	return s->ops->shared;
}

void
store_health(store_t *s, bool probe, store_health_t *h)
{
	memset(h, 0, sizeof(*h));
	h->backend = "memory";
	h->up = true;
	if (s->ops->health)
		s->ops->health(s->impl, probe, h);
}

void
store_stats(store_t *s, store_stats_t *out)
{
	int op, i;

	memset(out, 0, sizeof(*out));
	for (op = 0; op < STORE_OP_COUNT; op++) {
		out->calls[op] = LOAD(s->st.calls[op]);
		out->errors[op] = LOAD(s->st.errors[op]);
		out->lat_sum_us[op] = LOAD(s->st.lat_sum_us[op]);
		for (i = 0; i < STORE_LAT_BUCKETS; i++)
			out->lat[op][i] = LOAD(s->st.lat[op][i]);
	}
	if (s->ops->stats)
		s->ops->stats(s->impl, out);
}

void
store_set_ttl(store_t *s, enum store_ns ns, long long ttl_ms)
{
	if ((unsigned)ns < STORE_NS_COUNT && ttl_ms > 0)
		s->ops->set_ttl(s->impl, ns, ttl_ms);
}

void
store_free(store_t *s)
{
	if (s == NULL)
		return;
	s->ops->free(s->impl);
	free(s);
}
