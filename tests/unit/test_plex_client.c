/*
 * test_plex_client.c - plex.c against the fake plex.tv (tests/fake-plex).
 *
 * Drives the real client over loopback against the fake (plex_fixture.h):
 * the PIN login, the user and resources calls for each preset user, every
 * fault the fake can inject, timeouts, concurrency, cancellation on free,
 * the in-flight bound, and the headers plex.tv saw (from the fake's
 * /__fake/log). The budget, back-off and redirects are test_plex_pace.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "po_limits.h"
#include "plex/plex.h"
#include "policy/policy.h"
#include "t.h"

#include "plex_fixture.h"

static bool
code_is_strong(const char *code)
{
	size_t i;

	if (code == NULL || strlen(code) != 25)
		return false;
	for (i = 0; i < 25; i++)
		if (!((code[i] >= 'a' && code[i] <= 'z') || (code[i] >= '0' && code[i] <= '9')))
			return false;
	return true;
}

/* ---- Tests ---- */

static void
test_pin_create(void)
{
	struct result r;

	ctl_reset();
	do_pin_create(&r);
	T_RESULT(&r, PLEX_OK);
	T_CHECK(r.pin_id > INT64_C(2147483647)); /* past 2^31 */
	T_CHECK(code_is_strong(r.code));
	T_CHECK(r.token == NULL);
	result_clear(&r);
}

/* The whole login: PIN, approval in the "browser", token, who, access. */
static void
test_login_flow(void)
{
	struct result c, p1, p2, u, res;
	char body[256];

	ctl_reset();
	do_pin_create(&c);
	T_RESULT(&c, PLEX_OK);

	do_pin_check(&p1, c.pin_id);
	T_RESULT(&p1, PLEX_OK);
	T_EQ_INT(p1.pin_id, c.pin_id);
	T_CHECK(p1.token == NULL); /* not approved yet */

	snprintf(body, sizeof(body), "{\"code\":\"%s\",\"user\":\"alice\"}", c.code ? c.code : "");
	T_EQ_INT(ctl("/__fake/approve", body), 200);

	do_pin_check(&p2, c.pin_id);
	T_RESULT(&p2, PLEX_OK);
	T_CHECK(p2.token != NULL && strlen(p2.token) >= 20);

	do_user(&u, p2.token ? p2.token : "x");
	T_RESULT(&u, PLEX_OK);
	T_EQ_STR(u.uuid, "dae343c1f45beb4f");
	T_EQ_STR(u.username, "alice");
	T_EQ_STR(u.email, "alice@example.com");
	T_EQ_STR(u.display, "Alice Liddell");

	do_resources(&res, p2.token ? p2.token : "x");
	T_RESULT(&res, PLEX_OK);
	T_EQ_STR(plex_access_name(res.access), "owner");
	T_CHECK(res.n >= 2);

	result_clear(&c);
	result_clear(&p1);
	result_clear(&p2);
	result_clear(&u);
	result_clear(&res);
}

/* Each preset user, with the fixed token the fake publishes. */
static void
test_access_levels(void)
{
	static const struct {
		const char *name, *uuid, *access;
		bool has_email, has_username, restricted;
	} vecs[] = {
		{ "alice", "dae343c1f45beb4f", "owner", true, true, false },
		{ "hank", "4f1a2b3c5d6e7f80", "home", true, true, false },
		{ "fred", "8e0c6f1d2b3a4c59", "friend", true, true, false }, /* JWT-sized token */
		{ "mia", "b3c4d5e6f7a80912", "home", false, false, true },   /* managed, no email */
		{ "nora", "c0ffee0ddba11f00", "none", true, true, false },
		{ "pete", "5e7e1ab2c3d4e5f6", "none", true, true, false }, /* pending invitation only */
	};
	size_t i;

	ctl_reset();
	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		char *tok = preset_token(vecs[i].name);
		struct result u, r;

		T_CHECK(tok != NULL);
		if (tok == NULL)
			continue;
		do_user(&u, tok);
		T_RESULT(&u, PLEX_OK);
		T_EQ_STR(u.uuid, vecs[i].uuid);
		T_EQ_INT(u.email != NULL, vecs[i].has_email);
		T_EQ_INT(u.username != NULL, vecs[i].has_username);
		T_EQ_INT(u.restricted, vecs[i].restricted);
		do_resources(&r, tok);
		T_RESULT(&r, PLEX_OK);
		T_EQ_STR(plex_access_name(r.access), vecs[i].access);
		if (t_cur_failed)
			fprintf(stderr, "    for user %s\n", vecs[i].name);
		result_clear(&u);
		result_clear(&r);
		str_free_secret(tok);
	}
}

