/*
 * rpool.h - the connections of the Redis store (store_redis.c): a small
 * pool of blocking hiredis connections shared by every thread, each used
 * by one thread at a time.
 *
 * Every connection has a connect timeout and a command timeout
 * (LIM_STORE_CONNECT_TIMEOUT_MS, LIM_STORE_COMMAND_TIMEOUT_MS), so a call
 * never hangs on a stalled or unreachable Redis. A connection is opened
 * when one is needed and none is idle: it authenticates (HELLO 2 AUTH),
 * checks the server is Redis 6.2 or newer (or Valkey: GETDEL, SET
 * KEEPTTL), and selects the database. A failed connect starts a back-off
 * (LIM_STORE_RECONNECT_MIN_MS doubling to _MAX_MS) during which callers
 * get PO_ERR_UPSTREAM at once; after it, the next caller tries again. So
 * the pool reconnects by itself, at the pace of the traffic, with no
 * thread of its own.
 *
 * A connection that failed (closed, timed out, garbled) is closed, and so
 * are the idle ones: a Redis restart breaks them all. The pool says when
 * it goes down and comes back up (one log line each), never per call.
 */
#ifndef PO_STORE_RPOOL_H
#define PO_STORE_RPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "core/err.h"
#include "store/store.h"

typedef struct rpool_opts {
	const char *host;     /* TCP: host name or address (no brackets); NULL for a socket */
	unsigned port;        /* TCP port */
	const char *socket;   /* Unix socket path, or NULL */
	unsigned db;          /* database number (SELECT), 0 by default */
	const char *username; /* ACL user, or NULL ("default") */
	const char *password; /* or NULL: no AUTH. A secret: copied, wiped on free */
	const char *where;    /* for logs and health: "redis://host:6379/0", no secret */
} rpool_opts_t;

typedef struct rpool rpool_t;

/* A borrowed connection. */
typedef struct rconn {
	redisContext *c;
	bool reused;   /* it served calls before (a Redis restart may have closed it since) */
	int sys_errno; /* errno when a call failed at the connection level */
} rconn_t;

/* Copies what it needs from o; connects nothing yet. PO_OK or
 * PO_ERR_NOMEM. */
int rpool_new(const rpool_opts_t *o, rpool_t **out) PO_WUR;
/* Closes every connection; none may be borrowed. Accepts NULL. */
void rpool_free(rpool_t *p);

/* Borrows a connection into *rc: an idle one, else a new one. PO_OK,
 * PO_ERR_UPSTREAM (Redis unreachable, refused us, or backing off; or no
 * connection free within LIM_STORE_COMMAND_TIMEOUT_MS), PO_ERR_NOMEM. */
int rpool_get(rpool_t *p, rconn_t *rc) PO_WUR;
/* Gives it back. broken: a call failed at the connection level (the reply
 * was NULL): it is closed, with the idle ones. */
void rpool_put(rpool_t *p, rconn_t *rc, bool broken);

/* One command: its reply (free it with rreply_free), or NULL when the
 * connection failed (rc->c->errstr says why; put it back broken). */
redisReply *rconn_cmd(rconn_t *rc, int argc, const char **argv, const size_t *lens);
/* A pipeline: queue commands with rconn_append (false: out of memory),
 * then read their replies in order with rconn_reply (NULL as above). */
bool rconn_append(rconn_t *rc, int argc, const char **argv, const size_t *lens);
redisReply *rconn_reply(rconn_t *rc);
/* true when the last failure was the server closing the connection, not
 * a timeout: a command sent on it was not run, so it may be sent again on
 * a fresh connection. */
bool rconn_closed(const rconn_t *rc);
/* Frees a reply, wiping its strings first (records may hold secrets).
 * Accepts NULL. */
void rreply_free(redisReply *r);

/* Reports up/down, where, and why (store_health_t); probe: PING now
 * (unless backing off). */
void rpool_health(rpool_t *p, bool probe, store_health_t *h);
/* Adds connects and connect failures to *out. */
void rpool_stats(rpool_t *p, store_stats_t *out);

#endif
