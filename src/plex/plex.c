/*
 * plex.c - the asynchronous plex.tv client (see plex.h).
 *
 * Threads and ownership:
 *   - Any thread calls plex_pin_create() & co. The call builds a request
 *     (an easy handle with its URL, headers and callback) in the caller's
 *     thread, so allocation failures are reported synchronously, then puts
 *     it on `queue` under `mu` and wakes the worker (curl_multi_wakeup).
 *   - The worker thread alone touches the multi handle and the requests it
 *     has taken: it moves queued requests into the multi handle and the
 *     `active` list, drives transfers with curl_multi_perform/poll, and
 *     completes each finished request: classify, parse, observer, callback,
 *     free. Callbacks run without `mu` held, so they may start new calls.
 *   - plex_client_free() sets `stopping` under `mu`, wakes the worker and
 *     joins it; the worker then cancels what is active and what is still
 *     queued. Once `stopping` is set, new calls are refused, so the two lists
 *     cannot grow while they are drained.
 *
 * Result mapping is in classify() and follows docs/PLEX-API.md ("Answers,
 * errors and what the user sees"): only a 401/422 from a user call is a denial and only a 404 on a
 * PIN means "gone"; everything else that is not a parsable 2xx is "Plex is
 * unavailable", never a guess.
 *
 * Tokens: copied into one header line, never into a URL or a log line; the
 * header list is wiped before it is freed, as is the response body (a PIN
 * answer carries the token).
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "po_limits.h"
#include "plex/plex.h"

/* Longest wait in curl_multi_poll when nothing happens. New requests and
 * shutdown wake it at once (curl_multi_wakeup) and curl shortens it for its
 * own timers, so this only bounds an idle loop. */
#define PLEX_IDLE_POLL_MS 1000
/* A request URL is api_url (at most LIM_URL_MAX) plus one of our paths. */
#define PLEX_REQ_URL_MAX (LIM_URL_MAX + 128)
/* One header line: our own values, or a token (LIM_PLEX_TOKEN_MAX). */
#define PLEX_HEADER_MAX (LIM_PLEX_TOKEN_MAX + LIM_URL_MAX)

struct plex_req {
	struct plex_req *next, *prev; /* queue (next only) or active list */
	enum plex_endpoint ep;
	CURL *easy;
	struct curl_slist *headers; /* may hold the token: wiped on free */
	buf_t body;                 /* bounded by LIM_PLEX_BODY_MAX */
	bool body_over;             /* the write callback hit the bound */
	int64_t start_us;
	plex_observer_fn obs;
	void *obs_arg;
	plex_pin_cb pin_cb;
	plex_user_cb user_cb;
	plex_resources_cb res_cb;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
};

struct plex_client {
	/* Immutable after plex_client_new. */
	char *api_url;
	char *client_identifier;
	char *product;
	char *version;
	long connect_timeout_ms;
	long total_timeout_ms;
	CURLM *multi; /* used by the worker; curl_multi_wakeup from any thread */
	pthread_t thread;
	bool thread_started;
	bool mu_inited;

	/* Guarded by mu. */
	pthread_mutex_t mu;
	struct plex_req *queue_head, *queue_tail;
	size_t inflight; /* accepted and not yet completed: queued + active */
	bool stopping;
	plex_observer_fn obs;
	void *obs_arg;

	/* Worker thread only. */
	struct plex_req *active;
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

/* ---- Requests ---- */

static void
req_free(struct plex_req *r)
{
	struct curl_slist *h;

	if (r == NULL)
		return;
	/* The easy handle refers to the header list: clean it up first. */
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	for (h = r->headers; h != NULL; h = h->next)
		str_wipe(h->data, strlen(h->data));
	curl_slist_free_all(r->headers);
	buf_free(&r->body);
	free(r);
}

/* curl write callback: keeps at most LIM_PLEX_BODY_MAX bytes. Returning
 * less than it was given makes curl abort the transfer (CURLE_WRITE_ERROR),
 * so an endless answer costs at most the bound. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct plex_req *r = arg;
	size_t n = size * nmemb; /* size is always 1 (curl docs) */

	if (buf_append(&r->body, data, n) != PO_OK) {
		r->body_over = true;
		return 0;
	}
	return n;
}

/* Appends one formatted header line to *list. The scratch buffer is the
 * caller's, so a line holding the token is wiped with it. */
