/*
 * plex_fixture.h - the fake plex.tv fixture shared by the plex client tests
 * (test_plex_client.c, test_plex_pace.c): starts
 * `node tests/fake-plex/fake-plex.mjs --port 0` (PO_FAKE_PLEX overrides the
 * script path), reads its {"port":N} line, tells it what to do through its
 * control API with plain blocking libcurl calls, and collects the client's
 * callbacks. The fake is killed at exit, and by the kernel if the test dies
 * first (PR_SET_PDEATHSIG). Include once, from the test's .c file.
 */
#ifndef PO_TESTS_PLEX_FIXTURE_H
#define PO_TESTS_PLEX_FIXTURE_H

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

#define SID "0123456789abcdef0123456789abcdef01234567"
#define CID "5f3c8a0e-2d4b-4c1e-9a7f-0b6d2e8c4a11"
#define PRODUCT "plex-oidc test"
#define VERSION "0.1.0-test"
/* How long a test waits for one callback before calling it lost. */
#define WAIT_MS 15000

/* The test fixture: one fake and one shared client. Tests take no
 * arguments (t.h), hence a file-level instance. */
static struct {
	pid_t pid;
	char url[64];
	plex_client_t *client;
	pthread_t main_thread;
} fx = { .pid = -1 };

/* ---- The fake ---- */

static inline void
fake_stop(void)
{
	if (fx.pid > 0) {
		kill(fx.pid, SIGTERM);
		waitpid(fx.pid, NULL, 0);
		fx.pid = -1;
	}
}

static inline int
fake_start(void)
{
	const char *script = getenv("PO_FAKE_PLEX");
	char line[256];
	size_t used = 0;
	int pfd[2], rc = -1;
	int64_t deadline;
	json_t *j = NULL;
	pid_t parent = getpid();

	if (script == NULL)
		script = "tests/fake-plex/fake-plex.mjs";
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	if ((fx.pid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (fx.pid == 0) {
		/* Dies with us even if we crash before fake_stop. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		dup2(pfd[1], STDOUT_FILENO);
		execlp("node", "node", script, "--port", "0", "--server-id", SID, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	deadline = clock_mono_ms() + 10000;
	while (used < sizeof(line) - 1 && memchr(line, '\n', used) == NULL) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int64_t left = deadline - clock_mono_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			goto out;
		if ((n = read(pfd[0], line + used, sizeof(line) - 1 - used)) <= 0)
			goto out;
		used += (size_t)n;
	}
	if ((j = json_loadb(line, (size_t)((char *)memchr(line, '\n', used) - line), 0, NULL)) == NULL ||
	    !json_is_integer(json_object_get(j, "port")))
		goto out;
	snprintf(fx.url, sizeof(fx.url), "http://127.0.0.1:%d", (int)json_integer_value(json_object_get(j, "port")));
	rc = 0;
out:
	json_decref(j);
	close(pfd[0]);
	if (rc != 0)
		fake_stop();
	return rc;
}

static inline size_t
ctl_body(char *p, size_t size, size_t n, void *arg)
{
	return buf_append(arg, p, size * n) == PO_OK ? size * n : 0;
}

/* One blocking control-API (or raw API) call. headers may be NULL. Returns
 * the HTTP status, or -1. out (optional) gets the body. */
static inline long
http_call(const char *method, const char *path, const char *body, struct curl_slist *headers, buf_t *out)
{
	CURL *e = curl_easy_init();
	char url[256];
	buf_t scratch;
	long status = -1;

	buf_init(&scratch, 64 * 1024 * 1024);
	if (out == NULL)
		out = &scratch;
	if (e == NULL)
		return -1;
	snprintf(url, sizeof(url), "%s%s", fx.url, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	if (headers != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, ctl_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)out);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	buf_free(&scratch);
	return status;
}

static inline long
ctl(const char *path, const char *json_body)
{
	return http_call(json_body ? "POST" : "GET", path, json_body, NULL, NULL);
}

static inline void
ctl_reset(void)
{
	T_EQ_INT(ctl("/__fake/reset", "{}"), 200);
}

/* A fault; extra is more JSON members (",\"retry_after\":2") or "". */
static inline void
ctl_fault_ex(const char *endpoint, const char *mode, int times, const char *extra)
{
	char body[512];

	if (times > 0)
		snprintf(body, sizeof(body), "{\"endpoint\":\"%s\",\"mode\":\"%s\",\"times\":%d%s}", endpoint, mode, times,
		    extra);
	else
		snprintf(body, sizeof(body), "{\"endpoint\":\"%s\",\"mode\":\"%s\"%s}", endpoint, mode, extra);
	T_EQ_INT(ctl("/__fake/fault", body), 200);
}

static inline void
ctl_fault(const char *endpoint, const char *mode, int times)
{
	ctl_fault_ex(endpoint, mode, times, "");
}

/* GET a control endpoint and parse its JSON. NULL on failure. */
static inline json_t *
ctl_json(const char *path)
{
	buf_t b;
	json_t *j = NULL;

	buf_init(&b, 64 * 1024 * 1024);
	if (http_call("GET", path, NULL, NULL, &b) == 200)
		j = json_loadb(buf_str(&b), b.len, 0, NULL);
	buf_free(&b);
	return j;
}

/* The preset user's fixed token (malloc'd), from /__fake/users. */
static inline char *
preset_token(const char *name)
{
	json_t *users = ctl_json("/__fake/users"), *u = NULL;
	char *tok = NULL;
	size_t i;

	json_array_foreach(users, i, u) {
		if (str_eq(json_string_value(json_object_get(u, "name")), name))
			tok = str_dup(json_string_value(json_object_get(u, "token")));
	}
	json_decref(users);
	return tok;
}

/* ---- Collecting callbacks ---- */

struct result {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int calls;      /* must end at exactly 1 */
	bool on_main;   /* a callback ran on the main thread (must not) */
	bool struct_ok; /* struct non-NULL exactly when PLEX_OK */
	enum plex_status st;
	int64_t done_us;
	int64_t pin_id;
	char *code, *token;
	char *uuid, *username, *email, *display;
	bool restricted, home;
	size_t n;
	enum plex_access access;
	plex_client_t *chain; /* pin callback: start a check of the new PIN */
	struct result *chain_res;
	int chain_rc;
};

static inline void
result_init(struct result *r)
{
	pthread_condattr_t a;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &a);
	pthread_condattr_destroy(&a);
	r->st = (enum plex_status) - 1;
	r->chain_rc = 1;
}

static inline void
result_clear(struct result *r)
{
	free(r->code);
	str_free_secret(r->token);
	free(r->uuid);
	free(r->username);
	free(r->email);
	free(r->display);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
}

/* Waits until the callback ran; false on timeout. */
static inline bool
result_wait(struct result *r, int ms)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mu);
	while (r->calls == 0)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) == ETIMEDOUT)
			break;
	ok = r->calls > 0;
	pthread_mutex_unlock(&r->mu);
	return ok;
}

