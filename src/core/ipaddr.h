/*
 * ipaddr.h - one textual form and one key per client address.
 *
 * An IPv4 client reaches a dual-stack IPv6 socket (`listen = [::]:PORT`,
 * or a proxy listening that way) as the IPv4-mapped address
 * ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). Left as it is, every IPv4 client
 * would fall in the one IPv6 /64 ::ffff:0:0/64, so the per-client rate
 * limits and connection caps (keyed by /64 for IPv6) would count all of
 * IPv4 as one client, and logs would show two spellings of one address.
 * So every address is unmapped here, before any use: an IPv4-mapped IPv6
 * address IS the IPv4 address.
 *
 * Pure functions over their arguments; no allocation.
 */
#ifndef PO_CORE_IPADDR_H
#define PO_CORE_IPADDR_H

#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

/* Longest text ipaddr_format() writes, NUL included (INET6_ADDRSTRLEN). */
#define IPADDR_TEXT_MAX 46
/* Bytes of a key: family byte + 16 address bytes. */
#define IPADDR_KEY_LEN 17

typedef struct ipaddr {
	int family;             /* AF_INET or AF_INET6; 0 when not parsed */
	unsigned char addr[16]; /* network order; IPv4 in the first 4 bytes */
} ipaddr_t;

/* Parses a numeric IPv4 or IPv6 address (no brackets, no port, no zone),
 * unmapping ::ffff:a.b.c.d to a.b.c.d. true on success; on failure *out
 * has family 0. */
bool ipaddr_parse(const char *s, ipaddr_t *out);
/* The same from a socket address (AF_INET or AF_INET6, unmapped). false
 * (family 0) for any other family or a NULL sa. */
bool ipaddr_from_sockaddr(const struct sockaddr *sa, ipaddr_t *out);
/* Writes the canonical text (inet_ntop of the unmapped address) into out
 * (outsz >= IPADDR_TEXT_MAX holds any); "" when a is not parsed. */
void ipaddr_format(const ipaddr_t *a, char *out, size_t outsz);
/* The key that counts as "one client" for rate limits and connection caps:
 * the IPv4 address, or the /64 of an IPv6 address (one host typically owns
 * a whole /64, RFC 4291 §2.5.4 and common ISP practice). An unparsed
 * address gets the all-zero key, which all such addresses share. */
void ipaddr_key(const ipaddr_t *a, unsigned char key[IPADDR_KEY_LEN]);

#endif
