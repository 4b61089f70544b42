/*
 * store_redis.c - the store's calls on Redis (see store_redis.h). Each call
 * is a function of one borrowed connection (struct op); run() borrows,
 * calls, and gives the connection back, and sends the call once more on a
 * fresh connection when a reused one turns out to have been closed by the
 * server (a Redis restart): that command never ran, so sending it again
 * is safe, and the first call after a restart does not fail for nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "po_limits.h"
#include "store/rpool.h"
#include "store/store_priv.h"
#include "store/store_redis.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ADD(x, n) __atomic_add_fetch(&(x), (n), __ATOMIC_RELAXED)

/* An op's verdict that the connection failed (the reply was NULL); not a
 * PO_* code. */
#define R_BROKEN 1
/* PREFIX + the longest namespace or "perm" + ":" + a key. */
#define R_KEY_MAX (LIM_STORE_PREFIX_MAX + 16 + STORE_KEY_MAX + 1)
/* The default prefix: hex digits of SHA-256(issuer) (48 bits: a clash
 * between two installations on one Redis is not a practical concern). */
#define R_PREFIX_HEX 12

struct redis {
	rpool_t *pool;
	char prefix[LIM_STORE_PREFIX_MAX + 1];
	uint64_t conflicts;
	long long ttl_ms[STORE_NS_COUNT]; /* per namespace (store_set_ttl) */
};

/* What one call needs; the reply's outcome goes to rc. */
struct op {
	const char *key; /* the full Redis key */
	size_t key_len;
	const void *val;
	size_t len;
	const void *old; /* perm_replace */
	size_t old_len;
	long long ttl_ms;   /* put: 0 for a permanent record */
	buf_t *out;         /* get */
	int remove;         /* get: GETDEL */
	store_update_fn fn; /* update */
	void *arg;
};

typedef int (*op_fn)(struct redis *r, rconn_t *rc, struct op *o);

/* Before trying a conflicted update again: a random pause of up to
 * R_RETRY_PAUSE_US << tries (at most << R_RETRY_PAUSE_SHIFT_MAX), so that
 * writers racing for one key spread out instead of colliding again in
 * lockstep. At most ~50 ms over all LIM_STORE_UPDATE_TRIES. */
#define R_RETRY_PAUSE_US 50
#define R_RETRY_PAUSE_SHIFT_MAX 5

static void
retry_pause(int tries, uint64_t *seed)
{
	struct timespec ts = { 0, 0 };
	uint64_t span = (uint64_t)R_RETRY_PAUSE_US << (tries < R_RETRY_PAUSE_SHIFT_MAX ? tries : R_RETRY_PAUSE_SHIFT_MAX);

	/* xorshift64: spreading, not secrecy */
	*seed ^= *seed << 13;
	*seed ^= *seed >> 7;
	*seed ^= *seed << 17;
	ts.tv_nsec = (long)(*seed % span) * 1000L;
	nanosleep(&ts, NULL);
}

/* A seed that differs between threads and calls. */
static uint64_t
retry_seed(const void *local)
{
	uint64_t s = (uint64_t)clock_mono_us() ^ ((uint64_t)(uintptr_t)local << 16);

	return s ? s : 0x9e3779b97f4a7c15ULL;
}

/* Builds the Redis key of (group, key) into out (R_KEY_MAX). */
static size_t
rkey(const struct redis *r, const char *group, const char *key, char *out)
{
	int n = snprintf(out, R_KEY_MAX, "%s%s:%s", r->prefix, group, key);

	return n > 0 && n < R_KEY_MAX ? (size_t)n : 0;
}

static int
run(struct redis *r, op_fn fn, struct op *o)
{
	rconn_t rc;
	int attempt, res = PO_ERR_UPSTREAM, retry;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((res = rpool_get(r->pool, &rc)) != PO_OK)
			return res;
		if ((res = fn(r, &rc, o)) != R_BROKEN) {
			rpool_put(r->pool, &rc, false);
			return res;
		}
		retry = rc.reused && rconn_closed(&rc);
		rpool_put(r->pool, &rc, true);
		if (!retry)
			break;
	}
	return PO_ERR_UPSTREAM;
}

