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
/* A prebuilt answer that was replaced (the JWKS after a key change) is
 * freed this long after: far longer than a handler takes to queue it. */
#define LIM_ANSWER_GRACE_MS 10000
/* One answer's body: the largest page is the setup configuration (a few
 * KiB) and /metrics (~10 KiB); 4 MiB only stops a runaway. */
#define LIM_HTTP_RESP_BODY_MAX (4 * 1024 * 1024)
/* A Set-Cookie value we build: a name, a 43-character id and attributes. */
#define LIM_COOKIE_HEADER_MAX 512
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
 * Each costs a socket and LIM_HTTP_HEAD_MAX * 3 of buffer (server.c).
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
/* Kept re-check outcomes (one small record per session re-checked within
 * access_recheck): beyond, the oldest is forgotten and re-checked again. */
#define LIM_ACCESS_KEPT_MAX 100000
#define LIM_ACCESS_KEPT_BYTES_MAX (32 * 1024 * 1024)
/* Sessions ended before their time (logout, a share removed), remembered
 * until they would have expired. Logouts are rare and take a valid session;
 * if more pile up, the oldest is forgotten: its cookie, replayed, would
 * open again until it expires (docs/SECURITY.md). */
#define LIM_REVOKED_MAX 100000
#define LIM_REVOKED_BYTES_MAX (32 * 1024 * 1024)
/* Refresh token chains (one per client and user who asked for
 * offline_access): the current token of each, for reuse detection. A chain
 * forgotten when this is full is accepted again at its next refresh
 * (docs/SECURITY.md, "Refresh tokens"). */
#define LIM_REFRESH_CHAINS_MAX 100000
#define LIM_REFRESH_CHAINS_BYTES_MAX (48 * 1024 * 1024)
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
/* Named groups ([group.NAME]) and the users one lists; guarded apps
 * ([app.NAME]) and the host names one lists. A household has a few of
 * each; the bounds stop a generated file from growing without end. */
#define LIM_GROUPS_MAX 64
#define LIM_GROUP_USERS_MAX 256
#define LIM_APPS_MAX 256
#define LIM_APP_HOSTS_MAX 32
/* Plex servers in [plex] server_id: one per house, a few at most. */
#define LIM_PLEX_SERVERS_MAX 16
#define LIM_REDIRECT_URIS_MAX 32
/* A URL in config (issuer, redirect URI). */
#define LIM_URL_MAX 2048
/* Minimum client secret length: 32 characters of a URL-safe alphabet carry
 * > 190 bits. Shorter secrets are refused at start. */
#define LIM_CLIENT_SECRET_MIN 32
#define LIM_CLIENT_SECRET_MAX 512
/* Hashed client secrets (core/secret_hash.c, docs/SECURITY.md): scrypt
 * (RFC 7914) with N = 2^ln. hash-secret writes ln = 13, r = 8, p = 1: 8 MiB
 * and 20-30 ms per verification on the 2-core machine of bench/run, well
 * under the 50 ms a token request may spend on it. A value in the file may
 * ask for more, up to 128 * N * r * p = 16 MiB of work (ln = 14 with r = 8:
 * ~40 ms), never so much that one request stalls the server; below
 * ln = 10 (1 MiB) the hash would protect a weak secret too little. */
#define LIM_SECRET_HASH_LN_DEFAULT 13
#define LIM_SECRET_HASH_R_DEFAULT 8
#define LIM_SECRET_HASH_P_DEFAULT 1
#define LIM_SECRET_HASH_LN_MIN 10
#define LIM_SECRET_HASH_WORK_MAX (16 * 1024 * 1024)
/* Salt and hash in bytes: hash-secret writes 16 and 32. A value may have
 * a salt of 8 (64 random bits) to 64 bytes and a hash of 16 (a 128-bit
 * match) to 64 bytes. */
#define LIM_SECRET_HASH_SALT_LEN 16
#define LIM_SECRET_HASH_LEN 32
#define LIM_SECRET_HASH_SALT_MIN 8
#define LIM_SECRET_HASH_OUT_MIN 16
#define LIM_SECRET_HASH_BYTES_MAX 64
/* The PHC string: "$scrypt$ln=NN,r=NNNN,p=NN$" and two base64 fields of 64
 * bytes at most; 256 is ample and bounds what the parser reads. */
#define LIM_SECRET_HASH_STR_MAX 256
/* scrypt runs at most this many at once (others are told to retry): each
 * holds a thread of the HTTP pool (2) and up to 16 MiB, and a wrong
 * secret is never cheaper, so a flood of them must not take every thread
 * (docs/SECURITY.md, "Hashed client secrets"). */
#define LIM_SECRET_HASH_CONCURRENT 1
/* The Retry-After of a token request that found scrypt busy. */
#define LIM_SECRET_HASH_RETRY_AFTER_S 1
/* WebFinger (oidc/webfinger.c): "acct:" and an email address (at most 254
 * characters, RFC 5321 §4.5.3.1.3), with room; and a refusal's line. */
#define LIM_WEBFINGER_RESOURCE_MAX 512
#define LIM_WEBFINGER_MESSAGE_MAX 256

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

/* ---- The key ring (keys/keyring.c) ---- */
/* The JWKS Cache-Control max-age (oidc/discovery.c answers /jwks with
 * "public, max-age=300"): a relying party may use a key set this old. */
#define LIM_JWKS_MAX_AGE_S 300
/* A new signing key is published (in the JWKS as "next") at least this long
 * before it signs anything: twice the JWKS max-age, so that a relying party
 * whose cached key set predates the new key has fetched it again, with one
 * max-age to spare for a slow fetch. Rotating sooner needs --force. */
