/*
 * test_plex_pace.c - plex.tv as it really behaves (issue 9, items 13-15):
 * rate limits, redirects, token errors.
 *
 * Tables first, with no I/O: what an error answer means (plex_rules.h),
 * Retry-After values, which redirect targets may be followed, and the
 * budget and back-off with a fake clock (plex_pace.h). Then the real client
 * against the fake plex.tv (plex_fixture.h): one budget for all calls,
 * calls that wait too long give up with PLEX_RATE_LIMITED unsent,
 * Retry-After honoured and capped, exponential back-off without it, and
 * redirects followed only to allowed hosts, at most LIM_PLEX_REDIRECTS_MAX
 * hops. Timing checks read the times plex.tv (the fake) saw requests, with
 * generous bounds: they check behaviour, not speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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
#include "plex/plex.h"
#include "plex/plex_pace.h"
#include "plex/plex_rules.h"
#include "po_limits.h"
#include "t.h"

#include "plex_fixture.h"

/* ---- Tables ---- */

static void
test_classify(void)
{
	static const char json1001[] = "{\"errors\":[{\"code\":1001,\"message\":\"User could not be authenticated\",\"status\":401}]}";
	static const char json1003[] = "{\"errors\":[{\"code\":1003,\"message\":\"Rate limit exceeded\",\"status\":429}]}";
	static const char xml1001[] = "<?xml version=\"1.0\"?>\n<errors><error code=\"1001\" message=\"x\" status=\"422\"/></errors>";
	static const char invalid[] = "Invalid token";
	static const char other422[] = "{\"errors\":[{\"message\":\"Validation failed\",\"status\":422}]}";
	static const char html[] = "<html><body>401 Authorization Required</body></html>";
	static const char code1001_string[] = "{\"errors\":[{\"code\":\"1001\"}]}"; /* not an integer: not the code */
	static const char json_other[] = "{\"errors\":[{\"code\":1002}],\"x\":1001}";
	static const struct {
		enum plex_endpoint ep;
		long http;
		const char *body;
		enum plex_status want;
	} v[] = {
		/* 429: slow down, everywhere */
		{ PLEX_EP_PIN_CREATE, 429, json1003, PLEX_RATE_LIMITED },
		{ PLEX_EP_PIN_CHECK, 429, "", PLEX_RATE_LIMITED },
		{ PLEX_EP_USER, 429, html, PLEX_RATE_LIMITED },
		{ PLEX_EP_RESOURCES, 429, json1003, PLEX_RATE_LIMITED },
		/* 401 + 1001: sign in again, everywhere */
		{ PLEX_EP_PIN_CREATE, 401, json1001, PLEX_UNAUTHORIZED },
		{ PLEX_EP_PIN_CHECK, 401, json1001, PLEX_UNAUTHORIZED },
		{ PLEX_EP_USER, 401, json1001, PLEX_UNAUTHORIZED },
		{ PLEX_EP_RESOURCES, 401, json1001, PLEX_UNAUTHORIZED },
		{ PLEX_EP_PIN_CHECK, 401, "<errors><error code=\"1001\"/></errors>", PLEX_UNAUTHORIZED },
		/* other 401: a refused token on user calls; on PIN calls (no
		 * token sent) an outage */
		{ PLEX_EP_USER, 401, html, PLEX_UNAUTHORIZED },
		{ PLEX_EP_RESOURCES, 401, "", PLEX_UNAUTHORIZED },
		{ PLEX_EP_PIN_CREATE, 401, html, PLEX_UNAVAILABLE },
		{ PLEX_EP_PIN_CHECK, 401, code1001_string, PLEX_UNAVAILABLE },
		{ PLEX_EP_PIN_CHECK, 401, json_other, PLEX_UNAVAILABLE },
		/* 422 "Invalid token" or 1001: sign in again, everywhere */
		{ PLEX_EP_PIN_CREATE, 422, invalid, PLEX_UNAUTHORIZED },
		{ PLEX_EP_PIN_CHECK, 422, "{\"error\":\"Invalid token\"}", PLEX_UNAUTHORIZED },
		{ PLEX_EP_USER, 422, invalid, PLEX_UNAUTHORIZED },
		{ PLEX_EP_RESOURCES, 422, xml1001, PLEX_UNAUTHORIZED },
		/* other 422: not a token problem */
		{ PLEX_EP_USER, 422, other422, PLEX_UNAVAILABLE },
		{ PLEX_EP_USER, 422, "invalid token", PLEX_UNAVAILABLE }, /* python-plexapi's match is case-sensitive */
		{ PLEX_EP_RESOURCES, 422, "", PLEX_UNAVAILABLE },
		/* 404 is "gone" only for a PIN poll */
		{ PLEX_EP_PIN_CHECK, 404, "", PLEX_NOT_FOUND },
		{ PLEX_EP_USER, 404, "", PLEX_UNAVAILABLE },
		{ PLEX_EP_PIN_CREATE, 404, "", PLEX_UNAVAILABLE },
		/* the rest */
		{ PLEX_EP_USER, 500, json1001, PLEX_UNAVAILABLE },
		{ PLEX_EP_USER, 403, json1001, PLEX_UNAVAILABLE },
		{ PLEX_EP_PIN_CREATE, 400, "", PLEX_UNAVAILABLE },
		{ PLEX_EP_USER, 503, NULL, PLEX_UNAVAILABLE },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enum plex_status st = plex_rules_classify(v[i].ep, v[i].http, v[i].body, v[i].body ? strlen(v[i].body) : 0);
		T_EQ_STR(plex_status_name(st), plex_status_name(v[i].want));
		if (t_cur_failed) {
			fprintf(stderr, "    case %zu: %s HTTP %ld\n", i, plex_endpoint_name(v[i].ep), v[i].http);
			return;
		}
	}
	/* the body is (buf, len): nothing after len counts */
	T_EQ_INT(plex_rules_classify(PLEX_EP_PIN_CHECK, 422, "Invalid token", 7), PLEX_UNAVAILABLE);
	T_CHECK(plex_rules_has_code(json1001, strlen(json1001), 1001));
	T_CHECK(!plex_rules_has_code(json1001, strlen(json1001) - 2, 1001)); /* truncated JSON */
	T_CHECK(!plex_rules_has_code(NULL, 0, 1001));
}

