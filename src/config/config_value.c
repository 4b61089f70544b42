/*
 * config_value.c - validators for single configuration values (see
 * config_value.h). Every function here is a bounded check over a string:
 * IP literals go through inet_pton() on a NUL-terminated stack copy, numbers
 * through str_to_u64(), nothing is allocated.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "config/config_value.h"
#include "core/err.h"
#include "core/str.h"
#include "po_limits.h"

#define CV_STR2(x) #x
#define CV_STR(x) CV_STR2(x)

/* Room for the longest textual IPv6 address (with an embedded IPv4) + NUL. */
#define CV_IP_TEXT_MAX INET6_ADDRSTRLEN

static bool
cv_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
cv_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* inet_pton() on (s, len). af is AF_INET or AF_INET6; dst holds 16 bytes. */
static bool
cv_pton(int af, const char *s, size_t len, unsigned char *dst)
{
	char tmp[CV_IP_TEXT_MAX];

	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(af, tmp, dst) == 1;
}

/* A port number: decimal 1-65535, nothing else. */
static bool
cv_port(const char *s, size_t len, uint16_t *port)
{
	uint64_t v;

	if (str_to_u64(s, len, UINT16_MAX, &v) != PO_OK || v == 0)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Characters RFC 3986 never allows unencoded in a URL (space, controls,
 * non-ASCII, and the "unwise" " < > \ ^ ` { | }). */
static bool
cv_url_char_ok(char c)
{
	unsigned char u = (unsigned char)c;

	return u > 0x20 && u < 0x7f && strchr("\"<>\\^`{|}", c) == NULL;
}

const char *
cv_url(const char *s, cv_url_t *u)
{
	const char *p, *end, *auth_end, *after, *hash, *q, *rb, *colon;
	unsigned char addr[16];
	size_t len = strlen(s), i;
	uint16_t port;

	memset(u, 0, sizeof(*u));
	if (len > LIM_URL_MAX)
		return "is longer than " CV_STR(LIM_URL_MAX) " characters";
	for (i = 0; i < len; i++)
		if (!cv_url_char_ok(s[i]))
			return "contains a space, quote, non-ASCII or other character that is not allowed "
			       "in a URL (percent-encode it)";
	if (str_has_prefix(s, len, "https://")) {
		u->https = true;
		p = s + strlen("https://");
	} else if (str_has_prefix(s, len, "http://")) {
		p = s + strlen("http://");
	} else {
		return "must be an absolute URL starting with https:// (or http://)";
	}
	end = s + len;
	/* RFC 3986 §3.2: the authority ends at the first '/', '?' or '#'. */
	for (auth_end = p; auth_end < end; auth_end++)
		if (*auth_end == '/' || *auth_end == '?' || *auth_end == '#')
			break;
	if (memchr(p, '@', (size_t)(auth_end - p)) != NULL)
		return "must not contain a user name or password (\"user@\")";
	if (auth_end == p)
		return "has no host name";
	if (*p == '[') {
		if ((rb = memchr(p, ']', (size_t)(auth_end - p))) == NULL)
			return "has a \"[\" without \"]\" around its IPv6 address";
		u->host = p + 1;
		u->host_len = (size_t)(rb - u->host);
		if (!cv_pton(AF_INET6, u->host, u->host_len, addr))
			return "has an invalid IPv6 address in brackets";
		after = rb + 1;
	} else {
		colon = memchr(p, ':', (size_t)(auth_end - p));
		u->host = p;
		u->host_len = (size_t)((colon != NULL ? colon : auth_end) - p);
		if (u->host_len == 0)
			return "has no host name";
		for (i = 0; i < u->host_len; i++)
			if (!cv_alnum(p[i]) && p[i] != '.' && p[i] != '-' && p[i] != '_')
				return "has an invalid host name (letters, digits, '.', '-' and '_' only; "
				       "put IPv6 addresses in brackets)";
		after = u->host + u->host_len;
	}
	if (after < auth_end) {
		if (*after != ':')
			return "has unexpected text after the host";
		if (!cv_port(after + 1, (size_t)(auth_end - after - 1), &port))
			return "has an invalid port (use 1-65535)";
	}
	/* RFC 3986 §3.4, §3.5: the query starts at the first '?' before any
	 * '#', the fragment at the first '#'. */
	hash = memchr(auth_end, '#', (size_t)(end - auth_end));
	q = memchr(auth_end, '?', (size_t)((hash != NULL ? hash : end) - auth_end));
	u->path = auth_end;
	u->path_len = (size_t)((q != NULL ? q : hash != NULL ? hash
	                                                     : end) -
	    auth_end);
	u->has_query = q != NULL;
	u->has_fragment = hash != NULL;
	return NULL;
}

const char *
cv_private_use_uri(const char *s)
{
	size_t len = strlen(s), i, dots = 0;
	const char *colon = strchr(s, ':');

	if (len > LIM_URL_MAX)
		return "is longer than " CV_STR(LIM_URL_MAX) " characters";
	for (i = 0; i < len; i++)
		if (!cv_url_char_ok(s[i]))
			return "contains a space, quote, non-ASCII or other character that is not allowed "
			       "in a URI (percent-encode it)";
	/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ),
	 * here lower-case, as the URI is compared exactly. */
	if (colon == NULL || colon == s || !(s[0] >= 'a' && s[0] <= 'z'))
		return "must be an absolute URL starting with https:// (or http://), or for a public client a "
		       "private-use URI such as com.example.app:/callback (RFC 8252 §7.1)";
	for (i = 0; s + i < colon; i++) {
		if (s[i] == '.')
			dots++;
		else if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' && s[i] <= '9') && s[i] != '+' && s[i] != '-')
			return "has a scheme with characters other than a-z 0-9 + - . (write it in lower case)";
	}
	/* §7.1: reverse DNS notation, which also keeps out every scheme a
	 * browser gives a meaning of its own (javascript:, data:, file:...). */
	if (dots == 0 || s[0] == '.' || colon[-1] == '.')
		return "has a scheme that is not a reverse domain name such as com.example.app (RFC 8252 §7.1: "
		       "private-use schemes are named after a domain the app's owner controls)";
	if (colon[1] == '\0')
		return "has nothing after the scheme";
	if (strchr(colon, '#') != NULL)
		return "must not contain a fragment (\"#...\"), RFC 6749 §3.1.2";
	return NULL;
}

bool
cv_host_is_loopback(const char *host, size_t host_len)
{
	unsigned char a[16];

	if (host_len == strlen("localhost") && strncasecmp(host, "localhost", host_len) == 0)
		return true;
	if (cv_pton(AF_INET, host, host_len, a))
		return a[0] == 127; /* 127.0.0.0/8, RFC 1122 §3.2.1.3 */
	if (cv_pton(AF_INET6, host, host_len, a))
		return memcmp(a, &in6addr_loopback, sizeof(in6addr_loopback)) == 0;
	return false;
}

const char *
cv_listen(const char *s, const char **host, size_t *host_len, uint16_t *port)
{
	unsigned char a[16];
	const char *rb, *colon, *ps;
	size_t len = strlen(s);

	if (len > 0 && s[0] == '[') {
		if ((rb = strchr(s, ']')) == NULL)
			return "has a \"[\" without \"]\"; write IPv6 as [ADDRESS]:PORT, e.g. [::]:8080";
		*host = s + 1;
		*host_len = (size_t)(rb - *host);
		if (!cv_pton(AF_INET6, *host, *host_len, a))
			return "has an invalid IPv6 address in brackets";
		if (rb[1] != ':')
			return "must end with \":PORT\", e.g. [::]:8080";
		ps = rb + 2;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return "must be ADDRESS:PORT, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::]:8080";
		if (memchr(s, ':', (size_t)(colon - s)) != NULL)
			return "looks like an IPv6 address without brackets; write [ADDRESS]:PORT, "
			       "e.g. [::1]:8080";
		*host = s;
		*host_len = (size_t)(colon - s);
		if (*host_len == 0)
			return "has no address; use 0.0.0.0:PORT for every IPv4 interface, [::]:PORT for "
			       "every interface or 127.0.0.1:PORT for this machine only";
		if (!cv_pton(AF_INET, *host, *host_len, a))
			return "must start with an IP address such as 127.0.0.1 or 0.0.0.0 (host names "
			       "are not resolved; write IPv6 as [ADDRESS]:PORT)";
		ps = colon + 1;
	}
	if (!cv_port(ps, strlen(ps), port))
		return "has an invalid port (use 1-65535)";
	return NULL;
}

const char *
cv_ip_or_cidr(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;
	unsigned char a[16];
	uint64_t prefix, bits;

	if (cv_pton(AF_INET, s, alen, a))
		bits = 32;
	else if (cv_pton(AF_INET6, s, alen, a))
		bits = 128;
	else
		return "is not an IP address or CIDR range (e.g. 10.0.0.1, 172.16.0.0/12, fd00::/8)";
	if (slash == NULL)
		return NULL;
	if (str_to_u64(slash + 1, len - alen - 1, bits, &prefix) != PO_OK)
		return bits == 32 ? "has an invalid prefix length (use /0 to /32 for IPv4)"
		                  : "has an invalid prefix length (use /0 to /128 for IPv6)";
	return NULL;
}

bool
cv_secret_chars_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!cv_alnum(s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_' && s[i] != '~')
			return false;
	return true;
}

const char *
cv_color(const char *s)
{
	size_t len = strlen(s), i;

	if (len != 4 && len != 7)
		goto bad;
	if (s[0] != '#')
		goto bad;
	for (i = 1; i < len; i++)
		if (!cv_hex(s[i]))
			goto bad;
	return NULL;
bad:
	return "must be a hex colour such as #e5a00d or #fa0";
}

bool
cv_client_id_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CV_CLIENT_ID_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!cv_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

bool
cv_plex_server_id_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CV_PLEX_SERVER_ID_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!cv_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool
cv_has_control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* The units of durations, largest first. */
static const struct {
	char unit;
	int64_t secs;
} cv_units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };

const char *
cv_duration(const char *s, int64_t *secs)
{
	size_t n = 0, i;
	uint64_t v;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0)
		return "must be a number with a unit, such as 90s, 10m, 12h or 7d";
	if (s[n] == '\0')
		return "needs a unit: write it as 90s, 10m, 12h or 7d (s, m, h or d)";
	if (s[n + 1] != '\0')
		return "must be a whole number and one unit, such as 90s, 10m, 12h or 7d (no spaces or fractions)";
	for (i = 0; i < sizeof(cv_units) / sizeof(cv_units[0]) && cv_units[i].unit != s[n]; i++)
		;
	if (i == sizeof(cv_units) / sizeof(cv_units[0]))
		return "has an unknown unit: use s (seconds), m (minutes), h (hours) or d (days), e.g. 7d";
	if (str_to_u64(s, n, (uint64_t)(CV_DURATION_MAX_S / cv_units[i].secs), &v) != PO_OK)
		return "is far too long";
	*secs = (int64_t)v * cv_units[i].secs;
	return NULL;
}

void
cv_fmt_duration(int64_t secs, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; i + 1 < sizeof(cv_units) / sizeof(cv_units[0]) && (secs == 0 || secs % cv_units[i].secs != 0); i++)
		;
	snprintf(out, outsz, "%lld%c", (long long)(secs / cv_units[i].secs), cv_units[i].unit);
}
