/*
 * server.c - libmicrohttpd glue (see server.h).
 *
 * Per request, a struct http_conn is created in the URI log callback (the
 * only place MHD shows the raw, undecoded request target, which we parse
 * ourselves), collects the body, and is freed in the completion callback,
 * where the request line is logged.
 *
 * libmicrohttpd 0.9.75 treats a response queued on the first call of the
 * access handler as "early" and closes the connection; we queue on the
 * second call so keep-alive works (docs/PERFORMANCE.md, "The floors").
 *
 * Per TCP connection, a conns.h slot is opened in the connection
 * notification callback and closed there too: it carries the deadlines of
 * the request phases and the per-address caps, told about each phase from
 * the callbacks below.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/ipaddr.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/str.h"
#include "http/clientip.h"
#include "http/conns.h"
#include "http/head.h"
#include "http/server.h"
#include "po_limits.h"

/* The server's own short answers (431, 413, 500...). */
#define HTTP_SIMPLE_BODY_MAX 256

struct http_server {
	struct MHD_Daemon *d;
	http_handler_fn handler;
	void *arg;
	uint16_t port;
	int inflight;     /* requests between on_uri and on_completed (atomic) */
	uint64_t id_seed; /* random, per process: request ids do not repeat across restarts */
	uint64_t id_next; /* atomic counter */
	const ip_allow_t *trusted;
	conns_t *conns; /* deadlines and caps of every connection */
};

/* The fields http_req_t carries, found in the one pass over the head. */
enum {
	F_CONTENT_TYPE,
	F_AUTHORIZATION,
	F_COOKIE,
	F_ORIGIN,
	F_IF_NONE_MATCH,
	F_KNOWN
};
static const char *const known_names[F_KNOWN] = {
	[F_CONTENT_TYPE] = MHD_HTTP_HEADER_CONTENT_TYPE,
	[F_AUTHORIZATION] = MHD_HTTP_HEADER_AUTHORIZATION,
	[F_COOKIE] = MHD_HTTP_HEADER_COOKIE,
	[F_ORIGIN] = "Origin",
	[F_IF_NONE_MATCH] = MHD_HTTP_HEADER_IF_NONE_MATCH,
};

_Static_assert(F_KNOWN <= HTTP_FIELDS_FIND_MAX && HTTP_REQ_HEADERS_MAX <= HTTP_FIELDS_FIND_MAX,
    "every name is looked up");

struct http_conn {
	struct MHD_Connection *mc;
	http_server_t *srv;
	int64_t start_us;
	int calls;
	int reentry;
	int status; /* what was sent, for the log line */
	bool uri_too_long;
	bool body_too_large;
	char *target; /* raw request target */
	buf_t body;
	char method[16];
	char path_for_log[128];
	char request_id[17];
	char peer[INET6_ADDRSTRLEN];
	char client[INET6_ADDRSTRLEN];
	buf_t xff;         /* every X-Forwarded-For line, joined */
	conn_slot_t *slot; /* the connection's (conns.h); NULL if untracked */
	ipaddr_t peer_addr;
	bool peer_trusted;          /* in [server] trusted_proxies */
	const char *known[F_KNOWN]; /* the fields every request is asked for */
	/* The head's fields in order, up to one more than accepted (check_head),
	 * borrowed from libmicrohttpd's pool: they live as long as the request.
	 * Last, so that on_uri zeroes only what comes before. */
	size_t nfields;
	http_field_t fields[LIM_HTTP_FIELDS_MAX + 1];
};

void
http_req_suspend(http_req_t *req, http_resp_t *resp)
{
	resp->suspended = true;
	MHD_suspend_connection(req->conn->mc);
}

