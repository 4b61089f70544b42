/*
 * conns.c - connection deadlines and per-address caps (see conns.h).
 *
 * Data: every slot is on the `all` list (walked by the reaper); idle
 * keep-alive slots are also on the `idle` list, oldest first, which is the
 * order they are given up in when the server is busy. Per-address counts
 * live in a small chained hash table of `addr` nodes keyed by ipaddr_key(),
 * with a secret seed so nobody can aim many addresses at one chain; a node
 * exists while anything is counted on it, so memory follows the number of
 * connections.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rnd.h"
#include "http/conns.h"

enum phase {
	PH_HEAD = 0,
	PH_BODY,
	PH_BUSY,
	PH_IDLE,
	PH_CUT
};

struct addr {
	struct addr *next; /* hash chain */
	unsigned char key[IPADDR_KEY_LEN];
	unsigned conns;    /* connections from this peer */
	unsigned refused;  /* ...of which refused and waiting for their 503 */
	unsigned requests; /* requests in flight for this client */
};

struct conn_slot {
	struct conn_slot *prev, *next;           /* all */
	struct conn_slot *idle_prev, *idle_next; /* idle, when PH_IDLE */
	int fd;
	enum phase phase;
	int64_t deadline_ms;
	bool refused;
	bool trusted;        /* the peer is a trusted proxy (set once, read unlocked) */
	struct addr *peer;   /* counted in peer->conns */
	struct addr *client; /* counted in client->requests, while a request runs */
};

struct conns {
	conns_opts_t o;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* wakes the reaper to stop */
	pthread_t reaper;
	bool reaper_started, stopping;
	uint64_t seed;
	struct addr **buckets;
	size_t nbuckets; /* power of two */
	struct conn_slot *all;
	struct conn_slot *idle_head, *idle_tail;
	size_t total;
	size_t dropped; /* since the last conns_reap */
};

/* ---- per-address counts (mu held) ---- */

