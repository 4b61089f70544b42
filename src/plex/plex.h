/*
 * plex.h - the asynchronous plex.tv client.
 *
 * One worker thread runs a libcurl multi handle: every plex.tv call of every
 * login is in flight on it at once, so a slow plex.tv never holds an HTTP
 * thread (issue: "a slow plex.tv must not slow anyone else"). Calls have the
 * connect and total timeouts of po_limits.h and read at most LIM_PLEX_BODY_MAX.
 *
 * Every call sends Accept: application/json, X-Plex-Client-Identifier (the
 * persisted one), X-Plex-Product, X-Plex-Version, X-Plex-Platform and
 * X-Plex-Device; user calls send the token in X-Plex-Token (never in a URL,
 * so it cannot reach a log).
 *
 * Completion callbacks run on the worker thread, exactly once per accepted
 * call (also on shutdown, with PLEX_CANCELLED). They must not block; they may
 * start further calls (refused once plex_client_free has begun) but must not
 * call plex_client_free. The struct passed to a callback is non-NULL exactly
 * when the status is PLEX_OK, and borrowed for the duration of the callback
 * only (copy the token out if it is needed later).
 *
 * The application calls curl_global_init() before plex_client_new() (it is
 * not thread-safe, so it belongs in main). The worker thread starts with
 * every signal blocked, so SIGPIPE from a closed TLS connection and the
 * process signals never land on it.
 *
 * Pace (plex_pace.h): every call takes a token from ONE budget shared by
 * all logins (plex.tv limits per IP address), and after a 429 no call is
 * sent until the back-off ends (Retry-After, or exponential). Until then
 * calls wait in the client's queue, in order, for at most the queue wait;
 * a call that waited longer completes with PLEX_RATE_LIMITED without
 * having been sent.
 *
 * Redirects (3xx with a Location) are followed by the client itself, at
 * most LIM_PLEX_REDIRECTS_MAX hops, each checked first
 * (plex_rules_redirect_ok: https hosts under plex.tv, or api_url's own
 * host and hosts under it): the X-Plex-Token header goes to no other
 * host. A redirect elsewhere, or one hop too many, is PLEX_UNAVAILABLE.
 * Each hop takes a token; all hops share the call's total timeout.
 *
 * Result mapping (plex_rules.h has the whole table; docs/PLEX-API.md
 * "Answers, errors and what the user sees"):
 *   2xx with a body that parses       -> PLEX_OK
 *   429 (error 1003), or waited in the queue longer than the queue wait
 *                                     -> PLEX_RATE_LIMITED
 *   401 with code 1001, 422 "Invalid token" (any call); any 401 on /user
 *   and /resources                    -> PLEX_UNAUTHORIZED (sign in again)
 *   404 on a PIN poll                 -> PLEX_NOT_FOUND (expired or unknown)
 *   anything else (5xx, other 4xx, timeouts, connection errors, refused
 *   redirects, unparsable or oversized bodies) -> PLEX_UNAVAILABLE
 */
#ifndef PO_PLEX_PLEX_H
#define PO_PLEX_PLEX_H

#include <stdint.h>

#include "plex/plex_parse.h"

typedef struct plex_client plex_client_t;

enum plex_status {
	PLEX_OK = 0,
	PLEX_UNAUTHORIZED, /* the token (or the sign-in) was refused: sign in again */
	PLEX_NOT_FOUND,    /* the PIN is gone (expired, unknown) */
	PLEX_UNAVAILABLE,  /* plex.tv failed or is unreachable: "Plex is not answering" */
	PLEX_CANCELLED,    /* the client is shutting down */
	/* Slow down and try later: plex.tv answered 429 (error 1003), or the
	 * call waited longer than the queue wait for the budget or a
	 * back-off and was never sent. Never "denied", and not "Plex is
	 * down": the same call is likely to work a little later. */
	PLEX_RATE_LIMITED,
};