static void
test_retry_after(void)
{
	/* 784111777 = Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example) */
	static const struct {
		const char *value;
		int64_t now_s, want_ms;
	} v[] = {
		{ "120", 0, 120000 },
		{ "0", 0, 0 },
		{ " 5 ", 0, 5000 },
		{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30, 30000 },
		{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30, 0 }, /* in the past */
		{ "99999999999999999999999999", 0, INT64_C(1000000000000) * 10 * 1000 },
		{ "", 0, -1 },
		{ "-5", 0, -1 },
		{ "5s", 0, -1 },
		{ "1.5", 0, -1 },
		{ "Sunday, 06-Nov-94 08:49:37 GMT", 0, -1 }, /* obsolete forms: not honoured */
		{ "Sun, 06 Nov 1994 08:49:37 GMT junk", 0, -1 },
		{ NULL, 0, -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int64_t got = plex_rules_retry_after_ms(v[i].value, v[i].now_s);
		if (got != v[i].want_ms && !(i == 5 && got > INT64_C(1000000000000)))
			fprintf(stderr, "    case %zu: %s\n", i, v[i].value ? v[i].value : "(null)");
		if (i == 5)
			T_CHECK(got > INT64_C(1000000000000)); /* huge, and positive */
		else
			T_EQ_INT(got, v[i].want_ms);
	}
}

static void
test_redirect_ok(void)
{
	static const struct {
		const char *api, *target;
		bool ok;
	} v[] = {
		/* Plex's own hosts, https on 443 */
		{ "https://plex.tv", "https://clients.plex.tv/api/v2/pins", true },
		{ "https://plex.tv", "https://plex.tv/api/v2/user", true },
		{ "https://plex.tv", "https://PLEX.TV/api/v2/user", true },
		{ "https://plex.tv", "https://a.b.plex.tv:443/x", true },
		{ "http://127.0.0.1:8080", "https://clients.plex.tv/api/v2/pins", true },
		{ "https://plex.tv", "http://clients.plex.tv/api/v2/pins", false }, /* downgrade */
		{ "https://plex.tv", "https://clients.plex.tv:8443/x", false },     /* another port */
		{ "https://plex.tv", "https://plex.tv.evil.example/x", false },
		{ "https://plex.tv", "https://evilplex.tv/x", false },
		{ "https://plex.tv", "https://evil.example/plex.tv", false },
		{ "https://plex.tv", "https://user:pw@clients.plex.tv/x", false },
		{ "https://plex.tv", "https://clients.plex.tv@evil.example/x", false },
		{ "https://plex.tv", "https://203.0.113.5/x", false },
		{ "https://plex.tv", "https://[::1]/x", false },
		{ "https://plex.tv", "ftp://clients.plex.tv/x", false },
		{ "https://plex.tv", "/relative", false }, /* curl hands us absolute URLs only */
		{ "https://plex.tv", "", false },
		/* api_url's own host and hosts under it, same scheme and port */
		{ "http://localhost:8080", "http://clients.localhost:8080/api/v2/user", true },
		{ "http://localhost:8080", "http://localhost:8080/elsewhere", true },
		{ "http://localhost:8080", "http://localhost:8081/x", false },
		{ "http://localhost:8080", "https://localhost:8080/x", false },
		{ "http://localhost:8080", "http://127.0.0.1:8080/x", false },
		{ "http://localhost:8080", "http://xlocalhost:8080/x", false },
		{ "http://localhost:8080", "http://localhost.evil:8080/x", false },
		/* empty labels (found by fuzz_plex: "http:/.localhost:8080") */
		{ "http://localhost:8080", "http://.localhost:8080/x", false },
		{ "http://localhost:8080", "http:/.localhost:8080", false },
		{ "https://plex.tv", "https://.plex.tv/x", false },
		{ "https://plex.tv", "https://a..plex.tv/x", false },
		{ "https://plex.tv", "https://clients.plex.tv./x", false },
		/* nothing is under an IP address */
		{ "http://127.0.0.1:9", "http://x.127.0.0.1:9/x", false },
		{ "https://plex.tv", "https://plex.tv:443/x", true },
		{ "http://127.0.0.1:9", "http://127.0.0.1:9/x", true },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		T_EQ_INT(plex_rules_redirect_ok(v[i].api, v[i].target), v[i].ok);
		if (t_cur_failed) {
			fprintf(stderr, "    case %zu: %s -> %s\n", i, v[i].api, v[i].target);
			return;
		}
	}
	T_CHECK(!plex_rules_redirect_ok(NULL, "https://plex.tv/x"));
	T_CHECK(!plex_rules_redirect_ok("https://plex.tv", NULL));
}

/* The budget and back-off with a fake clock. */
static void
test_pace(void)
{
	plex_pace_t p;
	int64_t t = 1000;
	int i, sent = 0;

	/* burst 5 at once, then 2 a second */
	plex_pace_init(&p, 2, 5, 1000, 8000, t);
	for (i = 0; i < 10 && plex_pace_wait_ms(&p, t) == 0; i++) {
		plex_pace_take(&p, t);
		sent++;
	}
	T_EQ_INT(sent, 5);
	T_EQ_INT(plex_pace_wait_ms(&p, t), 500);
	T_EQ_INT(plex_pace_wait_ms(&p, t + 499), 1);
	T_EQ_INT(plex_pace_wait_ms(&p, t + 500), 0);
	plex_pace_take(&p, t + 500);
	T_EQ_INT(plex_pace_wait_ms(&p, t + 500), 500);

	/* 429 without Retry-After: 1 s, 2 s, 4 s, 8 s, 8 s (capped) */
	t = 100000;
	plex_pace_init(&p, 10, 20, 1000, 8000, t);
	T_EQ_INT(plex_pace_limited(&p, t, -1), 1000);
	T_EQ_INT(plex_pace_wait_ms(&p, t + 999), 1);
	T_EQ_INT(plex_pace_wait_ms(&p, t + 1000), 0); /* one probe... */
	plex_pace_take(&p, t + 1000);
	T_EQ_INT(plex_pace_wait_ms(&p, t + 1000), 100); /* ...then the steady rate, no burst */
	/* a 429 for a call sent before the back-off began: not a new strike */
	T_EQ_INT(plex_pace_limited(&p, t + 500, -1), 500);
	t += 1000;
	T_EQ_INT(plex_pace_limited(&p, t, -1), 2000);
	t += 2000;
	T_EQ_INT(plex_pace_limited(&p, t, -1), 4000);
	t += 4000;
	T_EQ_INT(plex_pace_limited(&p, t, -1), 8000);
	t += 8000;
	T_EQ_INT(plex_pace_limited(&p, t, -1), 8000);
	/* an answer ends the run */
	plex_pace_answered(&p);
	t += 8000;
	T_EQ_INT(plex_pace_limited(&p, t, -1), 1000);
	/* Retry-After is honoured, capped, and never shortens a back-off */
	t += 1000;
	T_EQ_INT(plex_pace_limited(&p, t, 3000), 3000);
	T_EQ_INT(plex_pace_limited(&p, t + 10, 100), 2990);
	t += 3000;
	T_EQ_INT(plex_pace_limited(&p, t, 3600 * 1000), 8000);
	T_EQ_INT(plex_pace_limited(&p, t + 8000, 0), 0);
}

/* ---- The client against the fake ---- */

/* The t_ms (fake's clock) of each logged call to endpoint, in order, and
 * their count; also the methods and hosts when asked. */
static size_t
seen(const char *endpoint, int64_t *t_ms, char methods[][8], char hosts[][64], size_t max)
{
	json_t *log = ctl_json("/__fake/log"), *e = NULL;
	size_t i, n = 0;

	json_array_foreach(log, i, e) {
		if (!str_eq(json_string_value(json_object_get(e, "endpoint")), endpoint) || n >= max)
			continue;
		if (t_ms)
			t_ms[n] = json_integer_value(json_object_get(e, "t_ms"));
		if (methods)
			snprintf(methods[n], 8, "%s", json_string_value(json_object_get(e, "method")));
		if (hosts)
			snprintf(hosts[n], 64, "%s", json_string_value(json_object_get(e, "host")));
		n++;
	}
	json_decref(log);
	return n;
}

/* One budget: 15 calls at once with a budget of 5 a second and a burst of
 * 5 reach plex.tv spread over ~2 s, and all succeed. */
static void
test_budget(void)
{
	enum {
		N = 15
	};
	plex_client_t *c = client_new_paced(fx.url, 0, 0, 5, 5, 10000, 0, 0);
	struct result rs[N];
	int64_t t[N];
	size_t i, j, n;

	ctl_reset();
	for (i = 0; i < N; i++) {
		result_init(&rs[i]);
		/* mixed endpoints: one budget for all */
		if (i % 2)
			T_EQ_INT(plex_pin_create(c, on_pin, &rs[i]), PO_OK);
		else
			T_EQ_INT(plex_user_get(c, "NotARealPlexToken123", on_user, &rs[i]), PO_OK);
	}
	for (i = 0; i < N; i++) {
		T_RESULT(&rs[i], i % 2 ? PLEX_OK : PLEX_UNAUTHORIZED);
		result_clear(&rs[i]);
	}
	n = seen("pins.create", t, NULL, NULL, N) + seen("user", t + seen("pins.create", NULL, NULL, NULL, N), NULL, NULL, N);
	T_EQ_INT(n, N);
	/* sorted, then: never more than burst + rate x window (+1) in a window */
	for (i = 1; i < N; i++)
		for (j = i; j > 0 && t[j - 1] > t[j]; j--) {
			int64_t x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	T_CHECK(t[N - 1] - t[0] >= 1800); /* (15 - 5) / 5 s = 2 s */
	for (i = 0; i < N; i++) {
		size_t in = 0;
		for (j = i; j < N && t[j] - t[i] < 1000; j++)
			in++;
		T_CHECK(in <= 5 + 5 + 1);
	}
	plex_client_free(c);
}

/* A call that waits longer than the queue wait gives up, unsent. */
static void
test_queue_wait(void)
{
	enum {
		N = 5
	};
	plex_client_t *c = client_new_paced(fx.url, 0, 0, 1, 1, 1500, 0, 0);
	struct result rs[N];
	int ok = 0, limited = 0;
	int64_t t0 = clock_mono_us();
	size_t i;

	ctl_reset();
	for (i = 0; i < N; i++) {
		result_init(&rs[i]);
		T_EQ_INT(plex_pin_create(c, on_pin, &rs[i]), PO_OK);
	}
	for (i = 0; i < N; i++) {
		T_CHECK(result_wait(&rs[i], WAIT_MS));
		T_CHECK(rs[i].struct_ok);
		ok += rs[i].st == PLEX_OK;
		if (rs[i].st == PLEX_RATE_LIMITED) {
			limited++;
			/* gave up at the queue wait, not later */
			T_CHECK(rs[i].done_us - t0 >= 1400000 && rs[i].done_us - t0 < 4000000);
		}
		result_clear(&rs[i]);
	}
	/* 1 at once, 1 after 1 s; the other 3 would have gone at 2, 3, 4 s */
	T_EQ_INT(ok, 2);
	T_EQ_INT(limited, 3);
	T_EQ_INT(seen("pins.create", NULL, NULL, NULL, 100), 2);
	plex_client_free(c);
}

/* 429 with Retry-After: no call for that long, the next one then works;
 * a Retry-After longer than the queue wait makes the waiting calls give up
 * unsent; one over the maximum is capped. */
static void
test_retry_after_honoured(void)
{
	plex_client_t *c = client_new_paced(fx.url, 0, 0, 1000, 1000, 10000, 0, 1500);
	struct result a, b, d, e;
	int64_t t[4];
	char date[64];
	time_t when;
	struct tm tm;

	ctl_reset();
	ctl_fault_ex("pins.create", "status:429", 1, ",\"retry_after\":\"1\"");
	result_init(&a);
	result_init(&b);
	T_EQ_INT(plex_pin_create(c, on_pin, &a), PO_OK);
	T_RESULT(&a, PLEX_RATE_LIMITED);
	T_EQ_INT(plex_pin_create(c, on_pin, &b), PO_OK);
	T_RESULT(&b, PLEX_OK);
	T_EQ_INT(seen("pins.create", t, NULL, NULL, 4), 2);
	T_CHECK(t[1] - t[0] >= 950);
	/* an HTTP-date 3 s ahead, capped at backoff_max_ms = 1500 */
	ctl_reset();
	when = time(NULL) + 3;
	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), ",\"retry_after\":\"%a, %d %b %Y %H:%M:%S GMT\"", &tm);
	ctl_fault_ex("user", "status:429", 1, date);
	result_init(&d);
	result_init(&e);
	T_EQ_INT(plex_user_get(c, "NotARealPlexToken123", on_user, &d), PO_OK);
	T_RESULT(&d, PLEX_RATE_LIMITED);
	T_EQ_INT(plex_user_get(c, "NotARealPlexToken123", on_user, &e), PO_OK);
	T_RESULT(&e, PLEX_UNAUTHORIZED);
	T_EQ_INT(seen("user", t, NULL, NULL, 4), 2);
	T_CHECK(t[1] - t[0] >= 1400 && t[1] - t[0] < 2900);
	result_clear(&a);
	result_clear(&b);
	result_clear(&d);
	result_clear(&e);
	plex_client_free(c);

	/* Retry-After 60 with a queue wait of 800 ms: waiting calls give up */
	c = client_new_paced(fx.url, 0, 0, 1000, 1000, 800, 0, 60000);
	ctl_reset();
	ctl_fault_ex("pins.create", "status:429", 1, ",\"retry_after\":60");
	result_init(&a);
	result_init(&b);
	T_EQ_INT(plex_pin_create(c, on_pin, &a), PO_OK);
	T_RESULT(&a, PLEX_RATE_LIMITED);
	T_EQ_INT(plex_pin_create(c, on_pin, &b), PO_OK);
	T_RESULT(&b, PLEX_RATE_LIMITED);
	T_EQ_INT(seen("pins.create", NULL, NULL, NULL, 4), 1); /* never sent */
	result_clear(&a);
	result_clear(&b);
	plex_client_free(c);
}