/* An error reply: Redis is there but refused (out of memory, loading its
 * data, a read-only replica, a missing permission). Logged: an operator
 * must see it. */
static int
refused(const char *what, const redisReply *rep)
{
	log_error("store: Redis refused %s: %.200s", what, rep->str ? rep->str : "(no message)");
	return PO_ERR_UPSTREAM;
}

/* ---- the calls ---- */

static int
op_put(struct redis *r, rconn_t *rc, struct op *o)
{
	char ttl[24];
	const char *argv[6] = { "SET", o->key, o->val, "NX", "PX", ttl };
	size_t lens[6] = { 3, o->key_len, o->len, 2, 2, 0 };
	redisReply *rep;
	int res;

	lens[5] = (size_t)snprintf(ttl, sizeof(ttl), "%lld", o->ttl_ms);
	if ((rep = rconn_cmd(rc, o->ttl_ms ? 6 : 4, argv, lens)) == NULL)
		return R_BROKEN;
	if (rep->type == REDIS_REPLY_STATUS)
		res = PO_OK;
	else if (rep->type == REDIS_REPLY_NIL)
		res = PO_ERR_INVALID; /* NX: it exists */
	else
		res = refused("SET", rep);
	rreply_free(rep);
	return res;
}

/* Appends a string reply to out. */
static int
reply_value(const redisReply *rep, buf_t *out, const char *what)
{
	if (rep->type == REDIS_REPLY_NIL)
		return PO_ERR_NOTFOUND;
	if (rep->type == REDIS_REPLY_STRING)
		return buf_append(out, rep->str, rep->len);
	return rep->type == REDIS_REPLY_ERROR ? refused(what, rep) : PO_ERR_UPSTREAM;
}

static int
op_get(struct redis *r, rconn_t *rc, struct op *o)
{
	const char *argv[2] = { o->remove ? "GETDEL" : "GET", o->key };
	size_t lens[2] = { o->remove ? 6 : 3, o->key_len };
	redisReply *rep;
	int res;

	if ((rep = rconn_cmd(rc, 2, argv, lens)) == NULL)
		return R_BROKEN;
	res = reply_value(rep, o->out, argv[0]);
	rreply_free(rep);
	return res;
}

static int
op_del(struct redis *r, rconn_t *rc, struct op *o)
{
	const char *argv[2] = { "DEL", o->key };
	size_t lens[2] = { 3, o->key_len };
	redisReply *rep;
	int res;

	if ((rep = rconn_cmd(rc, 2, argv, lens)) == NULL)
		return R_BROKEN;
	if (rep->type == REDIS_REPLY_INTEGER)
		res = rep->integer > 0 ? PO_OK : PO_ERR_NOTFOUND;
	else
		res = refused("DEL", rep);
	rreply_free(rep);
	return res;
}

/* WATCH key and GET it, pipelined. *val is the value reply (NIL when the
 * key is absent) or NULL with R_BROKEN / an error. */
static int
watch_get(rconn_t *rc, struct op *o, redisReply **val)
{
	const char *w[2] = { "WATCH", o->key }, *g[2] = { "GET", o->key };
	size_t wl[2] = { 5, o->key_len }, gl[2] = { 3, o->key_len };
	redisReply *rep;
	int res = PO_OK;

	*val = NULL;
	if (!rconn_append(rc, 2, w, wl) || !rconn_append(rc, 2, g, gl))
		return R_BROKEN; /* half a pipeline may be queued: drop the connection */
	if ((rep = rconn_reply(rc)) == NULL)
		return R_BROKEN;
	if (rep->type == REDIS_REPLY_ERROR)
		res = refused("WATCH", rep);
	rreply_free(rep);
	if ((rep = rconn_reply(rc)) == NULL)
		return R_BROKEN;
	if (res == PO_OK && rep->type != REDIS_REPLY_STRING && rep->type != REDIS_REPLY_NIL)
		res = rep->type == REDIS_REPLY_ERROR ? refused("GET", rep) : PO_ERR_UPSTREAM;
	if (res != PO_OK) {
		rreply_free(rep);
		return res;
	}
	*val = rep;
	return PO_OK;
}