typedef struct plex_opts {
	const char *api_url;           /* "https://plex.tv" (no trailing slash) */
	const char *client_identifier; /* persisted UUID */
	const char *product;           /* X-Plex-Product */
	const char *version;           /* X-Plex-Version (our version); NULL: not sent */
	/* Per-call timeouts in milliseconds; 0 means LIM_PLEX_CONNECT_TIMEOUT_MS
	 * and LIM_PLEX_TOTAL_TIMEOUT_MS. Tests shorten them. */
	long connect_timeout_ms;
	long total_timeout_ms;
	/* The budget and back-off (plex_pace.h); 0 means the po_limits.h
	 * values LIM_PLEX_BUDGET_PER_S, LIM_PLEX_BUDGET_BURST,
	 * LIM_PLEX_QUEUE_WAIT_MS, LIM_PLEX_BACKOFF_BASE_MS and
	 * LIM_PLEX_BACKOFF_MAX_MS. Tests shorten them. */
	double budget_per_s;
	double budget_burst;
	long queue_wait_ms;
	long backoff_base_ms;
	long backoff_max_ms;
} plex_opts_t;

/* Which plex.tv endpoint a call hit, for metrics and logs. */
enum plex_endpoint {
	PLEX_EP_PIN_CREATE = 0,
	PLEX_EP_PIN_CHECK,
	PLEX_EP_USER,
	PLEX_EP_RESOURCES,
	PLEX_EP_COUNT
};

/* Optional observer called on the worker thread after every completed call
 * that was sent (not for cancelled ones, nor for calls that gave up waiting
 * in the queue), just before its callback, with the endpoint, the HTTP
 * status of the last hop (0 when no response arrived) and the latency from
 * the call to its completion (queue wait included). */
typedef void (*plex_observer_fn)(void *arg, enum plex_endpoint ep, long http_status, int64_t latency_us);

typedef void (*plex_pin_cb)(void *arg, enum plex_status st, const plex_pin_t *pin);
typedef void (*plex_user_cb)(void *arg, enum plex_status st, const plex_user_t *user);
typedef void (*plex_resources_cb)(void *arg, enum plex_status st, const plex_resources_t *res);

/* Creates the client and starts its worker thread. Strings in opts are
 * copied. PO_OK, PO_ERR_INVALID (api_url not http(s):// or over
 * LIM_URL_MAX, client_identifier or product missing, a value with a control
 * character, a negative timeout or budget value), PO_ERR_NOMEM or
 * PO_ERR_INTERNAL (curl or thread setup). */
int plex_client_new(const plex_opts_t *opts, plex_client_t **out);
/* Sets the observer (call before the first request). */
void plex_client_set_observer(plex_client_t *c, plex_observer_fn fn, void *arg);
/* Stops the worker: calls in flight are aborted and their callbacks run with
 * PLEX_CANCELLED before this returns. Then frees. Accepts NULL. Not from a
 * callback (it waits for the worker thread). */
void plex_client_free(plex_client_t *c);

/* POST /api/v2/pins?strong=true. The callback gets the new PIN (201).
 * Returns PO_OK if the call was queued (the callback will run), else
 * PO_ERR_LIMIT (LIM_PLEX_INFLIGHT_MAX calls already in flight or queued, or
 * the client is shutting down), PO_ERR_INVALID (bad argument: a pin_id <= 0, a token
 * that fails plex_token_ok()) or PO_ERR_NOMEM, and the callback will not
 * run. The same for the calls below. */
int plex_pin_create(plex_client_t *c, plex_pin_cb cb, void *arg);
/* GET /api/v2/pins/ID. pin->auth_token is NULL while not yet approved. */
int plex_pin_check(plex_client_t *c, int64_t pin_id, plex_pin_cb cb, void *arg);
/* GET /api/v2/user with the user's token (copied, wiped after the call). */
int plex_user_get(plex_client_t *c, const char *token, plex_user_cb cb, void *arg);
/* GET /api/v2/resources?includeHttps=1&includeRelay=1 with the user's token. */
int plex_resources_get(plex_client_t *c, const char *token, plex_resources_cb cb, void *arg);

/* Static name of a status / endpoint, for logs and metrics. */
const char *plex_status_name(enum plex_status st);
const char *plex_endpoint_name(enum plex_endpoint ep);

#endif
