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
 * Result mapping (docs/PLEX-API.md "Answers, errors and what the user sees"):
 *   2xx with a body that parses      -> PLEX_OK
 *   401, 422 on /user and /resources -> PLEX_UNAUTHORIZED (token invalid)
 *   404 on a PIN                     -> PLEX_NOT_FOUND (expired or unknown)
 *   anything else (5xx, 429, other 4xx, timeouts, connection errors,
 *   unparsable or oversized bodies)  -> PLEX_UNAVAILABLE ("try again")
 */
#ifndef PO_PLEX_PLEX_H
#define PO_PLEX_PLEX_H

#include <stdint.h>

#include "plex/plex_parse.h"

typedef struct plex_client plex_client_t;

enum plex_status {
	PLEX_OK = 0,
	PLEX_UNAUTHORIZED,
	PLEX_NOT_FOUND,
	PLEX_UNAVAILABLE,
	PLEX_CANCELLED,
	/* 429: "slow down and try later", neither "denied" nor "down". */
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
} plex_opts_t;

/* Which plex.tv endpoint a call hit, for metrics and logs. */
enum plex_endpoint { PLEX_EP_PIN_CREATE = 0, PLEX_EP_PIN_CHECK, PLEX_EP_USER, PLEX_EP_RESOURCES, PLEX_EP_COUNT };

/* Optional observer called on the worker thread after every completed call
 * (not for cancelled ones), just before its callback, with the endpoint, the
 * HTTP status (0 when no response arrived) and the latency from the call to
 * its completion. */
typedef void (*plex_observer_fn)(void *arg, enum plex_endpoint ep, long http_status, int64_t latency_us);

typedef void (*plex_pin_cb)(void *arg, enum plex_status st, const plex_pin_t *pin);
typedef void (*plex_user_cb)(void *arg, enum plex_status st, const plex_user_t *user);
typedef void (*plex_resources_cb)(void *arg, enum plex_status st, const plex_resources_t *res);

/* Creates the client and starts its worker thread. Strings in opts are
 * copied. PO_OK, PO_ERR_INVALID (api_url not http(s):// or over
 * LIM_URL_MAX, client_identifier or product missing, a value with a control
 * character, a negative timeout), PO_ERR_NOMEM or PO_ERR_INTERNAL (curl or
 * thread setup). */
int plex_client_new(const plex_opts_t *opts, plex_client_t **out);
/* Sets the observer (call before the first request). */
void plex_client_set_observer(plex_client_t *c, plex_observer_fn fn, void *arg);
/* Stops the worker: calls in flight are aborted and their callbacks run with
 * PLEX_CANCELLED before this returns. Then frees. Accepts NULL. Not from a
 * callback (it waits for the worker thread). */
void plex_client_free(plex_client_t *c);

/* POST /api/v2/pins?strong=true. The callback gets the new PIN (201).
 * Returns PO_OK if the call was queued (the callback will run), else
 * PO_ERR_LIMIT (LIM_PLEX_INFLIGHT_MAX calls already in flight, or the client
 * is shutting down), PO_ERR_INVALID (bad argument: a pin_id <= 0, a token
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