static int
header_add(struct curl_slist **list, buf_t *line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
header_add(struct curl_slist **list, buf_t *line, const char *fmt, ...)
{
	struct curl_slist *n = NULL;
	va_list ap;
	int rc;

	buf_reset(line);
	va_start(ap, fmt);
	rc = buf_vappendf(line, fmt, ap);
	va_end(ap);
	if (rc != PO_OK)
		return rc;
	/* curl_slist_append copies; on failure the old list is unchanged. */
	if ((n = curl_slist_append(*list, buf_str(line))) == NULL)
		return PO_ERR_NOMEM;
	*list = n;
	return PO_OK;
}

/* Builds a request for `path` (appended to api_url). token is NULL for the
 * PIN calls. PO_OK, PO_ERR_NOMEM or PO_ERR_INTERNAL (curl refused an
 * option). */
static int
req_new(plex_client_t *c, enum plex_endpoint ep, const char *path, const char *token,
    struct plex_req **out)
{
	struct plex_req *r = NULL;
	buf_t url, line;
	CURLcode cc = CURLE_OK;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	buf_init(&url, PLEX_REQ_URL_MAX);
	buf_init(&line, PLEX_HEADER_MAX);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto out;
	r->ep = ep;
	buf_init(&r->body, LIM_PLEX_BODY_MAX);
	if ((rc = buf_appendf(&url, "%s%s", c->api_url, path)) != PO_OK)
		goto out;

	/* docs/PLEX-API.md "Headers on every call". */
	if ((rc = header_add(&r->headers, &line, "Accept: application/json")) != PO_OK ||
	    (rc = header_add(&r->headers, &line, "X-Plex-Client-Identifier: %s", c->client_identifier)) != PO_OK ||
	    (rc = header_add(&r->headers, &line, "X-Plex-Product: %s", c->product)) != PO_OK ||
	    (rc = header_add(&r->headers, &line, "X-Plex-Platform: Linux")) != PO_OK ||
	    (rc = header_add(&r->headers, &line, "X-Plex-Device: plex-oidc")) != PO_OK)
		goto out;
	if (c->version != NULL &&
	    (rc = header_add(&r->headers, &line, "X-Plex-Version: %s", c->version)) != PO_OK)
		goto out;
	/* The token only ever travels in this header (never the query string,
	 * which ends up in access logs). */
	if (token != NULL && (rc = header_add(&r->headers, &line, "X-Plex-Token: %s", token)) != PO_OK)
		goto out;

	rc = PO_ERR_NOMEM;
	if ((r->easy = curl_easy_init()) == NULL)
		goto out;

#define SETOPT(opt, val)                                                                  \
	do {                                                                                 \
		if (cc == CURLE_OK)                                                              \
			cc = curl_easy_setopt(r->easy, opt, val);                                    \
	} while (0)
	SETOPT(CURLOPT_URL, buf_str(&url)); /* copied by curl */
	SETOPT(CURLOPT_PRIVATE, (void *)r);
	SETOPT(CURLOPT_HTTPHEADER, r->headers);
	SETOPT(CURLOPT_ERRORBUFFER, r->errbuf);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, (void *)r);
	/* No signals from curl (we are one thread among many; timeouts do not
	 * use SIGALRM with the threaded resolver). */
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* plex.tv answers these calls directly; a redirect would be a
	 * misconfiguration or an attack, and would carry the token along. */
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, c->total_timeout_ms);
	/* Refuses a declared Content-Length over the bound before reading;
	 * on_body enforces it for chunked or undeclared answers. */
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)LIM_PLEX_BODY_MAX);
	SETOPT(CURLOPT_USERAGENT, "plex-oidc");
	if (ep == PLEX_EP_PIN_CREATE) {
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDS, "");
		SETOPT(CURLOPT_POSTFIELDSIZE, 0L);
	}
#undef SETOPT
	if (cc != CURLE_OK) {
		log_error("plex: curl_easy_setopt: %s", curl_easy_strerror(cc));
		rc = PO_ERR_INTERNAL;
		goto out;
	}

	*out = r;
	r = NULL; /* transferred */
	rc = PO_OK;
out:
	req_free(r);
	buf_free(&url);
	buf_free(&line); /* wipes the token line */
	return rc;
}

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
		r->next = NULL;
		if (c->queue_tail != NULL)
			c->queue_tail->next = r;
		else
			c->queue_head = r;
		c->queue_tail = r;
	}
	pthread_mutex_unlock(&c->mu);
	if (rc != PO_OK) {
		req_free(r);
		return rc;
	}
	/* The worker may be in curl_multi_poll: have it pick the request up. */
	curl_multi_wakeup(c->multi);
	return PO_OK;
}

/* ---- Completion (worker thread) ---- */

/* Maps the transfer's outcome to a status before the body is looked at.
 * PLEX_OK here means "2xx, go parse". */
static enum plex_status
classify(const struct plex_req *r, CURLcode cc, long http)
{
	const char *what = plex_endpoint_name(r->ep);
	bool user_call = r->ep == PLEX_EP_USER || r->ep == PLEX_EP_RESOURCES;

	if (cc != CURLE_OK) {
		if (r->body_over || cc == CURLE_FILESIZE_EXCEEDED)
			log_warn("plex: %s: HTTP %ld, answer over %d bytes", what, http, LIM_PLEX_BODY_MAX);
		else
			log_warn("plex: %s: %s (curl %d)", what, r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc),
			    (int)cc);
		return PLEX_UNAVAILABLE;
	}
	if (http >= 200 && http < 300)
		return PLEX_OK;
	/* A 401, or the 422 plex.tv sometimes sends for a revoked token: the
	 * user is not signed in. Expected, so not a warning. */
	if (user_call && (http == 401 || http == 422)) {
		log_info("plex: %s: HTTP %ld, token not accepted", what, http);
		return PLEX_UNAUTHORIZED;
	}
	/* 1020: unknown, expired or another client identifier's PIN. */
	if (r->ep == PLEX_EP_PIN_CHECK && http == 404) {
		log_info("plex: %s: HTTP 404, PIN expired or unknown", what);
		return PLEX_NOT_FOUND;
	}
	/* 5xx, 429 (rate limited: 1003), other 4xx: an outage, not a denial. */
	log_warn("plex: %s: HTTP %ld", what, http);
	return PLEX_UNAVAILABLE;
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

