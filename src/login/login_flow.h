/*
 * login_flow.h - the plex.tv side of a login: the chain of calls that
 * creates a PIN, polls it, and once it is approved reads the user and their
 * resources and asks the policy. Every answer becomes an event applied to
 * the login's record (logins.h); the chain never holds a lock while it
 * waits, and keeps the user's Plex token only in its own memory, never in
 * the record.
 *
 * The calls go through login_plex_ops_t, so tests drive the chain with a
 * stub plex client; the program uses login_flow_plex_ops() (plex.h). The
 * callbacks run on the plex client's worker thread.
 */
#ifndef PO_LOGIN_LOGIN_FLOW_H
#define PO_LOGIN_LOGIN_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "keys/keyholder.h"
#include "metrics.h"
#include "plex/plex.h"
#include "policy/identity.h"
#include "store/store.h"

/* The four plex.tv calls, with plex.h's contract (a call that returns PO_OK
 * calls its callback exactly once, later, from another thread or the same
 * one). */
typedef struct login_plex_ops {
	int (*pin_create)(void *plex, plex_pin_cb cb, void *arg);
	int (*pin_check)(void *plex, int64_t pin_id, plex_pin_cb cb, void *arg);
	int (*user_get)(void *plex, const char *token, plex_user_cb cb, void *arg);
	int (*resources_get)(void *plex, const char *token, plex_resources_cb cb, void *arg);
} login_plex_ops_t;

/* Setup mode's look at a signed-in account's resources (oidc/setup.c). */
typedef void (*login_resources_hook)(void *arg, const identity_t *who, const plex_resources_t *res);

typedef struct login_flow_opts {
	store_t *store;              /* borrowed: the pending logins */
	const login_plex_ops_t *ops; /* borrowed */
	void *plex;                  /* borrowed: passed to ops */
	const config_t *cfg;         /* borrowed: [plex] server_id, owner_id */
	metrics_t *metrics;          /* borrowed */
	keyholder_t *keys;           /* borrowed: seals the new session; NULL: none */
	bool setup_mode;             /* every account may sign in (main.c decides) */
} login_flow_opts_t;

typedef struct login_flow login_flow_t;

/* The real plex client's calls. */
const login_plex_ops_t *login_flow_plex_ops(void);

/* PO_OK or PO_ERR_NOMEM. The options' pointers must outlive the flow. */
int login_flow_new(const login_flow_opts_t *o, login_flow_t **out) PO_WUR;
/* After it returns, no new plex.tv call starts (they fail as if plex.tv
 * were down); calls under way finish or are cancelled by the plex client. */
void login_flow_stop(login_flow_t *f);
/* Sets setup mode's look at the resources (before the server starts). */
void login_flow_set_hook(login_flow_t *f, login_resources_hook hook, void *arg);
/* Frees; the plex client must have been freed (its callbacks use f).
 * Accepts NULL. */
void login_flow_free(login_flow_t *f);

/* Creates the PIN of login id (which login_step moved to PIN_PENDING).
 * done(done_arg) is called once the outcome is in the record (from the
 * worker thread), if and only if PO_OK is returned. On any error the login
 * has been moved to UNAVAILABLE already. */
int login_flow_create_pin(login_flow_t *f, const char *id, void (*done)(void *), void *done_arg);
/* Polls the PIN pin_id of login id (a poll login_step claimed) and, when
 * it is approved, goes on to the user and the resources. On error the claim
 * has been released (LEV_POLL_DROPPED): the next status request retries. */
int login_flow_poll(login_flow_t *f, const char *id, int64_t pin_id);

#endif
