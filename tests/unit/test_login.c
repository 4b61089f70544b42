/*
 * test_login.c - the login state machine (login_fsm.c) on its own, its
 * records (login_rec.c), the store glue (logins.c), and the plex.tv chain
 * (login_flow.c) driven by a stub plex client: every transition and every
 * refused one, without a socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "login/login.h"
#include "login/login_flow.h"
#include "login/logins.h"
#include "po_limits.h"
#include "store/store.h"
#include "t.h"

#define NO (-1)

/* The whole table, written out independently of login_fsm.c: rows are
 * states, columns events in enum order (view start pin_created pin_failed
 * poll poll_dropped pin_pending pin_approved pin_gone poll_failed
 * slow_down allowed denied check_failed signed_out finish). */
#define I LOGIN_IDLE
#define PP LOGIN_PIN_PENDING
#define W LOGIN_WAITING
#define C LOGIN_CHECKING
#define D LOGIN_DONE
#define DN LOGIN_DENIED
#define U LOGIN_UNAVAILABLE
#define E LOGIN_EXPIRED
#define ER LOGIN_ERROR
static const int want_next[LOGIN_STATES][LEV_COUNT] = {
	/*        view start pc  pf  poll drop pend appr gone pfail slow allow deny cfail sout fin */
	[I] = { I, PP, NO, NO, I, I, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[PP] = { PP, PP, W, U, PP, PP, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[W] = { W, W, NO, NO, W, W, W, C, E, W, W, NO, NO, NO, NO, NO },
	[C] = { C, C, NO, NO, C, C, NO, NO, NO, NO, NO, D, DN, U, ER, NO },
	[D] = { D, D, NO, NO, D, D, NO, NO, NO, NO, NO, NO, NO, NO, NO, D },
	[DN] = { DN, DN, NO, NO, DN, DN, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[U] = { U, PP, NO, NO, U, U, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[E] = { E, PP, NO, NO, E, E, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[ER] = { ER, PP, NO, NO, ER, ER, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO },
};

static identity_t *
alice(void)
{
	identity_t *id = calloc(1, sizeof(*id));

	id->sub = strdup("dae343c1f45beb4f");
	id->name = strdup("Alice Liddell");
	id->preferred_username = strdup("alice");
	id->email = strdup("alice@example.com");
	id->email_verified = true;
	id->auth_time = 1700000000;
	id->plex_id = 22526914;
	id->access = PLEX_ACCESS_FRIEND;
	return id;
}

/* The data an event needs to be valid. */
static login_event_data_t
event_for(enum login_event ev, const identity_t *who)
{
	login_event_data_t e = { .ev = ev };

	if (ev == LEV_PIN_CREATED) {
		e.pin_id = 2147483712;
		e.pin_code = "8lzjqnq8lye02n52jq3fqxf8e";
	} else if (ev == LEV_ALLOWED) {
		e.who = who;
	} else if (ev == LEV_DENIED) {
		e.account = "Nora";
	}
	return e;
}

/* Every state x every event: the allowed ones move as the table says, the
 * refused ones leave the login untouched. */
static void
test_every_transition(void)
{
	identity_t *who = alice();
	int st, ev;

	for (st = 0; st < LOGIN_STATES; st++)
		for (ev = 0; ev < LEV_COUNT; ev++) {
			login_t l = { 0 };
			login_effect_t eff;
			login_event_data_t e = event_for((enum login_event)ev, who);
			int rc, want = want_next[st][ev];

			l.st = (enum login_state)st;
			l.app = strdup("app");
			l.poll_at_ms = 1; /* a poll is due at any later time */
			if (st == LOGIN_DONE)
				l.who = alice();
			T_EQ_INT(login_next_state((enum login_state)st, (enum login_event)ev), want);
			rc = login_step(&l, &e, 100000, &eff);
			if ((rc == PO_OK) != (want != NO) || (want != NO && (int)l.st != want))
				fprintf(stderr, "  %s + %s: rc %d, now %s\n", login_state_name(st), login_event_name(ev), rc,
				    login_state_name(l.st));
			if (want == NO) {
				T_EQ_INT(rc, PO_ERR_INVALID);
				T_EQ_INT(l.st, st);
				T_CHECK(!eff.create_pin && !eff.poll_pin && !eff.remove);
			} else {
				T_EQ_INT(rc, PO_OK);
				T_EQ_INT(l.st, want);
			}
			login_clear(&l);
		}
	identity_free(who);
	T_EQ_INT(login_next_state(LOGIN_STATES, LEV_VIEW), NO);
	T_EQ_INT(login_next_state(LOGIN_IDLE, LEV_COUNT), NO);
}

/* What the table does not say: effects, counters and pacing. */
static void
test_step_details(void)
{
	login_t l = { 0 };
	login_effect_t eff;
	login_event_data_t e = { .ev = LEV_START };
	identity_t *who = alice();
	int i;

	l.app = strdup("app");
	/* start asks for a PIN once; a double click does not */
	T_EQ_INT(login_step(&l, &e, 1000, &eff), PO_OK);
	T_CHECK(eff.create_pin);
	T_EQ_INT(login_step(&l, &e, 1001, &eff), PO_OK);
	T_CHECK(!eff.create_pin);
	/* ...unless the PIN never came (its instance died): then again */
	T_EQ_INT(login_step(&l, &e, 1000 + LIM_PLEX_PIN_STALE_MS - 1, &eff), PO_OK);
	T_CHECK(!eff.create_pin);
	T_EQ_INT(login_step(&l, &e, 1000 + LIM_PLEX_PIN_STALE_MS, &eff), PO_OK);
	T_CHECK(eff.create_pin);
	T_EQ_INT(l.st, LOGIN_PIN_PENDING);
	T_EQ_INT(login_step(&l, &e, 1001 + LIM_PLEX_PIN_STALE_MS, &eff), PO_OK);
	T_CHECK(!eff.create_pin); /* counted from the new request */
	/* a PIN without a code or id is refused */
	e = (login_event_data_t){ .ev = LEV_PIN_CREATED, .pin_id = 0, .pin_code = "x" };
	T_EQ_INT(login_step(&l, &e, 1002, &eff), PO_ERR_INVALID);
	e = event_for(LEV_PIN_CREATED, NULL);
	T_EQ_INT(login_step(&l, &e, 2000, &eff), PO_OK);
	T_EQ_STR(l.pin_code, "8lzjqnq8lye02n52jq3fqxf8e");
	/* polls: not within a second of the PIN, then one at a time */
	e = (login_event_data_t){ .ev = LEV_POLL };
	T_EQ_INT(login_step(&l, &e, 2000 + LIM_PLEX_POLL_INTERVAL_MS - 1, &eff), PO_OK);
	T_CHECK(!eff.poll_pin);
	T_EQ_INT(login_step(&l, &e, 2000 + LIM_PLEX_POLL_INTERVAL_MS, &eff), PO_OK);
	T_CHECK(eff.poll_pin && l.polling);
	T_EQ_INT(login_step(&l, &e, 10000, &eff), PO_OK);
	T_CHECK(!eff.poll_pin); /* one in flight */
	/* ...unless the one in flight was lost with its instance */
	T_EQ_INT(login_step(&l, &e, 3000 + LIM_PLEX_POLL_STALE_MS, &eff), PO_OK);
	T_CHECK(eff.poll_pin);
	/* failures: counted, the run ends at the limit; a good answer resets */
	e = (login_event_data_t){ .ev = LEV_POLL_FAILED };
	for (i = 1; i < LIM_PLEX_POLL_FAILURES_MAX; i++) {
		T_EQ_INT(login_step(&l, &e, 50000, &eff), PO_OK);
		T_EQ_INT(l.st, LOGIN_WAITING);
		T_EQ_INT(l.poll_failures, i);
	}
	e = (login_event_data_t){ .ev = LEV_PIN_PENDING };
	T_EQ_INT(login_step(&l, &e, 50000, &eff), PO_OK);
	T_EQ_INT(l.poll_failures, 0);
	/* 429 is not a failure, however often */
	e = (login_event_data_t){ .ev = LEV_SLOW_DOWN };
	for (i = 0; i < 10; i++)
		T_EQ_INT(login_step(&l, &e, 50000 + i, &eff), PO_OK);
	T_EQ_INT(l.st, LOGIN_WAITING);
	T_EQ_INT(l.poll_failures, 0);
	T_CHECK(!l.polling);
	e = (login_event_data_t){ .ev = LEV_POLL_FAILED };
	for (i = 0; i < LIM_PLEX_POLL_FAILURES_MAX; i++)
		T_EQ_INT(login_step(&l, &e, 60000, &eff), PO_OK);
	T_EQ_INT(l.st, LOGIN_UNAVAILABLE);
	/* try again: a new PIN, counters reset */
	e = (login_event_data_t){ .ev = LEV_START };
	T_EQ_INT(login_step(&l, &e, 70000, &eff), PO_OK);
	T_CHECK(eff.create_pin);
	T_EQ_INT(l.st, LOGIN_PIN_PENDING);
	T_CHECK(l.pin_code == NULL && l.pin_id == 0 && l.poll_failures == 0);
	/* through to done and finish */
	e = event_for(LEV_PIN_CREATED, NULL);
	T_EQ_INT(login_step(&l, &e, 71000, &eff), PO_OK);
	e = (login_event_data_t){ .ev = LEV_PIN_APPROVED };
	T_EQ_INT(login_step(&l, &e, 72000, &eff), PO_OK);
	e = (login_event_data_t){ .ev = LEV_ALLOWED, .who = NULL };
	T_EQ_INT(login_step(&l, &e, 73000, &eff), PO_ERR_INVALID); /* allowed needs a user */
	e = event_for(LEV_ALLOWED, who);
	T_EQ_INT(login_step(&l, &e, 73000, &eff), PO_OK);
	T_CHECK(l.who != NULL && l.who != who && strcmp(l.who->sub, who->sub) == 0);
	e = (login_event_data_t){ .ev = LEV_FINISH };
	T_EQ_INT(login_step(&l, &e, 74000, &eff), PO_OK);
	T_CHECK(eff.remove);
	login_clear(&l);
	identity_free(who);
	for (i = 0; i < LOGIN_STATES; i++)
		T_CHECK(strcmp(login_state_name(i), "invalid") != 0);
	T_EQ_STR(login_page_state(LOGIN_CHECKING), "waiting");
	T_EQ_STR(login_page_state(LOGIN_ERROR), "error");
}

static void
test_records(void)
{
	login_t l = { 0 }, back;
	buf_t b;
	static const char *bad[] = {
		"",
		"[]",
		"{}",
		"{\"b\":\"x\"}",                             /* no app */
		"{\"b\":\"x\",\"a\":\"app\",\"s\":99}",      /* no such state */
		"{\"b\":\"x\",\"a\":\"app\",\"s\":4}",       /* done without a user */
		"{\"b\":\"x\",\"a\":\"app\",\"pi\":5}",      /* a PIN without its code */
		"{\"b\":\"x\",\"a\":\"app\",\"pf\":\"1\"}",  /* wrong type */
		"{\"b\":\"x\",\"a\":\"app\",\"a\":\"app\"}", /* duplicate key */
		"{\"b\":\"x\",\"a\":\"app\",\"who\":{\"nm\":\"no sub\",\"acc\":0}}",
		"{\"b\":\"\",\"a\":\"app\"}",
	};
	size_t i;

	buf_init(&b, 1 << 16);
	memcpy(l.bid, "bidbidbid", 10);
	l.app = strdup("grafana");
	l.cont = strdup("client_id=grafana&state=%22%3C");
	l.st = LOGIN_DONE;
	l.pin_id = 2147483712;
	l.pin_code = strdup("abc123");
	l.poll_at_ms = 1700000000123;
	l.polling = true;
	l.poll_failures = 2;
	l.who = alice();
	l.account = strdup("Nora \"N\" <x>");
	T_EQ_INT(login_encode(&l, &b), PO_OK);
	T_EQ_INT(login_decode(b.data, b.len, &back), PO_OK);
	T_EQ_STR(back.bid, "bidbidbid");
	T_EQ_STR(back.app, "grafana");
	T_EQ_STR(back.cont, l.cont);
	T_EQ_INT(back.st, LOGIN_DONE);
	T_EQ_INT(back.pin_id, 2147483712);
	T_EQ_STR(back.pin_code, "abc123");
	T_EQ_INT(back.poll_at_ms, 1700000000123);
	T_CHECK(back.polling);
	T_EQ_INT(back.poll_failures, 2);
	T_CHECK(back.who && strcmp(back.who->email, "alice@example.com") == 0 && back.who->access == PLEX_ACCESS_FRIEND &&
	    back.who->email_verified && back.who->plex_id == 22526914);
	T_EQ_STR(back.account, "Nora \"N\" <x>");
	login_clear(&back);
	login_clear(&l);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (login_decode(bad[i], strlen(bad[i]), &back) == PO_OK)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		T_CHECK(login_decode(bad[i], strlen(bad[i]), &back) == PO_ERR_INVALID);
	}
	buf_free(&b);
}

/* logins_apply: one atomic step through the store, for one browser. */
static void
test_logins_in_the_store(void)
{
	store_t *s = store_mem_new();
	login_t l = { 0 }, after = { 0 };
	login_effect_t eff;
	login_event_data_t start = { .ev = LEV_START }, view = { .ev = LEV_VIEW }, fin = { .ev = LEV_FINISH };
	char id[LOGIN_ID_SIZE];

	memcpy(l.bid, "B0000000000000000000000000000000000000000000", 44);
	l.bid[43] = '\0';
	l.app = strdup("app");
	T_EQ_INT(logins_create(s, &l, id), PO_OK);
	T_CHECK(logins_id_ok(id));
	T_CHECK(!logins_id_ok("short"));
	T_CHECK(!logins_id_ok("../../../../../../../../../../../../../etc/x"));
	/* another browser's, or nobody's */
	T_EQ_INT(logins_apply(s, id, "C0000000000000000000000000000000000000000000", &view, 1, NULL, NULL), PO_ERR_NOTFOUND);
	T_EQ_INT(logins_apply(s, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", l.bid, &view, 1, NULL, NULL), PO_ERR_NOTFOUND);
	/* this browser's */
	T_EQ_INT(logins_apply(s, id, l.bid, &start, 1, &after, &eff), PO_OK);
	T_EQ_INT(after.st, LOGIN_PIN_PENDING);
	T_CHECK(eff.create_pin);
	login_clear(&after);
	/* the plex.tv side passes no browser id */
	T_EQ_INT(logins_apply(s, id, NULL, &view, 1, &after, NULL), PO_OK);
	T_EQ_INT(after.st, LOGIN_PIN_PENDING);
	login_clear(&after);
	/* a refused event gives the record as it is */
	T_EQ_INT(logins_apply(s, id, l.bid, &fin, 1, &after, &eff), PO_ERR_INVALID);
	T_EQ_INT(after.st, LOGIN_PIN_PENDING);
	login_clear(&after);
	T_EQ_INT(store_count(s, STORE_LOGINS), 1);
	login_clear(&l);
	store_free(s);
}

/* ---- the plex.tv chain with a stub client ---- */

/* The stub records the last call and its callback; the test answers it. */
static struct stub {
	int calls[4];
	int refuse; /* the next call returns this instead of PO_OK */
	plex_pin_cb pin_cb;
	plex_user_cb user_cb;
	plex_resources_cb res_cb;
	void *arg;
	char token[64];
} stub;

static int
stub_take(int which, void *arg)
{
	stub.calls[which]++;
	if (stub.refuse) {
		int rc = stub.refuse;
		stub.refuse = 0;
		return rc;
	}
	stub.arg = arg;
	return PO_OK;
}

static int
stub_pin_create(void *p, plex_pin_cb cb, void *arg)
{
	stub.pin_cb = cb;
	return stub_take(0, arg);
}

static int
stub_pin_check(void *p, int64_t pin_id, plex_pin_cb cb, void *arg)
{
	stub.pin_cb = cb;
	return stub_take(1, arg);
}

static int
stub_user_get(void *p, const char *token, plex_user_cb cb, void *arg)
{
	snprintf(stub.token, sizeof(stub.token), "%s", token);
	stub.user_cb = cb;
	return stub_take(2, arg);
}

static int
stub_resources_get(void *p, const char *token, plex_resources_cb cb, void *arg)
{
	stub.res_cb = cb;
	return stub_take(3, arg);
}

static const login_plex_ops_t stub_ops = { stub_pin_create, stub_pin_check, stub_user_get, stub_resources_get };

static int done_calls;

static void
on_done(void *arg)
{
	done_calls++;
}

struct fixture {
	store_t *s;
	config_t *cfg;
	login_flow_t *f;
	char id[LOGIN_ID_SIZE];
};

static void
fixture_new(struct fixture *x, const char *extra_plex)
{
	char ini[1024];
	login_t l = { 0 };
	login_flow_opts_t o = { 0 };

	memset(x, 0, sizeof(*x));
	memset(&stub, 0, sizeof(stub));
	snprintf(ini, sizeof(ini),
	    "[server]\nlisten = 127.0.0.1:1\nissuer = http://127.0.0.1:1\ndata_dir = /tmp\n"
	    "[plex]\nserver_id = 0123456789abcdef0123456789abcdef01234567\n%s"
	    "[client.app]\nsecret = s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-42\nredirect_uris = https://a/cb\n",
	    extra_plex);
	x->s = store_mem_new();
	T_EQ_INT(config_parse(ini, strlen(ini), "t.ini", NULL, &x->cfg, NULL), PO_OK);
	o.store = x->s;
	o.ops = &stub_ops;
	o.cfg = x->cfg;
	T_EQ_INT(login_flow_new(&o, &x->f), PO_OK);
	memset(l.bid, 'B', LOGIN_ID_CHARS);
	l.app = strdup("app");
	T_EQ_INT(logins_create(x->s, &l, x->id), PO_OK);
	login_clear(&l);
}

static void
fixture_free(struct fixture *x)
{
	login_flow_free(x->f);
	config_free(x->cfg);
	store_free(x->s);
}

static enum login_state
state_of(struct fixture *x)
{
	login_event_data_t v = { .ev = LEV_VIEW };
	login_t l = { 0 };
	enum login_state st;

	if (logins_apply(x->s, x->id, NULL, &v, clock_now_ms(), &l, NULL) != PO_OK)
		return LOGIN_STATES;
	st = l.st;
	login_clear(&l);
	return st;
}

static void
apply(struct fixture *x, enum login_event ev)
{
	login_event_data_t e = { .ev = ev };

	T_EQ_INT(logins_apply(x->s, x->id, NULL, &e, clock_now_ms(), NULL, NULL), PO_OK);
}

/* To WAITING with a PIN, through the flow. */
static void
to_waiting(struct fixture *x)
{
	plex_pin_t pin = { .id = 77, .code = "pincode" };

	apply(x, LEV_START);
	T_EQ_INT(login_flow_create_pin(x->f, x->id, on_done, NULL), PO_OK);
	stub.pin_cb(stub.arg, PLEX_OK, &pin);
	T_EQ_INT(state_of(x), LOGIN_WAITING);
}

static void
poll(struct fixture *x, enum plex_status st, const char *token)
{
	plex_pin_t pin = { .id = 77, .code = "pincode", .auth_token = (char *)(uintptr_t)token };

	T_EQ_INT(login_flow_poll(x->f, x->id, 77), PO_OK);
	stub.pin_cb(stub.arg, st, st == PLEX_OK ? &pin : NULL);
}

static const char res_friend[] =
    "[{\"clientIdentifier\":\"0123456789abcdef0123456789abcdef01234567\",\"provides\":\"server\",\"owned\":false,"
    "\"home\":false,\"ownerId\":9001}]";
static const char res_no_owner_id[] =
    "[{\"clientIdentifier\":\"0123456789abcdef0123456789abcdef01234567\",\"provides\":\"server\",\"owned\":false}]";

/* Approved PIN -> user -> resources (json) -> the outcome. */
static void
approve(struct fixture *x, enum plex_status user_st, enum plex_status res_st, const char *json)
{
	plex_user_t u = { .id = 22526914, .uuid = "dae343c1f45beb4f", .username = "alice", .email = "a@example.com" };
	plex_resources_t res = { 0 };

	poll(x, PLEX_OK, "tok-alice");
	T_EQ_INT(state_of(x), LOGIN_CHECKING);
	T_EQ_STR(stub.token, "tok-alice"); /* the token goes to plex.tv, never to the record */
	stub.user_cb(stub.arg, user_st, user_st == PLEX_OK ? &u : NULL);
	if (user_st != PLEX_OK)
		return;
	if (json)
		T_EQ_INT(plex_parse_resources(json, strlen(json), &res), PO_OK);
	stub.res_cb(stub.arg, res_st, res_st == PLEX_OK ? &res : NULL);
	plex_resources_clear(&res);
}

static void
test_flow_pin_creation(void)
{
	struct fixture x;

	fixture_new(&x, "");
	done_calls = 0;
	apply(&x, LEV_START);
	T_EQ_INT(login_flow_create_pin(x.f, x.id, on_done, NULL), PO_OK);
	stub.pin_cb(stub.arg, PLEX_UNAVAILABLE, NULL);
	T_EQ_INT(state_of(&x), LOGIN_UNAVAILABLE);
	T_EQ_INT(done_calls, 1);
	/* the call cannot even start: unavailable at once, done not called */
	apply(&x, LEV_START);
	stub.refuse = PO_ERR_LIMIT;
	T_CHECK(login_flow_create_pin(x.f, x.id, on_done, NULL) != PO_OK);
	T_EQ_INT(state_of(&x), LOGIN_UNAVAILABLE);
	T_EQ_INT(done_calls, 1);
	/* stopping: no call is made */
	apply(&x, LEV_START);
	login_flow_stop(x.f);
	T_CHECK(login_flow_create_pin(x.f, x.id, on_done, NULL) != PO_OK);
	T_EQ_INT(stub.calls[0], 2);
	T_EQ_INT(state_of(&x), LOGIN_UNAVAILABLE);
	fixture_free(&x);
}

static void
test_flow_polls(void)
{
	struct fixture x;
	int i;

	fixture_new(&x, "");
	to_waiting(&x);
	poll(&x, PLEX_OK, NULL); /* not approved yet */
	T_EQ_INT(state_of(&x), LOGIN_WAITING);
	for (i = 0; i < 5; i++)
		poll(&x, PLEX_RATE_LIMITED, NULL); /* slow down, not a failure */
	T_EQ_INT(state_of(&x), LOGIN_WAITING);
	poll(&x, PLEX_CANCELLED, NULL); /* shutdown: the claim is released */
	T_EQ_INT(state_of(&x), LOGIN_WAITING);
	for (i = 0; i < LIM_PLEX_POLL_FAILURES_MAX; i++)
		poll(&x, i % 2 ? PLEX_UNAUTHORIZED : PLEX_UNAVAILABLE, NULL);
	T_EQ_INT(state_of(&x), LOGIN_UNAVAILABLE);
	/* a poll that cannot start releases its claim */
	to_waiting(&x);
	stub.refuse = PO_ERR_LIMIT;
	T_CHECK(login_flow_poll(x.f, x.id, 77) != PO_OK);
	T_EQ_INT(state_of(&x), LOGIN_WAITING);
	poll(&x, PLEX_NOT_FOUND, NULL);
	T_EQ_INT(state_of(&x), LOGIN_EXPIRED);
	fixture_free(&x);
}

static void
test_flow_outcomes(void)
{
	struct fixture x;
	plex_resources_t empty = { 0 };

	/* allowed: done, with who they are */
	fixture_new(&x, "");
	to_waiting(&x);
	approve(&x, PLEX_OK, PLEX_OK, res_friend);
	T_EQ_INT(state_of(&x), LOGIN_DONE);
	fixture_free(&x);
	/* not shared: denied */
	fixture_new(&x, "");
	to_waiting(&x);
	approve(&x, PLEX_OK, PLEX_OK, "[]");
	T_EQ_INT(state_of(&x), LOGIN_DENIED);
	fixture_free(&x);
	/* plex.tv refuses the token: sign in again */
	fixture_new(&x, "");
	to_waiting(&x);
	approve(&x, PLEX_UNAUTHORIZED, PLEX_OK, NULL);
	T_EQ_INT(state_of(&x), LOGIN_ERROR);
	fixture_free(&x);
	/* plex.tv down at the resources: unavailable, never denied */
	fixture_new(&x, "");
	to_waiting(&x);
	approve(&x, PLEX_OK, PLEX_UNAVAILABLE, NULL);
	T_EQ_INT(state_of(&x), LOGIN_UNAVAILABLE);
	fixture_free(&x);
	/* 429 at the user: asked again, then it works */
	fixture_new(&x, "");
	to_waiting(&x);
	poll(&x, PLEX_OK, "tok");
	stub.user_cb(stub.arg, PLEX_RATE_LIMITED, NULL);
	T_EQ_INT(stub.calls[2], 2);
	T_EQ_INT(state_of(&x), LOGIN_CHECKING);
	{
		plex_user_t u = { .id = 5, .uuid = "u5" };
		stub.user_cb(stub.arg, PLEX_OK, &u);
		stub.res_cb(stub.arg, PLEX_RATE_LIMITED, NULL);
		T_EQ_INT(stub.calls[3], 2);
		stub.res_cb(stub.arg, PLEX_OK, &empty);
	}
	T_EQ_INT(state_of(&x), LOGIN_DENIED);
	fixture_free(&x);
	/* ...but not forever */
	fixture_new(&x, "");
	to_waiting(&x);
	poll(&x, PLEX_OK, "tok");
	for (int i = 0; i <= LIM_PLEX_RATE_LIMITED_RETRIES; i++)
		stub.user_cb(stub.arg, PLEX_RATE_LIMITED, NULL);
	T_EQ_INT(stub.calls[2], LIM_PLEX_RATE_LIMITED_RETRIES + 1);
	T_EQ_INT(state_of(&x), LOGIN_UNAVAILABLE);
	fixture_free(&x);
}

/* [plex] owner_id with a share that carries no ownerId: refused, and the
 * page is told it is not the user's doing. */
static void
test_flow_unverifiable_share(void)
{
	struct fixture x;
	login_event_data_t v = { .ev = LEV_VIEW };
	login_t l = { 0 };

	fixture_new(&x, "owner_id = 9001\n");
	to_waiting(&x);
	approve(&x, PLEX_OK, PLEX_OK, res_no_owner_id);
	T_EQ_INT(logins_apply(x.s, x.id, NULL, &v, clock_now_ms(), &l, NULL), PO_OK);
	T_EQ_INT(l.st, LOGIN_DENIED);
	T_EQ_INT(l.denied_reason, LOGIN_DENIED_UNVERIFIABLE);
	login_clear(&l);
	fixture_free(&x);
	/* with the ownerId, the same share is a friend */
	fixture_new(&x, "owner_id = 9001\n");
	to_waiting(&x);
	approve(&x, PLEX_OK, PLEX_OK, res_friend);
	T_EQ_INT(state_of(&x), LOGIN_DONE);
	fixture_free(&x);
}

/* An answer for a login that moved on (expired and gone) is dropped. */
static void
test_flow_login_gone(void)
{
	struct fixture x;

	fixture_new(&x, "");
	to_waiting(&x);
	T_EQ_INT(login_flow_poll(x.f, x.id, 77), PO_OK);
	T_EQ_INT(store_del(x.s, STORE_LOGINS, x.id), PO_OK);
	{
		plex_pin_t pin = { .id = 77, .code = "pincode", .auth_token = "tok" };
		stub.pin_cb(stub.arg, PLEX_OK, &pin);
	}
	T_EQ_INT(stub.calls[2], 0); /* no user call for a login that is gone */
	T_EQ_INT(state_of(&x), LOGIN_STATES);
	fixture_free(&x);
}

int
main(void)
{
	log_set_level(getenv("T_VERBOSE") ? LOG_DEBUG : LOG_ERROR + 1);
	T_RUN(test_every_transition);
	T_RUN(test_step_details);
	T_RUN(test_records);
	T_RUN(test_logins_in_the_store);
	T_RUN(test_flow_pin_creation);
	T_RUN(test_flow_polls);
	T_RUN(test_flow_outcomes);
	T_RUN(test_flow_unverifiable_share);
	T_RUN(test_flow_login_gone);
	return T_DONE();
}