/* Leaves the WATCH (a connection goes back to the pool clean). */
static int
unwatch(rconn_t *rc, int res)
{
	const char *argv[1] = { "UNWATCH" };
	const size_t lens[1] = { 7 };
	redisReply *rep = rconn_cmd(rc, 1, argv, lens);

	if (rep == NULL)
		return R_BROKEN;
	rreply_free(rep);
	return res;
}

/* MULTI, the write (SET key val XX [KEEPTTL], or DEL key), EXEC,
 * pipelined. PO_OK when applied, PO_ERR_NOTFOUND when the key had gone
 * (SET XX did nothing), PO_ERR_INVALID when EXEC was refused: another
 * writer touched the key after WATCH. */
static int
write_watched(rconn_t *rc, struct op *o, const char *val, size_t len, bool del, bool keepttl)
{
	const char *m[1] = { "MULTI" }, *e[1] = { "EXEC" };
	const size_t ml[1] = { 5 }, el[1] = { 4 };
	const char *s[5] = { "SET", o->key, val, "XX", "KEEPTTL" }, *d[2] = { "DEL", o->key };
	size_t sl[5] = { 3, o->key_len, len, 2, 7 }, dl[2] = { 3, o->key_len };
	redisReply *rep;
	int i, res = PO_OK;

	if (!rconn_append(rc, 1, m, ml) ||
	    !(del ? rconn_append(rc, 2, d, dl) : rconn_append(rc, keepttl ? 5 : 4, s, sl)) ||
	    !rconn_append(rc, 1, e, el))
		return R_BROKEN; /* as in watch_get() */
	for (i = 0; i < 3; i++) {
		if ((rep = rconn_reply(rc)) == NULL)
			return R_BROKEN;
		if (rep->type == REDIS_REPLY_ERROR && res == PO_OK)
			res = refused(i == 0 ? "MULTI" : i == 1 ? "the write"
			                                        : "EXEC",
			    rep);
		else if (i == 2 && res == PO_OK) {
			if (rep->type == REDIS_REPLY_NIL)
				res = PO_ERR_INVALID; /* the WATCH saw another writer */
			else if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 1)
				res = PO_ERR_UPSTREAM;
			else if (rep->element[0]->type == REDIS_REPLY_NIL)
				res = PO_ERR_NOTFOUND; /* XX: expired meanwhile */
			else if (rep->element[0]->type == REDIS_REPLY_ERROR)
				res = refused("the write", rep->element[0]);
		}
		rreply_free(rep);
	}
	return res;
}

static int
op_update(struct redis *r, rconn_t *rc, struct op *o)
{
	redisReply *val = NULL;
	enum store_write w;
	buf_t next;
	int tries, res = PO_ERR_UPSTREAM;
	uint64_t seed = retry_seed(&next);

	buf_init(&next, LIM_STORE_VALUE_MAX);
	for (tries = 0; tries < LIM_STORE_UPDATE_TRIES; tries++) {
		if ((res = watch_get(rc, o, &val)) != PO_OK) {
			if (res != R_BROKEN)
				res = unwatch(rc, res);
			break;
		}
		if (val->type == REDIS_REPLY_NIL) {
			res = unwatch(rc, PO_ERR_NOTFOUND);
			break;
		}
		buf_reset(&next);
		w = o->fn(o->arg, val->str, val->len, &next);
		rreply_free(val);
		val = NULL;
		if (w == STORE_KEEP) {
			res = unwatch(rc, PO_OK);
			break;
		}
		res = write_watched(rc, o, next.data ? next.data : "", next.len, w == STORE_DELETE, true);
		if (res != PO_ERR_INVALID)
			break;
		ADD(r->conflicts, 1);
		retry_pause(tries, &seed);
	}
	if (tries == LIM_STORE_UPDATE_TRIES) {
		log_warn("store: a record changed under %d tries in a row; answering \"try again\"", tries);
		res = PO_ERR_UPSTREAM;
	}
	rreply_free(val);
	buf_free(&next);
	return res;
}

