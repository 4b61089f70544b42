/*
 * rpool.c - the Redis store's connections (see rpool.h).
 *
 * State under one mutex: the idle connections, how many are lent out (or
 * being opened), the back-off, and up/down with the last reason. Opening a
 * connection and every command run outside the lock.
 */
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "po_limits.h"
#include "store/rpool.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ADD(x, n) __atomic_add_fetch(&(x), (n), __ATOMIC_RELAXED)

/* GETDEL (take) and SET ... KEEPTTL (update) came with Redis 6.2 and 6.0;
 * every Valkey has them. */
#define RPOOL_MIN_MAJOR 6
#define RPOOL_MIN_MINOR 2

enum rstate {
	RS_UNKNOWN = 0,
	RS_UP,
	RS_DOWN
};

struct rpool {
	char *host;
	unsigned port;
	char *socket;
	unsigned db;
	char *username;
	char *password; /* secret */
	char *where;

	pthread_mutex_t lock;
	pthread_cond_t freed; /* a connection came back */
	redisContext *idle[LIM_STORE_CONNS];
	size_t n_idle;
	size_t n_out;        /* lent out or being opened */
	int64_t retry_at_ms; /* monotonic: no connect before this */
	int64_t backoff_ms;  /* 0 after a successful connect */
	enum rstate state;
	char error[sizeof(((store_health_t *)0)->error)];

	uint64_t connects, connect_failures;
};

int
rpool_new(const rpool_opts_t *o, rpool_t **out)
{
	rpool_t *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;

	*out = NULL;
	if (p == NULL)
		return PO_ERR_NOMEM;
	pthread_mutex_init(&p->lock, NULL);
	/* Waits are timed on the monotonic clock: a wall-clock step must not
	 * stretch them. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->freed, &ca);
	pthread_condattr_destroy(&ca);
	p->port = o->port;
	p->db = o->db;
	if ((o->host && (p->host = str_dup(o->host)) == NULL) || (o->socket && (p->socket = str_dup(o->socket)) == NULL) ||
	    (o->username && (p->username = str_dup(o->username)) == NULL) ||
	    (o->password && (p->password = str_dup(o->password)) == NULL) ||
	    (p->where = str_dup(o->where ? o->where : "redis")) == NULL) {
		rpool_free(p);
		return PO_ERR_NOMEM;
	}
	*out = p;
	return PO_OK;
}

void
rpool_free(rpool_t *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_idle; i++)
		redisFree(p->idle[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	free(p->host);
	free(p->socket);
	free(p->username);
	str_free_secret(p->password);
	free(p->where);
	free(p);
}

/* ---- replies ---- */

void
rreply_free(redisReply *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->str)
		str_wipe(r->str, r->len);
	for (i = 0; r->element && i < r->elements; i++)
		if (r->element[i] && r->element[i]->str)
			str_wipe(r->element[i]->str, r->element[i]->len);
	freeReplyObject(r);
}

redisReply *
rconn_cmd(rconn_t *rc, int argc, const char **argv, const size_t *lens)
{
	redisReply *r;

	errno = 0;
	if ((r = redisCommandArgv(rc->c, argc, argv, lens)) == NULL)
		rc->sys_errno = errno;
	return r;
}

bool
rconn_append(rconn_t *rc, int argc, const char **argv, const size_t *lens)
{
	return redisAppendCommandArgv(rc->c, argc, argv, lens) == REDIS_OK;
}

redisReply *
rconn_reply(rconn_t *rc)
{
	void *r = NULL;

	errno = 0;
	if (redisGetReply(rc->c, &r) != REDIS_OK || r == NULL) {
		rc->sys_errno = errno;
		return NULL;
	}
	return r;
}

bool
rconn_closed(const rconn_t *rc)
{
	return rc->c->err == REDIS_ERR_EOF ||
	    (rc->c->err == REDIS_ERR_IO && (rc->sys_errno == ECONNRESET || rc->sys_errno == EPIPE));
}

/* ---- state ---- */

static struct timeval
ms_tv(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return tv;
}

/* Why a connection failed, in words (hiredis says "Resource temporarily
 * unavailable" for a timeout). */
static void
conn_error(const rconn_t *rc, char *out, size_t size)
{
	if (rc->c->err == REDIS_ERR_IO && (rc->sys_errno == EAGAIN || rc->sys_errno == EWOULDBLOCK))
		snprintf(out, size, "no answer within %d ms", LIM_STORE_COMMAND_TIMEOUT_MS);
	else
		snprintf(out, size, "%s", rc->c->errstr[0] ? rc->c->errstr : "connection failed");
}

