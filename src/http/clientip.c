/*
 * clientip.c - trusted-proxy aware client address (see clientip.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/ipaddr.h"
#include "core/str.h"
#include "http/clientip.h"

static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int
ip_cidr_parse(const char *s, ip_cidr_t *c)
{
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t prefix;

	if (hlen == 0 || hlen >= sizeof(host))
		return PO_ERR_INVALID;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		c->prefix = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		c->prefix = 128;
	} else {
		return PO_ERR_INVALID;
	}
	if (slash) {
		if (str_to_u64(slash + 1, strlen(slash + 1), c->prefix, &prefix) != PO_OK)
			return PO_ERR_INVALID;
		c->prefix = (unsigned)prefix;
	}
	/* Addresses are compared unmapped (core/ipaddr.h), so a range written
	 * as ::ffff:a.b.c.d/N (N >= 96) is the IPv4 range a.b.c.d/(N - 96). */
	if (c->family == AF_INET6 && c->prefix >= 96 && memcmp(c->addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = AF_INET;
		c->prefix -= 96;
	}
	return PO_OK;
}

int
ip_allow_new(char *const *s, size_t n, ip_allow_t *out)
{
	size_t i;

	out->n = 0;
	out->v = NULL;
	if (n == 0)
		return PO_OK;
	if ((out->v = calloc(n, sizeof(*out->v))) == NULL)
		return PO_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (ip_cidr_parse(s[i], &out->v[i]) != PO_OK) {
			ip_allow_clear(out);
			return PO_ERR_INVALID;
		}
	}
	out->n = n;
	return PO_OK;
}

void
ip_allow_clear(ip_allow_t *a)
{
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static bool
cidr_match(const ip_cidr_t *c, int family, const unsigned char *addr)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if (c->family != family)
		return false;
	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((c->addr[full] & mask) != (addr[full] & mask))
			return false;
	}
	return true;
}

bool
ip_allow_match(const ip_allow_t *a, const char *ip)
{
	ipaddr_t addr;
	size_t i;

	/* An IPv4-mapped peer (::ffff:a.b.c.d) is that IPv4 address. */
	if (a == NULL || a->n == 0 || !ipaddr_parse(ip, &addr))
		return false;
	for (i = 0; i < a->n; i++)
		if (cidr_match(&a->v[i], addr.family, addr.addr))
			return true;
	return false;
}

/* Writes the canonical (unmapped) form of ip into out; false if ip is not
 * an address. */
static bool
canonical(const char *ip, char *out, size_t outsz)
{
	ipaddr_t a;

	if (!ipaddr_parse(ip, &a))
		return false;
	ipaddr_format(&a, out, outsz);
	return true;
}

void
clientip_resolve(const ip_allow_t *trusted, const char *peer, const char *xff, char *out, size_t outsz)
{
	const char *end;

	if (!canonical(peer, out, outsz))
		snprintf(out, outsz, "%s", peer ? peer : "");
	if (xff == NULL || !ip_allow_match(trusted, peer))
		return;
	end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end, *a, *b;
		char cand[64];
		size_t n;

		while (start > xff && start[-1] != ',')
			start--;
		a = start;
		b = end;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		n = (size_t)(b - a);
		end = start > xff ? start - 1 : xff;
		if (n == 0 || n >= sizeof(cand))
			return; /* malformed: keep what we have */
		memcpy(cand, a, n);
		cand[n] = '\0';
		/* Not an address (a port, "unknown"): stop trusting. A proxy
		 * listening dual-stack reports IPv4 clients as ::ffff:a.b.c.d:
		 * unmapped, so they are the IPv4 client everywhere after. */
		if (!canonical(cand, out, outsz))
			return;
		if (!ip_allow_match(trusted, cand))
			return; /* the first untrusted hop from the right */
	}
}