/* Classifies, parses, reports and calls back for one finished transfer
 * (cancelled: st_in == PLEX_CANCELLED, nothing is looked at). */
static void
req_complete(struct plex_req *r, CURLcode cc, enum plex_status st_in)
{
	plex_pin_t pin = { 0 };
	plex_user_t user = { 0 };
	plex_resources_t res = { 0 };
	enum plex_status st = st_in;
	long http = 0;

	if (st != PLEX_CANCELLED) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
		if (st == PLEX_OK)
			st = classify(r, cc, http);
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
		if (r->obs != NULL)
			r->obs(r->obs_arg, r->ep, http, clock_mono_us() - r->start_us);
	}

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

/* Completes a request the worker has taken off the lists, frees it, and
 * releases its in-flight slot (after the callback, which may start more). */
static void
finish(plex_client_t *c, struct plex_req *r, CURLcode cc, enum plex_status st)
{
	req_complete(r, cc, st);
	req_free(r);
	pthread_mutex_lock(&c->mu);
	c->inflight--;
	pthread_mutex_unlock(&c->mu);
}

static void
active_link(plex_client_t *c, struct plex_req *r)
{
	r->prev = NULL;
	r->next = c->active;
	if (c->active != NULL)
		c->active->prev = r;
	c->active = r;
}

static void
active_unlink(plex_client_t *c, struct plex_req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		c->active = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

/* Takes the whole queue. Returns whether the client is stopping. */
static bool
take_queue(plex_client_t *c, struct plex_req **q)
{
	bool stopping;

	pthread_mutex_lock(&c->mu);
	*q = c->queue_head;
	c->queue_head = c->queue_tail = NULL;
	stopping = c->stopping;
	pthread_mutex_unlock(&c->mu);
	return stopping;
}

static void
cancel_list(plex_client_t *c, struct plex_req *q)
{
	struct plex_req *r = NULL;

	while ((r = q) != NULL) {
		q = r->next;
		finish(c, r, CURLE_OK, PLEX_CANCELLED);
	}
}

static void *
worker(void *arg)
{
	plex_client_t *c = arg;
	struct plex_req *q = NULL, *r = NULL;
	CURLMsg *m = NULL;
	int running = 0, left = 0;

	for (;;) {
		if (take_queue(c, &q))
			break;
		while ((r = q) != NULL) {
			q = r->next;
			if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
				log_error("plex: %s: curl_multi_add_handle failed", plex_endpoint_name(r->ep));
				finish(c, r, CURLE_FAILED_INIT, PLEX_UNAVAILABLE);
				continue;
			}
			active_link(c, r);
		}
		curl_multi_perform(c->multi, &running);
		while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
			CURL *e = m->easy_handle;
			CURLcode cc = m->data.result;
			char *priv = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			/* m is invalid after remove_handle: copied above. */
			curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
			r = (struct plex_req *)(void *)priv;
			curl_multi_remove_handle(c->multi, e);
			active_unlink(c, r);
			finish(c, r, cc, PLEX_OK);
		}
		curl_multi_poll(c->multi, NULL, 0, PLEX_IDLE_POLL_MS, NULL);
	}

	/* Stopping: q holds what was queued last; nothing new can arrive. */
	while ((r = c->active) != NULL) {
		active_unlink(c, r);
		curl_multi_remove_handle(c->multi, r->easy);
		finish(c, r, CURLE_OK, PLEX_CANCELLED);
	}
	cancel_list(c, q);
	take_queue(c, &q); /* calls the callbacks above tried to start were refused */
	cancel_list(c, q);
	return NULL;
}

/* ---- Client ---- */

/* true if s is non-empty and has no control character: it becomes (part of)
 * a header line or URL, where CR or LF would inject. */
static bool
header_value_ok(const char *s, size_t max)
{
	size_t i, n;

	if (s == NULL || (n = strnlen(s, max + 1)) == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool
opts_ok(const plex_opts_t *o)
{
	const char *host = NULL;
	size_t n;

	if (o == NULL || !header_value_ok(o->api_url, LIM_URL_MAX) ||
	    !header_value_ok(o->client_identifier, LIM_URL_MAX) || !header_value_ok(o->product, LIM_URL_MAX))
		return false;
	if (o->version != NULL && !header_value_ok(o->version, LIM_URL_MAX))
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
	return o->connect_timeout_ms >= 0 && o->total_timeout_ms >= 0;
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
