/*
 * fuzz_clientip.c - libFuzzer target for src/http/clientip.h: ip_cidr_parse()
 * on trusted_proxies entries and clientip_resolve() on the X-Forwarded-For
 * header, which any client can send.
 *
 * Input: three lines, "TRUSTED\nPEER\nXFF": TRUSTED a space-separated list
 * of addresses and CIDR ranges, PEER the TCP peer's address, XFF the header
 * value (the rest of the input; a NUL in it ends it, as in a C string).
 *
 * Properties: a parsed range has a family and a prefix within its bits;
 * the client address written is NUL-terminated inside the 46 bytes given
 * (INET6_ADDRSTRLEN, the size app.c passes); with no trusted proxy, or an
 * untrusted peer, the answer is the peer; otherwise it is the peer or one
 * of the header's entries. "Is the peer" and "is an entry" mean: the same
 * address in canonical form (IPv4-mapped addresses unmapped, ipaddr.h),
 * or the same text when it is not an address at all; an answer is never
 * an IPv4-mapped address.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/socket.h>

#include "fuzz.h"

#include "core/err.h"
#include "core/ipaddr.h"
#include "http/clientip.h"

#define FUZZ_OUT_SIZE 46
#define FUZZ_TRUSTED_MAX 16

/* out is s: its canonical form when s is an address, else the part of s
 * that fits in the output (snprintf truncation). */
static bool
same_prefix(const char *out, const char *s)
{
	char canon[IPADDR_TEXT_MAX];
	ipaddr_t a;

	if (s != NULL && ipaddr_parse(s, &a)) {
		ipaddr_format(&a, canon, sizeof(canon));
		return strcmp(out, canon) == 0;
	}
	return strncmp(out, s ? s : "", FUZZ_OUT_SIZE - 1) == 0;
}

/* out is one of the comma-separated entries of xff (blanks trimmed). */
static bool
is_entry(const char *out, const char *xff)
{
	const char *p = xff;

	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char *one;
		bool same;

		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		one = fuzz_cstr(p, n);
		same = same_prefix(out, one);
		free(one);
		if (same)
			return true;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *list, *peer, *xff, *words[FUZZ_TRUSTED_MAX], *p, *out;
	const uint8_t *f;
	size_t n, nw = 0, i;
	ip_allow_t allow = { NULL, 0 };
	ip_cidr_t c;

	f = fuzz_field(&data, &size, '\n', &n);
	list = fuzz_cstr(f, n);
	f = fuzz_field(&data, &size, '\n', &n);
	peer = fuzz_cstr(f, n);
	xff = fuzz_cstr(data, size);

	/* The trusted list, one word at a time, as config splits it. */
	for (p = list; *p != '\0' && nw < FUZZ_TRUSTED_MAX;) {
		char *w;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ' ')
			p++;
		words[nw] = fuzz_cstr(w, (size_t)(p - w));
		if (ip_cidr_parse(words[nw], &c) == PO_OK) {
			FUZZ_CHECK(c.family == AF_INET || c.family == AF_INET6);
			FUZZ_CHECK(c.prefix <= (c.family == AF_INET ? 32u : 128u));
			nw++;
		} else {
			free(words[nw]); /* config would have refused it */
		}
	}
	FUZZ_CHECK(ip_allow_new(words, nw, &allow) == PO_OK && allow.n == nw);

	out = malloc(FUZZ_OUT_SIZE);
	FUZZ_CHECK(out != NULL);
	clientip_resolve(&allow, peer, xff, out, FUZZ_OUT_SIZE);
	FUZZ_CHECK(memchr(out, '\0', FUZZ_OUT_SIZE) != NULL);
	if (nw == 0 || !ip_allow_match(&allow, peer))
		FUZZ_CHECK(same_prefix(out, peer));
	else
		FUZZ_CHECK(same_prefix(out, peer) || is_entry(out, xff));
	{
		ipaddr_t a;

		FUZZ_CHECK(!(ipaddr_parse(out, &a) && strchr(out, '.') && strchr(out, ':') &&
		    strncasecmp(out, "::ffff:", 7) == 0));
	}

	/* Without a header, and without a peer. */
	clientip_resolve(&allow, peer, NULL, out, FUZZ_OUT_SIZE);
	FUZZ_CHECK(same_prefix(out, peer));
	clientip_resolve(&allow, NULL, xff, out, FUZZ_OUT_SIZE);
	FUZZ_CHECK(out[0] == '\0');
	clientip_resolve(NULL, peer, xff, out, FUZZ_OUT_SIZE);
	FUZZ_CHECK(same_prefix(out, peer));

	free(out);
	ip_allow_clear(&allow);
	ip_allow_clear(&allow);
	for (i = 0; i < nw; i++)
		free(words[i]);
	free(list);
	free(peer);
	free(xff);
	return 0;
}
