/*
 * test_store_redis.c - the Redis backend of the store (store_redis.c,
 * rpool.c) against a real redis-server that this test starts: its own
 * configuration file, a loopback port and a Unix socket in a temporary
 * directory, a password, no persistence; never the system's service.
 *
 * Every call through store.h; the keys and their time to live, read back
 * with a plain hiredis connection; permanent records; prefixes that keep
 * two installations apart; atomic take and update under threads (two
 * redemptions of one code: one success); an update whose key another
 * client changes in the middle (the callback runs again); Redis stopped
 * (PO_ERR_UPSTREAM within the time-outs, health and counters say so),
 * stalled (SIGSTOP: the command time-out), restarted (the store
 * reconnects by itself, and a connection closed by the restart is
 * replaced without failing the call); wrong and missing passwords.
 *
 * redis-server comes from Debian (scripts/install-deps test); without it
 * this test fails, it never skips. PO_REDIS_SERVER overrides the binary.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "po_limits.h"
#include "store/store.h"
#include "store/store_redis.h"
#include "t.h"

#define PASSWORD "test-password-0123456789abcdef"
#define ISSUER "https://auth.example.com"
/* A call against a dead or stalled Redis must come back within its
 * time-outs; this margin covers a loaded test machine, not a hang. */
#define NO_HANG_MS (LIM_STORE_CONNECT_TIMEOUT_MS + LIM_STORE_COMMAND_TIMEOUT_MS + 1500)
#define THREADS 8

static struct {
	char dir[64];
	char conf[96];
	char sock[96];
	unsigned port;
	pid_t pid;
	char prefix[STORE_REDIS_PREFIX_DEFAULT_SIZE];
} rx = { .pid = -1 };

/* ---- the server ---- */

static unsigned
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(fd, (struct sockaddr *)&a, &n) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* A plain connection to the test server (not through the store). */
static redisContext *
raw(void)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectUnixWithTimeout(rx.sock, tv);
	redisReply *r;

	if (c == NULL || c->err) {
		redisFree(c);
		return NULL;
	}
	r = redisCommand(c, "AUTH %s", PASSWORD);
	freeReplyObject(r);
	return c;
}

static int
server_start(void)
{
	const char *bin = getenv("PO_REDIS_SERVER") ? getenv("PO_REDIS_SERVER") : "redis-server";
	pid_t parent = getpid();
	int64_t deadline;
	redisContext *c;
	redisReply *r;

	if ((rx.pid = fork()) < 0)
		return -1;
	if (rx.pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		execlp(bin, bin, rx.conf, (char *)NULL);
		_exit(127);
	}
	deadline = clock_mono_ms() + 10000;
	while (clock_mono_ms() < deadline) {
		if (waitpid(rx.pid, NULL, WNOHANG) == rx.pid) {
			rx.pid = -1;
			return -1;
		}
		if ((c = raw()) != NULL) {
			r = redisCommand(c, "PING");
			int ok = r && r->type == REDIS_REPLY_STATUS;
			freeReplyObject(r);
			redisFree(c);
			if (ok)
				return 0;
		}
		usleep(20 * 1000);
	}
	return -1;
}

static void
server_stop(void)
{
	if (rx.pid > 0) {
		kill(rx.pid, SIGCONT);
		kill(rx.pid, SIGTERM);
		waitpid(rx.pid, NULL, 0);
		rx.pid = -1;
	}
}

static void
cleanup(void)
{
	char p[128];

	server_stop();
	if (rx.dir[0]) {
		snprintf(p, sizeof(p), "%s/redis.log", rx.dir);
		unlink(p);
		unlink(rx.conf);
		unlink(rx.sock);
		rmdir(rx.dir);
	}
}