/* Creates a PIN behind the client's back (blocking) and returns its id, so
 * that each check hits a fresh PIN and the fake's per-PIN rate limit does
 * not interfere. */
static int64_t
fresh_pin_id(void)
{
	struct curl_slist *h = NULL;
	json_t *j = NULL;
	int64_t id = 1;
	buf_t b;

	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "X-Plex-Client-Identifier: " CID);
	buf_init(&b, 1 << 20);
	T_EQ_INT(http_call("POST", "/api/v2/pins?strong=true", "", h, &b), 201);
	if ((j = json_loadb(buf_str(&b), b.len, 0, NULL)) != NULL)
		id = (int64_t)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	buf_free(&b);
	curl_slist_free_all(h);
	return id;
}

enum call {
	C_CREATE,
	C_CHECK,
	C_USER,
	C_RES
};

/* Runs one call of the given kind (user calls with `token`). */
static void
run_call(enum call k, struct result *r, const char *token)
{
	switch (k) {
	case C_CREATE: do_pin_create(r); break;
	case C_CHECK: do_pin_check(r, fresh_pin_id()); break;
	case C_USER: do_user(r, token); break;
	case C_RES: do_resources(r, token); break;
	}
}

/* Every way plex.tv can fail maps to the status plex.h promises. */
static void
test_faults(void)
{
	static const struct {
		const char *endpoint, *mode;
		enum call call;
		enum plex_status want;
		int times; /* 0: unlimited, cleared by a reset after the call */
	} vecs[] = {
		{ "pins.create", "status:500", C_CREATE, PLEX_UNAVAILABLE, 1 },
		{ "pins.create", "status:503", C_CREATE, PLEX_UNAVAILABLE, 1 },
		{ "pins.create", "status:429", C_CREATE, PLEX_RATE_LIMITED, 1 },
		{ "pins.create", "status:401", C_CREATE, PLEX_UNAUTHORIZED, 1 }, /* code 1001 */
		{ "pins.create", "status:422", C_CREATE, PLEX_UNAUTHORIZED, 1 }, /* XML, code 1001 */
		{ "pins.create", "invalid-token", C_CREATE, PLEX_UNAUTHORIZED, 1 },
		{ "pins.create", "unauthorized-html", C_CREATE, PLEX_UNAVAILABLE, 1 }, /* no token was sent */
		{ "pins.create", "unprocessable", C_CREATE, PLEX_UNAVAILABLE, 1 },
		{ "pins.create", "status:404", C_CREATE, PLEX_UNAVAILABLE, 1 },
		{ "pins.create", "status:400", C_CREATE, PLEX_UNAVAILABLE, 1 },
		{ "pins.create", "garbage", C_CREATE, PLEX_UNAVAILABLE, 1 },
		{ "pins.create", "xml", C_CREATE, PLEX_UNAVAILABLE, 1 },
		{ "pins.create", "truncated", C_CREATE, PLEX_UNAVAILABLE, 1 },
		{ "pins.create", "huge", C_CREATE, PLEX_UNAVAILABLE, 1 },
		{ "pins.create", "reset", C_CREATE, PLEX_UNAVAILABLE, 0 },
		{ "pins.create", "delay:300", C_CREATE, PLEX_OK, 1 },
		{ "pins.get", "status:500", C_CHECK, PLEX_UNAVAILABLE, 1 },
		{ "pins.get", "status:429", C_CHECK, PLEX_RATE_LIMITED, 1 },
		{ "pins.get", "status:401", C_CHECK, PLEX_UNAUTHORIZED, 1 }, /* code 1001: sign in again */
		{ "pins.get", "invalid-token", C_CHECK, PLEX_UNAUTHORIZED, 1 },
		{ "pins.get", "unauthorized-html", C_CHECK, PLEX_UNAVAILABLE, 1 }, /* no token was sent */
		{ "pins.get", "unprocessable", C_CHECK, PLEX_UNAVAILABLE, 1 },
		{ "pins.get", "status:404", C_CHECK, PLEX_NOT_FOUND, 1 },
		{ "pins.get", "status:301", C_CHECK, PLEX_UNAVAILABLE, 1 }, /* a 3xx is not an answer */
		{ "pins.get", "garbage", C_CHECK, PLEX_UNAVAILABLE, 1 },
		{ "pins.get", "reset", C_CHECK, PLEX_UNAVAILABLE, 0 },
		{ "pins.get", "xml", C_CHECK, PLEX_UNAVAILABLE, 1 },
		{ "pins.get", "truncated", C_CHECK, PLEX_UNAVAILABLE, 1 },
		{ "pins.get", "huge", C_CHECK, PLEX_UNAVAILABLE, 1 },
		{ "user", "status:500", C_USER, PLEX_UNAVAILABLE, 1 },
		{ "user", "status:503", C_USER, PLEX_UNAVAILABLE, 1 },
		{ "user", "status:429", C_USER, PLEX_RATE_LIMITED, 1 },
		{ "user", "status:401", C_USER, PLEX_UNAUTHORIZED, 1 },
		{ "user", "status:422", C_USER, PLEX_UNAUTHORIZED, 1 },
		{ "user", "invalid-token", C_USER, PLEX_UNAUTHORIZED, 1 },
		{ "user", "unauthorized-html", C_USER, PLEX_UNAUTHORIZED, 1 }, /* the token was refused */
		{ "user", "unprocessable", C_USER, PLEX_UNAVAILABLE, 1 },      /* not about the token */
		{ "user", "status:403", C_USER, PLEX_UNAVAILABLE, 1 },
		{ "user", "status:404", C_USER, PLEX_UNAVAILABLE, 1 },
		{ "user", "status:302", C_USER, PLEX_UNAVAILABLE, 1 },
		{ "user", "garbage", C_USER, PLEX_UNAVAILABLE, 1 },
		{ "user", "xml", C_USER, PLEX_UNAVAILABLE, 1 },
		{ "user", "truncated", C_USER, PLEX_UNAVAILABLE, 1 },
		{ "user", "huge", C_USER, PLEX_UNAVAILABLE, 1 },
		{ "user", "reset", C_USER, PLEX_UNAVAILABLE, 0 },
		{ "resources", "status:500", C_RES, PLEX_UNAVAILABLE, 1 },
		{ "resources", "status:429", C_RES, PLEX_RATE_LIMITED, 1 },
		{ "resources", "status:401", C_RES, PLEX_UNAUTHORIZED, 1 },
		{ "resources", "status:422", C_RES, PLEX_UNAUTHORIZED, 1 },
		{ "resources", "invalid-token", C_RES, PLEX_UNAUTHORIZED, 1 },
		{ "resources", "unauthorized-html", C_RES, PLEX_UNAUTHORIZED, 1 },
		{ "resources", "unprocessable", C_RES, PLEX_UNAVAILABLE, 1 },
		{ "resources", "garbage", C_RES, PLEX_UNAVAILABLE, 1 },
		{ "resources", "xml", C_RES, PLEX_UNAVAILABLE, 1 },
		{ "resources", "truncated", C_RES, PLEX_UNAVAILABLE, 1 },
		{ "resources", "huge", C_RES, PLEX_UNAVAILABLE, 1 },
		{ "resources", "delay:300", C_RES, PLEX_OK, 1 },
		{ "any", "status:502", C_USER, PLEX_UNAVAILABLE, 1 },
	};
	char *tok = NULL;
	size_t i;

	ctl_reset();
	tok = preset_token("alice");
	T_CHECK(tok != NULL);
	for (i = 0; tok != NULL && i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		struct result r, after;
		int failed_before = t_cur_failed;

		t_cur_failed = 0;
		ctl_fault(vecs[i].endpoint, vecs[i].mode, vecs[i].times);
		run_call(vecs[i].call, &r, tok);
		T_RESULT(&r, vecs[i].want);
		/* curl retries a request once when a reused connection dies
		 * before answering, so "reset" stays on until cleared here. */
		if (vecs[i].times == 0)
			ctl_reset();
		/* The fault was used up: the same call works again. */
		run_call(vecs[i].call, &after, tok);
		T_RESULT(&after, PLEX_OK);
		if (t_cur_failed)
			fprintf(stderr, "    for fault %s %s\n", vecs[i].endpoint, vecs[i].mode);
		t_cur_failed |= failed_before;
		result_clear(&r);
		result_clear(&after);
	}
	str_free_secret(tok);
}

