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
/* One answer's body: the largest page is the setup configuration (a few
 * KiB) and /metrics (~10 KiB); 4 MiB only stops a runaway. */
#define LIM_HTTP_RESP_BODY_MAX (4 * 1024 * 1024)
/* A Set-Cookie value we build: a name, a 43-character id and attributes. */
#define LIM_COOKIE_HEADER_MAX 512
/* Idle connection timeout: a slow client cannot pin a connection forever. */
#define LIM_HTTP_CONN_TIMEOUT_S 30
/* On SIGTERM, how long requests in flight may take to finish. A token
 * exchange takes a millisecond; a login waiting on plex.tv is resumed at
 * once by the shutdown. */
#define LIM_HTTP_DRAIN_MS 5000
/* Connections from one address when plex-oidc is not behind a proxy: a
 * browser opens ~6; a few slow clients must not hold all of them. */
#define LIM_HTTP_CONNECTIONS_PER_IP 64
/* Concurrent connections before libmicrohttpd refuses new ones. */
#define LIM_HTTP_CONNECTIONS_MAX 1024

/* ---- Rate limits (store/ratelimit.c) ---- */
/* Token buckets per client address (IPv6: per /64): a burst, then a refill
 * per minute. Generous enough for a household behind one NAT address and
 * for relying parties that exchange codes for all their users from one
 * address; tight enough that a script cannot make us hammer plex.tv (which
 * rate-limits us in turn). */
/* Authorization requests: a page view per second, sustained. */
#define LIM_RL_AUTHORIZE_BURST 60
#define LIM_RL_AUTHORIZE_PER_MIN 60
/* Plex PINs created: one every 5 s. */
#define LIM_RL_PIN_BURST 20
#define LIM_RL_PIN_PER_MIN 12
/* Status polls: a few tabs polling once a second. */
#define LIM_RL_POLL_BURST 120
#define LIM_RL_POLL_PER_MIN 300
/* Token requests: a relying party exchanging codes. */
#define LIM_RL_TOKEN_BURST 120
#define LIM_RL_TOKEN_PER_MIN 600

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
/* Codes outstanding at once (each < 1 KiB), and their bytes: a code record
 * carries the request (state, nonce up to LIM_PARAM_LEN_MAX) and the user. */
#define LIM_CODES_MAX 10000
#define LIM_CODES_BYTES_MAX (16 * 1024 * 1024)
/* A used code is remembered for 10 minutes, well past its validity, so a
 * replay is recognised and its tokens revoked (RFC 6749 §4.1.2, "SHOULD
 * revoke") rather than being just "unknown". */
#define LIM_CODE_REPLAY_MEMORY_S 600
/* Access tokens held for userinfo; opaque. ~600 bytes each as stored. */
#define LIM_TOKENS_MAX 50000
#define LIM_TOKENS_BYTES_MAX (40 * 1024 * 1024)
#define LIM_ACCESS_TOKEN_TTL_S 3600
/* Setup mode: Plex accounts whose owned servers are remembered for the
 * setup page (one operator; a few tries). */
#define LIM_SETUP_ACCOUNTS_MAX 64
#define LIM_SETUP_BYTES_MAX (1024 * 1024)
/* One stored record: a pending login with a 2 KiB state and nonce, the
 * request to replay and the user is < 16 KiB; a record over this is refused
 * rather than stored. */
#define LIM_STORE_VALUE_MAX (64 * 1024)
/* A pending login's continuation: the authorization request as a query
 * string (every parameter percent-encoded, so up to 3x LIM_HTTP_URI_MAX). */
#define LIM_LOGIN_CONT_MAX (LIM_HTTP_URI_MAX * 3)
/* ID token lifetime. Relying parties check it once at login. */
#define LIM_ID_TOKEN_TTL_S 3600

/* ---- The shared store (store/store_redis.c, store/rpool.c) ---- */
/* Opening a connection to Redis: on a LAN or loopback it takes well under
 * a millisecond; 500 ms covers a busy network. A stopped Redis refuses at
 * once; an unreachable host costs this much once, then the back-off below
 * answers "try again" without waiting. */