/* 429 without Retry-After: back off 300, 600, 1200 ms; an answer resets. */
static void
test_backoff_exponential(void)
{
	plex_client_t *c = client_new_paced(fx.url, 0, 0, 1000, 1000, 10000, 300, 5000);
	enum plex_status want[] = { PLEX_RATE_LIMITED, PLEX_RATE_LIMITED, PLEX_RATE_LIMITED, PLEX_OK, PLEX_RATE_LIMITED,
		PLEX_OK };
	int64_t t[6], gaps[5];
	size_t i;

	ctl_reset();
	ctl_fault("pins.create", "status:429", 3);
	for (i = 0; i < 6; i++) {
		struct result r;

		if (i == 4)
			ctl_fault("pins.create", "status:429", 1);
		result_init(&r);
		T_EQ_INT(plex_pin_create(c, on_pin, &r), PO_OK);
		T_RESULT(&r, want[i]);
		result_clear(&r);
	}
	T_EQ_INT(seen("pins.create", t, NULL, NULL, 6), 6);
	for (i = 0; i < 5; i++)
		gaps[i] = t[i + 1] - t[i];
	T_CHECK(gaps[0] >= 280 && gaps[0] < 1000);
	T_CHECK(gaps[1] >= 580 && gaps[1] < 1400);
	T_CHECK(gaps[2] >= 1180 && gaps[2] < 2400);
	T_CHECK(gaps[3] < 280);                    /* after a 201: no back-off */
	T_CHECK(gaps[4] >= 280 && gaps[4] < 1000); /* the run starts over */
	if (t_cur_failed)
		fprintf(stderr, "    gaps %lld %lld %lld %lld %lld\n", (long long)gaps[0], (long long)gaps[1],
		    (long long)gaps[2], (long long)gaps[3], (long long)gaps[4]);
	plex_client_free(c);
}