static void
test_invalid_and_revoked_tokens(void)
{
	struct result u1, r1, u2, r2, u3;
	char *tok = NULL, *other = NULL;

	ctl_reset();
	do_user(&u1, "NotARealPlexToken123");
	T_RESULT(&u1, PLEX_UNAUTHORIZED);
	do_resources(&r1, "NotARealPlexToken123");
	T_RESULT(&r1, PLEX_UNAUTHORIZED);

	/* docs/PLEX-API.md: a revoked token sometimes gets 422 with an XML body. */
	tok = preset_token("alice");
	other = preset_token("hank");
	T_EQ_INT(ctl("/__fake/revoke", "{\"user\":\"alice\"}"), 200);
	do_user(&u2, tok ? tok : "x");
	T_RESULT(&u2, PLEX_UNAUTHORIZED);
	do_resources(&r2, tok ? tok : "x");
	T_RESULT(&r2, PLEX_UNAUTHORIZED);
	do_user(&u3, other ? other : "x");
	T_RESULT(&u3, PLEX_OK);

	result_clear(&u1);
	result_clear(&r1);
	result_clear(&u2);
	result_clear(&r2);
	result_clear(&u3);
	str_free_secret(tok);
	str_free_secret(other);
	ctl_reset();
}

static void
test_expired_and_unknown_pin(void)
{
	struct result c, e, u;
	char body[256];

	ctl_reset();
	do_pin_create(&c);
	T_RESULT(&c, PLEX_OK);
	snprintf(body, sizeof(body), "{\"code\":\"%s\"}", c.code ? c.code : "");
	T_EQ_INT(ctl("/__fake/expire", body), 200);
	do_pin_check(&e, c.pin_id);
	T_RESULT(&e, PLEX_NOT_FOUND);
	do_pin_check(&u, 4242);
	T_RESULT(&u, PLEX_NOT_FOUND);
	result_clear(&c);
	result_clear(&e);
	result_clear(&u);
}

