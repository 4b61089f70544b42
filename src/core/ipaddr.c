/*
 * ipaddr.c - address parsing with IPv4-mapped addresses unmapped (see
 * ipaddr.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/ipaddr.h"
#include "core/str.h"

/* RFC 4291 §2.5.5.2: ::ffff:0:0/96 holds IPv4 addresses. */
static const unsigned char v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static void
unmap(ipaddr_t *a)
{
	if (a->family == AF_INET6 && memcmp(a->addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		memmove(a->addr, a->addr + 12, 4);
		memset(a->addr + 4, 0, 12);
		a->family = AF_INET;
	}
}

bool
ipaddr_parse(const char *s, ipaddr_t *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return false;
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = AF_INET6;
		unmap(out);
		return true;
	}
	memset(out, 0, sizeof(*out));
	return false;
}

bool
ipaddr_from_sockaddr(const struct sockaddr *sa, ipaddr_t *out)
{
	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		memcpy(out->addr, &in->sin_addr, 4);
		out->family = AF_INET;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(out->addr, &in6->sin6_addr, 16);
		out->family = AF_INET6;
		unmap(out);
		return true;
	}
	return false;
}

void
ipaddr_format(const ipaddr_t *a, char *out, size_t outsz)
{
	char tmp[IPADDR_TEXT_MAX], *p = tmp;
	int i;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (a->family == AF_INET) {
		/* Dotted decimal by hand: every request formats its peer, and
		 * glibc's inet_ntop goes through sprintf for IPv4. */
		for (i = 0; i < 4; i++) {
			unsigned v = a->addr[i];

			if (i > 0)
				*p++ = '.';
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
		}
		*p = '\0';
	} else if (a->family != AF_INET6 || inet_ntop(AF_INET6, a->addr, tmp, sizeof(tmp)) == NULL) {
		return;
	}
	str_copy(out, outsz, tmp, strlen(tmp));
}

void
ipaddr_key(const ipaddr_t *a, unsigned char key[IPADDR_KEY_LEN])
{
	memset(key, 0, IPADDR_KEY_LEN);
	if (a->family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, a->addr, 4);
	} else if (a->family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, a->addr, 8); /* the /64 */
	}
}
