/*
 * po_limits.h - every size, count and time limit of plex-oidc in one place.
 *
 * Each value says why it is what it is. Code never uses a bare number for a
 * limit: it names one of these, so a reviewer can audit the bounds here.
 */
#ifndef PO_PO_LIMITS_H
#define PO_PO_LIMITS_H

/* ---- HTTP input ---- */
/* Whole request head (request line + headers): browsers send < 8 KiB; cookies
 * of other apps on the same domain can be large, 16 KiB leaves room. */
#define LIM_HTTP_HEAD_MAX (16 * 1024)
/* Header fields in one request head: browsers send ~15-20 and proxies add
 * a few; 100 is Apache's LimitRequestFields default. More is refused (431)
 * before any is looked at. */
#define LIM_HTTP_FIELDS_MAX 100
/* Form bodies (token endpoint, POST authorize, POST userinfo). A code exchange
 * is < 1 KiB; an authorization request with a long state is < 8 KiB. */
#define LIM_HTTP_BODY_MAX (16 * 1024)
/* Request target (path + query). Authorization requests with state, nonce and
 * PKCE are ~600 bytes; 8 KiB is what common proxies allow. */
#define LIM_HTTP_URI_MAX (8 * 1024)
/* Parameters in one query string or form body. OIDC uses ~12. */
#define LIM_FORM_PARAMS_MAX 64
/* One parameter name or value, decoded. state and nonce are opaque to us;
 * 2 KiB covers JWT-sized states some clients send. */
#define LIM_PARAM_LEN_MAX 2048
/* Idle timeout: a connection with no bytes in either direction for this
 * long is closed (libmicrohttpd's timeout; activity resets it). */
#define LIM_HTTP_CONN_TIMEOUT_S 30
/* A request head must be complete within this many seconds of the accept
 * (on a keep-alive connection: of the end of the previous answer plus
 * LIM_HTTP_CONN_TIMEOUT_S), however it trickles. The idle timeout alone
 * let one header byte every 29 s hold a connection for ever. A browser
 * sends its head in one packet; 10 s covers a very slow mobile link
 * (Apache's mod_reqtimeout allows 20 s, extended by a minimum rate). */
#define LIM_HTTP_HEAD_TIMEOUT_S 10
/* The whole body (at most LIM_HTTP_BODY_MAX) must be in within this many
 * seconds of the end of the head: 1.6 KiB/s at the least. */
#define LIM_HTTP_BODY_TIMEOUT_S 10
/* How often those deadlines are checked: they hold to within this. */
#define LIM_HTTP_REAP_INTERVAL_MS 250
/* On SIGTERM, how long requests in flight may take to finish. A token
 * exchange takes a millisecond; a login waiting on plex.tv is resumed at
 * once by the shutdown. */
#define LIM_HTTP_DRAIN_MS 5000
/* Connections from one peer address (not counted for trusted proxies,
 * whose connections carry everyone): a browser opens ~6, a household
 * behind one NAT address a few dozen. IPv6 addresses count by /64. */
#define LIM_HTTP_CONNECTIONS_PER_IP 64
/* Requests in flight (head in, answer not yet sent) per client address,
 * the X-Forwarded-For client behind a trusted proxy: the cap that holds
 * behind a proxy, where the per-peer count cannot. A browser has ~6 in
 * flight, a login waiting on plex.tv one. */
#define LIM_HTTP_REQUESTS_PER_CLIENT 64
/* Concurrent connections: 1,000 slow clients must not fill the server.
 * Each costs a socket and a few KiB of touched buffer (libmicrohttpd maps
 * LIM_HTTP_HEAD_MAX * 4 per connection, touched only as far as used).
 * Fewer when the descriptor limit is lower (server.c warns). */
#define LIM_HTTP_CONNECTIONS_MAX 4096
/* Descriptors kept for what is not a client connection: one per plex.tv
 * call in flight, plus the listen socket, epoll, threads, files, logs. */
#define LIM_HTTP_FD_RESERVE (LIM_PLEX_INFLIGHT_MAX + 64)
/* "Busy" means fewer free connections than this (at most a quarter of
 * them): then the oldest idle keep-alive connection is closed for each new
 * one, and an address holding more than LIM_HTTP_CONNECTIONS_PER_IP_BUSY
 * connections gets no more, so a new visitor (or /healthz) still gets in
 * while a few addresses hold many slow connections. */
