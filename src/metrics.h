/*
 * metrics.h - the process's counters, served at /metrics in the Prometheus
 * text exposition format 0.0.4.
 *
 * One metrics_t per process, built by app.c and lent to the modules that
 * count (the router, the login flow, the token endpoint, the plex client's
 * observer). Counters are updated with relaxed atomic adds from any thread;
 * rendering reads them the same way, so a scrape never blocks a request.
 */
#ifndef PO_METRICS_H
#define PO_METRICS_H

#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "plex/plex.h"
#include "store/store.h"

enum metric {
	M_LOGINS_STARTED = 0,  /* login pages shown (authorization requests accepted) */
	M_LOGINS_SUCCEEDED,    /* logins that ended with an authorization code */
	M_LOGINS_DENIED,       /* Plex sign-ins refused: the server is not shared */
	M_ACCESS_UNVERIFIABLE, /* shares refused because they carry no ownerId */
	M_TOKENS_ISSUED,       /* successful code exchanges */
	M_RATE_LIMITED,        /* requests answered 429 */
	M_APP_DENIED,          /* a user refused by an app's allow list */
	M_COUNT
};

/* Forward-auth answers (gate/gate.h), the label "decision" of
 * plexoidc_forward_auth_total. */
enum metric_gate {
	MG_ALLOWED = 0, /* 200: signed in and allowed */
	MG_SIGN_IN,     /* no usable session: sent to sign in (302, or 401 for nginx) */
	MG_DENIED,      /* signed in, not allowed for the app (or the share is gone): 403 */
	MG_REFUSED,     /* not a trusted proxy, a host of no app, unusable headers: 403 */
	MG_UNAVAILABLE, /* plex.tv not answering past the grace, or the store: 503 */
	MG_COUNT
};

typedef struct metrics metrics_t;

/* NULL on allocation failure. */
metrics_t *metrics_new(void);
void metrics_free(metrics_t *m);
/* Adds one to a counter. Accepts a NULL m (tests). */
void metrics_inc(metrics_t *m, enum metric c);
/* Counts one forward-auth answer. Accepts a NULL m. */
void metrics_gate(metrics_t *m, enum metric_gate d);
/* The plex client's observer (plex_client_set_observer, arg = m): counts
 * calls, errors and latency per endpoint. */
void metrics_plex_observe(void *arg, enum plex_endpoint ep, long http_status, int64_t latency_us);
/* Appends the exposition to out; the pending-logins gauge comes from a
 * memory store, the plexoidc_store_* families from a shared one (its
 * last known state: rendering never calls Redis). PO_OK or PO_ERR_LIMIT /
 * PO_ERR_NOMEM. */
int metrics_render(metrics_t *m, store_t *store, buf_t *out) PO_WUR;

#endif