/* Records that Redis failed (under the lock); logs when it was up. */
static void
mark_down(rpool_t *p, const char *why)
{
	if (p->state != RS_DOWN)
		log_error("store: Redis at %s is not usable: %s; sign-ins and token requests answer \"try again\" "
		          "until it is back (plex-oidc reconnects by itself)",
		    p->where, why);
	p->state = RS_DOWN;
	snprintf(p->error, sizeof(p->error), "%s", why);
}

static void
mark_up(rpool_t *p)
{
	if (p->state == RS_DOWN)
		log_info("store: Redis at %s is reachable again", p->where);
	p->state = RS_UP;
	p->error[0] = '\0';
}

/* ---- opening a connection ---- */

/* "7.0.15" -> 7, 0; false if it does not start with two numbers. */
static bool
parse_version(const char *v, unsigned *major, unsigned *minor)
{
	const char *dot = strchr(v, '.'), *end;
	uint64_t a, b;

	if (dot == NULL)
		return false;
	for (end = dot + 1; *end >= '0' && *end <= '9'; end++)
		;
	if (str_to_u64(v, (size_t)(dot - v), 1000, &a) != PO_OK ||
	    str_to_u64(dot + 1, (size_t)(end - dot - 1), 1000, &b) != PO_OK)
		return false;
	*major = (unsigned)a;
	*minor = (unsigned)b;
	return true;
}

/* The server's version from HELLO's answer (a flat list of names and
 * values); false if it is too old or says none. */
static bool
version_ok(const redisReply *r, char *ver, size_t size)
{
	unsigned major = 0, minor = 0;
	size_t i;

	snprintf(ver, size, "unknown");
	if (r->type != REDIS_REPLY_ARRAY)
		return false;
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (k->type == REDIS_REPLY_STRING && strcmp(k->str, "version") == 0 && v->type == REDIS_REPLY_STRING) {
			snprintf(ver, size, "%s", v->str);
			if (!parse_version(v->str, &major, &minor))
				return false;
			return major > RPOOL_MIN_MAJOR || (major == RPOOL_MIN_MAJOR && minor >= RPOOL_MIN_MINOR);
		}
	}
	return false;
}

/* Authenticates, checks the version and selects the database. PO_OK or
 * PO_ERR_UPSTREAM with why. */
static int
handshake(rpool_t *p, rconn_t *rc, char *why, size_t size)
{
	const char *argv[5] = { "HELLO", "2" };
	size_t lens[5] = { 5, 1 };
	char ver[32], db[16];
	redisReply *r = NULL;
	int argc = 2, rc_ = PO_ERR_UPSTREAM;

	if (p->password) {
		argv[argc] = "AUTH";
		argv[argc + 1] = p->username ? p->username : "default";
		argv[argc + 2] = p->password;
		lens[argc] = 4;
		lens[argc + 1] = strlen(argv[argc + 1]);
		lens[argc + 2] = strlen(p->password);
		argc += 3;
	}
	if ((r = rconn_cmd(rc, argc, argv, lens)) == NULL) {
		conn_error(rc, why, size);
		goto out;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		/* Redis's own words; they never repeat the password. */
		if (strncmp(r->str, "ERR unknown command", 19) == 0)
			snprintf(why, size, "the server does not know HELLO: plex-oidc needs Redis %d.%d or newer, or Valkey",
			    RPOOL_MIN_MAJOR, RPOOL_MIN_MINOR);
		else
			snprintf(why, size, "%s", r->str);
		goto out;
	}
	if (!version_ok(r, ver, sizeof(ver))) {
		snprintf(why, size, "Redis %s is too old: plex-oidc needs Redis %d.%d or newer (GETDEL), or Valkey", ver,
		    RPOOL_MIN_MAJOR, RPOOL_MIN_MINOR);
		goto out;
	}
	if (p->db) {
		rreply_free(r);
		snprintf(db, sizeof(db), "%u", p->db);
		argv[0] = "SELECT";
		argv[1] = db;
		lens[0] = 6;
		lens[1] = strlen(db);
		if ((r = rconn_cmd(rc, 2, argv, lens)) == NULL) {
			conn_error(rc, why, size);
			goto out;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			snprintf(why, size, "SELECT %u: %s", p->db, r->str);
			goto out;
		}
	}
	rc_ = PO_OK;
out:
	rreply_free(r);
	return rc_;
}