static int
setup(void)
{
	FILE *f;

	snprintf(rx.dir, sizeof(rx.dir), "/tmp/po-redis-XXXXXX");
	if (mkdtemp(rx.dir) == NULL || (rx.port = free_port()) == 0)
		return -1;
	snprintf(rx.conf, sizeof(rx.conf), "%s/redis.conf", rx.dir);
	snprintf(rx.sock, sizeof(rx.sock), "%s/redis.sock", rx.dir);
	if ((f = fopen(rx.conf, "w")) == NULL)
		return -1;
	/* Loopback only, no persistence: a restart loses everything, as the
	 * documentation says an unconfigured Redis does. */
	fprintf(f, "bind 127.0.0.1\nport %u\nunixsocket %s\nunixsocketperm 700\ndir %s\nlogfile %s/redis.log\n"
	           "save \"\"\nappendonly no\ndaemonize no\nrequirepass %s\n",
	    rx.port, rx.sock, rx.dir, rx.dir, PASSWORD);
	fclose(f);
	return store_redis_default_prefix(ISSUER, rx.prefix, sizeof(rx.prefix)) == PO_OK ? 0 : -1;
}

/* ---- stores ---- */

static store_t *
store_sock(const char *issuer, const char *prefix, const char *password)
{
	store_redis_opts_t o = { .socket = rx.sock, .password = password, .prefix = prefix, .issuer = issuer, .where = "unix:test" };
	store_t *s = NULL;

	return store_redis_new(&o, &s) == PO_OK ? s : NULL;
}

static store_t *
store_default(void)
{
	return store_sock(ISSUER, NULL, PASSWORD);
}

/* The remaining time to live of a key as Redis sees it (ms; -1 none, -2
 * absent). */
static long long
pttl(const char *ns, const char *key)
{
	redisContext *c = raw();
	redisReply *r = c ? redisCommand(c, "PTTL %s%s:%s", rx.prefix, ns, key) : NULL;
	long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -99;

	freeReplyObject(r);
	redisFree(c);
	return v;
}

static void
raw_cmd(const char *cmd, const char *key)
{
	redisContext *c = raw();
	redisReply *r = c ? redisCommand(c, "%s %s", cmd, key) : NULL;

	freeReplyObject(r);
	redisFree(c);
}

/* ---- callbacks ---- */

static enum store_write
append_x(void *arg, const char *val, size_t len, buf_t *next)
{
	int *calls = arg;

	(*calls)++;
	if (buf_append(next, val, len) != PO_OK || buf_puts(next, "x") != PO_OK)
		return STORE_KEEP;
	return STORE_REPLACE;
}

static enum store_write
verdict(void *arg, const char *val, size_t len, buf_t *next)
{
	return *(enum store_write *)arg;
}

/* ---- tests ---- */