#define LIM_HTTP_CONNECTIONS_RESERVE 128
#define LIM_HTTP_CONNECTIONS_PER_IP_BUSY 8
/* A connection over a per-address cap is still answered (503 with
 * Retry-After) when its head comes within LIM_HTTP_REFUSED_HEAD_S; an
 * address with more than LIM_HTTP_REFUSED_PER_IP such connections waiting
 * gets the next ones closed at once (reading them would not be cheap). */
#define LIM_HTTP_REFUSED_PER_IP 8
#define LIM_HTTP_REFUSED_HEAD_S 2
/* Retry-After on those 503s: long enough for the cause (a burst, slow
 * clients cut at LIM_HTTP_HEAD_TIMEOUT_S) to clear. */
#define LIM_HTTP_BUSY_RETRY_AFTER_S 5

/* ---- State held in memory ---- */
/* Pending logins: each is < 1 KiB, so 20000 bound the store near 20 MiB
 * in the worst case; beyond it the oldest is evicted. */
#define LIM_LOGINS_MAX 20000
/* ...and by bytes, as the allocator counts them (malloc_usable_size): a
 * request may carry kilobytes of state and nonce, so the count alone would
 * allow ~20000 x 10 KiB. 20 MiB holds LIM_LOGINS_MAX typical logins (~900
 * bytes each); a flood of large ones evicts the oldest sooner instead of
 * growing memory. */
#define LIM_LOGINS_BYTES_MAX (20 * 1024 * 1024)
/* A pending login lives as long as a strong Plex PIN can (30 minutes) would be
 * too long to keep cookies meaningful; 15 minutes is plenty to sign in. */
#define LIM_LOGIN_TTL_S (15 * 60)
/* Authorization codes: RFC 6749 §4.1.2 recommends a maximum lifetime of 10
 * minutes; the issue asks for 60 s, which is ample for a redirect. */
#define LIM_CODE_TTL_S 60
/* Codes outstanding at once (each < 1 KiB). */
#define LIM_CODES_MAX 10000
/* A used code is remembered until its TTL ends so that a replay is detected
 * (RFC 6749 §4.1.2, "SHOULD revoke"). */
/* Access tokens held for userinfo; opaque, in memory. */
#define LIM_TOKENS_MAX 50000
#define LIM_ACCESS_TOKEN_TTL_S 3600
/* ID token lifetime. Relying parties check it once at login. */
#define LIM_ID_TOKEN_TTL_S 3600

/* ---- Protocol values ---- */
/* RFC 7636 §4.1: code_verifier is 43..128 unreserved characters. */
#define LIM_PKCE_VERIFIER_MIN 43
#define LIM_PKCE_VERIFIER_MAX 128
/* S256 challenge = base64url(SHA-256) = 43 characters. */
#define LIM_PKCE_CHALLENGE_LEN 43
/* Random bytes in codes, tokens, login ids and browser ids: 256 bits. */
#define LIM_RANDOM_TOKEN_BYTES 32

/* ---- plex.tv ---- */
/* Bytes read from one plex.tv answer. /api/v2/resources for a user with many
 * shared servers and devices is the largest: ~100 KiB seen for heavy users. */
#define LIM_PLEX_BODY_MAX (1024 * 1024)
/* Connect and total timeouts of one plex.tv call: a few seconds, so a Plex
 * outage becomes "try again", never a hang. */
#define LIM_PLEX_CONNECT_TIMEOUT_MS 3000
#define LIM_PLEX_TOTAL_TIMEOUT_MS 8000
/* At most one PIN poll per login per second (plex-api.md: ~1/s; harder gets
 * 429). */
#define LIM_PLEX_POLL_INTERVAL_MS 1000
/* ONE budget for every call to plex.tv (plex_pace.h): plex.tv rate-limits
 * per IP address and every login's calls come from ours. 10 calls a second
 * keep ~7 logins at once at one poll a second each with their other calls
 * (docs/OPERATIONS.md "plex.tv budget" has the measurement); more logins
 * each poll a little less often. The burst covers a handful of sign-ins
 * starting together. */
