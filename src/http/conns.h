/*
 * conns.h - every connection the HTTP server holds, with a deadline for
 * each phase of a request and caps per client address.
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client that
 * sends one byte of its head every few seconds keeps a connection for
 * ever, and a few addresses doing so fill every slot. This module gives
 * each connection a deadline that activity does not move:
 *
 *   HEAD  from the accept (or from the end of the previous answer on a
 *         keep-alive connection, plus the idle allowance) until the whole
 *         head is in;
 *   BODY  from the end of the head until the whole body is in;
 *   BUSY  the handler runs, or waits for plex.tv (no deadline here: the
 *         plex.tv calls have their own timeouts);
 *   IDLE  a keep-alive connection between requests.
 *
 * A reaper thread shuts down (shutdown(2)) every connection past its
 * deadline; libmicrohttpd then sees the end of the stream and closes it.
 * That is safe from another thread because libmicrohttpd tells us a
 * connection is closed (conns_close) before it closes the descriptor, and
 * both take this module's lock.
 *
 * Caps, all counted by client key (core/ipaddr.h: IPv4-mapped addresses
 * unmapped, IPv6 by /64):
 *   - connections per peer address (not for trusted proxies, whose every
 *     connection carries other clients);
 *   - when the server is busy (fewer than `reserve` slots left), an
 *     address that already holds `per_ip_busy` connections gets no more,
 *     so addresses with few connections (a new visitor, /healthz) still
 *     get in; and idle keep-alive connections are closed first to make
 *     room;
 *   - requests in flight per resolved client address (the X-Forwarded-For
 *     client behind a trusted proxy): this is the cap that holds behind a
 *     proxy.
 * A connection over a cap is answered 503 with Retry-After once its head
 * is in (if it comes within `refused_head_ms`), so a browser is told to
 * come back rather than getting an empty reply; an address with more than
 * `refused_per_ip` such connections pending is cut at once (reading them
 * would no longer be cheap).
 *
 * Thread-safe: one mutex; every call is O(1) except conns_reap (O(n)).
 */
#ifndef PO_HTTP_CONNS_H
#define PO_HTTP_CONNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ipaddr.h"

typedef struct conns conns_t;
typedef struct conn_slot conn_slot_t; /* one TCP connection; opaque */

/* What to do with a new connection. */
enum conn_verdict {
	CONN_ADMIT = 0, /* serve it */
	CONN_REFUSE,    /* answer its request 503 + Retry-After, then close */
	CONN_DROP,      /* already shut down: over every allowance */
};

typedef struct conns_opts {
	unsigned max;             /* connections the server holds at most */
	unsigned reserve;         /* busy when fewer than this many are free */
	unsigned per_ip;          /* connections per peer address */
	unsigned per_ip_busy;     /* ...when the server is busy */
	unsigned refused_per_ip;  /* refused connections waiting for their 503 */
	unsigned per_client;      /* requests in flight per client address */
	int64_t head_ms;          /* deadline for a head */
	int64_t body_ms;          /* deadline for a body */
	int64_t idle_ms;          /* keep-alive allowance before the next head */
	int64_t refused_head_ms;  /* deadline for a refused connection's head */
	int64_t reap_interval_ms; /* 0: no reaper thread (tests call conns_reap) */
} conns_opts_t;

/* What conns_reap did. */
typedef struct conns_reaped {
	size_t head, body, idle; /* connections cut, by the phase they were in */
} conns_reaped_t;

/* PO_OK, PO_ERR_INVALID (max == 0), PO_ERR_NOMEM or PO_ERR_INTERNAL (the
 * reaper thread). */
int conns_new(const conns_opts_t *o, conns_t **out);
/* Stops the reaper and frees. Every connection must have been closed
 * (conns_close). Accepts NULL. */
void conns_free(conns_t *t);

/* A connection was accepted on socket fd from peer (trusted: the peer is a
 * trusted proxy). Returns its slot, to be passed to the calls below and
 * finally to conns_close(); NULL only when out of memory (the socket is
 * then shut down and *v is CONN_DROP). On CONN_DROP the socket has been
 * shut down already. May shut down another, idle connection to make room.
 * fd stays owned by the caller and must stay open until conns_close(). */
conn_slot_t *conns_open(conns_t *t, int fd, const ipaddr_t *peer, bool trusted, int64_t now_ms,
    enum conn_verdict *v);
/* The connection is closing (before its socket is closed). Releases what
 * it holds; s is invalid after. Accepts NULL. */
void conns_close(conns_t *t, conn_slot_t *s);
/* Whether the peer was a trusted proxy when s opened (what conns_open was
 * told). Unchanging for the slot's life: no lock taken. */
bool conns_trusted(const conn_slot_t *s);

/* A request line arrived (the head is coming): the connection is no longer
 * idle, and no longer the first to go. The HEAD deadline runs on. */
void conns_request_start(conns_t *t, conn_slot_t *s);
/* The head is in. true: serve the request (it is counted against client
 * until conns_request_done); false: answer 503 with Retry-After and close
 * (the connection was refused at accept, or client already has per_client
 * requests in flight). has_body starts the BODY deadline. */
bool conns_head_done(conns_t *t, conn_slot_t *s, const ipaddr_t *client, bool has_body, int64_t now_ms);
/* The body is in: no deadline while the handler runs. */
void conns_body_done(conns_t *t, conn_slot_t *s);
/* The answer was sent (or the request ended otherwise): the connection is
 * idle until its next request. */
void conns_request_done(conns_t *t, conn_slot_t *s, int64_t now_ms);

/* Shuts down every connection past its deadline. What was cut, and, in
 * *dropped (may be NULL), how many connections conns_open dropped since
 * the last call. The reaper thread calls this every reap_interval_ms and
 * logs what it did. */
conns_reaped_t conns_reap(conns_t *t, int64_t now_ms, size_t *dropped);
/* Connections held now (for tests and logs). */
size_t conns_count(conns_t *t);

#endif
