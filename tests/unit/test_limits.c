/* test_limits.c - rate limiting (fake clock) and trusted-proxy client
 * addresses, from tables. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "http/clientip.h"
#include "store/ratelimit.h"
#include "t.h"

static void
test_bucket_burst_then_refill(void)
{
	ratelimit_t *r = ratelimit_new();
	int i, allowed = 0, retry = 0;

	for (i = 0; i < 100; i++)
		allowed += ratelimit_take(r, RL_PIN, "192.0.2.1", 1000, &retry);
	T_EQ_INT(allowed, 20); /* the PIN burst */
	T_EQ_INT(retry, 5);    /* 1 token at 0.2/s */
	/* another client is not affected */
	T_CHECK(ratelimit_take(r, RL_PIN, "192.0.2.2", 1000, NULL));
	/* another class of the same client is not affected */
	T_CHECK(ratelimit_take(r, RL_TOKEN, "192.0.2.1", 1000, NULL));
	/* 0.2 tokens per second: one more after 5 s, not before */
	T_CHECK(!ratelimit_take(r, RL_PIN, "192.0.2.1", 5000, NULL));
	T_CHECK(ratelimit_take(r, RL_PIN, "192.0.2.1", 6000, NULL));
	T_CHECK(!ratelimit_take(r, RL_PIN, "192.0.2.1", 6000, NULL));
	ratelimit_free(r);
}

static void
test_ipv6_keyed_by_64(void)
{
	ratelimit_t *r = ratelimit_new();
	int i, allowed = 0;
	char ip[64];

	/* one host rotating through its /64 shares one bucket */
	for (i = 0; i < 100; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:1:2::%x", i + 1);
		allowed += ratelimit_take(r, RL_PIN, ip, 0, NULL);
	}
	T_EQ_INT(allowed, 20);
	T_CHECK(ratelimit_take(r, RL_PIN, "2001:db8:1:3::1", 0, NULL));
	ratelimit_free(r);
}

static void
test_table_stays_bounded(void)
{
	ratelimit_t *r = ratelimit_new();
	char ip[64];
	int i;

	/* a flood of addresses: each new one starts with a full bucket and
	 * nothing grows (the table is fixed; this must not crash or leak) */
	for (i = 0; i < 200000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		T_CHECK(ratelimit_take(r, RL_AUTHORIZE, ip, i, NULL));
	}
	ratelimit_free(r);
}

static void
test_cidr_match(void)
{
	static const struct {
		const char *range, *ip;
		int match;
	} v[] = {
		{ "10.0.0.0/8", "10.1.2.3", 1 },
		{ "10.0.0.0/8", "11.1.2.3", 0 },
		{ "192.168.1.0/25", "192.168.1.127", 1 },
		{ "192.168.1.0/25", "192.168.1.128", 0 },
		{ "127.0.0.1", "127.0.0.1", 1 },
		{ "127.0.0.1", "127.0.0.2", 0 },
		{ "::1", "::1", 1 },
		{ "fd00::/8", "fd12:3456::1", 1 },
		{ "fd00::/8", "fe80::1", 0 },
		{ "10.0.0.0/8", "::ffff:10.0.0.9", 1 },
		{ "0.0.0.0/0", "203.0.113.9", 1 },
		{ "10.0.0.0/8", "not-an-ip", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *s[1] = { (char *)(uintptr_t)v[i].range };
		ip_allow_t a;
		T_EQ_INT(ip_allow_new(s, 1, &a), PO_OK);
		if (ip_allow_match(&a, v[i].ip) != v[i].match)
			fprintf(stderr, "  case %zu: %s in %s\n", i, v[i].ip, v[i].range);
		T_EQ_INT(ip_allow_match(&a, v[i].ip), v[i].match);
		ip_allow_clear(&a);
	}
	{
		ip_cidr_t c;
		T_EQ_INT(ip_cidr_parse("10.0.0.0/33", &c), PO_ERR_INVALID);
		T_EQ_INT(ip_cidr_parse("::/129", &c), PO_ERR_INVALID);
		T_EQ_INT(ip_cidr_parse("10.0.0.0/", &c), PO_ERR_INVALID);
		T_EQ_INT(ip_cidr_parse("", &c), PO_ERR_INVALID);
	}
}

static void
test_client_ip(void)
{
	static const struct {
		const char *peer, *xff, *want;
	} v[] = {
		/* untrusted peer: the header is ignored */
		{ "203.0.113.5", "1.2.3.4", "203.0.113.5" },
		/* trusted proxy: the rightmost untrusted address */
		{ "127.0.0.1", "198.51.100.7", "198.51.100.7" },
		{ "127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7" },
		{ "127.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7" },
		/* all trusted: the leftmost */
		{ "127.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3" },
		/* garbage stops the walk at what we already believe */
		{ "127.0.0.1", "198.51.100.7, unknown", "127.0.0.1" },
		{ "127.0.0.1", "", "127.0.0.1" },
		{ "127.0.0.1", NULL, "127.0.0.1" },
		{ "::1", "2001:db8::5", "2001:db8::5" },
	};
	char *ranges[] = { "127.0.0.1", "::1", "10.0.0.0/8" };
	ip_allow_t a;
	char out[64];
	size_t i;

	T_EQ_INT(ip_allow_new(ranges, 3, &a), PO_OK);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		clientip_resolve(&a, v[i].peer, v[i].xff, out, sizeof(out));
		T_EQ_STR(out, v[i].want);
	}
	ip_allow_clear(&a);
	/* no trusted proxies at all */
	memset(&a, 0, sizeof(a));
	clientip_resolve(&a, "127.0.0.1", "1.2.3.4", out, sizeof(out));
	T_EQ_STR(out, "127.0.0.1");
}

int
main(void)
{
	T_RUN(test_bucket_burst_then_refill);
	T_RUN(test_ipv6_keyed_by_64);
	T_RUN(test_table_stays_bounded);
	T_RUN(test_cidr_match);
	T_RUN(test_client_ip);
	return T_DONE();
}
