/*
 * clientip.c - trusted-proxy aware client address (see clientip.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/str.h"
#include "http/clientip.h"

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
	unsigned char addr[16];
	int family;
	size_t i;

	if (a == NULL || a->n == 0 || ip == NULL)
		return false;
	if (inet_pton(AF_INET, ip, addr) == 1) {
		family = AF_INET;
	} else if (inet_pton(AF_INET6, ip, addr) == 1) {
		/* An IPv4-mapped peer (::ffff:a.b.c.d) is that IPv4 address. */
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		family = AF_INET6;
		if (memcmp(addr, mapped, 12) == 0) {
			memmove(addr, addr + 12, 4);
			family = AF_INET;
		}
	} else {
		return false;
	}
	for (i = 0; i < a->n; i++)
		if (cidr_match(&a->v[i], family, addr))
			return true;
	return false;
}

void
clientip_resolve(const ip_allow_t *trusted, const char *peer, const char *xff, char *out, size_t outsz)
{
	const char *end;

	snprintf(out, outsz, "%s", peer ? peer : "");
	if (xff == NULL || !ip_allow_match(trusted, peer))
		return;
	end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end, *a, *b;
		char cand[64];
		unsigned char tmp[16];
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
		if (inet_pton(AF_INET, cand, tmp) != 1 && inet_pton(AF_INET6, cand, tmp) != 1)
			return; /* not an address (a port, "unknown"): stop trusting */
		snprintf(out, outsz, "%s", cand);
		if (!ip_allow_match(trusted, cand))
			return; /* the first untrusted hop from the right */
	}
}
