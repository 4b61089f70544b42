/*
 * metrics.c - counters and their exposition (see metrics.h).
 */
#include <stdlib.h>

#include "metrics.h"

/* Upper bounds of the plex.tv latency histogram, in milliseconds; the last
 * bucket is +Inf. One table for counting and for rendering. */
static const int64_t plex_bucket_ms[] = { 50, 100, 250, 500, 1000, 2500, 5000 };
#define PLEX_BUCKETS (sizeof(plex_bucket_ms) / sizeof(plex_bucket_ms[0]) + 1)

static const struct {
	const char *name;
	const char *help;
} counters[M_COUNT] = {
	[M_LOGINS_STARTED] = { "plexoidc_logins_started_total", "Login pages shown (authorization requests accepted)." },
	[M_LOGINS_SUCCEEDED] = { "plexoidc_logins_succeeded_total",
	    "Logins that ended with an authorization code or a forward-auth session." },
	[M_LOGINS_DENIED] = { "plexoidc_logins_denied_total",
	    "Plex sign-ins refused: the server is not shared with the account." },
	[M_ACCESS_UNVERIFIABLE] = { "plexoidc_access_unverifiable_total",
	    "Shares of the server refused because plex.tv sent them without ownerId while [plex] owner_id is set." },
	[M_TOKENS_ISSUED] = { "plexoidc_tokens_issued_total", "Successful code exchanges at the token endpoint." },
	[M_RATE_LIMITED] = { "plexoidc_rate_limited_total", "Requests answered 429 Too Many Requests." },
	[M_APP_DENIED] = { "plexoidc_app_denied_total",
	    "Users with access to the Plex server refused by an app's allow list." },
};

static const char *const gate_decisions[MG_COUNT] = {
	[MG_ALLOWED] = "allowed",
	[MG_SIGN_IN] = "sign_in",
	[MG_DENIED] = "denied",
	[MG_REFUSED] = "refused",
	[MG_UNAVAILABLE] = "unavailable",
};

struct metrics {
	uint64_t c[M_COUNT];
	uint64_t gate[MG_COUNT];
	uint64_t plex_calls[PLEX_EP_COUNT];
	uint64_t plex_errors[PLEX_EP_COUNT];
	uint64_t plex_bucket[PLEX_EP_COUNT][PLEX_BUCKETS];
	uint64_t plex_sum_us[PLEX_EP_COUNT];
};

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ADD(x, n) __atomic_add_fetch(&(x), (n), __ATOMIC_RELAXED)

metrics_t *
metrics_new(void)
{
	return calloc(1, sizeof(metrics_t));
}

void
metrics_free(metrics_t *m)
{
	free(m);
}

void
metrics_inc(metrics_t *m, enum metric c)
{
	if (m != NULL && (unsigned)c < M_COUNT)
		ADD(m->c[c], 1);
}

void
metrics_gate(metrics_t *m, enum metric_gate d)
{
	if (m != NULL && (unsigned)d < MG_COUNT)
		ADD(m->gate[d], 1);
}

void
metrics_plex_observe(void *arg, enum plex_endpoint ep, long http_status, int64_t latency_us)
{
	metrics_t *m = arg;
	size_t i;

	if (m == NULL || (unsigned)ep >= PLEX_EP_COUNT)
		return;
	ADD(m->plex_calls[ep], 1);
	if (http_status < 200 || http_status >= 300)
		ADD(m->plex_errors[ep], 1);
	for (i = 0; i < PLEX_BUCKETS - 1 && latency_us / 1000 >= plex_bucket_ms[i]; i++)
		;
	ADD(m->plex_bucket[ep][i], 1);
	ADD(m->plex_sum_us[ep], (uint64_t)latency_us);
}

static int
per_endpoint(buf_t *out, const char *name, const char *help, const uint64_t *v)
{
	int rc, ep;

	if ((rc = buf_appendf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)) != PO_OK)
		return rc;
	for (ep = 0; ep < PLEX_EP_COUNT; ep++)
		if ((rc = buf_appendf(out, "%s{endpoint=\"%s\"} %llu\n", name, plex_endpoint_name(ep),
		         (unsigned long long)LOAD(v[ep]))) != PO_OK)
			return rc;
	return PO_OK;
}

static int
histogram(metrics_t *m, buf_t *out)
{
	static const char h[] = "plexoidc_plex_request_duration_seconds";
	int rc, ep;
	size_t i;

	if ((rc = buf_appendf(out, "# HELP %s Latency of calls to plex.tv.\n# TYPE %s histogram\n", h, h)) != PO_OK)
		return rc;
	for (ep = 0; ep < PLEX_EP_COUNT; ep++) {
		const char *e = plex_endpoint_name(ep);
		uint64_t cum = 0;

		for (i = 0; i < PLEX_BUCKETS; i++) {
			cum += LOAD(m->plex_bucket[ep][i]);
			if (i < PLEX_BUCKETS - 1)
				rc = buf_appendf(out, "%s_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n", h, e,
				    (double)plex_bucket_ms[i] / 1000.0, (unsigned long long)cum);
			else
				rc = buf_appendf(out, "%s_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n", h, e, (unsigned long long)cum);
			if (rc != PO_OK)
				return rc;
		}
		if ((rc = buf_appendf(out, "%s_sum{endpoint=\"%s\"} %.6f\n%s_count{endpoint=\"%s\"} %llu\n", h, e,
		         (double)LOAD(m->plex_sum_us[ep]) / 1e6, h, e, (unsigned long long)cum)) != PO_OK)
			return rc;
	}
	return PO_OK;
}