/* docs/PLEX-API.md: polling one PIN too hard gets 429 / 1003 -> "rate limited"
 * (slow down), never "unavailable". */
static void
test_poll_rate_limit(void)
{
	struct result c, polls[8];
	int ok = 0, limited = 0;
	size_t i;

	ctl_reset();
	do_pin_create(&c);
	T_RESULT(&c, PLEX_OK);
	for (i = 0; i < 8; i++) {
		result_init(&polls[i]);
		T_EQ_INT(plex_pin_check(fx.client, c.pin_id, on_pin, &polls[i]), PO_OK);
	}
	for (i = 0; i < 8; i++) {
		T_CHECK(result_wait(&polls[i], WAIT_MS));
		ok += polls[i].st == PLEX_OK;
		limited += polls[i].st == PLEX_RATE_LIMITED;
		result_clear(&polls[i]);
	}
	T_EQ_INT(ok + limited, 8);
	T_CHECK(ok >= 1 && limited >= 1);
	result_clear(&c);
	usleep(1200 * 1000); /* let the back-off (1 s) pass for the next tests */
}

/* A plex.tv that never answers costs the total timeout, not more. */
static void
test_hang_times_out(void)
{
	plex_client_t *c = client_new(fx.url, 500, 1000);
	struct result r;
	int64_t t0;
	char *tok = preset_token("alice");

	ctl_reset();
	ctl_fault("user", "hang", 1);
	result_init(&r);
	t0 = clock_mono_us();
	T_EQ_INT(plex_user_get(c, tok ? tok : "x", on_user, &r), PO_OK);
	T_RESULT(&r, PLEX_UNAVAILABLE);
	T_CHECK(r.done_us - t0 >= 900000);
	T_CHECK(r.done_us - t0 < 3000000);
	result_clear(&r);
	plex_client_free(c);
	str_free_secret(tok);
}

/* Nothing listens: a connection error is "unavailable", status 0. */
struct obs {
	pthread_mutex_t mu;
	int calls[PLEX_EP_COUNT];
	long last_status[PLEX_EP_COUNT];
	int64_t max_latency_us;
};

static void
on_observe(void *arg, enum plex_endpoint ep, long status, int64_t latency_us)
{
	struct obs *o = arg;

	pthread_mutex_lock(&o->mu);
	if (ep < PLEX_EP_COUNT) {
		o->calls[ep]++;
		o->last_status[ep] = status;
	}
	if (latency_us > o->max_latency_us)
		o->max_latency_us = latency_us;
	pthread_mutex_unlock(&o->mu);
}

static void
test_connection_refused(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	struct obs o = { .mu = PTHREAD_MUTEX_INITIALIZER };
	char url[64];
	plex_client_t *c = NULL;
	struct result r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that was just free: bound, then closed, never listened on. */
	T_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	close(fd);
	c = client_new(url, 1000, 2000);
	plex_client_set_observer(c, on_observe, &o);
	result_init(&r);
	T_EQ_INT(plex_pin_create(c, on_pin, &r), PO_OK);
	T_RESULT(&r, PLEX_UNAVAILABLE);
	plex_client_free(c);
	T_EQ_INT(o.calls[PLEX_EP_PIN_CREATE], 1);
	T_EQ_INT(o.last_status[PLEX_EP_PIN_CREATE], 0);
	result_clear(&r);
}

