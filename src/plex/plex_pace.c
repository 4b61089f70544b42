/*
 * plex_pace.c - the plex.tv call budget and back-off (see plex_pace.h).
 */
#include "plex/plex_pace.h"

void
plex_pace_init(plex_pace_t *p, double rate_per_s, double burst, int64_t base_ms, int64_t max_ms, int64_t now_ms)
{
	p->rate_per_s = rate_per_s > 0 ? rate_per_s : 1;
	p->burst = burst >= 1 ? burst : 1;
	p->base_ms = base_ms > 0 ? base_ms : 1;
	p->max_ms = max_ms >= p->base_ms ? max_ms : p->base_ms;
	p->tokens = p->burst;
	p->refilled_ms = now_ms;
	p->blocked_until_ms = 0;
	p->strikes = 0;
}

static void
refill(plex_pace_t *p, int64_t now_ms)
{
	if (now_ms <= p->refilled_ms)
		return;
	p->tokens += (double)(now_ms - p->refilled_ms) / 1000.0 * p->rate_per_s;
	if (p->tokens > p->burst)
		p->tokens = p->burst;
	p->refilled_ms = now_ms;
}

int64_t
plex_pace_wait_ms(plex_pace_t *p, int64_t now_ms)
{
	int64_t wait = 0;

	if (p->blocked_until_ms > now_ms)
		wait = p->blocked_until_ms - now_ms;
	refill(p, now_ms);
	if (p->tokens < 1.0) {
		/* Round up: never come back a millisecond too early. */
		double need = (1.0 - p->tokens) / p->rate_per_s * 1000.0 - 1e-6; /* float noise */
		int64_t ms = (int64_t)need;

		if ((double)ms < need)
			ms++;
		if (ms > wait)
			wait = ms;
	}
	return wait;
}

void
plex_pace_take(plex_pace_t *p, int64_t now_ms)
{
	refill(p, now_ms);
	p->tokens -= 1.0;
}

int64_t
plex_pace_limited(plex_pace_t *p, int64_t now_ms, int64_t retry_after_ms)
{
	int64_t d;

	if (now_ms < p->blocked_until_ms) {
		/* The answer to a call sent before this back-off began (calls go
		 * out together): the same strike. Only a longer Retry-After
		 * extends the back-off. */
		d = retry_after_ms > p->max_ms ? p->max_ms : retry_after_ms;
		if (d >= 0 && now_ms + d > p->blocked_until_ms) {
			p->blocked_until_ms = now_ms + d;
			p->refilled_ms = p->blocked_until_ms;
		}
		return p->blocked_until_ms - now_ms;
	}
	if (p->strikes < 62)
		p->strikes++;
	if (retry_after_ms >= 0) {
		d = retry_after_ms;
	} else {
		/* base, 2 x base, 4 x base, ... */
		d = p->base_ms;
		for (unsigned i = 1; i < p->strikes && d < p->max_ms; i++)
			d *= 2;
	}
	if (d > p->max_ms)
		d = p->max_ms;
	p->blocked_until_ms = now_ms + d;
	/* One call (a probe) at the end of the back-off, then the steady
	 * rate: the bucket refills only from then on. */
	p->tokens = 1.0;
	p->refilled_ms = p->blocked_until_ms;
	return d;
}

void
plex_pace_answered(plex_pace_t *p)
{
	p->strikes = 0;
}