#define LIM_KEY_PREPUBLISH_S (2 * LIM_JWKS_MAX_AGE_S)
/* Added to every retire time: clocks of replicas that differ a little,
 * and tokens issued a moment before a rotation reached every replica. */
#define LIM_KEY_RETIRE_MARGIN_S (10 * 60)
/* A signing key that stops signing stays published this long: the last ID
 * token it signed is valid for LIM_ID_TOKEN_TTL_S, and a relying party may
 * hold a key set fetched just before the rotation for LIM_JWKS_MAX_AGE_S. */
#define LIM_KEY_SIG_RETIRE_S (LIM_ID_TOKEN_TTL_S + LIM_JWKS_MAX_AGE_S + LIM_KEY_RETIRE_MARGIN_S)
/* Previous keys kept per algorithm, and previous sealing keys. Sealing
 * keys retire after the longest session or refresh lifetime, so rotating
 * often with long lifetimes piles them up; past this a rotation is refused
 * with the date the oldest retires (and [server] key_rotation is checked
 * against it at start). Each key costs ~2 KiB (RSA) or ~100 bytes. */
#define LIM_KEYRING_PREVIOUS_MAX 32
/* How often a running server looks at keyring.json (one stat()) and
 * reloads it when it changed, e.g. after rotate-keys: a few seconds, so a
 * rotation takes effect long before the next key may sign. */
#define LIM_KEYRING_RELOAD_S 5
/* keyring.json: 3 algorithms x (2 + 32) RSA-sized keys is ~250 KiB; 1 MiB
 * stops a wrong file from being read. */
#define LIM_KEYRING_FILE_MAX (1024 * 1024)
/* A message from the key ring module (what is wrong and what to do). */
#define LIM_KEYRING_WHY_MAX 1024

/* ---- Sealed values (session/seal.c) ---- */
/* A sealed value as text (base64url). Sessions travel in a cookie, and
 * browsers keep at least 4096 bytes per cookie, name and attributes
 * included (RFC 6265 §6.1); refresh tokens use the same bound. Anything
 * longer is refused before it is decoded. */
#define LIM_SEALED_MAX 4096
/* The purpose label ("session", "refresh") bound into every sealed value. */
#define LIM_SEAL_PURPOSE_MAX 32
/* The context bound into every sealed value: the issuer, a URL. */
#define LIM_SEAL_CONTEXT_MAX LIM_URL_MAX

/* ---- Sessions, re-checks, refresh tokens, rotation ([server], config) ---- */
/* session_lifetime: below 5 minutes a session outlives no sign-in; above
 * 400 days browsers cut the cookie short anyway (RFC 6265bis §5.5). */
#define LIM_SESSION_LIFETIME_MIN_S (5 * 60)
#define LIM_SESSION_LIFETIME_MAX_S (400 * 86400)
/* refresh_lifetime: at least an hour (shorter is an access token's job),
 * at most 400 days like sessions. */
#define LIM_REFRESH_LIFETIME_MIN_S (60 * 60)
#define LIM_REFRESH_LIFETIME_MAX_S (400 * 86400)
/* access_recheck: a check costs a plex.tv call per active user (and plex.tv
 * rate-limits us) and makes the request that is due wait for it, hence at
 * least 10 seconds; at most a day, so an un-shared friend is never let in
 * for longer than that. */
#define LIM_ACCESS_RECHECK_MIN_S 10
#define LIM_ACCESS_RECHECK_MAX_S 86400
/* access_grace: 0 (no grace: a plex.tv outage stops re-checked sessions)
 * to a day (the longest an un-shared friend keeps access while plex.tv is
 * down). */
#define LIM_ACCESS_GRACE_MAX_S 86400
/* Re-checks in flight at once (each a plex.tv call for one session), and
 * requests of one session that may wait for its re-check (a page and its
 * assets through forward auth). Beyond either, the last good answer is
 * used within the grace. */
#define LIM_ACCESS_INFLIGHT_MAX 1024
#define LIM_ACCESS_WAITERS_MAX 64
/* After a re-check that plex.tv did not answer, the next one waits this
 * long: requests meanwhile use the last good answer (within the grace)
 * rather than each waiting for another timeout. */
#define LIM_ACCESS_RETRY_S 15
/* A kept re-check outcome: {"k":..,"g":..,"r":..,"s":..}. */
#define LIM_ACCESS_RECORD_MAX 96
/* The logout confirmation page's form is good this long: long enough to
 * read it, short enough that an old page's token is no use. */
#define LIM_LOGOUT_CONFIRM_S 600
/* key_rotation: at least a day (far above LIM_KEY_PREPUBLISH_S, and it
 * bounds how many previous sealing keys pile up), at most a year. */
#define LIM_KEY_ROTATION_MIN_S 86400
#define LIM_KEY_ROTATION_MAX_S (366 * 86400)

/* ---- forward auth (gate/) ---- */
/* The address a sign-in goes back to (the original request's URL): it
 * travels form-encoded (up to 3 bytes per byte) in the sign-in link, which
 * must stay under LIM_HTTP_URI_MAX. A longer original URL sends the
 * browser back to the app's root instead. */
#define LIM_GATE_URL_MAX 2048
/* A host name (RFC 1035 §2.3.4: 253 characters written out). */
#define LIM_GATE_HOST_MAX 253
/* Opened forward-auth cookies kept (gate/gate_cache.h): a household has
 * tens of browsers, not hundreds; each entry is about 600 bytes, all
 * allocated at start (about 300 KiB), so memory does not grow with the
 * sessions seen. Sets of 4 entries: a few collisions cost a slow check,
 * never a wrong one. */
#define LIM_GATE_CACHE_SLOTS 512
#define LIM_GATE_CACHE_WAYS 4

#endif