#define LIM_STORE_CONNECT_TIMEOUT_MS 500
/* One command or pipelined batch: Redis answers in microseconds, so a
 * second means it is stalled; an HTTP thread must not wait longer. Also
 * how long a caller waits for a free connection. */
#define LIM_STORE_COMMAND_TIMEOUT_MS 1000
/* Connections to Redis per process: the HTTP threads (4 with a shared
 * store, app.c) and the plex.tv thread use the store at once; 6 leave one
 * spare, so no caller waits for a connection. */
#define LIM_STORE_CONNS 6
/* After a failed connect the next one waits 100 ms, doubling up to 5 s: a
 * restarting Redis is back within a few seconds and a down one is not
 * hammered by every request. */
#define LIM_STORE_RECONNECT_MIN_MS 100
#define LIM_STORE_RECONNECT_MAX_MS 5000
/* store_update() on Redis is an optimistic transaction (WATCH ... EXEC),
 * run again (after a short random pause, store_redis.c) when another
 * writer changed the key meanwhile. A login's record has at most a few
 * writers racing (the browser's requests and a plex.tv answer); 32 tries
 * still carry eight writers hammering one key (tests/unit) and only end a
 * pathological storm, within ~50 ms of pauses. */
#define LIM_STORE_UPDATE_TRIES 32
/* [store] prefix: the default "plex-oidc:" + 12 hex digits + ":" is 23
 * characters; 64 leave room for an operator's own scheme. */
#define LIM_STORE_PREFIX_MAX 64
/* [store] password_file: Redis accepts any length; generated passwords
 * are 32-64 characters. 1 KiB stops a wrong file (a log, a key). */
#define LIM_STORE_PASSWORD_MAX 1024
/* [store] username: an ACL user name. */
#define LIM_STORE_USERNAME_MAX 128
/* [store] url: "unix:" + a socket path (108 bytes on Linux) + "?db=N"
 * or "redis://" + a DNS name (253) + port and database. */
#define LIM_STORE_URL_MAX 512
/* A permanent record (store_perm_*: the key ring): a few RSA keys in PEM
 * (~1.7 KiB for RSA-2048, ~3.3 KiB for RSA-4096) and symmetric keys, as
 * JSON; 256 KiB is far above and still refuses a runaway. */
#define LIM_STORE_PERM_VALUE_MAX (256 * 1024)

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
/* At most one PIN poll per login per second (docs/PLEX-API.md "Rate limits": ~1/s; harder gets
 * 429). */
#define LIM_PLEX_POLL_INTERVAL_MS 1000
/* Consecutive failed PIN polls tolerated before "Plex is not answering". */
#define LIM_PLEX_POLL_FAILURES_MAX 3
/* A PIN poll in flight for longer than any plex.tv call can take (its
 * connect and total timeouts, plus a margin) was lost with the instance
 * that sent it: another may poll. */
#define LIM_PLEX_POLL_STALE_MS (LIM_PLEX_TOTAL_TIMEOUT_MS + 2000)
/* A PIN being created for longer than any plex.tv call can take was lost
 * with the instance that asked for it (a replica killed mid-login), or its
 * answer could not be recorded (the store was down): the next "start" of
 * the login asks for a new one instead of waiting forever. */
#define LIM_PLEX_PIN_STALE_MS (LIM_PLEX_TOTAL_TIMEOUT_MS + 2000)
/* A user or resources call answered 429 is asked again (after the client's
 * back-off) this many times before the login says "try again". */
#define LIM_PLEX_RATE_LIMITED_RETRIES 3
/* plex.tv calls in flight at once across all logins. */
#define LIM_PLEX_INFLIGHT_MAX 256
/* Plex tokens may be ~540-character JWTs; 4 KiB leaves headroom. */
#define LIM_PLEX_TOKEN_MAX 4096

/* ---- Files ---- */
/* A path we build from data_dir and a file name (PATH_MAX on Linux). */
#define LIM_PATH_MAX 4096

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
