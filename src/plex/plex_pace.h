/*
 * plex_pace.h - one budget for every call to plex.tv, and the back-off
 * after plex.tv says "too many requests".
 *
 * plex.tv answers 429 (error 1003) to clients that call too fast; the
 * limit is believed to be per IP address, and plex-oidc makes the calls of
 * every login from one address. So all calls share one token bucket
 * (`rate_per_s`, `burst`), and a 429 stops every call for a while: for
 * the time its Retry-After asks (RFC 9110 §10.2.3, capped at max_ms), or,
 * without one, base_ms doubled for each 429 in a row, capped at max_ms. A
 * 429 that arrives while a back-off runs answers a call sent before it
 * began: it does not count as another 429 in a row.
 * When the back-off ends, one call goes (a probe) and the bucket refills
 * from then on, so calls resume at the steady rate rather than in a
 * burst. Any other answer ends the run of 429s.
 *
 * Pure: the caller passes the time (monotonic milliseconds) and holds
 * whatever lock guards the struct (plex.c: the worker thread alone).
 */
#ifndef PO_PLEX_PLEX_PACE_H
#define PO_PLEX_PLEX_PACE_H

#include <stdint.h>

typedef struct plex_pace {
	double rate_per_s;       /* tokens added per second */
	double burst;            /* bucket size */
	int64_t base_ms, max_ms; /* back-off without Retry-After; the cap */
	double tokens;
	int64_t refilled_ms;
	int64_t blocked_until_ms; /* no call before this */
	unsigned strikes;         /* 429s in a row */
} plex_pace_t;

/* A full bucket, no back-off. */
void plex_pace_init(plex_pace_t *p, double rate_per_s, double burst, int64_t base_ms, int64_t max_ms, int64_t now_ms);
/* Milliseconds until a call may be sent: 0 when one may go now. */
int64_t plex_pace_wait_ms(plex_pace_t *p, int64_t now_ms);
/* Spends one token; call only when plex_pace_wait_ms() is 0. */
void plex_pace_take(plex_pace_t *p, int64_t now_ms);
/* plex.tv answered 429; retry_after_ms is what its Retry-After asked
 * (plex_rules_retry_after_ms), -1 without one. Returns how long calls now
 * wait (never shortens a back-off already running). */
int64_t plex_pace_limited(plex_pace_t *p, int64_t now_ms, int64_t retry_after_ms);
/* plex.tv answered something else: the run of 429s is over. */
void plex_pace_answered(plex_pace_t *p);

#endif
