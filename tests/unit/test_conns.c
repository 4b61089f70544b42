/*
 * test_conns.c - connection deadlines and per-address caps (src/http/conns.h)
 * with a fake clock. Each "connection" is one end of a socketpair; the
 * test reads the other end to see whether conns.c shut it down.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/ipaddr.h"
#include "core/log.h"
#include "http/conns.h"
#include "t.h"

#define NCONN 64

static const conns_opts_t base_opts = {
	.max = 1000,
	.reserve = 10,
	.per_ip = 3,
	.per_ip_busy = 2,
	.refused_per_ip = 2,
	.per_client = 2,
	.head_ms = 10000,
	.body_ms = 5000,
	.idle_ms = 40000,
	.refused_head_ms = 2000,
	.reap_interval_ms = 0,
};

struct conn {
	int fd[2]; /* [0] what conns.c holds, [1] the client's end */
	conn_slot_t *slot;
	enum conn_verdict v;
};

static ipaddr_t
ip(const char *s)
{
	ipaddr_t a;

	T_CHECK(ipaddr_parse(s, &a));
	return a;
}

static void
open_conn(conns_t *t, struct conn *c, const char *peer, bool trusted, int64_t now)
{
	ipaddr_t a = ip(peer);

	T_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, c->fd), 0);
	c->slot = conns_open(t, c->fd[0], &a, trusted, now, &c->v);
	T_CHECK(c->slot != NULL);
}

static void
close_conn(conns_t *t, struct conn *c)
{
	conns_close(t, c->slot);
	c->slot = NULL;
	close(c->fd[0]);
	close(c->fd[1]);
}

/* true if conns.c shut the connection down: the client's end reads EOF. */
static bool
was_cut(struct conn *c)
{
	struct pollfd p = { .fd = c->fd[1], .events = POLLIN };
	char b;

	return poll(&p, 1, 0) == 1 && recv(c->fd[1], &b, 1, MSG_DONTWAIT) == 0;
}

static conns_t *
new_table(const conns_opts_t *o)
{
	conns_t *t = NULL;

	T_EQ_INT(conns_new(o, &t), PO_OK);
	return t;
}

/* The head deadline holds whatever the activity; BUSY has none. */
static void
test_head_and_body_deadlines(void)
{
	conns_t *t = new_table(&base_opts);
	struct conn a, b, c;
	ipaddr_t cl = ip("192.0.2.1");
	conns_reaped_t r;

	open_conn(t, &a, "192.0.2.1", false, 0); /* never sends its head */
	open_conn(t, &b, "192.0.2.2", false, 0); /* head at 1 s, then a body */
	open_conn(t, &c, "192.0.2.3", false, 0); /* head at 1 s, no body */
	T_EQ_INT(a.v, CONN_ADMIT);
	conns_request_start(t, a.slot); /* the request line: the deadline runs on */
	T_CHECK(conns_head_done(t, b.slot, &cl, true, 1000));
	T_CHECK(conns_head_done(t, c.slot, &cl, false, 1000));
	r = conns_reap(t, 5999, NULL);
	T_EQ_INT(r.head + r.body + r.idle, 0);
	r = conns_reap(t, 6000, NULL);
	T_EQ_INT(r.body, 1);
	T_EQ_INT(r.head, 0);
	T_CHECK(was_cut(&b));
	T_CHECK(!was_cut(&a));
	r = conns_reap(t, 9999, NULL);
	T_EQ_INT(r.head + r.body + r.idle, 0);
	T_CHECK(!was_cut(&a));
	r = conns_reap(t, 10000, NULL);
	T_EQ_INT(r.head, 1);
	T_CHECK(was_cut(&a));
	/* a cut connection is not cut again */
	r = conns_reap(t, 60000, NULL);
	T_EQ_INT(r.head + r.body, 0);
	/* BUSY (the handler runs, or waits for plex.tv): no deadline */
	T_CHECK(!was_cut(&c));
	T_EQ_INT(conns_count(t), 3);
	close_conn(t, &a);
	close_conn(t, &b);
	close_conn(t, &c);
	T_EQ_INT(conns_count(t), 0);
	conns_free(t);
}

/* A keep-alive connection: idle until idle_ms after its answer; the next
 * request's head must be in by then too. */