/* Redirects: followed to hosts under api_url's (the token along), kept
 * method on 301/307/308, GET after 303; refused to other hosts (the token
 * never sent there); at most LIM_PLEX_REDIRECTS_MAX hops. */
static void
test_redirects(void)
{
	char lhost[64], sub[160], other[160], hosts[8][64], methods[8][8];
	plex_client_t *c = NULL;
	struct result r;
	char *tok = preset_token("hank");
	json_t *log = NULL, *e = NULL;
	size_t i, n;
	int port = atoi(strrchr(fx.url, ':') + 1);

	/* api_url names "localhost": clients.localhost is under it (curl
	 * resolves every *.localhost to loopback itself). */
	snprintf(lhost, sizeof(lhost), "http://localhost:%d", port);
	snprintf(sub, sizeof(sub), ",\"location\":\"http://clients.localhost:%d\"", port);
	snprintf(other, sizeof(other), ",\"location\":\"http://127.0.0.1:%d\"", port);
	c = client_new(lhost, 0, 0);

	ctl_reset();
	ctl_fault_ex("user", "redirect:301", 1, sub);
	result_init(&r);
	T_EQ_INT(plex_user_get(c, tok ? tok : "x", on_user, &r), PO_OK);
	T_RESULT(&r, PLEX_OK);
	T_EQ_STR(r.uuid, "4f1a2b3c5d6e7f80");
	result_clear(&r);
	n = seen("user", NULL, methods, hosts, 8);
	T_EQ_INT(n, 2);
	T_CHECK(str_has_prefix(hosts[1], strlen(hosts[1]), "clients.localhost:"));
	log = ctl_json("/__fake/log");
	json_array_foreach(log, i, e)
		T_CHECK(json_is_true(json_object_get(json_object_get(e, "headers"), "x-plex-token")));
	json_decref(log);

	/* POST kept on 308 (the PIN is created at the new place) */
	ctl_reset();
	ctl_fault_ex("pins.create", "redirect:308", 1, sub);
	result_init(&r);
	T_EQ_INT(plex_pin_create(c, on_pin, &r), PO_OK);
	T_RESULT(&r, PLEX_OK);
	result_clear(&r);
	T_EQ_INT(seen("pins.create", NULL, methods, hosts, 8), 2);
	T_EQ_STR(methods[1], "POST");

	/* 303: GET (which plex.tv's PIN path does not answer: unavailable) */
	ctl_reset();
	ctl_fault_ex("pins.create", "redirect:303", 1, "");
	result_init(&r);
	T_EQ_INT(plex_pin_create(c, on_pin, &r), PO_OK);
	T_CHECK(result_wait(&r, WAIT_MS));
	T_EQ_STR(plex_status_name(r.st), "unavailable");
	result_clear(&r);
	log = ctl_json("/__fake/log");
	T_EQ_INT(json_array_size(log), 2);
	T_EQ_STR(json_string_value(json_object_get(json_array_get(log, 1), "method")), "GET");
	json_decref(log);

	/* to another host (127.0.0.1 is not localhost): refused, not sent */
	ctl_reset();
	ctl_fault_ex("user", "redirect:302", 1, other);
	result_init(&r);
	T_EQ_INT(plex_user_get(c, tok ? tok : "x", on_user, &r), PO_OK);
	T_RESULT(&r, PLEX_UNAVAILABLE);
	result_clear(&r);
	T_EQ_INT(seen("user", NULL, NULL, NULL, 8), 1);

	/* a loop: LIM_PLEX_REDIRECTS_MAX hops, then "unavailable" */
	ctl_reset();
	ctl_fault_ex("resources", "redirect:307", 0, "");
	result_init(&r);
	T_EQ_INT(plex_resources_get(c, tok ? tok : "x", on_resources, &r), PO_OK);
	T_RESULT(&r, PLEX_UNAVAILABLE);
	result_clear(&r);
	T_EQ_INT(seen("resources", NULL, NULL, NULL, 8), 1 + LIM_PLEX_REDIRECTS_MAX);
	ctl_reset();

	plex_client_free(c);
	str_free_secret(tok);
}

int
main(void)
{
	int rc;

	fx.main_thread = pthread_self();
	log_set_level(getenv("PO_TEST_LOG") ? LOG_DEBUG : LOG_ERROR);
	T_RUN(test_classify);
	T_RUN(test_retry_after);
	T_RUN(test_redirect_ok);
	T_RUN(test_pace);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || fake_start() != 0) {
		fprintf(stderr, "cannot start the fake plex.tv (node tests/fake-plex/fake-plex.mjs)\n");
		t_fail++;
		return T_DONE();
	}
	atexit(fake_stop);
	T_RUN(test_budget);
	T_RUN(test_queue_wait);
	T_RUN(test_retry_after_honoured);
	T_RUN(test_backoff_exponential);
	T_RUN(test_redirects);
	fake_stop();
	rc = T_DONE();
	curl_global_cleanup();
	return rc;
}
