/*
 * store.c - argument checks and dispatch to a backend (see store.h), and
 * the namespaces' lifetimes.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "po_limits.h"
#include "store/store_priv.h"

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

const char *
store_ns_name(enum store_ns ns)
{
	return (unsigned)ns < STORE_NS_COUNT ? ns_info[ns].name : "unknown";
}

long long
store_ns_ttl_ms(enum store_ns ns)
{
	return ns_info[ns].ttl_s * 1000;
}

static bool
args_ok(enum store_ns ns, const char *key)
{
	size_t n;

	if ((unsigned)ns >= STORE_NS_COUNT || key == NULL)
		return false;
	n = strnlen(key, STORE_KEY_MAX + 1);
	return n > 0 && n <= STORE_KEY_MAX;
}

int
store_put(store_t *s, enum store_ns ns, const char *key, const void *val, size_t len)
{
	if (!args_ok(ns, key) || (val == NULL && len))
		return PO_ERR_INVALID;
	return s->ops->put(s->impl, ns, key, val, len);
}

int
store_get(store_t *s, enum store_ns ns, const char *key, buf_t *out)
{
	if (!args_ok(ns, key))
		return PO_ERR_NOTFOUND;
	return s->ops->get(s->impl, ns, key, out, 0);
}

int
store_take(store_t *s, enum store_ns ns, const char *key, buf_t *out)
{
	if (!args_ok(ns, key))
		return PO_ERR_NOTFOUND;
	return s->ops->get(s->impl, ns, key, out, 1);
}

int
store_del(store_t *s, enum store_ns ns, const char *key)
{
	if (!args_ok(ns, key))
		return PO_ERR_NOTFOUND;
	return s->ops->del(s->impl, ns, key);
}

int
store_update(store_t *s, enum store_ns ns, const char *key, store_update_fn fn, void *arg)
{
	if (!args_ok(ns, key))
		return PO_ERR_NOTFOUND;
	return s->ops->update(s->impl, ns, key, fn, arg);
}

size_t
store_count(store_t *s, enum store_ns ns)
{
	return (unsigned)ns < STORE_NS_COUNT ? s->ops->count(s->impl, ns) : 0;
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