/* All calls are in flight at once: 32 calls that each take 2 s end in ~2 s. */
static void
test_concurrency(void)
{
	enum {
		N = 32
	};
	struct result rs[N];
	char *tok = NULL;
	int64_t t0, last = 0;
	size_t i;

	ctl_reset();
	tok = preset_token("hank");
	ctl_fault("user", "delay:2000", 0);
	t0 = clock_mono_us();
	for (i = 0; i < N; i++) {
		result_init(&rs[i]);
		T_EQ_INT(plex_user_get(fx.client, tok ? tok : "x", on_user, &rs[i]), PO_OK);
	}
	for (i = 0; i < N; i++) {
		T_RESULT(&rs[i], PLEX_OK);
		T_EQ_STR(rs[i].uuid, "4f1a2b3c5d6e7f80");
		if (rs[i].done_us > last)
			last = rs[i].done_us;
		result_clear(&rs[i]);
	}
	T_CHECK(last - t0 >= 1900000);
	T_CHECK(last - t0 < 3500000);
	if (last - t0 >= 3500000)
		fprintf(stderr, "    %d delayed calls took %lld ms\n", N, (long long)((last - t0) / 1000));
	str_free_secret(tok);
	ctl_reset();
}

/* What plex.tv saw: the same client identifier on every call, JSON asked
 * for, the token only in a header and only on user calls. */
static void
test_headers_seen(void)
{
	struct result c, p, u, r;
	json_t *log = NULL, *e = NULL;
	char *tok = NULL;
	size_t i, api = 0;

	ctl_reset();
	tok = preset_token("fred");
	do_pin_create(&c);
	do_pin_check(&p, c.pin_id ? c.pin_id : 1);
	do_user(&u, tok ? tok : "x");
	do_resources(&r, tok ? tok : "x");
	T_RESULT(&r, PLEX_OK);

	log = ctl_json("/__fake/log");
	T_CHECK(json_is_array(log));
	json_array_foreach(log, i, e) {
		json_t *h = json_object_get(e, "headers");
		const char *ep = json_string_value(json_object_get(e, "endpoint"));
		const char *path = json_string_value(json_object_get(e, "path"));
		bool user_call = str_eq(ep, "user") || str_eq(ep, "resources");

		if (ep == NULL)
			continue;
		api++;
		T_EQ_STR(json_string_value(json_object_get(h, "x-plex-client-identifier")), CID);
		T_EQ_STR(json_string_value(json_object_get(h, "accept")), "application/json");
		T_EQ_STR(json_string_value(json_object_get(h, "x-plex-product")), PRODUCT);
		T_EQ_STR(json_string_value(json_object_get(h, "x-plex-version")), VERSION);
		T_EQ_STR(json_string_value(json_object_get(h, "x-plex-platform")), "Linux");
		T_EQ_STR(json_string_value(json_object_get(h, "x-plex-device")), "plex-oidc");
		T_EQ_INT(json_is_true(json_object_get(h, "x-plex-token")), user_call);
		T_CHECK(json_is_false(json_object_get(e, "token_in_query")));
		T_CHECK(path != NULL && tok != NULL && strstr(path, tok) == NULL);
		if (str_eq(ep, "pins.create"))
			T_EQ_STR(json_string_value(json_object_get(json_object_get(e, "query"), "strong")), "true");
		if (str_eq(ep, "resources")) {
			json_t *q = json_object_get(e, "query");
			T_EQ_STR(json_string_value(json_object_get(q, "includeHttps")), "1");
			T_EQ_STR(json_string_value(json_object_get(q, "includeRelay")), "1");
		}
	}
	T_EQ_INT(api, 4);
	json_decref(log);
	result_clear(&c);
	result_clear(&p);
	result_clear(&u);
	result_clear(&r);
	str_free_secret(tok);
}

