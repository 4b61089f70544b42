/*
 * access.h - is a signed-in user's Plex access still what it was?
 *
 * A session (or a refresh token) carries the relationship plex.tv gave at
 * its last check and when that was. While the check is younger than
 * [server] access_recheck, it is trusted as it is: no plex.tv call, nothing
 * kept on the server. When it is older, access_check() asks plex.tv again
 * (GET /api/v2/resources with the user's own Plex token) and the policy
 * decides:
 *   - still shared: ACCESS_OK, with the check's time to write back;
 *   - the share is gone: ACCESS_GONE (end the session: no-access page);
 *   - plex.tv refused the token: ACCESS_SIGNED_OUT (sign in again);
 *   - plex.tv is down: the last good answer holds for [server]
 *     access_grace (ACCESS_OK), then ACCESS_UNAVAILABLE ("Plex is not
 *     answering"), never a wrong grant; a failed check is retried after
 *     LIM_ACCESS_RETRY_S, not on every request.
 * A check's outcome is kept in the store (STORE_ACCESS, keyed by the
 * session or chain id, for access_recheck) so every request of that
 * session, on any replica, sees it; concurrent requests of one session
 * share one plex.tv call: the first starts it, all get ACCESS_WAIT and are
 * woken (their wake callback, from the plex client's thread) when it ends,
 * and then ask again.
 */
#ifndef PO_SESSION_ACCESS_H
#define PO_SESSION_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "metrics.h"
#include "plex/plex.h"
#include "store/store.h"

enum access_state {
	ACCESS_OK = 0,      /* allowed: out->rel is the relationship */
	ACCESS_GONE,        /* plex.tv says the server is no longer shared */
	ACCESS_SIGNED_OUT,  /* plex.tv refused the user's token */
	ACCESS_UNAVAILABLE, /* plex.tv did not answer and the grace has run out */
	ACCESS_WAIT,        /* a check is under way: wait to be woken, then ask again */
};

/* What is re-checked: a session or a refresh token chain. */
typedef struct access_subject {
	const char *key;        /* its id (the session id, the chain id) */
	const char *plex_token; /* the user's Plex token (a secret; copied for the call) */
	int64_t plex_id;        /* the Plex account id (owner_id rule) */
	enum plex_access rel;   /* the relationship at its last good check */
	int64_t checked;        /* its last check (Unix s) */
	int64_t good;           /* its last check plex.tv answered */
} access_subject_t;

typedef struct access_result {
	enum access_state st;
	enum plex_access rel; /* ACCESS_OK: the relationship now */
	int64_t checked;      /* to write back into the sealed value */
	int64_t good;
	bool updated; /* checked/good/rel differ from the subject's */
} access_result_t;

/* The plex.tv call, with plex.h's contract (tests stub it). */
typedef int (*access_resources_fn)(void *plex, const char *token, plex_resources_cb cb, void *arg);

typedef struct access_opts {
	store_t *store;
	access_resources_fn resources_get;
	void *plex;
	const config_t *cfg; /* access_recheck, access_grace, [plex] server_id, owner_id */
	metrics_t *metrics;
} access_opts_t;

typedef struct access access_t;

int access_new(const access_opts_t *o, access_t **out) PO_WUR;
/* After it returns no new plex.tv call starts (checks fail as if plex.tv
 * were down). */
void access_stop(access_t *a);
/* Frees; the plex client must have been freed first (its callbacks use
 * a). Accepts NULL. */
void access_free(access_t *a);

/* true if the subject's last check is recent enough to be trusted as is:
 * the fast path, no call needed. */
bool access_fresh(const access_t *a, const access_subject_t *s, int64_t now);
/* Decides (see above). wake(wake_arg) is called once, from another thread,
 * if and only if ACCESS_WAIT is returned in out->st. PO_OK with *out, or
 * PO_ERR_NOMEM. */
int access_check(access_t *a, const access_subject_t *s, int64_t now, void (*wake)(void *), void *wake_arg,
    access_result_t *out) PO_WUR;
/* Forgets a subject's kept outcome (the session ended). */
void access_forget(access_t *a, const char *key);

#endif