static size_t
bucket_of(const conns_t *t, const unsigned char *key)
{
	uint64_t h = t->seed ^ 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < IPADDR_KEY_LEN; i++) {
		h ^= key[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return (size_t)h & (t->nbuckets - 1);
}

static struct addr *
addr_get(conns_t *t, const ipaddr_t *a)
{
	unsigned char key[IPADDR_KEY_LEN];
	struct addr *n;
	size_t b;

	ipaddr_key(a, key);
	b = bucket_of(t, key);
	for (n = t->buckets[b]; n != NULL; n = n->next)
		if (memcmp(n->key, key, sizeof(key)) == 0)
			return n;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	memcpy(n->key, key, sizeof(key));
	n->next = t->buckets[b];
	t->buckets[b] = n;
	return n;
}

/* Frees n once nothing is counted on it. */
static void
addr_put(conns_t *t, struct addr *n)
{
	struct addr **pp;

	if (n == NULL || n->conns || n->refused || n->requests)
		return;
	for (pp = &t->buckets[bucket_of(t, n->key)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			free(n);
			return;
		}
	}
}

/* ---- lists (mu held) ---- */

static void
idle_unlink(conns_t *t, struct conn_slot *s)
{
	if (s->phase != PH_IDLE)
		return;
	if (s->idle_prev)
		s->idle_prev->idle_next = s->idle_next;
	else
		t->idle_head = s->idle_next;
	if (s->idle_next)
		s->idle_next->idle_prev = s->idle_prev;
	else
		t->idle_tail = s->idle_prev;
	s->idle_prev = s->idle_next = NULL;
}

static void
idle_append(conns_t *t, struct conn_slot *s)
{
	s->idle_next = NULL;
	s->idle_prev = t->idle_tail;
	if (t->idle_tail)
		t->idle_tail->idle_next = s;
	else
		t->idle_head = s;
	t->idle_tail = s;
}

/* Shuts the connection down; libmicrohttpd closes it on its next read.
 * The descriptor is still open: conns_close has not run (we hold mu). */
static void
cut(conns_t *t, struct conn_slot *s)
{
	idle_unlink(t, s);
	s->phase = PH_CUT;
	s->deadline_ms = 0;
	shutdown(s->fd, SHUT_RDWR);
}

static void
release_client(conns_t *t, struct conn_slot *s)
{
	if (s->client == NULL)
		return;
	s->client->requests--;
	addr_put(t, s->client);
	s->client = NULL;
}

/* ---- the API ---- */

conn_slot_t *
conns_open(conns_t *t, int fd, const ipaddr_t *peer, bool trusted, int64_t now_ms, enum conn_verdict *v)
{
	struct conn_slot *s = NULL;
	struct addr *n = NULL;
	bool busy;

	*v = CONN_DROP;
	pthread_mutex_lock(&t->mu);
	if ((s = calloc(1, sizeof(*s))) == NULL || (n = addr_get(t, peer)) == NULL) {
		free(s);
		t->dropped++;
		pthread_mutex_unlock(&t->mu);
		shutdown(fd, SHUT_RDWR);
		return NULL;
	}
	s->fd = fd;
	s->trusted = trusted;
	s->peer = n;
	s->phase = PH_HEAD;
	s->deadline_ms = now_ms + t->o.head_ms;
	s->next = t->all;
	if (t->all)
		t->all->prev = s;
	t->all = s;
	t->total++;
	n->conns++;

	*v = CONN_ADMIT;
	busy = t->total + t->o.reserve > t->o.max;
	if (!trusted && (n->conns > t->o.per_ip || (busy && n->conns > t->o.per_ip_busy)))
		*v = CONN_REFUSE;
	else if (busy && t->idle_head != NULL)
		cut(t, t->idle_head); /* the oldest idle keep-alive goes first */
	if (*v == CONN_REFUSE) {
		s->refused = true;
		n->refused++;
		s->deadline_ms = now_ms + t->o.refused_head_ms;
		if (n->refused > t->o.refused_per_ip) {
			*v = CONN_DROP;
			t->dropped++;
			cut(t, s);
		}
	}
	pthread_mutex_unlock(&t->mu);
	return s;
}

void
conns_close(conns_t *t, conn_slot_t *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	idle_unlink(t, s);
	if (s->prev)
		s->prev->next = s->next;
	else
		t->all = s->next;
	if (s->next)
		s->next->prev = s->prev;
	release_client(t, s);
	if (s->refused)
		s->peer->refused--;
	s->peer->conns--;
	addr_put(t, s->peer);
	t->total--;
	pthread_mutex_unlock(&t->mu);
	free(s);
}

bool
conns_trusted(const conn_slot_t *s)
{
	return s->trusted;
}

void
conns_request_start(conns_t *t, conn_slot_t *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	if (s->phase == PH_IDLE) {
		idle_unlink(t, s);
		s->phase = PH_HEAD; /* the idle deadline, which includes the head, runs on */
	}
	pthread_mutex_unlock(&t->mu);
}

bool
conns_head_done(conns_t *t, conn_slot_t *s, const ipaddr_t *client, bool has_body, int64_t now_ms)
{
	struct addr *n;
	bool ok = false;

	if (s == NULL)
		return true; /* not tracked (out of memory at accept): nothing to count */
	pthread_mutex_lock(&t->mu);
	if (s->refused || s->phase == PH_CUT)
		goto out;
	release_client(t, s); /* a request that never completed (cannot happen; be safe) */
	if ((n = addr_get(t, client)) == NULL)
		goto out;
	if (n->requests >= t->o.per_client) {
		addr_put(t, n);
		goto out;
	}
	n->requests++;
	s->client = n;
	idle_unlink(t, s);
	s->phase = has_body ? PH_BODY : PH_BUSY;
	s->deadline_ms = has_body ? now_ms + t->o.body_ms : 0;
	ok = true;
out:
	pthread_mutex_unlock(&t->mu);
	return ok;
}

void
conns_body_done(conns_t *t, conn_slot_t *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	if (s->phase == PH_BODY) {
		s->phase = PH_BUSY;
		s->deadline_ms = 0;
	}
	pthread_mutex_unlock(&t->mu);
}

void
conns_request_done(conns_t *t, conn_slot_t *s, int64_t now_ms)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	release_client(t, s);
	if (s->phase != PH_CUT && s->phase != PH_IDLE) {
		s->phase = PH_IDLE;
		s->deadline_ms = now_ms + t->o.idle_ms;
		idle_append(t, s);
	}
	pthread_mutex_unlock(&t->mu);
}