static inline void
result_done(struct result *r, enum plex_status st, const void *s)
{
	r->calls++;
	r->st = st;
	r->on_main = r->on_main || pthread_equal(pthread_self(), fx.main_thread);
	r->struct_ok = (s != NULL) == (st == PLEX_OK);
	r->done_us = clock_mono_us();
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static inline void
on_pin(void *arg, enum plex_status st, const plex_pin_t *pin)
{
	struct result *r = arg;

	pthread_mutex_lock(&r->mu);
	if (pin != NULL) {
		r->pin_id = pin->id;
		r->code = str_dup(pin->code);
		r->token = str_dup(pin->auth_token);
		if (r->chain != NULL)
			r->chain_rc = plex_pin_check(r->chain, pin->id, on_pin, r->chain_res);
	}
	result_done(r, st, pin);
}

static inline void
on_user(void *arg, enum plex_status st, const plex_user_t *u)
{
	struct result *r = arg;

	pthread_mutex_lock(&r->mu);
	if (u != NULL) {
		r->uuid = str_dup(u->uuid);
		r->username = str_dup(u->username);
		r->email = str_dup(u->email);
		r->display = str_dup(plex_user_display_name(u));
		r->restricted = u->restricted;
		r->home = u->home;
	}
	result_done(r, st, u);
}

static inline void
on_resources(void *arg, enum plex_status st, const plex_resources_t *res)
{
	struct result *r = arg;

	pthread_mutex_lock(&r->mu);
	if (res != NULL) {
		r->n = res->n;
		char sid[] = SID, *ids[] = { sid };
		r->access = policy_server_access(res, ids, 1, 0, 0, NULL);
	}
	result_done(r, st, res);
}

/* Checks a finished call: one callback, off the main thread, the struct
 * present exactly on success, and the expected status. */
#define T_RESULT(r, want)                                                    \
	do {                                                                 \
		T_CHECK(result_wait((r), WAIT_MS));                          \
		T_EQ_INT((r)->calls, 1);                                     \
		T_CHECK(!(r)->on_main);                                      \
		T_CHECK((r)->struct_ok);                                     \
		T_EQ_STR(plex_status_name((r)->st), plex_status_name(want)); \
	} while (0)

/* Runs one call to completion on the shared client. */
static inline void
do_pin_create(struct result *r)
{
	result_init(r);
	T_EQ_INT(plex_pin_create(fx.client, on_pin, r), PO_OK);
	T_CHECK(result_wait(r, WAIT_MS));
}

static inline void
do_pin_check(struct result *r, int64_t id)
{
	result_init(r);
	T_EQ_INT(plex_pin_check(fx.client, id, on_pin, r), PO_OK);
	T_CHECK(result_wait(r, WAIT_MS));
}

static inline void
do_user(struct result *r, const char *token)
{
	result_init(r);
	T_EQ_INT(plex_user_get(fx.client, token, on_user, r), PO_OK);
	T_CHECK(result_wait(r, WAIT_MS));
}

static inline void
do_resources(struct result *r, const char *token)
{
	result_init(r);
	T_EQ_INT(plex_resources_get(fx.client, token, on_resources, r), PO_OK);
	T_CHECK(result_wait(r, WAIT_MS));
}

/* A client of the fake with the given timeouts (0: defaults) and a budget
 * so large it never paces (the pace has its own tests, with
 * client_new_paced). */
static inline plex_client_t *
client_new_paced(const char *url, long connect_ms, long total_ms, double per_s, double burst, long queue_wait_ms,
    long backoff_base_ms, long backoff_max_ms)
{
	plex_opts_t o = {
		.api_url = url,
		.client_identifier = CID,
		.product = PRODUCT,
		.version = VERSION,
		.connect_timeout_ms = connect_ms,
		.total_timeout_ms = total_ms,
		.budget_per_s = per_s,
		.budget_burst = burst,
		.queue_wait_ms = queue_wait_ms,
		.backoff_base_ms = backoff_base_ms,
		.backoff_max_ms = backoff_max_ms,
	};
	plex_client_t *c = NULL;

	T_EQ_INT(plex_client_new(&o, &c), PO_OK);
	return c;
}

static inline plex_client_t *
client_new(const char *url, long connect_ms, long total_ms)
{
	return client_new_paced(url, connect_ms, total_ms, 100000, 100000, 0, 0, 0);
}

#endif