static void
test_idle_deadline(void)
{
	conns_t *t = new_table(&base_opts);
	struct conn a;
	ipaddr_t cl = ip("192.0.2.1");
	conns_reaped_t r;

	open_conn(t, &a, "192.0.2.1", false, 0);
	T_CHECK(conns_head_done(t, a.slot, &cl, false, 100));
	conns_request_done(t, a.slot, 200);
	r = conns_reap(t, 200 + 40000 - 1, NULL);
	T_EQ_INT(r.idle, 0);
	/* the next request line arrives: the same deadline runs on */
	conns_request_start(t, a.slot);
	r = conns_reap(t, 200 + 40000, NULL);
	T_EQ_INT(r.head, 1);
	T_CHECK(was_cut(&a));
	close_conn(t, &a);
	conns_free(t);
}

/* Per peer address: per_ip admitted; the next ones refused (503) while at
 * most refused_per_ip wait for their answer; beyond, dropped at once.
 * IPv4-mapped and plain spellings are one address; IPv6 counts by /64. */
static void
test_per_ip(void)
{
	conns_t *t = new_table(&base_opts);
	struct conn c[8], o, m;
	ipaddr_t cl = ip("192.0.2.9");
	size_t i;

	for (i = 0; i < 6; i++)
		open_conn(t, &c[i], i % 2 ? "::ffff:192.0.2.9" : "192.0.2.9", false, 0);
	T_EQ_INT(c[0].v, CONN_ADMIT);
	T_EQ_INT(c[2].v, CONN_ADMIT);
	T_EQ_INT(c[3].v, CONN_REFUSE);
	T_EQ_INT(c[4].v, CONN_REFUSE);
	T_EQ_INT(c[5].v, CONN_DROP);
	T_CHECK(was_cut(&c[5]));
	T_CHECK(!was_cut(&c[3]));
	/* a refused connection's request gets its 503 */
	T_CHECK(!conns_head_done(t, c[3].slot, &cl, false, 10));
	/* and it is cut at refused_head_ms if its head never comes */
	T_EQ_INT(conns_reap(t, 2000, NULL).head, 2);
	T_CHECK(was_cut(&c[4]));
	T_CHECK(!was_cut(&c[0]));
	/* another address is not affected */
	open_conn(t, &o, "192.0.2.10", false, 0);
	T_EQ_INT(o.v, CONN_ADMIT);
	/* trusted proxies have no per-address cap */
	for (i = 0; i < 6; i++) {
		struct conn p;
		open_conn(t, &p, "127.0.0.1", true, 0);
		T_EQ_INT(p.v, CONN_ADMIT);
		close_conn(t, &p);
	}
	/* once some close, the address is served again */
	for (i = 0; i < 6; i++)
		close_conn(t, &c[i]);
	open_conn(t, &m, "192.0.2.9", false, 0);
	T_EQ_INT(m.v, CONN_ADMIT);
	close_conn(t, &m);
	close_conn(t, &o);
	/* IPv6: one /64 is one address */
	for (i = 0; i < 4; i++) {
		char a[64];
		snprintf(a, sizeof(a), "2001:db8:1:2::%zx", i + 1);
		open_conn(t, &c[i], a, false, 0);
	}
	T_EQ_INT(c[2].v, CONN_ADMIT);
	T_EQ_INT(c[3].v, CONN_REFUSE);
	for (i = 0; i < 4; i++)
		close_conn(t, &c[i]);
	T_EQ_INT(conns_count(t), 0);
	conns_free(t);
}

/* Behind a trusted proxy: requests in flight per resolved client. */
static void
test_per_client_behind_proxy(void)
{
	conns_t *t = new_table(&base_opts);
	struct conn c[4];
	ipaddr_t x = ip("203.0.113.7"), x_mapped = ip("::ffff:203.0.113.7"), y = ip("203.0.113.8");
	size_t i;

	for (i = 0; i < 4; i++)
		open_conn(t, &c[i], "127.0.0.1", true, 0);
	T_CHECK(conns_head_done(t, c[0].slot, &x, true, 0));
	T_CHECK(conns_head_done(t, c[1].slot, &x_mapped, true, 0));
	T_CHECK(!conns_head_done(t, c[2].slot, &x, true, 0)); /* per_client = 2 */
	T_CHECK(conns_head_done(t, c[3].slot, &y, true, 0));  /* another client */
	conns_request_done(t, c[2].slot, 1);                  /* the 503 was sent */
	conns_request_done(t, c[0].slot, 1);
	T_CHECK(conns_head_done(t, c[2].slot, &x, false, 2)); /* room again */
	/* a connection closed mid-request gives its count back */
	close_conn(t, &c[1]);
	close_conn(t, &c[2]);
	open_conn(t, &c[1], "127.0.0.1", true, 3);
	open_conn(t, &c[2], "127.0.0.1", true, 3);
	T_CHECK(conns_head_done(t, c[1].slot, &x, false, 3));
	T_CHECK(conns_head_done(t, c[2].slot, &x, false, 3));
	for (i = 0; i < 4; i++)
		close_conn(t, &c[i]);
	conns_free(t);
}