static void
test_observer(void)
{
	struct obs o = { .mu = PTHREAD_MUTEX_INITIALIZER };
	plex_client_t *c = client_new(fx.url, 0, 0);
	struct result r1, r2, r3;
	char *tok = preset_token("alice");

	ctl_reset();
	plex_client_set_observer(c, on_observe, &o);
	result_init(&r1);
	result_init(&r2);
	result_init(&r3);
	T_EQ_INT(plex_pin_create(c, on_pin, &r1), PO_OK);
	T_EQ_INT(plex_user_get(c, "NotARealPlexToken123", on_user, &r2), PO_OK);
	ctl_fault("resources", "status:503", 1);
	T_EQ_INT(plex_resources_get(c, tok ? tok : "x", on_resources, &r3), PO_OK);
	T_RESULT(&r1, PLEX_OK);
	T_RESULT(&r2, PLEX_UNAUTHORIZED);
	T_RESULT(&r3, PLEX_UNAVAILABLE);
	plex_client_free(c);
	T_EQ_INT(o.calls[PLEX_EP_PIN_CREATE], 1);
	T_EQ_INT(o.last_status[PLEX_EP_PIN_CREATE], 201);
	T_EQ_INT(o.calls[PLEX_EP_USER], 1);
	T_EQ_INT(o.last_status[PLEX_EP_USER], 401);
	T_EQ_INT(o.calls[PLEX_EP_RESOURCES], 1);
	T_EQ_INT(o.last_status[PLEX_EP_RESOURCES], 503);
	T_EQ_INT(o.calls[PLEX_EP_PIN_CHECK], 0);
	T_CHECK(o.max_latency_us > 0 && o.max_latency_us < 5000000);
	result_clear(&r1);
	result_clear(&r2);
	result_clear(&r3);
	str_free_secret(tok);
}

/* Freeing the client with calls in flight (hanging) and queued runs every
 * callback once, with PLEX_CANCELLED, before plex_client_free returns. */
static void
test_free_cancels(void)
{
	enum {
		N = 12
	};
	struct obs o = { .mu = PTHREAD_MUTEX_INITIALIZER };
	plex_client_t *c = client_new(fx.url, 0, 0);
	struct result rs[N];
	char *tok = preset_token("alice");
	int64_t t0;
	size_t i;

	ctl_reset();
	ctl_fault("any", "hang", 0);
	plex_client_set_observer(c, on_observe, &o);
	for (i = 0; i < N; i++) {
		result_init(&rs[i]);
		switch (i % 4) {
		case 0: T_EQ_INT(plex_pin_create(c, on_pin, &rs[i]), PO_OK); break;
		case 1: T_EQ_INT(plex_pin_check(c, 2147483999, on_pin, &rs[i]), PO_OK); break;
		case 2: T_EQ_INT(plex_user_get(c, tok ? tok : "x", on_user, &rs[i]), PO_OK); break;
		default: T_EQ_INT(plex_resources_get(c, tok ? tok : "x", on_resources, &rs[i]), PO_OK); break;
		}
	}
	usleep(300000); /* let them reach the fake and hang there */
	t0 = clock_mono_us();
	plex_client_free(c);
	T_CHECK(clock_mono_us() - t0 < 2000000);
	for (i = 0; i < N; i++) {
		/* Already run: free does not return before the callbacks. */
		T_EQ_INT(rs[i].calls, 1);
		T_EQ_STR(plex_status_name(rs[i].st), "cancelled");
		T_CHECK(rs[i].struct_ok);
		result_clear(&rs[i]);
	}
	T_EQ_INT(o.calls[0] + o.calls[1] + o.calls[2] + o.calls[3], 0); /* not for cancelled calls */
	str_free_secret(tok);
	ctl_reset();
}

/* Free right after queueing: calls not yet taken by the worker are
 * cancelled too. */
static void
test_free_immediately(void)
{
	enum {
		N = 20
	};
	plex_client_t *c = client_new(fx.url, 0, 0);
	struct result rs[N];
	size_t i;
	int cancelled = 0, done = 0;

	for (i = 0; i < N; i++) {
		result_init(&rs[i]);
		T_EQ_INT(plex_pin_create(c, on_pin, &rs[i]), PO_OK);
	}
	plex_client_free(c);
	for (i = 0; i < N; i++) {
		T_EQ_INT(rs[i].calls, 1);
		cancelled += rs[i].st == PLEX_CANCELLED;
		done += rs[i].st == PLEX_OK;
		result_clear(&rs[i]);
	}
	T_EQ_INT(cancelled + done, N);
	plex_client_free(NULL);
}

struct counter {
	pthread_mutex_t mu;
	int calls, cancelled;
};

static void
count_pin(void *arg, enum plex_status st, const plex_pin_t *pin)
{
	struct counter *k = arg;

	(void)pin;
	pthread_mutex_lock(&k->mu);
	k->calls++;
	k->cancelled += st == PLEX_CANCELLED;
	pthread_mutex_unlock(&k->mu);
}

/* LIM_PLEX_INFLIGHT_MAX calls at once; the next is refused and its
 * callback never runs. */
