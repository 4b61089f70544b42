/*
 * plex.c - the asynchronous plex.tv client (see plex.h).
 *
 * Threads and ownership:
 *   - Any thread calls plex_pin_create() & co. The call builds a request
 *     (plex_req.h: an easy handle with its URL, headers and callback) in the
 *     caller's thread, so allocation failures are reported synchronously,
 *     then puts it on `queue` under `mu` and wakes the worker
 *     (curl_multi_wakeup).
 *   - The worker thread alone touches the multi handle, the pace and the
 *     requests it has taken: it moves queued requests to `waiting` (FIFO),
 *     sends the head of `waiting` whenever the pace allows (plex_pace.h: one
 *     budget, back-off after a 429), gives up on those that waited longer
 *     than the queue wait (PLEX_RATE_LIMITED, never sent), drives transfers
 *     with curl_multi_perform/poll, and completes each finished request:
 *     follow a checked redirect, or classify, parse, observer, callback,
 *     free. Callbacks run without `mu` held, so they may start new calls.
 *   - plex_client_free() sets `stopping` under `mu`, wakes the worker and
 *     joins it; the worker then cancels what is active, waiting and still
 *     queued. Once `stopping` is set, new calls are refused, so the lists
 *     cannot grow while they are drained.
 *
 * Result mapping is plex_rules.h's; only a parsable 2xx is PLEX_OK.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "po_limits.h"
#include "plex/plex.h"
#include "plex/plex_pace.h"
#include "plex/plex_req.h"
#include "plex/plex_rules.h"

/* Longest wait in curl_multi_poll when nothing happens. New requests and
 * shutdown wake it at once (curl_multi_wakeup), curl shortens it for its
 * own timers and the worker for the pace, so this only bounds an idle loop. */
#define PLEX_IDLE_POLL_MS 1000

struct plex_client {
	/* Immutable after plex_client_new. */
	char *api_url;
	char *client_identifier;
	char *product;
	char *version;
	long connect_timeout_ms;
	long total_timeout_ms;
	long queue_wait_ms;
	CURLM *multi; /* used by the worker; curl_multi_wakeup from any thread */
	pthread_t thread;
	bool thread_started;
	bool mu_inited;

	/* Guarded by mu. */
	pthread_mutex_t mu;
	struct plex_req_list queue;
	size_t inflight; /* accepted and not yet completed: queued + waiting + active */
	bool stopping;
	plex_observer_fn obs;
	void *obs_arg;

	/* Worker thread only. */
	struct plex_req_list waiting; /* for the pace, oldest first */
	struct plex_req_list active;  /* in the multi handle */
	plex_pace_t pace;
};

const char *
plex_status_name(enum plex_status st)
{
	switch (st) {
	case PLEX_OK: return "ok";
	case PLEX_UNAUTHORIZED: return "unauthorized";
	case PLEX_NOT_FOUND: return "not_found";
	case PLEX_UNAVAILABLE: return "unavailable";
	case PLEX_CANCELLED: return "cancelled";
	case PLEX_RATE_LIMITED: return "rate_limited";
	}
	return "unknown";
}

const char *
plex_endpoint_name(enum plex_endpoint ep)
{
	switch (ep) {
	case PLEX_EP_PIN_CREATE: return "pin_create";
	case PLEX_EP_PIN_CHECK: return "pin_check";
	case PLEX_EP_USER: return "user";
	case PLEX_EP_RESOURCES: return "resources";
	case PLEX_EP_COUNT: break;
	}
	return "unknown";
}

/* ---- Submitting ---- */

/* Hands a built request to the worker. On failure the request is freed and
 * the callback will not run. */
static int
submit(plex_client_t *c, struct plex_req *r)
{
	int rc = PO_OK;

	pthread_mutex_lock(&c->mu);
	if (c->stopping || c->inflight >= LIM_PLEX_INFLIGHT_MAX) {
		rc = PO_ERR_LIMIT;
	} else {
		c->inflight++;
		r->obs = c->obs;
		r->obs_arg = c->obs_arg;
		r->start_us = clock_mono_us();
		r->queued_ms = clock_mono_ms();
		plex_req_list_push(&c->queue, r);
	}
	pthread_mutex_unlock(&c->mu);
	if (rc != PO_OK) {
		plex_req_free(r);
		return rc;
	}
	/* The worker may be in curl_multi_poll: have it pick the request up. */
	curl_multi_wakeup(c->multi);
	return PO_OK;
}

