/*
 * logins.h - pending logins kept in the store (store.h, STORE_LOGINS),
 * each moved only by login_step() (login.h) inside one atomic
 * read-modify-write of its record. Whoever drives a login (a browser
 * request, a plex.tv answer) calls logins_apply() with an event and gets
 * back what happened; nobody touches a record any other way.
 *
 * A login belongs to the browser that started it: requests from a browser
 * pass its browser id, which must match the record's (compared in constant
 * time); the plex.tv chain passes NULL.
 */
#ifndef PO_LOGIN_LOGINS_H
#define PO_LOGIN_LOGINS_H

#include <stdint.h>

#include "login/login.h"
#include "store/store.h"

/* Stores l (in IDLE) under a new random id written to id (LOGIN_ID_SIZE
 * bytes). PO_OK, PO_ERR_LIMIT (the record is over the store's budget),
 * PO_ERR_CRYPTO (no randomness), PO_ERR_NOMEM, PO_ERR_UPSTREAM. */
int logins_create(store_t *s, const login_t *l, char *id) PO_WUR;

/* Applies e to login id at now_ms (wall clock ms). bid is the requesting
 * browser's id, or NULL for the plex.tv chain. On PO_OK *after (may be
 * NULL) is a copy of the record after the step (login_clear it; for a
 * removing step, the record as it was removed) and *eff (may be NULL) says
 * what to do next. PO_ERR_NOTFOUND: no such login, expired, or another
 * browser's. PO_ERR_INVALID: the event is refused in the login's state
 * (*after then holds the record as it is). Else PO_ERR_NOMEM or
 * PO_ERR_UPSTREAM. */
int logins_apply(store_t *s, const char *id, const char *bid, const login_event_data_t *e, int64_t now_ms,
    login_t *after, login_effect_t *eff) PO_WUR;

/* true if id looks like one of our ids (43 base64url characters): anything
 * else is not looked up. */
bool logins_id_ok(const char *id);

#endif
