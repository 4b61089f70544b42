/*
 * ratelimit.c - token buckets in a fixed table (see ratelimit.h).
 *
 * Budgets per client address, generous enough for a household behind one
 * NAT address and for relying parties that call /token for all their users
 * from one address, tight enough that a script cannot make us hammer
 * plex.tv (which rate-limits us in turn, docs/PLEX-API.md "Rate limits": 429/1003).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/ipaddr.h"
#include "core/rnd.h"
#include "po_limits.h"
#include "store/ratelimit.h"

#define RL_GROUPS 1024 /* power of two */
#define RL_WAYS 4      /* clients per group */

/* The budgets, from po_limits.h (the reasons are there). */
static const struct {
	double burst;      /* bucket size */
	double per_second; /* refill rate */
} rl_budget[RL_CLASSES] = {
	[RL_AUTHORIZE] = { LIM_RL_AUTHORIZE_BURST, LIM_RL_AUTHORIZE_PER_MIN / 60.0 },
	[RL_PIN] = { LIM_RL_PIN_BURST, LIM_RL_PIN_PER_MIN / 60.0 },
	[RL_POLL] = { LIM_RL_POLL_BURST, LIM_RL_POLL_PER_MIN / 60.0 },
	[RL_TOKEN] = { LIM_RL_TOKEN_BURST, LIM_RL_TOKEN_PER_MIN / 60.0 },
};

struct slot {
	unsigned char key[IPADDR_KEY_LEN]; /* ipaddr_key(): family byte + address (IPv6: /64) */
	bool used;
	int64_t last_ms;
	double tokens[RL_CLASSES];
	int64_t refilled_ms[RL_CLASSES];
};

struct ratelimit {
	pthread_mutex_t lock;
	uint64_t seed;
	struct slot slots[RL_GROUPS][RL_WAYS];
};

ratelimit_t *
ratelimit_new(void)
{
	ratelimit_t *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	/* A secret seed, so nobody can aim many addresses at one group. */
	if (rnd_bytes(&r->seed, sizeof(r->seed)) != 0)
		r->seed = (uint64_t)(uintptr_t)r;
	return r;
}

void
ratelimit_free(ratelimit_t *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* IPv4-mapped addresses are the IPv4 address (ipaddr.h: otherwise every
 * IPv4 client behind a dual-stack socket would share the ::ffff:0:0/64
 * bucket); IPv6 keeps the /64; unparsable addresses share one bucket. */
static void
make_key(const char *ip, unsigned char key[IPADDR_KEY_LEN])
{
	ipaddr_t a;

	ipaddr_parse(ip, &a);
	ipaddr_key(&a, key);
}

static uint64_t
mix(uint64_t seed, const unsigned char *k, size_t n)
{
	uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= k[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}

bool
ratelimit_take(ratelimit_t *r, enum rl_class cls, const char *client_ip, int64_t now_ms, int *retry_after_s)
{
	unsigned char key[IPADDR_KEY_LEN];
	struct slot *grp, *s = NULL, *oldest = NULL;
	bool ok;
	int i;

	make_key(client_ip ? client_ip : "", key);
	pthread_mutex_lock(&r->lock);
	grp = r->slots[mix(r->seed, key, sizeof(key)) & (RL_GROUPS - 1)];
	for (i = 0; i < RL_WAYS; i++) {
		if (grp[i].used && memcmp(grp[i].key, key, sizeof(key)) == 0) {
			s = &grp[i];
			break;
		}
		if (oldest == NULL || !grp[i].used || (oldest->used && grp[i].last_ms < oldest->last_ms))
			oldest = &grp[i];
	}
	if (s == NULL) {
		s = oldest;
		memset(s, 0, sizeof(*s));
		memcpy(s->key, key, sizeof(key));
		s->used = true;
		for (i = 0; i < RL_CLASSES; i++) {
			s->tokens[i] = rl_budget[i].burst;
			s->refilled_ms[i] = now_ms;
		}
	}
	s->last_ms = now_ms;
	if (now_ms > s->refilled_ms[cls]) {
		s->tokens[cls] += (double)(now_ms - s->refilled_ms[cls]) / 1000.0 * rl_budget[cls].per_second;
		if (s->tokens[cls] > rl_budget[cls].burst)
			s->tokens[cls] = rl_budget[cls].burst;
		s->refilled_ms[cls] = now_ms;
	}
	ok = s->tokens[cls] >= 1.0;
	if (ok) {
		s->tokens[cls] -= 1.0;
	} else if (retry_after_s) {
		double wait = (1.0 - s->tokens[cls]) / rl_budget[cls].per_second;
		int w = (int)wait;
		if ((double)w < wait)
			w++; /* round up: never tell a client to come back too early */
		*retry_after_s = w < 1 ? 1 : w;
	}
	pthread_mutex_unlock(&r->lock);
	return ok;
}