/* ---- Completion (worker thread) ---- */

/* The status of a finished transfer before the body is parsed; PLEX_OK
 * means "2xx, go parse". Feeds 429s and other answers to the pace. */
static enum plex_status
classify(plex_client_t *c, const struct plex_req *r, CURLcode cc, long http)
{
	const char *what = plex_endpoint_name(r->ep);
	enum plex_status st;

	if (cc != CURLE_OK) {
		if (r->body_over || cc == CURLE_FILESIZE_EXCEEDED)
			log_warn("plex: %s: HTTP %ld, answer over %d bytes", what, http, LIM_PLEX_BODY_MAX);
		else
			log_warn("plex: %s: %s (curl %d)", what, r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc),
			    (int)cc);
		return PLEX_UNAVAILABLE;
	}
	if (http >= 200 && http < 300) {
		plex_pace_answered(&c->pace);
		return PLEX_OK;
	}
	st = plex_rules_classify(r->ep, http, buf_str(&r->body), r->body.len);
	if (st == PLEX_RATE_LIMITED) {
		struct curl_header *h = NULL;
		int64_t ra = -1, wait;

		if (curl_easy_header(r->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h != NULL)
			ra = plex_rules_retry_after_ms(h->value, (int64_t)time(NULL));
		wait = plex_pace_limited(&c->pace, clock_mono_ms(), ra);
		log_warn("plex: %s: HTTP 429 (rate limited%s): no call to plex.tv for %lld ms", what,
		    ra >= 0 ? ", with Retry-After" : "", (long long)wait);
		return st;
	}
	plex_pace_answered(&c->pace);
	switch (st) {
	case PLEX_UNAUTHORIZED:
		/* Expected (a revoked token): not a warning. */
		log_info("plex: %s: HTTP %ld, token or sign-in not accepted", what, http);
		break;
	case PLEX_NOT_FOUND:
		log_info("plex: %s: HTTP 404, PIN expired or unknown", what);
		break;
	default:
		log_warn("plex: %s: HTTP %ld", what, http);
		break;
	}
	return st;
}

/* Logs an unparsable 2xx answer (never its content: it may hold a token). */
static enum plex_status
parsed(const struct plex_req *r, long http, int prc)
{
	if (prc == PO_OK)
		return PLEX_OK;
	log_warn("plex: %s: HTTP %ld with an unusable body of %zu bytes (%s)", plex_endpoint_name(r->ep), http,
	    r->body.len, po_strerror(prc));
	return PLEX_UNAVAILABLE;
}

/* Runs the callback (and the observer, for a call that was sent) of a
 * request whose outcome is known: st_in is PLEX_OK for a transfer that
 * finished (classified and parsed here), or the outcome itself. */
static void
req_complete(plex_client_t *c, struct plex_req *r, CURLcode cc, enum plex_status st_in)
{
	plex_pin_t pin = { 0 };
	plex_user_t user = { 0 };
	plex_resources_t res = { 0 };
	enum plex_status st = st_in;
	long http = 0;
	bool sent = r->deadline_ms != 0 && st_in != PLEX_CANCELLED;

	if (sent)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
	if (st == PLEX_OK) {
		st = classify(c, r, cc, http);
		if (st == PLEX_OK) {
			const char *b = buf_str(&r->body);
			size_t n = r->body.len;

			switch (r->ep) {
			case PLEX_EP_PIN_CREATE:
			case PLEX_EP_PIN_CHECK: st = parsed(r, http, plex_parse_pin(b, n, &pin)); break;
			case PLEX_EP_USER: st = parsed(r, http, plex_parse_user(b, n, &user)); break;
			case PLEX_EP_RESOURCES: st = parsed(r, http, plex_parse_resources(b, n, &res)); break;
			case PLEX_EP_COUNT: st = PLEX_UNAVAILABLE; break;
			}
		}
	}
	if (sent && r->obs != NULL)
		r->obs(r->obs_arg, r->ep, http, clock_mono_us() - r->start_us);

	switch (r->ep) {
	case PLEX_EP_PIN_CREATE:
	case PLEX_EP_PIN_CHECK: r->pin_cb(r->arg, st, st == PLEX_OK ? &pin : NULL); break;
	case PLEX_EP_USER: r->user_cb(r->arg, st, st == PLEX_OK ? &user : NULL); break;
	case PLEX_EP_RESOURCES: r->res_cb(r->arg, st, st == PLEX_OK ? &res : NULL); break;
	case PLEX_EP_COUNT: break;
	}
	plex_pin_clear(&pin); /* wipes the token */
	plex_user_clear(&user);
	plex_resources_clear(&res);
}