/* Opens a connection (without the lock). */
static int
open_conn(rpool_t *p, rconn_t *rc, char *why, size_t size)
{
	struct timeval ct = ms_tv(LIM_STORE_CONNECT_TIMEOUT_MS);

	memset(rc, 0, sizeof(*rc));
	rc->c = p->socket ? redisConnectUnixWithTimeout(p->socket, ct) : redisConnectWithTimeout(p->host, (int)p->port, ct);
	if (rc->c == NULL)
		return PO_ERR_NOMEM;
	if (rc->c->err) {
		snprintf(why, size, "cannot connect: %s", rc->c->errstr);
		goto fail;
	}
	if (redisSetTimeout(rc->c, ms_tv(LIM_STORE_COMMAND_TIMEOUT_MS)) != REDIS_OK ||
	    (p->socket == NULL && redisEnableKeepAlive(rc->c) != REDIS_OK)) {
		snprintf(why, size, "cannot set up the connection: %s", rc->c->errstr);
		goto fail;
	}
	if (handshake(p, rc, why, size) != PO_OK)
		goto fail;
	return PO_OK;
fail:
	redisFree(rc->c);
	rc->c = NULL;
	return PO_ERR_UPSTREAM;
}

/* ---- borrowing ---- */

int
rpool_get(rpool_t *p, rconn_t *rc)
{
	char why[sizeof(p->error)] = "";
	struct timespec deadline;
	int64_t now;
	int rc_;

	memset(rc, 0, sizeof(*rc));
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += LIM_STORE_COMMAND_TIMEOUT_MS / 1000;
	deadline.tv_nsec += (LIM_STORE_COMMAND_TIMEOUT_MS % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	while (p->n_idle == 0 && p->n_out >= LIM_STORE_CONNS)
		if (pthread_cond_timedwait(&p->freed, &p->lock, &deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&p->lock);
			return PO_ERR_UPSTREAM;
		}
	p->n_out++;
	if (p->n_idle) {
		rc->c = p->idle[--p->n_idle];
		rc->reused = true;
		pthread_mutex_unlock(&p->lock);
		return PO_OK;
	}
	now = clock_mono_ms();
	if (now < p->retry_at_ms) {
		/* Backing off: "try again" at once rather than a connect per call. */
		p->n_out--;
		pthread_mutex_unlock(&p->lock);
		return PO_ERR_UPSTREAM;
	}
	pthread_mutex_unlock(&p->lock);

	rc_ = open_conn(p, rc, why, sizeof(why));

	pthread_mutex_lock(&p->lock);
	if (rc_ == PO_OK) {
		ADD(p->connects, 1);
		p->backoff_ms = 0;
		p->retry_at_ms = 0;
		mark_up(p);
	} else {
		ADD(p->connect_failures, 1);
		p->n_out--;
		p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : LIM_STORE_RECONNECT_MIN_MS;
		if (p->backoff_ms > LIM_STORE_RECONNECT_MAX_MS)
			p->backoff_ms = LIM_STORE_RECONNECT_MAX_MS;
		p->retry_at_ms = clock_mono_ms() + p->backoff_ms;
		mark_down(p, rc_ == PO_ERR_NOMEM ? "out of memory" : why);
		pthread_cond_signal(&p->freed);
	}
	pthread_mutex_unlock(&p->lock);
	return rc_ == PO_OK ? PO_OK : rc_ == PO_ERR_NOMEM ? PO_ERR_NOMEM
	                                                  : PO_ERR_UPSTREAM;
}

void
rpool_put(rpool_t *p, rconn_t *rc, bool broken)
{
	redisContext *drop[LIM_STORE_CONNS + 1];
	char why[sizeof(p->error)] = "";
	size_t n = 0, i;

	if (rc->c == NULL)
		return;
	if (broken)
		conn_error(rc, why, sizeof(why));
	pthread_mutex_lock(&p->lock);
	if (broken) {
		/* Whatever broke this one (a restart, a network cut) broke the
		 * idle ones too: close them rather than fail once each. */
		drop[n++] = rc->c;
		for (i = 0; i < p->n_idle; i++)
			drop[n++] = p->idle[i];
		p->n_idle = 0;
		mark_down(p, why);
	} else {
		p->idle[p->n_idle++] = rc->c;
	}
	p->n_out--;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < n; i++)
		redisFree(drop[i]);
	rc->c = NULL;
}

/* ---- health ---- */

void
rpool_health(rpool_t *p, bool probe, store_health_t *h)
{
	const char *argv[] = { "PING" };
	const size_t lens[] = { 4 };
	redisReply *r = NULL;
	rconn_t rc;

	if (probe && rpool_get(p, &rc) == PO_OK) {
		r = rconn_cmd(&rc, 1, argv, lens);
		rpool_put(p, &rc, r == NULL);
		rreply_free(r);
	}
	pthread_mutex_lock(&p->lock);
	h->backend = "redis";
	h->up = p->state != RS_DOWN;
	snprintf(h->where, sizeof(h->where), "%s", p->where);
	snprintf(h->error, sizeof(h->error), "%s", h->up ? "" : p->error);
	pthread_mutex_unlock(&p->lock);
}

void
rpool_stats(rpool_t *p, store_stats_t *out)
{
	out->connects += LOAD(p->connects);
	out->connect_failures += LOAD(p->connect_failures);
}
