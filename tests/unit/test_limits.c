/* test_limits.c - rate limiting (fake clock) and trusted-proxy client
 * addresses, from tables. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/ipaddr.h"
#include "core/str.h"
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

/* Issue 9, item 5: behind a dual-stack socket every IPv4 client arrives as
 * ::ffff:a.b.c.d. They are distinct clients (not one IPv6 /64), and each
 * is the same client as its plain IPv4 spelling. */
static void
test_ipv4_mapped_unmapped(void)
{
	ratelimit_t *r = ratelimit_new();
	int i, allowed = 0;
	char ip[64];

	for (i = 0; i < 100; i++)
		allowed += ratelimit_take(r, RL_PIN, "::ffff:192.0.2.1", 0, NULL);
	T_EQ_INT(allowed, 20);
	/* another IPv4 client behind the same socket has its own bucket */
	T_CHECK(ratelimit_take(r, RL_PIN, "::ffff:192.0.2.2", 0, NULL));
	T_CHECK(ratelimit_take(r, RL_PIN, "::ffff:c000:203", 0, NULL)); /* 192.0.2.3, hex spelling */
	/* ...and the plain spelling of the first is the same, empty, bucket */
	T_CHECK(!ratelimit_take(r, RL_PIN, "192.0.2.1", 0, NULL));
	/* many IPv4 clients through one dual-stack socket each get a burst */
	for (i = 10, allowed = 0; i < 60; i++) {
		snprintf(ip, sizeof(ip), "::ffff:198.51.100.%d", i);
		allowed += ratelimit_take(r, RL_PIN, ip, 0, NULL);
	}
	T_EQ_INT(allowed, 50);
	ratelimit_free(r);
}

static void
test_ipaddr(void)
{
	static const struct {
		const char *in, *canon;
		int family;
	} v[] = {
		{ "192.0.2.1", "192.0.2.1", AF_INET },
		/* IPv4 is formatted by hand: every digit count of every octet */
		{ "0.0.0.0", "0.0.0.0", AF_INET },
		{ "255.255.255.255", "255.255.255.255", AF_INET },
		{ "10.100.9.200", "10.100.9.200", AF_INET },
		{ "1.20.109.90", "1.20.109.90", AF_INET },
		{ "::ffff:192.0.2.1", "192.0.2.1", AF_INET },
		{ "::FFFF:192.0.2.1", "192.0.2.1", AF_INET },
		{ "::ffff:c000:201", "192.0.2.1", AF_INET },
		{ "0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1", AF_INET },
		{ "2001:db8::1", "2001:db8::1", AF_INET6 },
		{ "2001:DB8:0::1", "2001:db8::1", AF_INET6 },
		{ "::1", "::1", AF_INET6 },
		{ "::192.0.2.1", "::192.0.2.1", AF_INET6 },              /* IPv4-compatible: not mapped */
		{ "64:ff9b::192.0.2.1", "64:ff9b::c000:201", AF_INET6 }, /* NAT64: not mapped */
		{ "::ffff:0:192.0.2.1", "::ffff:0:c000:201", AF_INET6 }, /* SIIT: not mapped */
		{ "192.0.2.1:80", "", 0 },
		{ "[::1]", "", 0 },
		{ "unknown", "", 0 },
		{ "", "", 0 },
	};
	unsigned char k1[IPADDR_KEY_LEN], k2[IPADDR_KEY_LEN];
	ipaddr_t a, b;
	char out[IPADDR_TEXT_MAX];
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		T_EQ_INT(ipaddr_parse(v[i].in, &a), v[i].family != 0);
		T_EQ_INT(a.family, v[i].family);
		ipaddr_format(&a, out, sizeof(out));
		T_EQ_STR(out, v[i].canon);
		if (t_cur_failed)
			fprintf(stderr, "    for %s\n", v[i].in);
	}
	T_CHECK(!ipaddr_parse(NULL, &a));
	/* from a socket address: a dual-stack socket's IPv4 peer */
	T_CHECK(inet_pton(AF_INET6, "::ffff:203.0.113.9", &sin6.sin6_addr) == 1);
	T_CHECK(ipaddr_from_sockaddr((struct sockaddr *)&sin6, &a));
	ipaddr_format(&a, out, sizeof(out));
	T_EQ_STR(out, "203.0.113.9");
	T_CHECK(!ipaddr_from_sockaddr(NULL, &a));
	/* keys: mapped == plain; IPv6 by /64 */
	ipaddr_parse("::ffff:203.0.113.9", &a);
	ipaddr_parse("203.0.113.9", &b);
	ipaddr_key(&a, k1);
	ipaddr_key(&b, k2);
	T_CHECK(memcmp(k1, k2, sizeof(k1)) == 0);
	ipaddr_parse("::ffff:203.0.113.10", &b);
	ipaddr_key(&b, k2);
	T_CHECK(memcmp(k1, k2, sizeof(k1)) != 0);
	ipaddr_parse("2001:db8:1:2::1", &a);
	ipaddr_parse("2001:db8:1:2:ffff::9", &b);
	ipaddr_key(&a, k1);
	ipaddr_key(&b, k2);
	T_CHECK(memcmp(k1, k2, sizeof(k1)) == 0);
	/* tiny output buffers are cut, NUL-terminated */
	ipaddr_parse("2001:db8::1", &a);
	ipaddr_format(&a, out, 4);
	T_EQ_STR(out, "200");
	ipaddr_parse("203.0.113.9", &a);
	ipaddr_format(&a, out, 5);
	T_EQ_STR(out, "203.");
	/* its bounded copy (core/str.h): cut, NUL-terminated, nothing into 0 bytes */
	str_copy(out, 4, "abcdef", 6);
	T_EQ_STR(out, "abc");
	str_copy(out, sizeof(out), "abcdef", 2);
	T_EQ_STR(out, "ab");
	str_copy(out, 0, "xyz", 3);
	T_EQ_STR(out, "ab");
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
		/* a range written IPv4-mapped is the IPv4 range */
		{ "::ffff:10.0.0.0/104", "10.9.8.7", 1 },
		{ "::ffff:10.0.0.0/104", "::ffff:10.9.8.7", 1 },
		{ "::ffff:10.0.0.0/104", "11.9.8.7", 0 },
		{ "::ffff:127.0.0.1", "127.0.0.1", 1 },
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
		/* IPv4-mapped addresses are unmapped: from a proxy listening
		 * dual-stack, and a peer reaching a dual-stack socket */
		{ "127.0.0.1", "::ffff:198.51.100.7", "198.51.100.7" },
		{ "127.0.0.1", "6.6.6.6, ::ffff:c633:6407", "198.51.100.7" },
		{ "::ffff:127.0.0.1", "198.51.100.7", "198.51.100.7" },
		{ "::ffff:127.0.0.1", NULL, "127.0.0.1" },
		{ "::ffff:203.0.113.5", "1.2.3.4", "203.0.113.5" },
		/* a trusted hop written mapped is still trusted */
		{ "127.0.0.1", "198.51.100.7, ::ffff:10.0.0.2", "198.51.100.7" },
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
	T_RUN(test_ipv4_mapped_unmapped);
	T_RUN(test_ipaddr);
	T_RUN(test_table_stays_bounded);
	T_RUN(test_cidr_match);
	T_RUN(test_client_ip);
	return T_DONE();
}