/* Completes a request the worker has taken off its lists, frees it, and
 * releases its in-flight slot (after the callback, which may start more). */
static void
finish(plex_client_t *c, struct plex_req *r, CURLcode cc, enum plex_status st)
{
	req_complete(c, r, cc, st);
	plex_req_free(r);
	pthread_mutex_lock(&c->mu);
	c->inflight--;
	pthread_mutex_unlock(&c->mu);
}

/* ---- The worker ---- */

/* Moves the shared queue to `waiting`. Returns whether the client is
 * stopping. */
static bool
take_queue(plex_client_t *c)
{
	struct plex_req *r;
	bool stopping;

	pthread_mutex_lock(&c->mu);
	while ((r = c->queue.head) != NULL) {
		plex_req_list_unlink(&c->queue, r);
		plex_req_list_push(&c->waiting, r);
	}
	stopping = c->stopping;
	pthread_mutex_unlock(&c->mu);
	return stopping;
}

/* Sends what the pace allows, gives up on what waited too long, and
 * returns how long the worker may sleep before the pace needs it again
 * (at most PLEX_IDLE_POLL_MS). */
static int
pace_waiting(plex_client_t *c)
{
	int64_t now = clock_mono_ms(), wait = PLEX_IDLE_POLL_MS, w;
	struct plex_req *r;

	/* Give up on calls that waited too long for the pace (never sent),
	 * and on redirect hops whose call ran out of time. */
	for (r = c->waiting.head; r != NULL;) {
		struct plex_req *next = r->next;

		if (r->deadline_ms == 0 && now - r->queued_ms >= c->queue_wait_ms) {
			plex_req_list_unlink(&c->waiting, r);
			log_warn("plex: %s: not sent: waited %lld ms for the plex.tv budget or back-off",
			    plex_endpoint_name(r->ep), (long long)(now - r->queued_ms));
			finish(c, r, CURLE_OK, PLEX_RATE_LIMITED);
		} else if (r->deadline_ms != 0 && r->deadline_ms <= now) {
			plex_req_list_unlink(&c->waiting, r);
			log_warn("plex: %s: timed out following redirects", plex_endpoint_name(r->ep));
			finish(c, r, CURLE_OPERATION_TIMEDOUT, PLEX_UNAVAILABLE);
		}
		r = next;
	}
	while ((r = c->waiting.head) != NULL && (w = plex_pace_wait_ms(&c->pace, now)) == 0) {
		plex_req_list_unlink(&c->waiting, r);
		plex_pace_take(&c->pace, now);
		if (r->deadline_ms == 0)
			r->deadline_ms = now + c->total_timeout_ms;
		if (plex_req_timeout(r, (long)(r->deadline_ms - now)) != PO_OK ||
		    curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
			log_error("plex: %s: curl_multi_add_handle failed", plex_endpoint_name(r->ep));
			finish(c, r, CURLE_FAILED_INIT, PLEX_UNAVAILABLE);
			continue;
		}
		plex_req_list_push(&c->active, r);
	}
	/* Wake for the pace, or for the first call to give up on. */
	if (c->waiting.head != NULL && (w = plex_pace_wait_ms(&c->pace, now)) < wait)
		wait = w;
	for (r = c->waiting.head; r != NULL; r = r->next) {
		w = (r->deadline_ms == 0 ? r->queued_ms + c->queue_wait_ms : r->deadline_ms) - now;
		if (w < wait)
			wait = w;
	}
	return (int)(wait < 1 ? 1 : wait);
}

static void
cancel_list(plex_client_t *c, struct plex_req_list *l)
{
	struct plex_req *r;

	while ((r = l->head) != NULL) {
		plex_req_list_unlink(l, r);
		finish(c, r, CURLE_OK, PLEX_CANCELLED);
	}
}