static void
test_inflight_limit(void)
{
	struct counter k = { .mu = PTHREAD_MUTEX_INITIALIZER };
	plex_client_t *c = client_new(fx.url, 0, 20000);
	int accepted = 0, i;

	ctl_reset();
	ctl_fault("pins.create", "hang", 0);
	for (i = 0; i < LIM_PLEX_INFLIGHT_MAX; i++)
		accepted += plex_pin_create(c, count_pin, &k) == PO_OK;
	T_EQ_INT(accepted, LIM_PLEX_INFLIGHT_MAX);
	T_EQ_INT(plex_pin_create(c, count_pin, &k), PO_ERR_LIMIT);
	T_EQ_INT(plex_user_get(c, "AnyToken1234567890ab", on_user, NULL), PO_ERR_LIMIT);
	plex_client_free(c);
	T_EQ_INT(k.calls, LIM_PLEX_INFLIGHT_MAX);
	T_EQ_INT(k.cancelled, LIM_PLEX_INFLIGHT_MAX);
	ctl_reset();
}

/* A callback may start the next call (here: check the PIN just created). */
static void
test_chained_call(void)
{
	struct result first, second;

	ctl_reset();
	result_init(&first);
	result_init(&second);
	first.chain = fx.client;
	first.chain_res = &second;
	T_EQ_INT(plex_pin_create(fx.client, on_pin, &first), PO_OK);
	T_RESULT(&first, PLEX_OK);
	T_EQ_INT(first.chain_rc, PO_OK);
	T_RESULT(&second, PLEX_OK);
	T_EQ_INT(second.pin_id, first.pin_id);
	result_clear(&first);
	result_clear(&second);
}