#define LIM_PLEX_BUDGET_PER_S 10
#define LIM_PLEX_BUDGET_BURST 20
/* How long a call may wait in the queue for the budget or a back-off
 * before it gives up with PLEX_RATE_LIMITED: shorter than a login page's
 * patience, longer than a typical Retry-After. */
#define LIM_PLEX_QUEUE_WAIT_MS 10000
/* Back-off after a 429 without Retry-After: 1 s, doubling with each 429 in
 * a row; never longer than the maximum, Retry-After included (a server
 * asking for an hour would otherwise stop every sign-in for an hour; after
 * the cap one call probes). */
#define LIM_PLEX_BACKOFF_BASE_MS 1000
#define LIM_PLEX_BACKOFF_MAX_MS 60000
/* Redirects followed per call (plex.tv -> clients.plex.tv is one). */
#define LIM_PLEX_REDIRECTS_MAX 3
/* Consecutive failed PIN polls tolerated before "Plex is not answering". */
#define LIM_PLEX_POLL_FAILURES_MAX 3
/* plex.tv calls in flight at once across all logins. */
#define LIM_PLEX_INFLIGHT_MAX 256
/* Plex tokens may be ~540-character JWTs; 4 KiB leaves headroom. */
#define LIM_PLEX_TOKEN_MAX 4096

/* ---- Config ---- */
/* A config file is a few KiB; 1 MiB stops a wrong path (a log, a binary). */
#define LIM_CONFIG_FILE_MAX (1024 * 1024)
/* Clients and redirect URIs per client. */
#define LIM_CLIENTS_MAX 256
#define LIM_REDIRECT_URIS_MAX 32
/* A URL in config (issuer, redirect URI). */
#define LIM_URL_MAX 2048
/* Minimum client secret length: 32 characters of a URL-safe alphabet carry
 * > 190 bits. Shorter secrets are refused at start. */
#define LIM_CLIENT_SECRET_MIN 32
#define LIM_CLIENT_SECRET_MAX 512

/* ---- plex.tv answers (plex_parse.c) ---- */
/* Longest optional string kept (names, titles, emails, avatar URLs). Real
 * values are < 300 bytes; a longer one is treated as absent rather than
 * carried into ID tokens and pages. */
#define LIM_PLEX_FIELD_MAX 2048
/* OIDC Core §2: "sub" must not exceed 255 ASCII characters; the uuid is it. */
#define LIM_PLEX_UUID_MAX 255
/* PIN codes: 25 characters (strong) or 4 (plex.tv/link); 64 leaves room. */
#define LIM_PLEX_CODE_MAX 64
/* Entries kept from /api/v2/resources (the contract in plex_parse.h). */
#define LIM_PLEX_RESOURCES_MAX 10000

/* ---- The signing key (jwk.c) ---- */
/* A PKCS#8 PEM RSA-2048 key is ~1.7 KiB and RSA-8192 ~6.3 KiB; 64 KiB is far
 * above any real key and stops a wrong file (a log, say) from being read. */
#define LIM_KEY_FILE_MAX (64 * 1024)

/* ---- Operator files for the page (ui.c) ---- */
/* One asset file (logo, background, CSS, override): a login-page logo or
 * background is well under 1 MiB; 2 MiB stops a wrong path (a video). */
#define LIM_UI_FILE_MAX (2 * 1024 * 1024)
/* Files read from assets_dir: the built-in set is ~10; the bound keeps a
 * mistaken directory (a whole media folder) from being loaded into memory. */
#define LIM_UI_DIR_FILES_MAX 256

/* ---- Config identifiers (config_value.c) ---- */
/* "[client.ID]": ID is [A-Za-z0-9._-]{1,64} (config.h). 64 is ample for a
 * name and keeps messages and environment variable names short. */
#define LIM_CLIENT_ID_MAX 64
/* [plex] server_id: Plex machine identifiers are 40 hex digits; 128 leaves
 * room for other forms without letting a pasted token through. */
#define LIM_PLEX_SERVER_ID_MAX 128

/* ---- Config messages (config_read.c) ---- */
/* Problems kept for the report: a wrong file (a binary, a log) would
 * otherwise give one per line. The rest are counted. */
#define LIM_CONFIG_MESSAGES_MAX 50

#endif