void
http_resume(http_conn_t *conn)
{
	MHD_resume_connection(conn->mc);
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	/* The field table (3 KiB) is filled before it is read: not zeroed. */
	struct http_conn *c = malloc(sizeof(*c));
	const union MHD_ConnectionInfo *ci;
	http_server_t *srv = cls;
	size_t n;

	if (c == NULL)
		return NULL;
	memset(c, 0, offsetof(struct http_conn, fields));
	c->mc = mc;
	c->srv = cls;
	__atomic_add_fetch(&c->srv->inflight, 1, __ATOMIC_SEQ_CST);
	c->start_us = clock_mono_us();
	buf_init(&c->body, LIM_HTTP_BODY_MAX);
	buf_init(&c->xff, LIM_HTTP_HEAD_MAX);
	n = strlen(uri);
	if (n > LIM_HTTP_URI_MAX)
		c->uri_too_long = true;
	else
		c->target = str_dupn(uri, n);
	{
		/* A request id for the log: a counter mixed with a per-process
		 * random seed (no CSPRNG call per request; ids need to be unique,
		 * not secret). */
		static const char hx[] = "0123456789abcdef";
		uint64_t v = __atomic_add_fetch(&c->srv->id_next, 1, __ATOMIC_RELAXED) * 0x9e3779b97f4a7c15ULL;
		v ^= c->srv->id_seed;
		for (int i = 15; i >= 0; i--, v >>= 4)
			c->request_id[i] = hx[v & 15];
	}
	/* Unmapped (core/ipaddr.h): on a dual-stack socket an IPv4 client is
	 * ::ffff:a.b.c.d, and is logged, limited and matched as a.b.c.d. */
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ipaddr_from_sockaddr(ci->client_addr, &c->peer_addr))
		ipaddr_format(&c->peer_addr, c->peer, sizeof(c->peer));
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	c->slot = ci ? ci->socket_context : NULL;
	/* Decided once per connection, when it opened (on_conn). */
	c->peer_trusted = c->slot ? conns_trusted(c->slot) : ip_allow_match(srv->trusted, c->peer);
	conns_request_start(c->srv->conns, c->slot);
	return c;
}

