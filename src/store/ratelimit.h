/*
 * ratelimit.h - per-client token buckets for the endpoints that cost
 * something (authorization, PIN creation and polling, token).
 *
 * A fixed-size table: memory does not grow with the number of clients. Each
 * slot group holds a few clients; a new client takes the least recently seen
 * slot of its group, so a flood of addresses only forgets other flooders'
 * (and idle clients') buckets, which start full again. Clients are keyed
 * by ipaddr_key() (core/ipaddr.h): IPv4-mapped addresses are the IPv4
 * address, IPv6 clients count by their /64 (one host typically owns one).
 * Thread-safe (one lock; each check is a few dozen instructions).
 */
#ifndef PO_STORE_RATELIMIT_H
#define PO_STORE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

enum rl_class {
	RL_AUTHORIZE = 0,
	RL_PIN,
	RL_POLL,
	RL_TOKEN,
	RL_CLASSES
};

typedef struct ratelimit ratelimit_t;

/* NULL on allocation failure. */
ratelimit_t *ratelimit_new(void);
void ratelimit_free(ratelimit_t *r);
/* Takes one token from the client's bucket of that class. true if allowed;
 * false if the bucket is empty, with *retry_after_s set to the seconds until
 * a token is available (>= 1). */
bool ratelimit_take(ratelimit_t *r, enum rl_class cls, const char *client_ip, int64_t now_ms, int *retry_after_s);

#endif