static void *
worker(void *arg)
{
	plex_client_t *c = arg;
	struct plex_req *r = NULL;
	CURLMsg *m = NULL;
	int running = 0, left = 0, wait_ms;

	for (;;) {
		if (take_queue(c))
			break;
		wait_ms = pace_waiting(c);
		curl_multi_perform(c->multi, &running);
		while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
			CURL *e = m->easy_handle;
			CURLcode cc = m->data.result;
			char *priv = NULL;
			long http = 0;

			if (m->msg != CURLMSG_DONE)
				continue;
			/* m is invalid after remove_handle: copied above. */
			curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
			r = (struct plex_req *)(void *)priv;
			curl_multi_remove_handle(c->multi, e);
			plex_req_list_unlink(&c->active, r);
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http);
			if (cc == CURLE_OK && http >= 300 && http < 400 && plex_req_follow(r, c->api_url, http)) {
				/* The next hop takes a token like any call: first in line. */
				plex_req_list_push_front(&c->waiting, r);
				wait_ms = 0;
				continue;
			}
			finish(c, r, cc, PLEX_OK);
		}
		curl_multi_poll(c->multi, NULL, 0, wait_ms, NULL);
	}

	/* Stopping: nothing new can arrive. */
	while ((r = c->active.head) != NULL) {
		plex_req_list_unlink(&c->active, r);
		curl_multi_remove_handle(c->multi, r->easy);
		finish(c, r, CURLE_OK, PLEX_CANCELLED);
	}
	cancel_list(c, &c->waiting);
	take_queue(c); /* calls the callbacks above tried to start were refused */
	cancel_list(c, &c->waiting);
	return NULL;
}

/* ---- Client ---- */

static bool
opts_ok(const plex_opts_t *o)
{
	const char *host = NULL;
	size_t n;

	if (o == NULL || !plex_req_header_value_ok(o->api_url, LIM_URL_MAX) ||
	    !plex_req_header_value_ok(o->client_identifier, LIM_URL_MAX) || !plex_req_header_value_ok(o->product, LIM_URL_MAX))
		return false;
	if (o->version != NULL && !plex_req_header_value_ok(o->version, LIM_URL_MAX))
		return false;
	n = strlen(o->api_url);
	if (str_has_prefix(o->api_url, n, "https://"))
		host = o->api_url + strlen("https://");
	else if (str_has_prefix(o->api_url, n, "http://"))
		host = o->api_url + strlen("http://");
	else
		return false;
	if (*host == '\0' || *host == '/')
		return false;
	return o->connect_timeout_ms >= 0 && o->total_timeout_ms >= 0 && o->budget_per_s >= 0 && o->budget_burst >= 0 &&
	    o->queue_wait_ms >= 0 && o->backoff_base_ms >= 0 && o->backoff_max_ms >= 0;
}

void
plex_client_free(plex_client_t *c)
{
	if (c == NULL)
		return;
	if (c->thread_started) {
		pthread_mutex_lock(&c->mu);
		c->stopping = true;
		pthread_mutex_unlock(&c->mu);
		curl_multi_wakeup(c->multi);
		pthread_join(c->thread, NULL);
	}
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	if (c->mu_inited)
		pthread_mutex_destroy(&c->mu);
	free(c->api_url);
	free(c->client_identifier);
	free(c->product);
	free(c->version);
	free(c);
}

