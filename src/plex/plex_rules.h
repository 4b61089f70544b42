/*
 * plex_rules.h - what plex.tv's answers mean, as pure functions: the status
 * of an error answer, the wait a Retry-After asks for, and which redirects
 * may be followed. No I/O, so each is unit-tested from tables and fuzzed.
 *
 * The rules (docs/SECURITY.md "plex.tv answers" has them for users):
 *
 *   429 (plex.tv's error 1003, "rate limit exceeded"), any call
 *       -> PLEX_RATE_LIMITED: slow down and try later.
 *   401 whose body carries Plex error code 1001 ("User could not be
 *       authenticated"), any call -> PLEX_UNAUTHORIZED.
 *   422 whose body contains "Invalid token" (the text python-plexapi
 *       matches) or carries code 1001, any call -> PLEX_UNAUTHORIZED.
 *   Any other 401 on /user or /resources -> PLEX_UNAUTHORIZED: we sent a
 *       token and it was refused (RFC 9110 §15.5.2), whatever the body.
 *   Any other 401 on a PIN call (which carries no token), and any other
 *       422 (python-plexapi: "bad request", not a token problem)
 *       -> PLEX_UNAVAILABLE.
 *   404 on a PIN poll (1020: unknown, expired, another client's PIN)
 *       -> PLEX_NOT_FOUND.
 *   Everything else (5xx, other 4xx) -> PLEX_UNAVAILABLE.
 *
 * "Carries code 1001": the JSON envelope {"errors":[{"code":1001,...}]}, or
 * the XML form plex.tv sends without Accept: application/json
 * (<errors><error code="1001" .../></errors>).
 */
#ifndef PO_PLEX_PLEX_RULES_H
#define PO_PLEX_PLEX_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plex/plex.h"

/* The status of a finished answer with HTTP status http that is neither
 * 2xx nor a redirect, from its body (body, len), which may be empty. */
enum plex_status plex_rules_classify(enum plex_endpoint ep, long http, const char *body, size_t len);

/* true if (body, len) carries Plex error code `code` (see above). */
bool plex_rules_has_code(const char *body, size_t len, long code);

/* The wait a Retry-After value asks for, in milliseconds (RFC 9110
 * §10.2.3): delay-seconds, or an HTTP-date (IMF-fixdate) compared with
 * now_s (seconds since the epoch; a date in the past is 0). -1 when the
 * value is NULL, empty or neither form. Not capped: the caller bounds it. */
int64_t plex_rules_retry_after_ms(const char *value, int64_t now_s);

/* May a redirect from a call to api_url (http(s)://host[:port], no
 * trailing slash) go to the absolute URL target? Yes when target is
 *   - https on the default port to plex.tv or a host under it
 *     (clients.plex.tv): Plex's own documentation uses both; or
 *   - the same scheme and port as api_url, to its host or a host under it
 *     (so tests can point api_url at a local fake);
 * and has no user name or password. Everything else (another host, http
 * from https, an IP address, a look-alike such as plex.tv.evil.example or
 * evilplex.tv) is refused: the token header would go along. */
bool plex_rules_redirect_ok(const char *api_url, const char *target);

#endif
