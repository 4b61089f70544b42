/*
 * gate.h - forward auth: the front door for apps that speak no OpenID
 * Connect (Sonarr, Radarr, Tautulli, qBittorrent, dashboards). The reverse
 * proxy in front of such an app asks plex-oidc about every request, and
 * the same Plex sign-in, the same session and the same rules (policy.h)
 * decide as for the OpenID Connect clients. docs/INTEGRATIONS.md has the
 * proxies' configurations; docs/ARCHITECTURE.md the picture.
 *
 *   GET /forward-auth   Traefik ForwardAuth, Caddy forward_auth. The
 *                       original request is X-Forwarded-Proto, -Host,
 *                       -Uri (and -Method). Answers 200 with the identity
 *                       headers (Remote-User, Remote-Name, Remote-Email
 *                       when Plex has one, Remote-Groups) when the session
 *                       is allowed for the app of that host; 302 to the
 *                       sign-in (303 for methods other than GET and HEAD)
 *                       without a usable session; 403 with the no-access
 *                       page naming the app when signed in but not allowed.
 *   GET /auth-request   nginx auth_request, which cannot pass a redirect
 *                       on: 200, 401 (with the sign-in URL in Location, for
 *                       the documented "error_page 401" recipe), 403. The
 *                       original URL is X-Original-URL, or the
 *                       X-Forwarded-* set; when both are sent they must
 *                       agree.
 *   GET /forward-auth/login?rd=URL
 *                       the sign-in: rd (the original URL) is checked first
 *                       (gate_url.h: an app's host, https unless the issuer
 *                       is http; anything else is an error page, never a
 *                       redirect); a browser with a sign-on session is
 *                       handed the forward-auth cookie at once, any other
 *                       gets the login page (door LOGIN_DOOR_GATE); then
 *                       back to rd, path and query included.
 *
 * Both check endpoints believe X-Forwarded-* and X-Original-URL only from
 * a peer in [server] trusted_proxies (http_req_t.peer_trusted, decided by
 * the server when the connection opened), and answer anyone else 403: they
 * never decide on headers a client wrote. A host that belongs to no
 * [app.NAME] is 403 too; hosts are compared without the port and
 * case-insensitively.
 *
 * The forward-auth cookie is the sign-on session (session.h), sealed for
 * purpose "gate" and set on [server] cookie_domain so every guarded host
 * receives it. Access is re-checked with plex.tv on the session's
 * schedule (session/access.h: a due check suspends the request, all
 * requests of one session share one call, a friend whose share is gone is
 * locked out and the session revoked); logout (oidc/logout.c) revokes the
 * id and removes both cookies.
 *
 * The check of a valid session is on the path of every request of every
 * guarded app, so what it costs is kept near a fixed answer's: a bounded
 * cache of opened cookies (gate_cache.h) spares the decryption and the
 * parsing; the revocation and the re-check schedule are still looked at
 * on every request.
 *
 * Threads: the handlers run on the HTTP threads; the gate itself is
 * immutable after gate_new() but for its cache, which has its own locks.
 */
#ifndef PO_GATE_GATE_H
#define PO_GATE_GATE_H

#include "config/config.h"
#include "http/router.h"
#include "keys/keyholder.h"
#include "login/login_http.h"
#include "metrics.h"
#include "session/access.h"
#include "store/store.h"
#include "ui/ui.h"

typedef struct gate gate_t;

typedef struct gate_opts {
	const config_t *cfg; /* apps, cookie_domain, issuer */
	keyholder_t *keys;   /* sealing keys */
	const ui_t *ui;
	store_t *store;       /* revoked sessions */
	login_http_t *logins; /* where sign-ins start (door LOGIN_DOOR_GATE) */
	access_t *access;     /* access re-checks */
	metrics_t *metrics;
} gate_opts_t;

/* Builds the gate and registers it as the login pages' GATE door. The
 * options' pointers must outlive it. PO_OK or PO_ERR_NOMEM. */
int gate_new(const gate_opts_t *o, gate_t **out) PO_WUR;
/* Adds /forward-auth, /auth-request and /forward-auth/login; the sign-in
 * gets guard class login_guard (rate limits), the checks none (they carry
 * every request of the guarded apps). */
int gate_routes(gate_t *g, router_t *r, int login_guard) PO_WUR;
/* The key ring was reloaded: opened cookies are forgotten (a rotation may
 * have retired the key one was sealed with). Accepts NULL. */
void gate_keys_changed(gate_t *g);
/* Frees; the HTTP server must have stopped. Accepts NULL. */
void gate_free(gate_t *g);

#endif