static void
test_operations(void)
{
	store_t *s = store_default();
	enum store_write w;
	store_health_t h;
	store_stats_t st;
	buf_t b;
	int calls = 0;

	buf_init(&b, LIM_STORE_VALUE_MAX);
	T_CHECK(s != NULL);
	if (s == NULL)
		return;
	T_CHECK(store_shared(s));
	T_EQ_STR(store_redis_prefix(s), rx.prefix);
	T_EQ_INT(store_put(s, STORE_CODES, "k1", "hello", 5), PO_OK);
	T_EQ_INT(store_put(s, STORE_CODES, "k1", "again", 5), PO_ERR_INVALID); /* only if absent */
	T_EQ_INT(store_put(s, STORE_TOKENS, "k1", "other ns", 8), PO_OK);      /* namespaces are apart */
	T_EQ_INT(store_get(s, STORE_CODES, "k1", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "hello");
	buf_reset(&b);
	T_EQ_INT(store_update(s, STORE_CODES, "k1", append_x, &calls), PO_OK);
	T_EQ_INT(calls, 1);
	T_EQ_INT(store_get(s, STORE_CODES, "k1", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "hellox");
	buf_reset(&b);
	w = STORE_KEEP;
	T_EQ_INT(store_update(s, STORE_CODES, "k1", verdict, &w), PO_OK);
	T_EQ_INT(store_get(s, STORE_CODES, "k1", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "hellox");
	buf_reset(&b);
	/* take: once */
	T_EQ_INT(store_take(s, STORE_CODES, "k1", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "hellox");
	buf_reset(&b);
	T_EQ_INT(store_take(s, STORE_CODES, "k1", &b), PO_ERR_NOTFOUND);
	T_EQ_INT(store_get(s, STORE_CODES, "k1", &b), PO_ERR_NOTFOUND);
	T_EQ_INT(store_update(s, STORE_CODES, "k1", append_x, &calls), PO_ERR_NOTFOUND);
	T_EQ_INT(calls, 1);
	/* delete by verdict, and by call; an empty value is a value */
	T_EQ_INT(store_put(s, STORE_CODES, "k2", "", 0), PO_OK);
	T_EQ_INT(store_get(s, STORE_CODES, "k2", &b), PO_OK);
	T_EQ_INT(b.len, 0);
	w = STORE_DELETE;
	T_EQ_INT(store_update(s, STORE_CODES, "k2", verdict, &w), PO_OK);
	T_EQ_INT(store_get(s, STORE_CODES, "k2", &b), PO_ERR_NOTFOUND);
	T_EQ_INT(store_del(s, STORE_TOKENS, "k1"), PO_OK);
	T_EQ_INT(store_del(s, STORE_TOKENS, "k1"), PO_ERR_NOTFOUND);
	/* binary values and keys that are not ours (a client's "code") */
	T_EQ_INT(store_put(s, STORE_LOGINS, "a b\r\n*1 $x", "v\0w", 3), PO_OK);
	T_EQ_INT(store_get(s, STORE_LOGINS, "a b\r\n*1 $x", &b), PO_OK);
	T_EQ_INT(b.len, 3);
	T_CHECK(memcmp(b.data, "v\0w", 3) == 0);
	buf_reset(&b);
	/* bounds */
	{
		char *big = calloc(1, LIM_STORE_VALUE_MAX + 1);
		T_EQ_INT(store_put(s, STORE_LOGINS, "big", big, LIM_STORE_VALUE_MAX + 1), PO_ERR_LIMIT);
		T_EQ_INT(store_put(s, STORE_LOGINS, "big", big, LIM_STORE_VALUE_MAX), PO_OK);
		free(big);
	}
	T_EQ_INT(store_put(s, STORE_CODES, "", "v", 1), PO_ERR_INVALID);
	T_EQ_INT(store_count(s, STORE_LOGINS), 0); /* not counted on Redis */
	store_health(s, true, &h);
	T_CHECK(h.up);
	T_EQ_STR(h.backend, "redis");
	T_EQ_STR(h.where, "unix:test");
	T_EQ_STR(h.error, "");
	store_stats(s, &st);
	T_EQ_INT(st.calls[STORE_OP_PUT], 7); /* the bad key is not a call */
	T_EQ_INT(st.calls[STORE_OP_TAKE], 2);
	T_EQ_INT(st.errors[STORE_OP_GET], 0);
	T_CHECK(st.connects >= 1 && st.connects <= LIM_STORE_CONNS);
	{
		uint64_t n = 0;
		for (int i = 0; i < STORE_LAT_BUCKETS; i++)
			n += st.lat[STORE_OP_GET][i];
		T_EQ_INT(n, st.calls[STORE_OP_GET]);
	}
	buf_free(&b);
	store_free(s);
}

/* Every key has its namespace's time to live, kept by update; permanent
 * records have none; an expired key is gone. */
static void
test_ttl(void)
{
	store_t *s = store_default();
	static const enum store_ns all[] = { STORE_LOGINS, STORE_CODES, STORE_TOKENS, STORE_SETUP };
	int calls = 0;
	long long t;
	buf_t b;

	buf_init(&b, 1024);
	for (size_t i = 0; s && i < sizeof(all) / sizeof(all[0]); i++) {
		long long want = (i == 0 || i == 3 ? LIM_LOGIN_TTL_S : i == 1 ? LIM_CODE_REPLAY_MEMORY_S
		                                                              : LIM_ACCESS_TOKEN_TTL_S) *
		    1000LL;
		T_EQ_INT(store_put(s, all[i], "ttl", "v", 1), PO_OK);
		t = pttl(store_ns_name(all[i]), "ttl");
		T_CHECK(t > want - 5000 && t <= want);
		T_EQ_INT(store_update(s, all[i], "ttl", append_x, &calls), PO_OK);
		t = pttl(store_ns_name(all[i]), "ttl");
		T_CHECK(t > want - 5000 && t <= want); /* KEEPTTL */
	}
	/* permanent records: no TTL */
	T_EQ_INT(store_perm_put(s, "ring", "r1", 2), PO_OK);
	T_EQ_INT(pttl("perm", "ring"), -1);
	/* expiry is Redis's: shorten one and watch it go */
	T_EQ_INT(store_put(s, STORE_CODES, "short", "v", 1), PO_OK);
	{
		redisContext *c = raw();
		redisReply *r = c ? redisCommand(c, "PEXPIRE %scodes:short 30", rx.prefix) : NULL;
		freeReplyObject(r);
		redisFree(c);
	}
	usleep(100 * 1000);
	T_EQ_INT(store_get(s, STORE_CODES, "short", &b), PO_ERR_NOTFOUND);
	T_EQ_INT(store_update(s, STORE_CODES, "short", append_x, &calls), PO_ERR_NOTFOUND);
	raw_cmd("DEL", "perm:ring");
	buf_free(&b);
	store_free(s);
}

static void
test_permanent(void)
{
	store_t *s = store_default(), *m = store_mem_new();
	buf_t b;

	buf_init(&b, LIM_STORE_PERM_VALUE_MAX);
	T_EQ_INT(store_perm_get(s, "keyring", &b), PO_ERR_NOTFOUND);
	T_EQ_INT(store_perm_replace(s, "keyring", "a", 1, "b", 1), PO_ERR_NOTFOUND);
	T_EQ_INT(store_perm_put(s, "keyring", "v1", 2), PO_OK);
	T_EQ_INT(store_perm_put(s, "keyring", "v2", 2), PO_ERR_INVALID); /* the first one wins */
	T_EQ_INT(store_perm_get(s, "keyring", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "v1");
	buf_reset(&b);
	T_EQ_INT(store_perm_replace(s, "keyring", "v0", 2, "v2", 2), PO_ERR_INVALID); /* not the old value */
	T_EQ_INT(store_perm_replace(s, "keyring", "v", 1, "v2", 2), PO_ERR_INVALID);  /* a prefix is not equal */
	T_EQ_INT(store_perm_replace(s, "keyring", "v1", 2, "v2", 2), PO_OK);
	T_EQ_INT(store_perm_get(s, "keyring", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "v2");
	buf_reset(&b);
	{
		char *big = calloc(1, LIM_STORE_PERM_VALUE_MAX + 1);
		T_EQ_INT(store_perm_put(s, "other", big, LIM_STORE_PERM_VALUE_MAX + 1), PO_ERR_LIMIT);
		T_EQ_INT(store_perm_replace(s, "keyring", "v2", 2, big, LIM_STORE_PERM_VALUE_MAX + 1), PO_ERR_LIMIT);
		free(big);
	}
	T_EQ_INT(store_perm_get(s, "", &b), PO_ERR_INVALID);
	/* the memory store keeps none */
	T_CHECK(!store_shared(m));
	T_EQ_INT(store_perm_get(m, "keyring", &b), PO_ERR_INVALID);
	T_EQ_INT(store_perm_put(m, "keyring", "v", 1), PO_ERR_INVALID);
	T_EQ_INT(store_perm_replace(m, "keyring", "v", 1, "w", 1), PO_ERR_INVALID);
	{
		store_health_t h;
		store_stats_t st;
		store_health(m, true, &h);
		T_EQ_STR(h.backend, "memory");
		T_CHECK(h.up);
		T_EQ_INT(store_put(m, STORE_CODES, "k", "v", 1), PO_OK);
		store_stats(m, &st);
		T_EQ_INT(st.calls[STORE_OP_PUT], 0); /* not counted */
	}
	raw_cmd("DEL", "x"); /* nothing */
	{
		redisContext *c = raw();
		redisReply *r = c ? redisCommand(c, "DEL %sperm:keyring", rx.prefix) : NULL;
		T_CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1); /* under the prefix */
		freeReplyObject(r);
		redisFree(c);
	}
	buf_free(&b);
	store_free(s);
	store_free(m);
}

/* One Redis, several installations: the default prefix follows the
 * issuer; a prefix can be set. */
static void
test_prefixes(void)
{
	store_t *a = store_default(), *a2 = store_default(), *b = store_sock("https://other.example.com", NULL, PASSWORD);
	store_t *c = store_sock(ISSUER, "custom:", PASSWORD);
	char p[STORE_REDIS_PREFIX_DEFAULT_SIZE];
	buf_t v;

	buf_init(&v, 64);
	T_EQ_INT(store_redis_default_prefix(ISSUER, p, sizeof(p)), PO_OK);
	T_EQ_INT(strlen(p), STORE_REDIS_PREFIX_DEFAULT_SIZE - 1);
	T_CHECK(strncmp(p, "plex-oidc:", 10) == 0 && p[22] == ':');
	T_EQ_INT(store_redis_default_prefix(ISSUER, p, 8), PO_ERR_CRYPTO);
	T_CHECK(strcmp(store_redis_prefix(a), store_redis_prefix(b)) != 0);
	T_EQ_STR(store_redis_prefix(c), "custom:");
	T_CHECK(store_redis_prefix(NULL) == NULL);
	T_EQ_INT(store_put(a, STORE_TOKENS, "shared", "A", 1), PO_OK);
	T_EQ_INT(store_get(a2, STORE_TOKENS, "shared", &v), PO_OK); /* another replica of A */
	T_EQ_STR(buf_str(&v), "A");
	buf_reset(&v);
	T_EQ_INT(store_get(b, STORE_TOKENS, "shared", &v), PO_ERR_NOTFOUND);
	T_EQ_INT(store_get(c, STORE_TOKENS, "shared", &v), PO_ERR_NOTFOUND);
	T_EQ_INT(store_put(b, STORE_TOKENS, "shared", "B", 1), PO_OK);
	T_EQ_INT(store_get(a, STORE_TOKENS, "shared", &v), PO_OK);
	T_EQ_STR(buf_str(&v), "A");
	{
		store_redis_opts_t o = { .socket = rx.sock, .prefix = NULL, .issuer = NULL };
		store_t *s = NULL;
		T_EQ_INT(store_redis_new(&o, &s), PO_ERR_INVALID); /* no prefix, no issuer */
		o.prefix = "";
		T_EQ_INT(store_redis_new(&o, &s), PO_ERR_INVALID);
		o.prefix = "p:";
		o.host = "127.0.0.1";
		T_EQ_INT(store_redis_new(&o, &s), PO_ERR_INVALID); /* host and socket */
		T_CHECK(s == NULL);
	}
	buf_free(&v);
	store_free(a);
	store_free(a2);
	store_free(b);
	store_free(c);
}

/* ---- concurrency ---- */

struct race {
	store_t *s;
	const char *key;
	pthread_barrier_t *go;
	int wins;
	int errors;
	int mode; /* 0 take, 1 redeem, 2 increment */
};

/* A redemption as the token endpoint does it: the first call marks the
 * record used; any later one sees it used. */
static enum store_write
redeem(void *arg, const char *val, size_t len, buf_t *next)
{
	bool *first = arg;

	*first = false;
	if (len == 4 && memcmp(val, "used", 4) == 0)
		return STORE_KEEP;
	if (buf_puts(next, "used") != PO_OK)
		return STORE_KEEP;
	*first = true;
	return STORE_REPLACE;
}

static enum store_write
increment(void *arg, const char *val, size_t len, buf_t *next)
{
	uint64_t n = 0;

	(void)str_to_u64(val, len, UINT64_MAX, &n);
	return buf_appendf(next, "%llu", (unsigned long long)n + 1) == PO_OK ? STORE_REPLACE : STORE_KEEP;
}

static void *
racer(void *arg)
{
	struct race *r = arg;
	bool first = false;
	buf_t b;
	int rc, i;

	buf_init(&b, 64);
	pthread_barrier_wait(r->go);
	for (i = 0; i < (r->mode == 2 ? 100 : 1); i++) {
		if (r->mode == 0)
			rc = store_take(r->s, STORE_CODES, r->key, &b);
		else if (r->mode == 1)
			rc = store_update(r->s, STORE_CODES, r->key, redeem, &first);
		else
			rc = store_update(r->s, STORE_CODES, r->key, increment, NULL);
		if (rc == PO_OK && (r->mode != 1 || first))
			r->wins++;
		else if (rc != PO_OK && rc != PO_ERR_NOTFOUND)
			r->errors++;
	}
	buf_free(&b);
	return NULL;
}

/* THREADS threads (each its own store: replicas) race on one key. */
static void
race(int mode, const char *key, int *wins, int *errors)
{
	store_t *s[THREADS];
	struct race r[THREADS];
	pthread_t th[THREADS];
	pthread_barrier_t go;
	int i;

	*wins = *errors = 0;
	pthread_barrier_init(&go, NULL, THREADS);
	for (i = 0; i < THREADS; i++) {
		s[i] = store_default();
		r[i] = (struct race){ .s = s[i], .key = key, .go = &go, .mode = mode };
		pthread_create(&th[i], NULL, racer, &r[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		*wins += r[i].wins;
		*errors += r[i].errors;
		store_free(s[i]);
	}
	pthread_barrier_destroy(&go);
}

static void
test_concurrent_take_and_redeem(void)
{
	store_t *s = store_default();
	char key[32];
	int wins, errors, i, bad = 0;

	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "take%d", i);
		T_EQ_INT(store_put(s, STORE_CODES, key, "code", 4), PO_OK);
		race(0, key, &wins, &errors);
		bad += wins != 1 || errors != 0;
		snprintf(key, sizeof(key), "redeem%d", i);
		T_EQ_INT(store_put(s, STORE_CODES, key, "fresh", 5), PO_OK);
		race(1, key, &wins, &errors);
		bad += wins != 1 || errors != 0;
	}
	T_EQ_INT(bad, 0);
	store_free(s);
}

static void
test_concurrent_updates(void)
{
	store_t *s = store_default();
	store_stats_t st;
	int wins, errors;
	buf_t b;

	buf_init(&b, 64);
	T_EQ_INT(store_put(s, STORE_CODES, "counter", "0", 1), PO_OK);
	race(2, "counter", &wins, &errors);
	T_EQ_INT(errors, 0);
	T_EQ_INT(wins, THREADS * 100);
	T_EQ_INT(store_get(s, STORE_CODES, "counter", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "800");
	buf_free(&b);
	store_stats(s, &st);
	T_EQ_INT(st.calls[STORE_OP_PUT], 1);
	store_free(s);
}

/* More threads than connections on one store: they wait their turn for
 * a connection (never more than LIM_STORE_CONNS are opened), and every
 * call succeeds. */
struct busy {
	store_t *s;
	int id, ok;
};

static void *
busy_thread(void *arg)
{
	struct busy *x = arg;
	char key[32];
	buf_t b;

	buf_init(&b, 64);
	for (int i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "busy%d.%d", x->id, i);
		x->ok += store_put(x->s, STORE_TOKENS, key, key, strlen(key)) == PO_OK;
		buf_reset(&b);
		x->ok += store_get(x->s, STORE_TOKENS, key, &b) == PO_OK && strcmp(buf_str(&b), key) == 0;
	}
	buf_free(&b);
	return NULL;
}

static void
test_pool_shared_by_threads(void)
{
	enum {
		N = 3 * LIM_STORE_CONNS
	};
	store_t *s = store_default();
	struct busy x[N];
	pthread_t th[N];
	store_stats_t st;
	int i, ok = 0;

	for (i = 0; i < N; i++) {
		x[i] = (struct busy){ .s = s, .id = i };
		pthread_create(&th[i], NULL, busy_thread, &x[i]);
	}
	for (i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		ok += x[i].ok;
	}
	T_EQ_INT(ok, N * 100);
	store_stats(s, &st);
	T_CHECK(st.connects >= 1 && st.connects <= LIM_STORE_CONNS);
	T_EQ_INT(st.connect_failures, 0);
	store_free(s);
}

/* Another client writes the key between our GET and EXEC: EXEC is
 * refused, the callback runs again on the new value. */
struct sneaky {
	int calls;
	char seen[32];
};

static enum store_write
sneak_in(void *arg, const char *val, size_t len, buf_t *next)
{
	struct sneaky *k = arg;

	if (k->calls++ == 0) {
		redisContext *c = raw();
		redisReply *r = c ? redisCommand(c, "SET %scodes:sneak other XX KEEPTTL", rx.prefix) : NULL;
		freeReplyObject(r);
		redisFree(c);
	}
	snprintf(k->seen, sizeof(k->seen), "%.*s", (int)len, val);
	return buf_puts(next, "mine") == PO_OK ? STORE_REPLACE : STORE_KEEP;
}

static void
test_update_conflict_runs_again(void)
{
	store_t *s = store_default();
	struct sneaky k = { 0 };
	store_stats_t st;
	buf_t b;

	buf_init(&b, 64);
	T_EQ_INT(store_put(s, STORE_CODES, "sneak", "first", 5), PO_OK);
	T_EQ_INT(store_update(s, STORE_CODES, "sneak", sneak_in, &k), PO_OK);
	T_EQ_INT(k.calls, 2);
	T_EQ_STR(k.seen, "other"); /* the second call saw the other writer's value */
	T_EQ_INT(store_get(s, STORE_CODES, "sneak", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "mine");
	store_stats(s, &st);
	T_EQ_INT(st.conflicts, 1);
	T_CHECK(pttl("codes", "sneak") > 0);
	buf_free(&b);
	store_free(s);
}

/* ---- faults ---- */

/* Calls one get; checks PO_ERR_UPSTREAM within NO_HANG_MS. */
static void
get_fails_fast(store_t *s, const char *key)
{
	buf_t b;
	int64_t t0 = clock_mono_ms();

	buf_init(&b, 64);
	T_EQ_INT(store_get(s, STORE_CODES, key, &b), PO_ERR_UPSTREAM);
	T_CHECK(clock_mono_ms() - t0 < NO_HANG_MS);
	buf_free(&b);
}

/* Retries op until it works or LIM_STORE_RECONNECT_MAX_MS (+ margin)
 * passes: the back-off may hold the first calls. */
static int
until_ok(store_t *s, const char *key)
{
	int64_t deadline = clock_mono_ms() + LIM_STORE_RECONNECT_MAX_MS + NO_HANG_MS;
	int rc;

	do {
		rc = store_put(s, STORE_CODES, key, "back", 4);
		if (rc == PO_OK)
			return rc;
		usleep(50 * 1000);
	} while (clock_mono_ms() < deadline);
	return rc;
}

static void
test_down_and_back(void)
{
	store_t *s = store_default();
	store_health_t h;
	store_stats_t st;
	char *log;
	buf_t b;

	buf_init(&b, 64);
	T_EQ_INT(store_put(s, STORE_CODES, "before", "v", 1), PO_OK);
	server_stop();
	t_capture_start();
	get_fails_fast(s, "before"); /* the pooled connection finds it closed, a new one is refused */
	get_fails_fast(s, "before"); /* backing off: at once */
	for (int i = 0; i < 20; i++)
		get_fails_fast(s, "before");
	store_health(s, true, &h);
	log = t_capture_end();
	T_CHECK(strstr(log, "store: Redis at unix:test is not usable") != NULL);
	T_CHECK(strstr(log, "reachable again") == NULL);
	/* one line for the outage, not one per call */
	T_CHECK(strstr(strstr(log, "not usable") + 1, "not usable") == NULL);
	free(log);
	T_CHECK(!h.up);
	T_CHECK(h.error[0] != '\0');
	store_stats(s, &st);
	T_EQ_INT(st.errors[STORE_OP_GET], 22);
	T_CHECK(st.connect_failures >= 1);

	T_EQ_INT(server_start(), 0);
	t_capture_start();
	T_EQ_INT(until_ok(s, "after"), PO_OK); /* no restart of the store */
	log = t_capture_end();
	T_CHECK(strstr(log, "store: Redis at unix:test is reachable again") != NULL);
	free(log);
	store_health(s, true, &h);
	T_CHECK(h.up);
	T_EQ_STR(h.error, "");
	/* The restart lost the data (no persistence): a login in flight is
	 * gone, nothing worse. */
	T_EQ_INT(store_get(s, STORE_CODES, "before", &b), PO_ERR_NOTFOUND);
	buf_free(&b);
	store_free(s);
}

/* A restart between two calls closes the pooled connections: the next
 * call is sent again on a fresh one and succeeds. */
static void
test_restart_between_calls(void)
{
	store_t *s = store_default();
	buf_t b;
	char *log;

	buf_init(&b, 64);
	T_EQ_INT(store_put(s, STORE_CODES, "r1", "v", 1), PO_OK);
	server_stop();
	T_EQ_INT(server_start(), 0);
	t_capture_start();
	T_EQ_INT(store_put(s, STORE_CODES, "r2", "v", 1), PO_OK);
	log = t_capture_end();
	free(log); /* the closed connection is reported, then the new one */
	T_EQ_INT(store_get(s, STORE_CODES, "r2", &b), PO_OK);
	buf_free(&b);
	store_free(s);
}

/* A Redis that accepts connections but does not answer (SIGSTOP): the
 * command time-out, never a hang. */
static void
test_stalled(void)
{
	store_t *s = store_default();
	char *log;

	T_EQ_INT(store_put(s, STORE_CODES, "st", "v", 1), PO_OK);
	kill(rx.pid, SIGSTOP);
	t_capture_start();
	get_fails_fast(s, "st");
	log = t_capture_end();
	T_CHECK(strstr(log, "no answer within") != NULL);
	free(log);
	kill(rx.pid, SIGCONT);
	t_capture_start();
	T_EQ_INT(until_ok(s, "st2"), PO_OK);
	free(t_capture_end());
	store_free(s);
}

static void
test_auth(void)
{
	store_t *bad = store_sock(ISSUER, NULL, "wrong-password"), *none = store_sock(ISSUER, NULL, NULL);
	store_health_t h;
	char *log;

	t_capture_start();
	get_fails_fast(bad, "k");
	store_health(bad, false, &h);
	T_CHECK(!h.up);
	T_CHECK(strstr(h.error, "WRONGPASS") != NULL);
	get_fails_fast(none, "k");
	store_health(none, false, &h);
	T_CHECK(strstr(h.error, "NOAUTH") != NULL);
	log = t_capture_end();
	T_CHECK(strstr(log, "wrong-password") == NULL); /* never the password */
	T_CHECK(strstr(log, "WRONGPASS") != NULL);
	free(log);
	store_free(bad);
	store_free(none);
}

/* TCP, and a database other than 0. */
static void
test_tcp_and_db(void)
{
	store_redis_opts_t o = { .host = "127.0.0.1", .port = rx.port, .db = 3, .password = PASSWORD, .prefix = "tcp:", .where = "redis://127.0.0.1/3" };
	store_t *s = NULL;
	redisContext *c;
	redisReply *r;
	buf_t b;

	buf_init(&b, 64);
	T_EQ_INT(store_redis_new(&o, &s), PO_OK);
	T_EQ_INT(store_put(s, STORE_TOKENS, "t", "tcp", 3), PO_OK);
	T_EQ_INT(store_get(s, STORE_TOKENS, "t", &b), PO_OK);
	T_EQ_STR(buf_str(&b), "tcp");
	c = raw();
	r = c ? redisCommand(c, "EXISTS tcp:tokens:t") : NULL;
	T_CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 0); /* not in db 0 */
	freeReplyObject(r);
	r = c ? redisCommand(c, "SELECT 3") : NULL;
	freeReplyObject(r);
	r = c ? redisCommand(c, "EXISTS tcp:tokens:t") : NULL;
	T_CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
	freeReplyObject(r);
	redisFree(c);
	store_free(s);
	/* nothing listens there */
	o.port = free_port();
	T_EQ_INT(store_redis_new(&o, &s), PO_OK);
	t_capture_start();
	get_fails_fast(s, "t");
	free(t_capture_end());
	buf_free(&b);
	store_free(s);
}

int
main(void)
{
	/* A write to a connection Redis closed must be an error, not a
	 * signal (main.c does the same). */
	signal(SIGPIPE, SIG_IGN);
	atexit(cleanup);
	if (setup() != 0 || server_start() != 0) {
		fprintf(stderr, "cannot start redis-server (Debian's redis-server: scripts/install-deps test; "
		                "or set PO_REDIS_SERVER)\n");
		t_fail++;
		return T_DONE();
	}
	T_RUN(test_operations);
	T_RUN(test_ttl);
	T_RUN(test_permanent);
	T_RUN(test_prefixes);
	T_RUN(test_concurrent_take_and_redeem);
	T_RUN(test_concurrent_updates);
	T_RUN(test_pool_shared_by_threads);
	T_RUN(test_update_conflict_runs_again);
	T_RUN(test_tcp_and_db);
	T_RUN(test_auth);
	T_RUN(test_stalled);
	T_RUN(test_restart_between_calls);
	T_RUN(test_down_and_back);
	return T_DONE();
}