/* One counter per store call, labelled op. */
static int
per_op(buf_t *out, const char *name, const char *help, const uint64_t *v)
{
	int rc, op;

	if ((rc = buf_appendf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)) != PO_OK)
		return rc;
	for (op = 0; op < STORE_OP_COUNT; op++)
		if ((rc = buf_appendf(out, "%s{op=\"%s\"} %llu\n", name, store_op_name(op), (unsigned long long)v[op])) !=
		    PO_OK)
			return rc;
	return PO_OK;
}

/* The shared store's families (none for the memory store): whether it is
 * reachable, its calls, failures and latency per call, the transactions
 * redone, and the connections opened. */
static int
store_metrics(store_t *store, buf_t *out)
{
	static const char h[] = "plexoidc_store_request_duration_seconds";
	store_health_t health;
	store_stats_t st;
	int rc, op;
	size_t i;

	store_health(store, false, &health);
	store_stats(store, &st);
	if ((rc = buf_appendf(out,
	         "# HELP plexoidc_store_up Whether the last call to the shared store (%s) reached it.\n"
	         "# TYPE plexoidc_store_up gauge\nplexoidc_store_up %d\n",
	         health.backend, health.up ? 1 : 0)) != PO_OK ||
	    (rc = per_op(out, "plexoidc_store_requests_total", "Calls to the shared store.", st.calls)) != PO_OK ||
	    (rc = per_op(out, "plexoidc_store_errors_total",
	         "Calls to the shared store that failed (unreachable, timed out, refused): answered \"try again\".",
	         st.errors)) != PO_OK ||
	    (rc = buf_appendf(out, "# HELP %s Latency of calls to the shared store.\n# TYPE %s histogram\n", h, h)) != PO_OK)
		return rc;
	for (op = 0; op < STORE_OP_COUNT; op++) {
		const char *o = store_op_name(op);
		uint64_t cum = 0;

		for (i = 0; i < STORE_LAT_BUCKETS; i++) {
			cum += st.lat[op][i];
			if (i < STORE_LAT_BUCKETS - 1)
				rc = buf_appendf(out, "%s_bucket{op=\"%s\",le=\"%g\"} %llu\n", h, o,
				    (double)store_lat_bound_us[i] / 1e6, (unsigned long long)cum);
			else
				rc = buf_appendf(out, "%s_bucket{op=\"%s\",le=\"+Inf\"} %llu\n", h, o, (unsigned long long)cum);
			if (rc != PO_OK)
				return rc;
		}
		if ((rc = buf_appendf(out, "%s_sum{op=\"%s\"} %.6f\n%s_count{op=\"%s\"} %llu\n", h, o,
		         (double)st.lat_sum_us[op] / 1e6, h, o, (unsigned long long)cum)) != PO_OK)
			return rc;
	}
	return buf_appendf(out,
	    "# HELP plexoidc_store_conflicts_total Updates tried again because another replica changed the record.\n"
	    "# TYPE plexoidc_store_conflicts_total counter\nplexoidc_store_conflicts_total %llu\n"
	    "# HELP plexoidc_store_connects_total Connections opened to the shared store.\n"
	    "# TYPE plexoidc_store_connects_total counter\nplexoidc_store_connects_total %llu\n"
	    "# HELP plexoidc_store_connect_failures_total Connections to the shared store that could not be opened.\n"
	    "# TYPE plexoidc_store_connect_failures_total counter\nplexoidc_store_connect_failures_total %llu\n",
	    (unsigned long long)st.conflicts, (unsigned long long)st.connects, (unsigned long long)st.connect_failures);
}

int
metrics_render(metrics_t *m, store_t *store, buf_t *out)
{
	int rc = PO_OK, i;

	for (i = 0; i < M_COUNT; i++)
		if ((rc = buf_appendf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name, counters[i].help,
		         counters[i].name, counters[i].name, (unsigned long long)LOAD(m->c[i]))) != PO_OK)
			goto out;
	if ((rc = buf_puts(out, "# HELP plexoidc_forward_auth_total Forward-auth answers to the reverse proxy, by "
	                        "decision.\n# TYPE plexoidc_forward_auth_total counter\n")) != PO_OK)
		goto out;
	for (i = 0; i < MG_COUNT; i++)
		if ((rc = buf_appendf(out, "plexoidc_forward_auth_total{decision=\"%s\"} %llu\n", gate_decisions[i],
		         (unsigned long long)LOAD(m->gate[i]))) != PO_OK)
			goto out;
	/* A shared store is not counted (it is every replica's): no gauge. */
	if ((!store_shared(store) &&
	        (rc = buf_appendf(out,
	             "# HELP plexoidc_pending_logins Logins waiting in memory.\n"
	             "# TYPE plexoidc_pending_logins gauge\nplexoidc_pending_logins %zu\n",
	             store_count(store, STORE_LOGINS))) != PO_OK) ||
	    (store_shared(store) && (rc = store_metrics(store, out)) != PO_OK) ||
	    (rc = per_endpoint(out, "plexoidc_plex_requests_total", "Calls to plex.tv by endpoint.", m->plex_calls)) != PO_OK ||
	    (rc = per_endpoint(out, "plexoidc_plex_errors_total",
	         "Calls to plex.tv that failed (transport error or non-2xx).", m->plex_errors)) != PO_OK)
		goto out;
	rc = histogram(m, out);
out:
	return rc;
}