conns_reaped_t
conns_reap(conns_t *t, int64_t now_ms, size_t *dropped)
{
	conns_reaped_t r = { 0, 0, 0 };
	struct conn_slot *s;

	pthread_mutex_lock(&t->mu);
	for (s = t->all; s != NULL; s = s->next) {
		if (s->deadline_ms == 0 || s->deadline_ms > now_ms)
			continue;
		switch (s->phase) {
		case PH_HEAD: r.head++; break;
		case PH_BODY: r.body++; break;
		case PH_IDLE: r.idle++; break;
		case PH_BUSY:
		case PH_CUT: continue;
		}
		cut(t, s);
	}
	if (dropped)
		*dropped = t->dropped;
	t->dropped = 0;
	pthread_mutex_unlock(&t->mu);
	return r;
}

size_t
conns_count(conns_t *t)
{
	size_t n;

	pthread_mutex_lock(&t->mu);
	n = t->total;
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* ---- the reaper thread ---- */

static void *
reaper(void *arg)
{
	conns_t *t = arg;
	struct timespec ts;

	for (;;) {
		conns_reaped_t r;
		size_t dropped = 0;

		pthread_mutex_lock(&t->mu);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += t->o.reap_interval_ms / 1000;
		ts.tv_nsec += (long)(t->o.reap_interval_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!t->stopping && pthread_cond_timedwait(&t->cv, &t->mu, &ts) != ETIMEDOUT)
			;
		if (t->stopping) {
			pthread_mutex_unlock(&t->mu);
			return NULL;
		}
		pthread_mutex_unlock(&t->mu);
		r = conns_reap(t, clock_mono_ms(), &dropped);
		/* Counts only: addresses of slow clients are in the request
		 * log when they do send a request. */
		if (r.head || r.body || r.idle)
			log_info("http: closed %zu connection(s) that sent no complete request head in time, %zu no "
			         "complete body, %zu idle too long",
			    r.head, r.body, r.idle);
		if (dropped)
			log_warn("http: closed %zu new connection(s) at once: over the per-address connection limit", dropped);
	}
}

void
conns_free(conns_t *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->reaper_started) {
		pthread_mutex_lock(&t->mu);
		t->stopping = true;
		pthread_cond_signal(&t->cv);
		pthread_mutex_unlock(&t->mu);
		pthread_join(t->reaper, NULL);
	}
	/* Every connection was closed: the table is empty; free what a bug
	 * might have left rather than leak it. */
	for (i = 0; t->buckets && i < t->nbuckets; i++) {
		while (t->buckets[i]) {
			struct addr *n = t->buckets[i];
			t->buckets[i] = n->next;
			free(n);
		}
	}
	while (t->all) {
		struct conn_slot *s = t->all;
		t->all = s->next;
		free(s);
	}
	free(t->buckets);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

int
conns_new(const conns_opts_t *o, conns_t **out)
{
	conns_t *t = NULL;
	pthread_condattr_t ca;
	int rc = PO_ERR_INVALID;

	*out = NULL;
	if (o == NULL || o->max == 0 || o->reap_interval_ms < 0)
		return rc;
	rc = PO_ERR_NOMEM;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return rc;
	t->o = *o;
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* About one bucket per connection. */
	for (t->nbuckets = 64; t->nbuckets < o->max; t->nbuckets *= 2)
		;
	if ((t->buckets = calloc(t->nbuckets, sizeof(*t->buckets))) == NULL)
		goto out;
	if (rnd_bytes(&t->seed, sizeof(t->seed)) != PO_OK)
		t->seed = (uint64_t)clock_mono_us();
	if (o->reap_interval_ms > 0) {
		rc = PO_ERR_INTERNAL;
		if (pthread_create(&t->reaper, NULL, reaper, t) != 0)
			goto out;
		t->reaper_started = true;
	}
	*out = t;
	t = NULL; /* transferred */
	rc = PO_OK;
out:
	conns_free(t);
	return rc;
}
