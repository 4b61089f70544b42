/*
 * login.h - a pending login: one browser signing in with Plex, from the
 * page being shown to the outcome. The most involved logic of the program
 * lives behind this small typed API:
 *
 *   - the record (login_t) and its encoding for the store (login_rec.c);
 *   - its states, the events that move it, and the one transition function
 *     login_step() with every allowed move in one table (login_fsm.c);
 *
 * login_step() is pure: no I/O, no clock (the caller passes now), no lock.
 * logins.h applies it to records in the store; login_flow.h feeds it the
 * answers of plex.tv; login_http.h shows it to the browser.
 *
 *   IDLE --start--> PIN_PENDING --pin_created--> WAITING --pin_approved--> CHECKING
 *                       |                          |  \                     |  |  \
 *                  pin_failed              pin_gone  poll_failed x N    allowed denied check_failed
 *                       v                          v          v             v     v      v
 *                  UNAVAILABLE               EXPIRED   UNAVAILABLE       DONE  DENIED UNAVAILABLE
 *   DONE --finish--> (removed).  UNAVAILABLE, EXPIRED, ERROR, DENIED --start--> PIN_PENDING
 *   ("try again" in the same page). signed_out (plex.tv refused the user's
 *   token) leads to ERROR from WAITING or CHECKING.
 */
#ifndef PO_LOGIN_LOGIN_H
#define PO_LOGIN_LOGIN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "policy/identity.h"

/* A login id or browser id: base64url of LIM_RANDOM_TOKEN_BYTES (32), 43
 * characters, in a buffer with room for the NUL. */
#define LOGIN_ID_CHARS 43
#define LOGIN_ID_SIZE 48

enum login_state {
	LOGIN_IDLE = 0,    /* page shown, button not clicked */
	LOGIN_PIN_PENDING, /* creating the Plex PIN */
	LOGIN_WAITING,     /* PIN created, waiting for the user at Plex */
	LOGIN_CHECKING,    /* PIN approved: reading user and resources */
	LOGIN_DONE,        /* Plex knows the user and they have access */
	LOGIN_DENIED,      /* signed in to Plex, server not shared */
	LOGIN_UNAVAILABLE, /* plex.tv failed: "try again" */
	LOGIN_EXPIRED,     /* the PIN expired */
	LOGIN_ERROR,       /* plex.tv refused the token: "sign in again" */
	LOGIN_STATES
};

enum login_event {
	LEV_VIEW = 0,     /* read only: where does it stand */
	LEV_START,        /* the user clicked: a new PIN (also "try again") */
	LEV_PIN_CREATED,  /* plex.tv made the PIN (pin_id, pin_code) */
	LEV_PIN_FAILED,   /* ...or did not */
	LEV_POLL,         /* the page polls: claims a PIN poll when one is due */
	LEV_POLL_DROPPED, /* the claimed poll could not be sent */
	LEV_PIN_PENDING,  /* poll answer: not approved yet */
	LEV_PIN_APPROVED, /* poll answer: approved */
	LEV_PIN_GONE,     /* poll answer: the PIN expired */
	LEV_POLL_FAILED,  /* poll failed (5xx, timeout...): counted */
	LEV_SLOW_DOWN,    /* plex.tv said 429: not a failure, poll later */
	LEV_ALLOWED,      /* user and resources read: access (identity) */
	LEV_DENIED,       /* ...no access (account) */
	LEV_CHECK_FAILED, /* ...plex.tv failed */
	LEV_SIGNED_OUT,   /* plex.tv refused the user's token */
	LEV_FINISH,       /* the front door took the outcome: the login ends */
	LEV_COUNT
};

/* Who started the login and where it goes back to. */
enum login_door {
	LOGIN_DOOR_OIDC = 0, /* an authorization request (cont: its query) */
	LOGIN_DOOR_GATE,     /* forward auth (app: the [app.NAME]; cont: the return URL, gate/gate.h) */
	LOGIN_DOOR_COUNT
};

typedef struct login {
	char bid[LOGIN_ID_SIZE]; /* browser id this login is bound to (cookie) */
	enum login_door door;
	char *app;  /* the client id (or app NAME), for the page and the policy */
	char *cont; /* the door's continuation (door-specific) */
	enum login_state st;
	int64_t pin_id;
	char *pin_code;
	int64_t poll_at_ms; /* wall clock: last poll sent, or 0 */
	bool polling;       /* a poll is in flight (until poll_at_ms + its timeout) */
	int poll_failures;  /* consecutive */
	identity_t *who;    /* DONE: who signed in */
	char *sess;         /* DONE: their new sign-on session, sealed (session.h) */
	char *account;      /* DENIED: the Plex account's name */
	int denied_reason;  /* DENIED: LOGIN_DENIED_* */
} login_t;

/* Why a login was denied, for the page (it must not blame the user for
 * what they cannot change). */
enum {
	LOGIN_DENIED_NOT_SHARED = 0,
	LOGIN_DENIED_UNVERIFIABLE = 1
};

/* An event and what it carries (borrowed; copied by login_step). */
typedef struct login_event_data {
	enum login_event ev;
	int64_t pin_id;        /* LEV_PIN_CREATED */
	const char *pin_code;  /* LEV_PIN_CREATED */
	const identity_t *who; /* LEV_ALLOWED */
	const char *sess;      /* LEV_ALLOWED: the sealed session (may be NULL) */
	const char *account;   /* LEV_DENIED */
	int denied_reason;     /* LEV_DENIED */
} login_event_data_t;

/* What a step asks its caller to do. */
typedef struct login_effect {
	bool create_pin; /* LEV_START moved to PIN_PENDING: create the PIN */
	bool poll_pin;   /* LEV_POLL claimed a poll: poll the PIN */
	bool remove;     /* LEV_FINISH: the record is gone */
} login_effect_t;

/* Applies event e to l at now_ms (wall clock, milliseconds). PO_OK when the
 * event is allowed in l's state (l is updated, *eff says what to do next),
 * PO_ERR_INVALID when it is refused (l and *eff unchanged apart from
 * clearing), PO_ERR_NOMEM. */
int login_step(login_t *l, const login_event_data_t *e, int64_t now_ms, login_effect_t *eff) PO_WUR;
/* The state a table entry leads to, or -1 when the event is refused there
 * (for tests and docs; login_step adds the counted retries). */
int login_next_state(enum login_state st, enum login_event ev);

/* Static names, for logs, the page ("idle", "waiting", "done", "denied",
 * "unavailable", "expired", "error") and tests. */
const char *login_state_name(enum login_state st);
const char *login_page_state(enum login_state st);
const char *login_event_name(enum login_event ev);

/* Frees what l holds (wiping the browser id) and zeroes it. */
void login_clear(login_t *l);
/* Encodes l for the store (appends JSON to out). PO_OK, PO_ERR_NOMEM,
 * PO_ERR_LIMIT. */
int login_encode(const login_t *l, buf_t *out) PO_WUR;
/* Decodes a record into l (zeroed first; login_clear it after). PO_OK or
 * PO_ERR_INVALID (not a login record), PO_ERR_NOMEM. */
int login_decode(const char *buf, size_t len, login_t *l) PO_WUR;

#endif