/* Busy (fewer than `reserve` free): idle keep-alives go first, oldest
 * first, and heavy addresses get no more while light ones still get in. */
static void
test_busy(void)
{
	conns_opts_t o = base_opts;
	struct conn c[NCONN], fresh, heavy, idle1, idle2;
	ipaddr_t cl = ip("192.0.2.50");
	conns_t *t;
	size_t i, n = 0;

	o.max = 20;
	o.reserve = 5;
	o.per_ip = 100;
	t = new_table(&o);
	/* two idle keep-alive connections, the first older */
	open_conn(t, &idle1, "192.0.2.50", false, 0);
	open_conn(t, &idle2, "192.0.2.51", false, 0);
	T_CHECK(conns_head_done(t, idle1.slot, &cl, false, 0));
	T_CHECK(conns_head_done(t, idle2.slot, &cl, false, 0));
	conns_request_done(t, idle1.slot, 1);
	conns_request_done(t, idle2.slot, 2);
	/* one address fills up to the busy mark (total 15 of 20) */
	for (; n < 13; n++) {
		open_conn(t, &c[n], "198.51.100.1", false, 10);
		T_EQ_INT(c[n].v, CONN_ADMIT);
	}
	T_CHECK(!was_cut(&idle1) && !was_cut(&idle2));
	/* busy now: the heavy address is refused, and takes no idle slot */
	open_conn(t, &heavy, "198.51.100.1", false, 20);
	T_EQ_INT(heavy.v, CONN_REFUSE);
	T_CHECK(!was_cut(&idle1));
	/* a light address gets in, and the oldest idle connection goes */
	open_conn(t, &fresh, "203.0.113.99", false, 20);
	T_EQ_INT(fresh.v, CONN_ADMIT);
	T_CHECK(was_cut(&idle1));
	T_CHECK(!was_cut(&idle2));
	close_conn(t, &idle1);
	open_conn(t, &c[n], "203.0.113.98", false, 21);
	T_EQ_INT(c[n].v, CONN_ADMIT);
	n++;
	T_CHECK(was_cut(&idle2));
	/* a trusted proxy is never refused for being heavy */
	open_conn(t, &c[n], "127.0.0.1", true, 22);
	T_EQ_INT(c[n].v, CONN_ADMIT);
	n++;
	for (i = 0; i < n; i++)
		close_conn(t, &c[i]);
	close_conn(t, &idle2);
	close_conn(t, &heavy);
	close_conn(t, &fresh);
	T_EQ_INT(conns_count(t), 0);
	conns_free(t);
}

/* The reaper thread cuts on its own (a functional check; the bound is
 * generous). */
static void
test_reaper_thread(void)
{
	conns_opts_t o = base_opts;
	struct conn a;
	int64_t t0;
	conns_t *t;

	o.head_ms = 100;
	o.reap_interval_ms = 20;
	t = new_table(&o);
	t0 = clock_mono_ms();
	open_conn(t, &a, "192.0.2.1", false, t0);
	while (!was_cut(&a) && clock_mono_ms() - t0 < 5000)
		usleep(10000);
	T_CHECK(was_cut(&a));
	T_CHECK(clock_mono_ms() - t0 >= 100);
	close_conn(t, &a);
	conns_free(t);
	conns_free(NULL);
	T_EQ_INT(conns_new(&(conns_opts_t){ .max = 0 }, &t), PO_ERR_INVALID);
}

int
main(void)
{
	log_set_level(getenv("PO_TEST_LOG") ? LOG_DEBUG : LOG_ERROR);
	T_RUN(test_head_and_body_deadlines);
	T_RUN(test_idle_deadline);
	T_RUN(test_per_ip);
	T_RUN(test_per_client_behind_proxy);
	T_RUN(test_busy);
	T_RUN(test_reaper_thread);
	return T_DONE();
}
