/*
 * gate_url.c - hosts and return URLs of forward auth (see gate_url.h).
 * Every function walks (buf, len) with an index checked against len: no
 * byte past the end is read and no NUL is needed.
 */
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "gate/gate_url.h"

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char
lower(unsigned char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

/* RFC 1035 §2.3.4: a label is at most 63 characters. */
#define GATE_LABEL_MAX 63

int
gate_host_parse(const char *buf, size_t len, gate_host_t *out)
{
	size_t i, n, label = 0, colon = len;
	unsigned port = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < len; i++)
		if (buf[i] == ':') {
			if (colon != len)
				return PO_ERR_INVALID; /* two colons: an IPv6 literal or worse */
			colon = i;
		}
	if (colon < len) {
		/* RFC 3986 §3.2.3: digits; 1-65535, at most 5 of them. */
		if (len - colon - 1 == 0 || len - colon - 1 > 5)
			return PO_ERR_INVALID;
		for (i = colon + 1; i < len; i++) {
			if (buf[i] < '0' || buf[i] > '9')
				return PO_ERR_INVALID;
			port = port * 10 + (unsigned)(buf[i] - '0');
		}
		if (port == 0 || port > 65535)
			return PO_ERR_INVALID;
	}
	n = colon;
	if (n > 0 && buf[n - 1] == '.')
		n--; /* "example.com." is example.com (RFC 1034 §3.1) */
	if (n == 0 || n > LIM_GATE_HOST_MAX || buf[0] == '.')
		return PO_ERR_INVALID;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '.') {
			if (label == 0)
				return PO_ERR_INVALID; /* an empty label */
			label = 0;
		} else if (is_alnum(c) || c == '-') {
			if (++label > GATE_LABEL_MAX)
				return PO_ERR_INVALID;
		} else {
			/* '@', '%', '\\', '[', ']', a space...: not a host name */
			return PO_ERR_INVALID;
		}
		out->name[i] = lower(c);
	}
	if (label == 0)
		return PO_ERR_INVALID; /* "example.com.." : an empty last label */
	out->name[n] = '\0';
	out->len = n;
	out->port = port;
	return PO_OK;
}

/* true if the configured host pattern p (lower-case, "name" or "*.name")
 * matches h: exactly, or one label in place of the '*'. */
static bool
host_matches(const char *p, const gate_host_t *h)
{
	size_t pl = strlen(p), sl;
	const char *dot;

	if (pl > 2 && p[0] == '*' && p[1] == '.') {
		sl = pl - 1; /* ".name" */
		if (h->len <= sl || memcmp(h->name + h->len - sl, p + 1, sl) != 0)
			return false;
		dot = memchr(h->name, '.', h->len - sl);
		return dot == NULL; /* one label, not several */
	}
	return pl == h->len && memcmp(p, h->name, pl) == 0;
}

/* An exact host wins over a wildcard, whatever the order of the apps in
 * the file: "[app.dash] hosts = *.example.com" placed before
 * "[app.sonarr] hosts = sonarr.example.com" must not decide for Sonarr
 * with dash's allow list (nginx picks server blocks the same way). */
int
gate_app_find(const config_t *cfg, const gate_host_t *h)
{
	size_t i, j;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < cfg->n_apps; i++)
			for (j = 0; j < cfg->apps[i].n_hosts; j++) {
				const char *p = cfg->apps[i].hosts[j];
				bool wild = p[0] == '*';

				if (wild == (pass == 1) && host_matches(p, h))
					return (int)i;
			}
	return -1;
}

/* Checks the path and query (buf, len) that follow the authority. */
static const char *
check_rest(const char *buf, size_t len)
{
	size_t i;
	int hi, lo;

	if (len == 0)
		return NULL;
	if (buf[0] != '/' && buf[0] != '?')
		return "has something other than a path after the host";
	/* "//evil" and "/\evil", raw or encoded, are another host to some
	 * apps that redirect to their own path. */
	if (len >= 2 && buf[0] == '/' && (buf[1] == '/' || buf[1] == '\\'))
		return "has a path that starts with two slashes";
	if (len >= 4 && buf[0] == '/' && buf[1] == '%' &&
	    ((buf[2] == '2' && (buf[3] == 'f' || buf[3] == 'F')) || (buf[2] == '5' && (buf[3] == 'c' || buf[3] == 'C'))))
		return "has a path that starts with an encoded slash or backslash";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c <= 0x20 || c >= 0x7f)
			return "has a space, a control character or a non-ASCII byte (a URL carries them percent-encoded)";
		if (c == '\\')
			return "has a backslash";
		if (c == '#')
			return "has a fragment";
		if (c == '"' || c == '<' || c == '>')
			return "has a character that must be percent-encoded";
		if (c == '%') {
			if (i + 2 >= len || (hi = str_hex_val(buf[i + 1])) < 0 ||
			    (lo = str_hex_val(buf[i + 2])) < 0)
				return "has a malformed percent-escape";
			if (hi * 16 + lo < 0x20 || hi * 16 + lo == 0x7f)
				return "has an encoded control character";
			i += 2;
		}
	}
	return NULL;
}

const char *
gate_url_check(const config_t *cfg, const char *buf, size_t len, gate_url_t *out)
{
	static const char https[] = "https://", http[] = "http://";
	size_t i, start;
	const char *why;

	memset(out, 0, sizeof(*out));
	out->app = -1;
	if (len > LIM_GATE_URL_MAX)
		return "is too long";
	/* Lower-case schemes only: we write these URLs ourselves. */
	if (len >= sizeof(https) - 1 && memcmp(buf, https, sizeof(https) - 1) == 0) {
		out->https = true;
		start = sizeof(https) - 1;
	} else if (len >= sizeof(http) - 1 && memcmp(buf, http, sizeof(http) - 1) == 0) {
		if (cfg->issuer_https)
			return "is not https (only an http issuer, for testing, sends browsers to http addresses)";
		start = sizeof(http) - 1;
	} else {
		return cfg->issuer_https ? "does not start with https://" : "does not start with https:// or http://";
	}
	for (i = start; i < len && buf[i] != '/' && buf[i] != '?'; i++)
		;
	if (gate_host_parse(buf + start, i - start, &out->host) != PO_OK)
		return "has no valid host name (user names, IP literals, encoded characters and backslashes are refused)";
	if ((why = check_rest(buf + i, len - i)) != NULL)
		return why;
	if ((out->app = gate_app_find(cfg, &out->host)) < 0)
		return "is not the address of an app guarded here";
	return NULL;
}