/* Compare-and-replace of a permanent record. */
static int
op_perm_replace(struct redis *r, rconn_t *rc, struct op *o)
{
	redisReply *val = NULL;
	int tries, res = PO_ERR_UPSTREAM;
	uint64_t seed = retry_seed(&val);

	for (tries = 0; tries < LIM_STORE_UPDATE_TRIES; tries++) {
		if ((res = watch_get(rc, o, &val)) != PO_OK) {
			if (res != R_BROKEN)
				res = unwatch(rc, res);
			break;
		}
		if (val->type == REDIS_REPLY_NIL || val->len != o->old_len || memcmp(val->str, o->old, o->old_len) != 0) {
			res = unwatch(rc, val->type == REDIS_REPLY_NIL ? PO_ERR_NOTFOUND : PO_ERR_INVALID);
			break;
		}
		rreply_free(val);
		val = NULL;
		/* Permanent: no time to keep. */
		if ((res = write_watched(rc, o, o->val, o->len, false, false)) != PO_ERR_INVALID)
			break;
		ADD(r->conflicts, 1); /* changed meanwhile: compare again */
		retry_pause(tries, &seed);
	}
	if (tries == LIM_STORE_UPDATE_TRIES)
		res = PO_ERR_UPSTREAM;
	rreply_free(val);
	return res;
}

/* ---- the backend ---- */

static int
r_put(void *impl, enum store_ns ns, const char *key, const void *val, size_t len)
{
	struct redis *r = impl;
	char k[R_KEY_MAX];
	struct op o = { .key = k, .val = val, .len = len, .ttl_ms = r->ttl_ms[ns] };

	if (len > LIM_STORE_VALUE_MAX)
		return PO_ERR_LIMIT;
	if ((o.key_len = rkey(r, store_ns_name(ns), key, k)) == 0)
		return PO_ERR_INVALID;
	if (o.val == NULL)
		o.val = "";
	return run(r, op_put, &o);
}

static int
r_get(void *impl, enum store_ns ns, const char *key, buf_t *out, int remove)
{
	struct redis *r = impl;
	char k[R_KEY_MAX];
	struct op o = { .key = k, .out = out, .remove = remove };

	if ((o.key_len = rkey(r, store_ns_name(ns), key, k)) == 0)
		return PO_ERR_NOTFOUND;
	return run(r, op_get, &o);
}

static int
r_del(void *impl, enum store_ns ns, const char *key)
{
	struct redis *r = impl;
	char k[R_KEY_MAX];
	struct op o = { .key = k };

	if ((o.key_len = rkey(r, store_ns_name(ns), key, k)) == 0)
		return PO_ERR_NOTFOUND;
	return run(r, op_del, &o);
}

static int
r_update(void *impl, enum store_ns ns, const char *key, store_update_fn fn, void *arg)
{
	struct redis *r = impl;
	char k[R_KEY_MAX];
	struct op o = { .key = k, .fn = fn, .arg = arg };

	if ((o.key_len = rkey(r, store_ns_name(ns), key, k)) == 0)
		return PO_ERR_NOTFOUND;
	return run(r, op_update, &o);
}

/* Counting keys would mean scanning Redis: not done (store.h). */
static size_t
r_count(void *impl, enum store_ns ns)
{
	return 0;
}

static int
r_perm_get(void *impl, const char *name, buf_t *out)
{
	struct redis *r = impl;
	char k[R_KEY_MAX];
	struct op o = { .key = k, .out = out };

	if ((o.key_len = rkey(r, "perm", name, k)) == 0)
		return PO_ERR_INVALID;
	return run(r, op_get, &o);
}

static int
r_perm_put(void *impl, const char *name, const void *val, size_t len)
{
	struct redis *r = impl;
	char k[R_KEY_MAX];
	struct op o = { .key = k, .val = val ? val : "", .len = len, .ttl_ms = 0 };

	if ((o.key_len = rkey(r, "perm", name, k)) == 0)
		return PO_ERR_INVALID;
	return run(r, op_put, &o);
}