static void
test_bad_arguments(void)
{
	char longtok[LIM_PLEX_TOKEN_MAX + 2], slash_url[80];
	plex_client_t *c = NULL;
	struct result r;
	plex_opts_t o = { .api_url = fx.url, .client_identifier = CID, .product = PRODUCT };

	memset(longtok, 'a', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	/* Refused synchronously; the callback (NULL arg would crash) never runs. */
	T_EQ_INT(plex_user_get(fx.client, "abc\r\nX-Evil: 1", on_user, NULL), PO_ERR_INVALID);
	T_EQ_INT(plex_user_get(fx.client, "abc def", on_user, NULL), PO_ERR_INVALID);
	T_EQ_INT(plex_user_get(fx.client, "", on_user, NULL), PO_ERR_INVALID);
	T_EQ_INT(plex_user_get(fx.client, NULL, on_user, NULL), PO_ERR_INVALID);
	T_EQ_INT(plex_resources_get(fx.client, longtok, on_resources, NULL), PO_ERR_INVALID);
	T_EQ_INT(plex_pin_check(fx.client, 0, on_pin, NULL), PO_ERR_INVALID);
	T_EQ_INT(plex_pin_check(fx.client, -5, on_pin, NULL), PO_ERR_INVALID);
	T_EQ_INT(plex_pin_create(fx.client, NULL, NULL), PO_ERR_INVALID);

	T_EQ_INT(plex_client_new(NULL, &c), PO_ERR_INVALID);
	o.api_url = "ftp://plex.tv";
	T_EQ_INT(plex_client_new(&o, &c), PO_ERR_INVALID);
	o.api_url = fx.url;
	o.product = "Plex\r\nX-Evil: 1";
	T_EQ_INT(plex_client_new(&o, &c), PO_ERR_INVALID);
	o.product = PRODUCT;
	o.client_identifier = "";
	T_EQ_INT(plex_client_new(&o, &c), PO_ERR_INVALID);
	o.client_identifier = CID;
	o.total_timeout_ms = -1;
	T_EQ_INT(plex_client_new(&o, &c), PO_ERR_INVALID);
	T_CHECK(c == NULL);
	o.total_timeout_ms = 0;
	o.api_url = "http://";
	T_EQ_INT(plex_client_new(&o, &c), PO_ERR_INVALID);
	o.api_url = "https:///api";
	T_EQ_INT(plex_client_new(&o, &c), PO_ERR_INVALID);

	/* version is optional; a trailing slash on api_url is dropped. */
	snprintf(slash_url, sizeof(slash_url), "%s/", fx.url);
	o.api_url = slash_url;
	T_EQ_INT(plex_client_new(&o, &c), PO_OK);
	result_init(&r);
	T_EQ_INT(plex_pin_create(c, on_pin, &r), PO_OK);
	T_RESULT(&r, PLEX_OK);
	result_clear(&r);
	plex_client_free(c);
}

static void
test_names(void)
{
	T_EQ_STR(plex_status_name(PLEX_OK), "ok");
	T_EQ_STR(plex_status_name(PLEX_UNAUTHORIZED), "unauthorized");
	T_EQ_STR(plex_status_name(PLEX_NOT_FOUND), "not_found");
	T_EQ_STR(plex_status_name(PLEX_UNAVAILABLE), "unavailable");
	T_EQ_STR(plex_status_name(PLEX_CANCELLED), "cancelled");
	T_EQ_STR(plex_status_name(PLEX_RATE_LIMITED), "rate_limited");
	T_EQ_STR(plex_endpoint_name(PLEX_EP_PIN_CREATE), "pin_create");
	T_EQ_STR(plex_endpoint_name(PLEX_EP_PIN_CHECK), "pin_check");
	T_EQ_STR(plex_endpoint_name(PLEX_EP_USER), "user");
	T_EQ_STR(plex_endpoint_name(PLEX_EP_RESOURCES), "resources");
}

/* The fake itself behaves like plex.tv where plex.c does not go. */
static void
test_fake_fidelity(void)
{
	struct curl_slist *h = NULL;
	buf_t b;

	ctl_reset();
	buf_init(&b, 1 << 20);
	/* No Accept: application/json -> XML. */
	h = curl_slist_append(h, "X-Plex-Client-Identifier: " CID);
	T_EQ_INT(http_call("POST", "/api/v2/pins?strong=true", "", h, &b), 201);
	T_CHECK(str_has_prefix(buf_str(&b), b.len, "<?xml"));
	curl_slist_free_all(h);
	h = NULL;
	/* No client identifier -> 400 / 1000. */
	buf_reset(&b);
	h = curl_slist_append(h, "Accept: application/json");
	T_EQ_INT(http_call("POST", "/api/v2/pins?strong=true", "", h, &b), 400);
	T_CHECK(strstr(buf_str(&b), "1000") != NULL);
	curl_slist_free_all(h);
	/* The sign-in page has a button per preset user. */
	buf_reset(&b);
	T_EQ_INT(http_call("GET", "/auth", NULL, NULL, &b), 200);
	T_CHECK(strstr(buf_str(&b), "'as-' + u") != NULL);
	T_CHECK(strstr(buf_str(&b), "You can close this window") != NULL);
	buf_free(&b);
	/* Control API input checks. */
	T_EQ_INT(ctl("/__fake/fault", "{\"endpoint\":\"nope\",\"mode\":\"hang\"}"), 400);
	T_EQ_INT(ctl("/__fake/fault", "{\"endpoint\":\"user\",\"mode\":\"explode\"}"), 400);
	T_EQ_INT(ctl("/__fake/approve", "{\"code\":\"zzzz\",\"user\":\"alice\"}"), 404);
	T_EQ_INT(ctl("/__fake/approve", "{\"code\":\"zzzz\",\"user\":\"nobody-here\"}"), 400);
}

int
main(void)
{
	int rc;

	fx.main_thread = pthread_self();
	/* The fault tests log a warning each, on purpose: shown with
	 * PO_TEST_LOG=1 only. */
	log_set_level(getenv("PO_TEST_LOG") ? LOG_DEBUG : LOG_ERROR);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || fake_start() != 0) {
		fprintf(stderr, "cannot start the fake plex.tv (node tests/fake-plex/fake-plex.mjs)\n");
		t_fail++;
		return T_DONE();
	}
	atexit(fake_stop);
	fx.client = client_new(fx.url, 0, 0);
	if (fx.client == NULL) {
		t_fail++;
		return T_DONE();
	}

	T_RUN(test_names);
	T_RUN(test_bad_arguments);
	T_RUN(test_pin_create);
	T_RUN(test_login_flow);
	T_RUN(test_access_levels);
	T_RUN(test_faults);
	T_RUN(test_invalid_and_revoked_tokens);
	T_RUN(test_expired_and_unknown_pin);
	T_RUN(test_poll_rate_limit);
	T_RUN(test_hang_times_out);
	T_RUN(test_connection_refused);
	T_RUN(test_concurrency);
	T_RUN(test_headers_seen);
	T_RUN(test_observer);
	T_RUN(test_chained_call);
	T_RUN(test_free_cancels);
	T_RUN(test_free_immediately);
	T_RUN(test_inflight_limit);
	T_RUN(test_fake_fidelity);

	plex_client_free(fx.client);
	fake_stop();
	rc = T_DONE();
	curl_global_cleanup();
	return rc;
}
