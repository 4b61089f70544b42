/*
 * config_value.h - validators for single configuration values: listen
 * addresses, URLs, IP addresses and CIDR ranges, client secrets, colours and
 * identifiers. Internal to the config module (config.c builds messages from
 * them); kept apart so that each rule can be tested on its own.
 *
 * They are pure functions: no allocation, no state. Those returning
 * `const char *` return NULL when the value is acceptable, or a static
 * English phrase that says what is wrong and reads well after
 * "[section] key: ", e.g. "has an invalid port (use 1-65535)".
 */
#ifndef PO_CONFIG_CONFIG_VALUE_H
#define PO_CONFIG_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "po_limits.h"

#define CV_CLIENT_ID_MAX LIM_CLIENT_ID_MAX           /* po_limits.h */
#define CV_PLEX_SERVER_ID_MAX LIM_PLEX_SERVER_ID_MAX /* po_limits.h */

/* An absolute http(s) URL split into the parts config checks. Pointers are
 * into the string given to cv_url(). */
typedef struct cv_url {
	bool https;
	const char *host; /* without the brackets of an IPv6 literal */
	size_t host_len;
	const char *path; /* "" or "/..." up to '?', '#' or the end */
	size_t path_len;
	bool has_query;    /* a '?' before any '#' */
	bool has_fragment; /* a '#' */
} cv_url_t;

/* Checks that s is an absolute "http://" or "https://" URL (lower-case
 * scheme) of at most LIM_URL_MAX characters, made of printable ASCII
 * without spaces, quotes or <>\^`{|}, with a host name, IPv4 or [IPv6]
 * host, an optional port 1-65535 and no user name or password; fills *u.
 * Query and fragment are allowed here: callers decide. */
const char *cv_url(const char *s, cv_url_t *u);
/* A private-use URI redirection (RFC 8252 §7.1), for native apps: a
 * lower-case scheme in reverse domain notation (at least one '.'), such as
 * "com.example.app:/oauth2redirect", of URL characters, without a
 * fragment. NULL or why not. */
const char *cv_private_use_uri(const char *s);
/* true if host (host_len bytes, IPv6 without brackets) is "localhost"
 * (any case), in 127.0.0.0/8, or ::1. */
bool cv_host_is_loopback(const char *host, size_t host_len);

/* Parses "IPv4:PORT" or "[IPv6]:PORT" (IP literals only: host names are not
 * resolved). On success *host / *host_len point into s (no brackets). */
const char *cv_listen(const char *s, const char **host, size_t *host_len, uint16_t *port);
/* (s, len) is an IPv4 or IPv6 address, optionally followed by "/PREFIX"
 * (0-32 for IPv4, 0-128 for IPv6). */
const char *cv_ip_or_cidr(const char *s, size_t len);

/* true if every byte of (s, len) is one of A-Z a-z 0-9 - . _ ~ (the RFC 3986
 * unreserved set, which needs no URL-encoding). */
bool cv_secret_chars_ok(const char *s, size_t len);
/* "#rgb" or "#rrggbb", hex digits in either case. */
const char *cv_color(const char *s);
/* [A-Za-z0-9._-]{1,CV_CLIENT_ID_MAX} */
bool cv_client_id_ok(const char *s, size_t len);
/* [A-Za-z0-9-]{1,CV_PLEX_SERVER_ID_MAX} */
bool cv_plex_server_id_ok(const char *s, size_t len);
/* A duration: a whole number followed by one unit, s (seconds), m
 * (minutes), h (hours) or d (days), nothing else: "90s", "10m", "12h",
 * "7d". A bare number, another unit, a sign, a fraction or a space are
 * refused (the phrase says which). *secs gets the seconds, at most
 * CV_DURATION_MAX_S. */
#define CV_DURATION_MAX_S (100LL * 366 * 86400) /* a century: far above any bound */
const char *cv_duration(const char *s, int64_t *secs);
/* Writes secs in the configuration's own syntax with the largest unit
 * that divides it exactly ("7d", "90m", "45s"). */
void cv_fmt_duration(int64_t secs, char *out, size_t outsz);

/* true if (s, len) holds a control character (below 0x20 except tab, or
 * 0x7f): the same rule the INI tokenizer applies to file lines. */
bool cv_has_control(const char *s, size_t len);

#endif
