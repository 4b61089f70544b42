/*
 * server.h - the HTTP server: libmicrohttpd glue, and the request and
 * response structures every handler sees.
 *
 * The server reads a whole request (head bounded by MHD's memory limit and
 * checked by http/head.h, the target by LIM_HTTP_URI_MAX, the body by
 * LIM_HTTP_BODY_MAX; head and body each within a deadline, and within the
 * per-address caps of http/conns.h, else 503 with Retry-After or the
 * connection is closed), then calls the one handler it was given with an
 * http_req_t and an empty http_resp_t. The
 * handler fills the response; the server sends it, adds the headers that go
 * on every answer (nosniff, Referrer-Policy) and logs one line per request
 * (method, path without query, status, latency, request id, client address;
 * never the query, body, cookies or Authorization). Every answer carries the
 * request id in X-Request-Id, so a user's report can be matched to the log.
 *
 * Threads: MHD's internal thread pool calls the handler; handlers must be
 * thread-safe. A handler that must wait for plex.tv calls
 * http_req_suspend(), returns, and later (from any thread) http_resume():
 * the server then calls the handler again for the same request.
 */
#ifndef PO_HTTP_SERVER_H
#define PO_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define HTTP_RESP_HEADERS_MAX 16

typedef struct http_server http_server_t;
typedef struct http_conn http_conn_t; /* one request in flight; opaque */

typedef struct http_req {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* raw path, no query, never NULL */
	const char *query;  /* raw query after '?', "" if none */
	size_t query_len;
	const char *body; /* NUL-terminated; "" if none */
	size_t body_len;
	const char *content_type; /* header values, NULL when absent */
	const char *authorization;
	const char *cookie;
	const char *origin;
	const char *forwarded_for; /* X-Forwarded-For */
	const char *if_none_match;
	const char *peer_ip;    /* textual address of the TCP peer */
	bool peer_trusted;      /* the peer is in [server] trusted_proxies */
	const char *client_ip;  /* the client: peer_ip, or from X-Forwarded-For
	                         * when the peer is a trusted proxy (clientip.h) */
	const char *request_id; /* 16 hex characters, also logged */
	int reentry;            /* 0 on the first call, then 1, 2... after resume */
	http_conn_t *conn;
} http_req_t;

typedef struct http_header {
	char *name;
	char *value;
} http_header_t;

/* A whole answer built once and sent as is to many requests for as long
 * as someone holds it: for answers that come and go (forward auth's 200 of
 * a session), where http_shared_new's live as long as the server. Counted
 * references; thread-safe. */
typedef struct http_held http_held_t;

typedef struct http_resp {
	int status;               /* default 200 */
	const char *content_type; /* static string; NULL for none */
	buf_t body;               /* owned body, or: */
	const void *static_body;  /* borrowed body living as long as the server */
	size_t static_len;
	http_header_t hdr[HTTP_RESP_HEADERS_MAX];
	size_t nhdr;
	bool suspended;    /* set by http_req_suspend() */
	void *shared;      /* http_shared_new(): sent as is, the rest ignored */
	http_held_t *held; /* http_resp_held(): likewise; a reference, dropped
	                    * by http_resp_clear */
	int err;           /* sticky: the first failure while building the
	                 * answer (a header over the cap, an append
	                 * that failed); the server then sends a plain
	                 * 500 instead of a half-built answer */
} http_resp_t;

typedef void (*http_handler_fn)(void *arg, http_req_t *req, http_resp_t *resp);

typedef struct http_server_opts {
	const char *host; /* numeric IPv4 or IPv6 address; "::" listens on IPv4 too */
	uint16_t port;    /* 0 picks a free port (see http_server_port) */
	unsigned threads; /* MHD thread pool size */
	http_handler_fn handler;
	void *arg;
	const struct ip_allow *trusted; /* trusted proxies (borrowed; may be NULL) */
} http_server_opts_t;

/* Starts listening and serving. PO_OK, PO_ERR_INVALID (bad address) or
 * PO_ERR_IO (cannot bind: the reason is logged). */
int http_server_start(const http_server_opts_t *o, http_server_t **out);
/* The bound port. */
uint16_t http_server_port(const http_server_t *s);
/* Stops accepting new connections; requests in flight go on. */
void http_server_quiesce(http_server_t *s);
/* Stops accepting, lets requests in flight finish (up to LIM_HTTP_DRAIN_MS)
 * and frees. Accepts NULL. */
void http_server_stop(http_server_t *s);

/* Adds a response header (name and value copied). PO_OK, or PO_ERR_LIMIT
 * (HTTP_RESP_HEADERS_MAX reached) or PO_ERR_NOMEM, which are also recorded
 * as the response's sticky error. */
int http_resp_header(http_resp_t *r, const char *name, const char *value) PO_WUR;
/* Sets status, content type and a copy of the NUL-terminated body text.
 * Failures are sticky as above. */
int http_resp_text(http_resp_t *r, int status, const char *ctype, const char *body) PO_WUR;
/* Records rc (if not PO_OK) as the response's sticky error, unless one is
 * recorded already. Returns rc. */
int http_resp_fail(http_resp_t *r, int rc);
/* Starts an answer: status, content type, and the body buffer emptied.
 * Handlers then append to r->body (a failed append: http_resp_fail). */
void http_resp_begin(http_resp_t *r, int status, const char *ctype);
/* Releases what a response holds (the server does this itself). */
void http_resp_clear(http_resp_t *r);

/* Builds once a whole response from tmpl (status is given per request;
 * content type, static body and headers are taken, plus the headers every
 * answer carries except X-Request-Id), to be sent as is to every request
 * whose handler sets resp->shared to it: no allocation per request, as
 * ../bench/floor/floor.c does. For fixed public documents. NULL on failure.
 * Free with http_shared_free() once the server has stopped. */
void *http_shared_new(const http_resp_t *tmpl);
void http_shared_free(void *shared);

/* A held answer built from tmpl as http_shared_new does, with one
 * reference (the caller's); NULL on failure. */
http_held_t *http_held_new(const http_resp_t *tmpl);
/* Takes one more reference. */
void http_held_ref(http_held_t *h);
/* Drops one; the last frees the answer. Accepts NULL. */
void http_held_unref(http_held_t *h);
/* Answers r with h and status, taking over the caller's reference. */
void http_resp_held(http_resp_t *r, int status, http_held_t *h);
/* h's libmicrohttpd response (for server.c). */
void *http_held_response(const http_held_t *h);

/* Reads the request's header fields called names[0..n-1] (compared
 * case-insensitively, n at most HTTP_REQ_HEADERS_MAX) in one pass: out[i]
 * gets the value of names[i], or NULL when it is absent. Values live as
 * long as the request. PO_OK; PO_ERR_INVALID when one of them appears more
 * than once (a proxy's field and a client's: which to believe cannot be
 * told), PO_ERR_LIMIT when n is too large. A request without a connection
 * (handler tests) has none of them. */
#define HTTP_REQ_HEADERS_MAX 8
int http_req_headers(const http_req_t *req, const char *const *names, const char **out, size_t n) PO_WUR;

/* Suspends the request: the handler must return without a response; the
 * server waits until http_resume(conn) is called (from any thread, exactly
 * once), then calls the handler again with req->reentry incremented. */
void http_req_suspend(http_req_t *req, http_resp_t *resp);
void http_resume(http_conn_t *conn);

#endif