static int
r_perm_replace(void *impl, const char *name, const void *old, size_t old_len, const void *val, size_t len)
{
	struct redis *r = impl;
	char k[R_KEY_MAX];
	struct op o = { .key = k, .val = val ? val : "", .len = len, .old = old ? old : "", .old_len = old_len };

	if ((o.key_len = rkey(r, "perm", name, k)) == 0)
		return PO_ERR_INVALID;
	return run(r, op_perm_replace, &o);
}

static void
r_health(void *impl, bool probe, store_health_t *h)
{
	rpool_health(((struct redis *)impl)->pool, probe, h);
}

static void
r_stats(void *impl, store_stats_t *out)
{
	struct redis *r = impl;

	out->conflicts += LOAD(r->conflicts);
	rpool_stats(r->pool, out);
}

static void
r_free(void *impl)
{
	struct redis *r = impl;

	if (r == NULL)
		return;
	rpool_free(r->pool);
	free(r);
}

static void
r_set_ttl(void *impl, enum store_ns ns, long long ttl_ms)
{
	((struct redis *)impl)->ttl_ms[ns] = ttl_ms;
}

static const struct store_ops redis_ops = {
	.put = r_put,
	.set_ttl = r_set_ttl,
	.get = r_get,
	.del = r_del,
	.update = r_update,
	.count = r_count,
	.free = r_free,
	.perm_get = r_perm_get,
	.perm_put = r_perm_put,
	.perm_replace = r_perm_replace,
	.health = r_health,
	.stats = r_stats,
	.shared = true,
};

int
store_redis_default_prefix(const char *issuer, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char h[R_PREFIX_HEX + 1];
	int i;

	if (size < STORE_REDIS_PREFIX_DEFAULT_SIZE ||
	    EVP_Digest(issuer, strlen(issuer), md, &mdlen, EVP_sha256(), NULL) != 1)
		return PO_ERR_CRYPTO;
	for (i = 0; i < R_PREFIX_HEX; i++)
		h[i] = hex[(md[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	h[R_PREFIX_HEX] = '\0';
	snprintf(out, size, "plex-oidc:%s:", h);
	return PO_OK;
}

int
store_redis_new(const store_redis_opts_t *o, store_t **out)
{
	rpool_opts_t po = { 0 };
	store_t *s = NULL;
	struct redis *r = NULL;
	int rc = PO_ERR_INVALID;

	*out = NULL;
	if ((o->host == NULL) == (o->socket == NULL) ||
	    (o->prefix && (o->prefix[0] == '\0' || strlen(o->prefix) > LIM_STORE_PREFIX_MAX)) ||
	    (o->prefix == NULL && o->issuer == NULL))
		goto out;
	rc = PO_ERR_NOMEM;
	if ((s = calloc(1, sizeof(*s))) == NULL || (r = calloc(1, sizeof(*r))) == NULL)
		goto out;
	for (int i = 0; i < STORE_NS_COUNT; i++)
		r->ttl_ms[i] = store_ns_ttl_ms((enum store_ns)i);
	if (o->prefix)
		memcpy(r->prefix, o->prefix, strlen(o->prefix) + 1);
	else if ((rc = store_redis_default_prefix(o->issuer, r->prefix, sizeof(r->prefix))) != PO_OK)
		goto out;
	po.host = o->host;
	po.port = o->port;
	po.socket = o->socket;
	po.db = o->db;
	po.username = o->username;
	po.password = o->password;
	po.where = o->where;
	if ((rc = rpool_new(&po, &r->pool)) != PO_OK)
		goto out;
	s->ops = &redis_ops;
	s->impl = r;
	*out = s;
	s = NULL; /* transferred */
	r = NULL; /* transferred */
out:
	r_free(r);
	free(s);
	return rc;
}

const char *
store_redis_prefix(const store_t *s)
{
	return s && s->ops == &redis_ops ? ((const struct redis *)s->impl)->prefix : NULL;
}
