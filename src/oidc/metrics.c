/*
 * metrics.c - the Prometheus text exposition (format 0.0.4) of the
 * provider's counters: logins, denials, plex.tv calls, errors and latency,
 * tokens, rate limiting. Counters are updated with relaxed atomics from any
 * thread and read the same way here.
 */
#include "core/err.h"
#include "oidc/oidc.h"

static const double plex_bucket_s[8] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, -1 };

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static int
counter(buf_t *out, const char *name, const char *help, uint64_t v)
{
	return buf_appendf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
	    (unsigned long long)v);
}

int
oidc_metrics_render(oidc_t *o, buf_t *out)
{
	oidc_metrics_t *m = &o->metrics;
	int rc = PO_OK, ep, i;

	rc |= counter(out, "plexoidc_logins_started_total", "Login pages shown (authorization requests accepted).",
	    LOAD(m->logins_started));
	rc |= counter(out, "plexoidc_logins_succeeded_total", "Logins that ended with an authorization code.",
	    LOAD(m->logins_succeeded));
	rc |= counter(out, "plexoidc_logins_denied_total", "Plex sign-ins refused: the server is not shared with the account.",
	    LOAD(m->logins_denied));
	rc |= counter(out, "plexoidc_tokens_issued_total", "Successful code exchanges at the token endpoint.",
	    LOAD(m->tokens_issued));
	rc |= counter(out, "plexoidc_rate_limited_total", "Requests answered 429 Too Many Requests.", LOAD(m->rate_limited));
	rc |= buf_appendf(out, "# HELP plexoidc_pending_logins Logins waiting in memory.\n"
	                       "# TYPE plexoidc_pending_logins gauge\nplexoidc_pending_logins %zu\n",
	    ttl_cache_count(o->logins));
	rc |= buf_puts(out, "# HELP plexoidc_plex_requests_total Calls to plex.tv by endpoint.\n"
	                    "# TYPE plexoidc_plex_requests_total counter\n");
	for (ep = 0; ep < PLEX_EP_COUNT; ep++)
		rc |= buf_appendf(out, "plexoidc_plex_requests_total{endpoint=\"%s\"} %llu\n", plex_endpoint_name(ep),
		    (unsigned long long)LOAD(m->plex_calls[ep]));
	rc |= buf_puts(out, "# HELP plexoidc_plex_errors_total Calls to plex.tv that failed (transport error or non-2xx).\n"
	                    "# TYPE plexoidc_plex_errors_total counter\n");
	for (ep = 0; ep < PLEX_EP_COUNT; ep++)
		rc |= buf_appendf(out, "plexoidc_plex_errors_total{endpoint=\"%s\"} %llu\n", plex_endpoint_name(ep),
		    (unsigned long long)LOAD(m->plex_errors[ep]));
	rc |= buf_puts(out, "# HELP plexoidc_plex_request_duration_seconds Latency of calls to plex.tv.\n"
	                    "# TYPE plexoidc_plex_request_duration_seconds histogram\n");
	for (ep = 0; ep < PLEX_EP_COUNT; ep++) {
		uint64_t cum = 0;
		for (i = 0; i < 8; i++) {
			cum += LOAD(m->plex_latency_bucket[ep][i]);
			if (plex_bucket_s[i] < 0)
				rc |= buf_appendf(out, "plexoidc_plex_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
				    plex_endpoint_name(ep), (unsigned long long)cum);
			else
				rc |= buf_appendf(out, "plexoidc_plex_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
				    plex_endpoint_name(ep), plex_bucket_s[i], (unsigned long long)cum);
		}
		rc |= buf_appendf(out, "plexoidc_plex_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n",
		    plex_endpoint_name(ep), (double)LOAD(m->plex_latency_sum_us[ep]) / 1e6);
		rc |= buf_appendf(out, "plexoidc_plex_request_duration_seconds_count{endpoint=\"%s\"} %llu\n",
		    plex_endpoint_name(ep), (unsigned long long)cum);
	}
	return rc == PO_OK ? PO_OK : PO_ERR_LIMIT;
}
