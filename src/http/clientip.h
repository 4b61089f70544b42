/*
 * clientip.h - who is the client: the TCP peer, or, when the peer is a
 * trusted reverse proxy, the address it reports in X-Forwarded-For.
 *
 * X-Forwarded-For is a list each proxy appends to; only the entries added
 * by our own trusted proxies can be believed. So the list is read from the
 * right, skipping trusted proxies, and the first untrusted address is the
 * client (the common "rightmost untrusted" rule). Without trusted proxies
 * the header is ignored: anyone can send it.
 */
#ifndef PO_HTTP_CLIENTIP_H
#define PO_HTTP_CLIENTIP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ip_cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix; /* bits */
} ip_cidr_t;

typedef struct ip_allow { /* struct tag used by server.h */
	ip_cidr_t *v;
	size_t n;
} ip_allow_t;

/* Parses "10.0.0.0/8", "::1", "192.168.1.5" into c. PO_OK or PO_ERR_INVALID. */
int ip_cidr_parse(const char *s, ip_cidr_t *c);
/* Builds a list from strings (already validated by config). PO_OK,
 * PO_ERR_INVALID or PO_ERR_NOMEM. */
int ip_allow_new(char *const *s, size_t n, ip_allow_t *out);
void ip_allow_clear(ip_allow_t *a);
/* true if the textual address ip (IPv4-mapped addresses unmapped) is
 * inside one of the ranges. */
bool ip_allow_match(const ip_allow_t *a, const char *ip);

/* Writes the client address for a request from peer with the given
 * X-Forwarded-For (may be NULL) into out (>= 46 bytes), in its canonical
 * form (core/ipaddr.h): an IPv4-mapped address (::ffff:a.b.c.d), from the
 * peer or from the header, is written as the IPv4 address. A peer that is
 * not an address is copied as it is. */
void clientip_resolve(const ip_allow_t *trusted, const char *peer, const char *xff, char *out, size_t outsz);

#endif