int
plex_client_new(const plex_opts_t *opts, plex_client_t **out)
{
	plex_client_t *c = NULL;
	sigset_t all, old;
	int rc = PO_ERR_INVALID;

	*out = NULL;
	if (!opts_ok(opts))
		goto out;
	rc = PO_ERR_NOMEM;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	if ((c->api_url = str_dup(opts->api_url)) == NULL ||
	    (c->client_identifier = str_dup(opts->client_identifier)) == NULL ||
	    (c->product = str_dup(opts->product)) == NULL ||
	    (opts->version != NULL && (c->version = str_dup(opts->version)) == NULL))
		goto out;
	/* "https://plex.tv/" + "/api/v2/..." would be a different path. */
	for (size_t n = strlen(c->api_url); n > 0 && c->api_url[n - 1] == '/'; n--)
		c->api_url[n - 1] = '\0';
	c->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : LIM_PLEX_CONNECT_TIMEOUT_MS;
	c->total_timeout_ms = opts->total_timeout_ms ? opts->total_timeout_ms : LIM_PLEX_TOTAL_TIMEOUT_MS;
	c->queue_wait_ms = opts->queue_wait_ms ? opts->queue_wait_ms : LIM_PLEX_QUEUE_WAIT_MS;
	plex_pace_init(&c->pace, opts->budget_per_s > 0 ? opts->budget_per_s : LIM_PLEX_BUDGET_PER_S,
	    opts->budget_burst > 0 ? opts->budget_burst : LIM_PLEX_BUDGET_BURST,
	    opts->backoff_base_ms ? opts->backoff_base_ms : LIM_PLEX_BACKOFF_BASE_MS,
	    opts->backoff_max_ms ? opts->backoff_max_ms : LIM_PLEX_BACKOFF_MAX_MS, clock_mono_ms());

	rc = PO_ERR_INTERNAL;
	if (pthread_mutex_init(&c->mu, NULL) != 0)
		goto out;
	c->mu_inited = true;
	if ((c->multi = curl_multi_init()) == NULL)
		goto out;

	/* The worker inherits a mask with every signal blocked: SIGPIPE from a
	 * peer that closed a TLS connection stays pending instead of killing
	 * the process (CURLOPT_NOSIGNAL leaves SIGPIPE to us), and process
	 * signals go to threads that handle them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&c->thread, NULL, worker, c) == 0)
		c->thread_started = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!c->thread_started)
		goto out;

	*out = c;
	c = NULL; /* transferred */
	rc = PO_OK;
out:
	plex_client_free(c);
	return rc;
}

/* A request to api_url + path with this client's headers. */
static int
req_new(plex_client_t *c, enum plex_endpoint ep, const char *path, const char *token, struct plex_req **out)
{
	return plex_req_new(ep, c->api_url, path, token, c->client_identifier, c->product, c->version,
	    c->connect_timeout_ms, out);
}

void
plex_client_set_observer(plex_client_t *c, plex_observer_fn fn, void *arg)
{
	pthread_mutex_lock(&c->mu);
	c->obs = fn;
	c->obs_arg = arg;
	pthread_mutex_unlock(&c->mu);
}

int
plex_pin_create(plex_client_t *c, plex_pin_cb cb, void *arg)
{
	struct plex_req *r = NULL;
	int rc;

	if (cb == NULL)
		return PO_ERR_INVALID;
	if ((rc = req_new(c, PLEX_EP_PIN_CREATE, "/api/v2/pins?strong=true", NULL, &r)) != PO_OK)
		return rc;
	r->pin_cb = cb;
	r->arg = arg;
	return submit(c, r);
}

int
plex_pin_check(plex_client_t *c, int64_t pin_id, plex_pin_cb cb, void *arg)
{
	struct plex_req *r = NULL;
	char path[64];
	int rc;

	if (cb == NULL || pin_id <= 0)
		return PO_ERR_INVALID;
	snprintf(path, sizeof(path), "/api/v2/pins/%" PRId64, pin_id);
	if ((rc = req_new(c, PLEX_EP_PIN_CHECK, path, NULL, &r)) != PO_OK)
		return rc;
	r->pin_cb = cb;
	r->arg = arg;
	return submit(c, r);
}

/* The two user calls differ only in path and callback type. */
static int
user_call(plex_client_t *c, enum plex_endpoint ep, const char *path, const char *token, struct plex_req **out)
{
	*out = NULL;
	if (token == NULL || !plex_token_ok(token, strnlen(token, LIM_PLEX_TOKEN_MAX + 1)))
		return PO_ERR_INVALID;
	return req_new(c, ep, path, token, out);
}

int
plex_user_get(plex_client_t *c, const char *token, plex_user_cb cb, void *arg)
{
	struct plex_req *r = NULL;
	int rc;

	if (cb == NULL)
		return PO_ERR_INVALID;
	if ((rc = user_call(c, PLEX_EP_USER, "/api/v2/user", token, &r)) != PO_OK)
		return rc;
	r->user_cb = cb;
	r->arg = arg;
	return submit(c, r);
}

int
plex_resources_get(plex_client_t *c, const char *token, plex_resources_cb cb, void *arg)
{
	struct plex_req *r = NULL;
	int rc;

	if (cb == NULL)
		return PO_ERR_INVALID;
	if ((rc = user_call(c, PLEX_EP_RESOURCES, "/api/v2/resources?includeHttps=1&includeRelay=1", token, &r)) !=
	    PO_OK)
		return rc;
	r->res_cb = cb;
	r->arg = arg;
	return submit(c, r);
}