static void
on_completed(void *cls, struct MHD_Connection *mc, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_conn *c = *con_cls;
	int64_t end_us;

	if (c == NULL)
		return;
	end_us = clock_mono_us();
	log_info("%s %s %d %.3fms id=%s client=%s%s", c->method[0] ? c->method : "-",
	    c->path_for_log[0] ? c->path_for_log : "-", c->status, (double)(end_us - c->start_us) / 1000.0,
	    c->request_id, c->client[0] ? c->client : c->peer,
	    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	__atomic_sub_fetch(&c->srv->inflight, 1, __ATOMIC_SEQ_CST);
	conns_request_done(c->srv->conns, c->slot, end_us / 1000);
	buf_free(&c->body);
	buf_free(&c->xff);
	free(c->target);
	free(c);
	*con_cls = NULL;
}

/* Queues resp on the connection, with the headers every answer carries. */
static enum MHD_Result
send_resp(struct http_conn *c, http_resp_t *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t i;

	if (resp->err != PO_OK && !resp->shared && !resp->held) {
		/* A half-built answer (a Location or Set-Cookie that did not fit)
		 * must not go out: a plain 500 instead. */
		log_error("%s %s: the answer could not be built (%s), sending 500 id=%s", c->method, c->path_for_log,
		    po_strerror(resp->err), c->request_id);
		http_resp_clear(resp);
		memset(resp, 0, sizeof(*resp));
		buf_init(&resp->body, HTTP_SIMPLE_BODY_MAX);
		resp->content_type = "text/plain; charset=utf-8";
		resp->status = 500;
		if (buf_puts(&resp->body, "Internal error\n") != PO_OK ||
		    http_resp_header(resp, "Cache-Control", "no-store") != PO_OK)
			resp->err = PO_OK; /* out of memory: an empty 500 */
	}
	if (resp->shared || resp->held) {
		c->status = resp->status;
		return MHD_queue_response(c->mc, (unsigned)resp->status,
		    resp->shared ? resp->shared : http_held_response(resp->held));
	}
	if (resp->static_body)
		r = MHD_create_response_from_buffer(resp->static_len, (void *)(uintptr_t)resp->static_body,
		    MHD_RESPMEM_PERSISTENT);
	else
		r = MHD_create_response_from_buffer(resp->body.len, resp->body.data ? resp->body.data : (char *)"",
		    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (resp->content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Request-Id", c->request_id);
	for (i = 0; i < resp->nhdr; i++)
		MHD_add_response_header(r, resp->hdr[i].name, resp->hdr[i].value);
	c->status = resp->status;
	ret = MHD_queue_response(c->mc, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A short text answer. retry_after (seconds, 0: none) also closes the
 * connection: it is the answer to a limit (RFC 9110 §15.6.4, §10.2.3). */
static enum MHD_Result
send_simple(struct http_conn *c, int status, const char *msg, int retry_after)
{
	http_resp_t resp = { .status = status, .content_type = "text/plain; charset=utf-8" };
	enum MHD_Result ret;
	char ra[16];

	buf_init(&resp.body, HTTP_SIMPLE_BODY_MAX);
	/* Fixed short texts: none can fail but for memory, and then the
	 * answer goes out without them. */
	if (http_resp_text(&resp, status, resp.content_type, msg) != PO_OK ||
	    http_resp_header(&resp, "Cache-Control", "no-store") != PO_OK)
		resp.err = PO_OK;
	if (retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", retry_after);
		if (http_resp_header(&resp, "Retry-After", ra) != PO_OK ||
		    http_resp_header(&resp, "Connection", "close") != PO_OK)
			resp.err = PO_OK;
	}
	ret = send_resp(c, &resp);
	http_resp_clear(&resp);
	return ret;
}

int
http_req_headers(const http_req_t *req, const char *const *names, const char **out, size_t n)
{
	const struct http_conn *c = req->conn;
	size_t k;

	if (n > HTTP_REQ_HEADERS_MAX)
		return PO_ERR_LIMIT;
	if (c == NULL) {
		for (k = 0; k < n; k++)
			out[k] = NULL;
		return PO_OK;
	}
	return http_fields_find(c->fields, c->nfields, names, n, out) ? PO_ERR_INVALID : PO_OK;
}

static enum MHD_Result
collect_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size, const char *value,
    size_t value_size)
{
	struct http_conn *c = cls;

	if (c->nfields >= LIM_HTTP_FIELDS_MAX + 1)
		return MHD_NO; /* stop: already over the limit */
	c->fields[c->nfields].name = key;
	c->fields[c->nfields].name_len = key_size;
	c->fields[c->nfields].value = value;
	c->fields[c->nfields].value_len = value ? value_size : 0;
	c->nfields++;
	return MHD_YES;
}

/* Reads the head's fields once and checks them before any body is read
 * (head.h): 431, 400 or 413 at once, so a client sending "Expect:
 * 100-continue" is never invited to send a body we refuse. Returns an
 * HTTP status, or 0 when the head is acceptable (with *h telling how the
 * body is framed). */
static int
check_head(struct http_conn *c, http_head_t *h)
{
	int st;

	c->nfields = 0;
	MHD_get_connection_values_n(c->mc, MHD_HEADER_KIND, collect_field, c);
	if ((st = http_head_check(c->fields, c->nfields, h)) != 0)
		return st;
	/* The first of each (a repeated one is not refused here), and every
	 * X-Forwarded-For line in order: a proxy may add a line of its own
	 * rather than append to the client's, and only the rightmost entries
	 * can be trusted (clientip.h). */
	(void)http_fields_find(c->fields, c->nfields, known_names, F_KNOWN, c->known);
	http_fields_join(c->fields, c->nfields, "X-Forwarded-For", &c->xff);
	return 0;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method, const char *version,
    const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_conn *c = *con_cls;
	http_server_t *srv = cls;
	http_req_t req;
	http_resp_t resp;
	char *q;
	enum MHD_Result ret;

	if (c == NULL)
		return MHD_NO; /* allocation failed in on_uri: drop the connection */
	if (c->calls++ == 0) {
		http_head_t head;
		ipaddr_t client;
		int st;
		str_copy(c->method, sizeof(c->method), method, strlen(method));
		if (c->target)
			str_copy(c->path_for_log, sizeof(c->path_for_log), c->target, strcspn(c->target, "?"));
		/* Answering now closes the connection: right for these. */
		if ((st = check_head(c, &head)) == 431)
			return send_simple(c, 431, "Request header fields too large\n", 0);
		if (st == 413)
			return send_simple(c, 413, "Request body too large\n", 0);
		if (st == 400)
			return send_simple(c, 400, "Malformed request framing\n", 0);
		/* The client (behind a trusted proxy, from X-Forwarded-For) is
		 * known now: the per-client cap applies before any body is read. */
		if (c->xff.len && c->peer_trusted) {
			clientip_resolve(srv->trusted, c->peer, buf_str(&c->xff), c->client, sizeof(c->client));
			ipaddr_parse(c->client, &client);
		} else {
			/* The peer itself, already parsed and formatted. */
			str_copy(c->client, sizeof(c->client), c->peer, strlen(c->peer));
			client = c->peer_addr;
		}
		if (!conns_head_done(srv->conns, c->slot, &client, head.chunked || head.length > 0, clock_mono_ms()))
			return send_simple(c, 503, "Too many connections from your address; try again shortly\n",
			    LIM_HTTP_BUSY_RETRY_AFTER_S);
		return MHD_YES; /* see the keep-alive note at the top */
	}
	if (*upload_data_size) {
		if (!c->body_too_large && buf_append(&c->body, upload_data, *upload_data_size) != PO_OK)
			c->body_too_large = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	conns_body_done(srv->conns, c->slot); /* the whole body is in (idempotent) */
	if (c->uri_too_long)
		return send_simple(c, 414, "Request target too long\n", 0);
	if (c->target == NULL)
		return send_simple(c, 500, "Out of memory\n", 0);
	if (c->body_too_large)
		return send_simple(c, 413, "Request body too large\n", 0);

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	buf_init(&resp.body, LIM_HTTP_RESP_BODY_MAX);
	resp.status = 200;
	req.method = method;
	req.path = c->target;
	q = strchr(c->target, '?');
	if (q)
		*q = '\0'; /* split in place; restored below for a re-entry */
	req.query = q ? q + 1 : "";
	req.query_len = strlen(req.query);
	req.body = buf_str(&c->body);
	req.body_len = c->body.len;
	req.content_type = c->known[F_CONTENT_TYPE];
	req.authorization = c->known[F_AUTHORIZATION];
	req.cookie = c->known[F_COOKIE];
	req.origin = c->known[F_ORIGIN];
	req.forwarded_for = c->xff.len ? buf_str(&c->xff) : NULL;
	req.if_none_match = c->known[F_IF_NONE_MATCH];
	req.peer_ip = c->peer;
	req.peer_trusted = c->peer_trusted;
	req.client_ip = c->client;
	req.request_id = c->request_id;
	req.reentry = c->reentry++;
	req.conn = c;

	srv->handler(srv->arg, &req, &resp);
	if (q)
		*q = '?'; /* restore for a re-entry after resume */
	if (resp.suspended) {
		http_resp_clear(&resp);
		return MHD_YES;
	}
	ret = send_resp(c, &resp);
	http_resp_clear(&resp);
	return ret;
}

/* A TCP connection starts or ends (conns.h). STARTED runs in the thread
 * that will serve the connection, before its first read; CLOSED runs
 * before libmicrohttpd closes the socket. */
static void
on_conn(void *cls, struct MHD_Connection *mc, void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	http_server_t *s = cls;
	const union MHD_ConnectionInfo *ci;
	enum conn_verdict v;
	char text[IPADDR_TEXT_MAX];
	ipaddr_t peer;
	int fd = -1;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		conns_close(s->conns, *socket_context);
		*socket_context = NULL;
		return;
	}
	if ((ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD)) != NULL)
		fd = ci->connect_fd;
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	ipaddr_from_sockaddr(ci ? ci->client_addr : NULL, &peer);
	ipaddr_format(&peer, text, sizeof(text));
	if (fd < 0)
		return; /* cannot happen for a TCP connection: leave it untracked */
	*socket_context = conns_open(s->conns, fd, &peer, ip_allow_match(s->trusted, text), clock_mono_ms(), &v);
}

/* How many connections this process can hold: LIM_HTTP_CONNECTIONS_MAX,
 * or fewer when the descriptor limit (ulimit -n, systemd's LimitNOFILE)
 * leaves less after LIM_HTTP_FD_RESERVE; libmicrohttpd would otherwise
 * fail accept() with EMFILE and stop serving. */
static unsigned
connections_max(void)
{
	struct rlimit rl;
	uint64_t fds, need = (uint64_t)LIM_HTTP_CONNECTIONS_MAX + LIM_HTTP_FD_RESERVE, n;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return LIM_HTTP_CONNECTIONS_MAX;
	fds = rl.rlim_cur;
	n = fds > LIM_HTTP_FD_RESERVE + 64 ? fds - LIM_HTTP_FD_RESERVE : 64;
	log_warn("only %llu file descriptors (ulimit -n / LimitNOFILE): serving at most %llu connections at once; "
	         "allow %llu for the full %d",
	    (unsigned long long)fds, (unsigned long long)n, (unsigned long long)need, LIM_HTTP_CONNECTIONS_MAX);
	return (unsigned)n;
}

int
http_server_start(const http_server_opts_t *o, http_server_t **out)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	http_server_t *s = NULL;
	const union MHD_DaemonInfo *di;
	conns_opts_t co = {
		.per_ip = LIM_HTTP_CONNECTIONS_PER_IP,
		.per_ip_busy = LIM_HTTP_CONNECTIONS_PER_IP_BUSY,
		.refused_per_ip = LIM_HTTP_REFUSED_PER_IP,
		.per_client = LIM_HTTP_REQUESTS_PER_CLIENT,
		.head_ms = LIM_HTTP_HEAD_TIMEOUT_S * 1000,
		.body_ms = LIM_HTTP_BODY_TIMEOUT_S * 1000,
		/* the next head must be in within the idle timeout plus the
		 * head deadline of the end of the previous answer */
		.idle_ms = (LIM_HTTP_CONN_TIMEOUT_S + LIM_HTTP_HEAD_TIMEOUT_S) * 1000,
		.refused_head_ms = LIM_HTTP_REFUSED_HEAD_S * 1000,
		.reap_interval_ms = LIM_HTTP_REAP_INTERVAL_MS,
	};
	int rc;

	*out = NULL;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, o->host, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(o->port);
		sa = (const struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, o->host, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(o->port);
		sa = (const struct sockaddr *)&sin6;
		/* "[::]:PORT" means every address, IPv4 included, as users
		 * expect (docs/CONFIGURATION.md): IPV6_V6ONLY off, whatever
		 * net.ipv6.bindv6only says. IPv4 clients then arrive as
		 * ::ffff:a.b.c.d and are unmapped (core/ipaddr.h). A specific
		 * IPv6 address is IPv6 only by nature. */
		flags |= IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	} else {
		log_error("listen address '%s' is not a numeric IPv4 or IPv6 address", o->host);
		return PO_ERR_INVALID;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return PO_ERR_NOMEM;
	s->handler = o->handler;
	s->arg = o->arg;
	s->trusted = o->trusted;
	if (rnd_bytes(&s->id_seed, sizeof(s->id_seed)) != PO_OK)
		s->id_seed = (uint64_t)clock_mono_us();
	co.max = connections_max();
	co.reserve = LIM_HTTP_CONNECTIONS_RESERVE < co.max / 4 ? LIM_HTTP_CONNECTIONS_RESERVE : co.max / 4;
	if ((rc = conns_new(&co, &s->conns)) != PO_OK) {
		free(s);
		return rc;
	}
	s->d = MHD_start_daemon(flags, o->port, NULL, NULL, on_request, s,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, on_conn, s,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads ? o->threads : 2),
	    /* The idle timeout; the deadlines that activity does not move
	     * are conns.h's. */
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)LIM_HTTP_CONN_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, co.max,
	    /* The per-address caps are conns.h's: they count the unmapped
	     * address, hold behind a proxy, and answer 503 rather than
	     * closing at once. */
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0U,
	    /* Room for a head somewhat over LIM_HTTP_HEAD_MAX, so that
	     * check_head() answers it (MHD's own answer to an over-full buffer
	     * is less clean), and for MHD's record of each field and cookie
	     * (a head of 14 KiB holds 300 cookies; browsers keep 180 a
	     * domain). No more: libmicrohttpd 0.9.75 clears the whole buffer
	     * after every request, a cost per request (64 KiB cost 0.6 to
	     * 1.5 µs more than this: docs/PERFORMANCE.md, "Forward auth"). */
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(LIM_HTTP_HEAD_MAX * 3),
	    MHD_OPTION_END);
	if (s->d == NULL) {
		log_error("cannot listen on %s port %u (in use, or no permission?)", o->host, (unsigned)o->port);
		conns_free(s->conns);
		free(s);
		return PO_ERR_IO;
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : o->port;
	*out = s;
	return PO_OK;
}

uint16_t
http_server_port(const http_server_t *s)
{
	return s->port;
}

void
http_server_quiesce(http_server_t *s)
{
	if (s && s->d)
		MHD_quiesce_daemon(s->d); /* stop accepting; in-flight requests go on */
}

void
http_server_stop(http_server_t *s)
{
	int i;

	if (s == NULL)
		return;
	if (s->d) {
		MHD_quiesce_daemon(s->d);
		/* Let requests in flight finish (idle keep-alive connections do
		 * not count), for at most LIM_HTTP_DRAIN_MS. */
		for (i = 0; i < LIM_HTTP_DRAIN_MS / 10 && __atomic_load_n(&s->inflight, __ATOMIC_SEQ_CST) > 0; i++)
			usleep(10 * 1000);
		if (__atomic_load_n(&s->inflight, __ATOMIC_SEQ_CST) > 0)
			log_warn("stopping with %d request(s) still in flight", __atomic_load_n(&s->inflight, __ATOMIC_SEQ_CST));
		MHD_stop_daemon(s->d); /* closes every connection: conns_close for each */
	}
	conns_free(s->conns);
	free(s);
}
