/*
 * store_redis.h - the shared backend of the store (store.h): Redis 6.2 or
 * newer, or Valkey, through Debian's hiredis, so that replicas behind a
 * load balancer share pending logins, codes (and their single use) and
 * access tokens.
 *
 * Keys: PREFIX NS ":" KEY, where NS is the namespace's name ("logins",
 * "codes", "tokens", "setup") and PREFIX defaults to "plex-oidc:" plus the
 * first 12 hex digits of SHA-256(issuer) and ":", so one Redis serves
 * several installations without mixing their records. Permanent records
 * are PREFIX "perm:" NAME. Every other key is written with the
 * namespace's time to live (SET ... NX PX), so the data never grows
 * without bound.
 *
 * The calls map to Redis as:
 *   put      SET k v NX PX ttl     (PO_ERR_INVALID when k exists)
 *   get      GET k
 *   take     GETDEL k              (atomic: one caller gets the value)
 *   del      DEL k
 *   update   WATCH k + GET k, the callback, then MULTI + SET k v XX KEEPTTL
 *            (or DEL k) + EXEC; EXEC refused because another writer
 *            touched k: the callback runs again on the new value, up to
 *            LIM_STORE_UPDATE_TRIES times, then PO_ERR_UPSTREAM
 *   perm_*   GET, SET NX, and WATCH/compare/MULTI/SET XX/EXEC
 * Each call is one or two round trips (the pipelined pairs).
 *
 * TLS: hiredis 0.14 (Debian 12) has none. Reach a remote Redis over a
 * private network, or through a TLS tunnel (stunnel, a sidecar) whose
 * local end is the url (docs/OPERATIONS.md).
 *
 * Connections, time-outs and reconnection: rpool.h. Thread-safe.
 */
#ifndef PO_STORE_STORE_REDIS_H
#define PO_STORE_STORE_REDIS_H

#include <stddef.h>

#include "core/err.h"
#include "store/store.h"

/* "plex-oidc:" + 12 hex digits + ":" + NUL */
#define STORE_REDIS_PREFIX_DEFAULT_SIZE 24

typedef struct store_redis_opts {
	const char *host;     /* TCP host (no brackets), or NULL with socket */
	unsigned port;        /* TCP port */
	const char *socket;   /* Unix socket path, or NULL */
	unsigned db;          /* database number */
	const char *username; /* ACL user, or NULL */
	const char *password; /* NULL: no AUTH; copied, wiped on free */
	const char *prefix;   /* key prefix (at most LIM_STORE_PREFIX_MAX), or NULL for the default */
	const char *issuer;   /* for the default prefix */
	const char *where;    /* the url as configured, for logs (no secret) */
} store_redis_opts_t;

/* A store on Redis. Connects nothing yet (the first call does; a Redis
 * that is down at start only makes calls fail with PO_ERR_UPSTREAM until
 * it is up). PO_OK, PO_ERR_INVALID (no host or socket, a prefix too
 * long), PO_ERR_NOMEM, PO_ERR_CRYPTO. */
int store_redis_new(const store_redis_opts_t *o, store_t **out) PO_WUR;

/* The default key prefix of an issuer: "plex-oidc:" + the first 12 hex
 * digits of SHA-256(issuer) + ":" into out (at least
 * STORE_REDIS_PREFIX_DEFAULT_SIZE bytes). PO_OK, PO_ERR_CRYPTO. */
int store_redis_default_prefix(const char *issuer, char *out, size_t size) PO_WUR;

/* The prefix a store uses (borrowed, lives as long as s), or NULL for a
 * store that is not on Redis. */
const char *store_redis_prefix(const store_t *s);

#endif
