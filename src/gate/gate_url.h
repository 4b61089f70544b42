/*
 * gate_url.h - the addresses forward auth decides on, as pure bounded
 * parsers over (buf, len): the host a proxy reports (X-Forwarded-Host) and
 * the URL a sign-in sends the browser back to.
 *
 * The return URL is the classic open-redirect hole of forward auth: a link
 * "https://auth.example.com/forward-auth/login?rd=https://evil.example"
 * must never send a freshly signed-in user anywhere but one of the
 * configured apps. So the URL is checked before anything else, by one
 * strict grammar that takes nothing on trust:
 *
 *   "https://" (or "http://" only when the issuer is http) HOST [":" PORT]
 *   [ "/" or "?" followed by the path and query ]
 *
 *   - HOST is a DNS name (letters, digits, '-', '.', non-empty labels,
 *     one trailing dot allowed), compared case-insensitively without the
 *     trailing dot against the hosts of every [app.NAME] (exact, or one
 *     label in place of "*."). No userinfo ('@'), no IP literal in
 *     brackets, no percent-encoding, no backslash: the parts a browser
 *     and a parser might read differently are refused, not normalised.
 *   - PORT is 1-65535 (the proxy need not be on 443).
 *   - The path and query are printable ASCII without space, '"', '<',
 *     '>', '\\' or '#' (a fragment never reaches a server). A
 *     percent-escape must be two hex digits and never an encoded control
 *     character (%00-%1F, %7F: header injection in the app). The path
 *     must not start with "//", "/\\" or their encoded forms ("/%2F",
 *     "/%5C"), which some apps turn into a redirect to another host.
 *   - At most LIM_GATE_URL_MAX bytes.
 *
 * Look-alikes fail on the host: "https://sonarr.example.com.evil/" and
 * "https://sonarr.example.com@evil/" are not the address of an app,
 * "//evil" and "https:/\evil" have no scheme this grammar accepts.
 *
 * Pure: no allocation, no I/O; the config is read only.
 */
#ifndef PO_GATE_GATE_URL_H
#define PO_GATE_GATE_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "po_limits.h"

/* A host, normalised: lower-case, without port or trailing dot. */
typedef struct gate_host {
	char name[LIM_GATE_HOST_MAX + 1];
	size_t len;
	unsigned port; /* 0 when none was given */
} gate_host_t;

/* A checked return URL. */
typedef struct gate_url {
	bool https;
	gate_host_t host;
	int app; /* index of the app in cfg->apps */
} gate_url_t;

/* Parses "HOST[:PORT]" (buf, len) as X-Forwarded-Host carries it. PO_OK,
 * or PO_ERR_INVALID for anything else (empty, userinfo, a bracketed IP
 * literal, percent-escapes, a bad port). */
int gate_host_parse(const char *buf, size_t len, gate_host_t *out);

/* The app whose hosts include h: its index in cfg->apps, or -1. An app
 * that names h exactly wins over one whose wildcard covers it. */
int gate_app_find(const config_t *cfg, const gate_host_t *h);

/* Checks the return URL (buf, len) against the grammar above and the apps
 * of cfg (cfg->issuer_https decides whether http is allowed). NULL when it
 * may be redirected to (*out filled in), else a static phrase saying why
 * not, for the log and the error page ("is not the address of an app
 * guarded here"). */
const char *gate_url_check(const config_t *cfg, const char *buf, size_t len, gate_url_t *out);

#endif
