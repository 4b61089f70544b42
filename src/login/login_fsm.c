/*
 * login_fsm.c - the states of a pending login and the one transition
 * function (see login.h). Every allowed move is a row of next_state[];
 * login_step() adds only what a table cannot say: the PIN poll's pacing
 * and the count of failed polls.
 */
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "login/login.h"
#include "po_limits.h"

#define NO (-1)   /* refused in this state */
#define SAME (-2) /* allowed, the state does not change */

/* next_state[state][event]: the state an event leads to, SAME, or NO. */
/* One row per state, read across: not for clang-format. */
/* clang-format off */
static const signed char next_state[LOGIN_STATES][LEV_COUNT] = {
	[LOGIN_IDLE] = {
		[LEV_VIEW] = SAME, [LEV_START] = LOGIN_PIN_PENDING, [LEV_PIN_CREATED] = NO,
		[LEV_PIN_FAILED] = NO, [LEV_POLL] = SAME, [LEV_POLL_DROPPED] = SAME, [LEV_PIN_PENDING] = NO,
		[LEV_PIN_APPROVED] = NO, [LEV_PIN_GONE] = NO, [LEV_POLL_FAILED] = NO, [LEV_SLOW_DOWN] = NO,
		[LEV_ALLOWED] = NO, [LEV_DENIED] = NO, [LEV_CHECK_FAILED] = NO, [LEV_SIGNED_OUT] = NO, [LEV_FINISH] = NO,
	},
	[LOGIN_PIN_PENDING] = {
		/* START here is a double click: the PIN is on its way (after
		 * LIM_PLEX_PIN_STALE_MS it is lost, and START asks again). */
		[LEV_VIEW] = SAME, [LEV_START] = SAME, [LEV_PIN_CREATED] = LOGIN_WAITING,
		[LEV_PIN_FAILED] = LOGIN_UNAVAILABLE, [LEV_POLL] = SAME, [LEV_POLL_DROPPED] = SAME, [LEV_PIN_PENDING] = NO,
		[LEV_PIN_APPROVED] = NO, [LEV_PIN_GONE] = NO, [LEV_POLL_FAILED] = NO, [LEV_SLOW_DOWN] = NO,
		[LEV_ALLOWED] = NO, [LEV_DENIED] = NO, [LEV_CHECK_FAILED] = NO, [LEV_SIGNED_OUT] = NO, [LEV_FINISH] = NO,
	},
	[LOGIN_WAITING] = {
		/* START here reopens Plex's page for the same PIN. */
		[LEV_VIEW] = SAME, [LEV_START] = SAME, [LEV_PIN_CREATED] = NO, [LEV_PIN_FAILED] = NO,
		[LEV_POLL] = SAME, [LEV_POLL_DROPPED] = SAME, [LEV_PIN_PENDING] = SAME,
		[LEV_PIN_APPROVED] = LOGIN_CHECKING, [LEV_PIN_GONE] = LOGIN_EXPIRED, [LEV_POLL_FAILED] = SAME,
		[LEV_SLOW_DOWN] = SAME, [LEV_ALLOWED] = NO, [LEV_DENIED] = NO, [LEV_CHECK_FAILED] = NO,
		[LEV_SIGNED_OUT] = NO, [LEV_FINISH] = NO,
	},
	[LOGIN_CHECKING] = {
		[LEV_VIEW] = SAME, [LEV_START] = SAME, [LEV_PIN_CREATED] = NO, [LEV_PIN_FAILED] = NO,
		[LEV_POLL] = SAME, [LEV_POLL_DROPPED] = SAME, [LEV_PIN_PENDING] = NO, [LEV_PIN_APPROVED] = NO,
		[LEV_PIN_GONE] = NO, [LEV_POLL_FAILED] = NO, [LEV_SLOW_DOWN] = NO, [LEV_ALLOWED] = LOGIN_DONE,
		[LEV_DENIED] = LOGIN_DENIED, [LEV_CHECK_FAILED] = LOGIN_UNAVAILABLE, [LEV_SIGNED_OUT] = LOGIN_ERROR,
		[LEV_FINISH] = NO,
	},
	[LOGIN_DONE] = {
		[LEV_VIEW] = SAME, [LEV_START] = SAME, [LEV_PIN_CREATED] = NO, [LEV_PIN_FAILED] = NO,
		[LEV_POLL] = SAME, [LEV_POLL_DROPPED] = SAME, [LEV_PIN_PENDING] = NO, [LEV_PIN_APPROVED] = NO,
		[LEV_PIN_GONE] = NO, [LEV_POLL_FAILED] = NO, [LEV_SLOW_DOWN] = NO, [LEV_ALLOWED] = NO, [LEV_DENIED] = NO,
		[LEV_CHECK_FAILED] = NO, [LEV_SIGNED_OUT] = NO, [LEV_FINISH] = SAME,
	},
	[LOGIN_DENIED] = {
		/* "Sign in with another account" starts a new login from the
		 * app's request: START here only shows the outcome again. */
		[LEV_VIEW] = SAME, [LEV_START] = SAME, [LEV_PIN_CREATED] = NO, [LEV_PIN_FAILED] = NO,
		[LEV_POLL] = SAME, [LEV_POLL_DROPPED] = SAME, [LEV_PIN_PENDING] = NO, [LEV_PIN_APPROVED] = NO,
		[LEV_PIN_GONE] = NO, [LEV_POLL_FAILED] = NO, [LEV_SLOW_DOWN] = NO, [LEV_ALLOWED] = NO, [LEV_DENIED] = NO,
		[LEV_CHECK_FAILED] = NO, [LEV_SIGNED_OUT] = NO, [LEV_FINISH] = NO,
	},
	/* The failures: a click in the same page tries again with a new PIN. */
	[LOGIN_UNAVAILABLE] = {
		[LEV_VIEW] = SAME, [LEV_START] = LOGIN_PIN_PENDING, [LEV_PIN_CREATED] = NO, [LEV_PIN_FAILED] = NO,
		[LEV_POLL] = SAME, [LEV_POLL_DROPPED] = SAME, [LEV_PIN_PENDING] = NO, [LEV_PIN_APPROVED] = NO,
		[LEV_PIN_GONE] = NO, [LEV_POLL_FAILED] = NO, [LEV_SLOW_DOWN] = NO, [LEV_ALLOWED] = NO, [LEV_DENIED] = NO,
		[LEV_CHECK_FAILED] = NO, [LEV_SIGNED_OUT] = NO, [LEV_FINISH] = NO,
	},
	[LOGIN_EXPIRED] = {
		[LEV_VIEW] = SAME, [LEV_START] = LOGIN_PIN_PENDING, [LEV_PIN_CREATED] = NO, [LEV_PIN_FAILED] = NO,
		[LEV_POLL] = SAME, [LEV_POLL_DROPPED] = SAME, [LEV_PIN_PENDING] = NO, [LEV_PIN_APPROVED] = NO,
		[LEV_PIN_GONE] = NO, [LEV_POLL_FAILED] = NO, [LEV_SLOW_DOWN] = NO, [LEV_ALLOWED] = NO, [LEV_DENIED] = NO,
		[LEV_CHECK_FAILED] = NO, [LEV_SIGNED_OUT] = NO, [LEV_FINISH] = NO,
	},
	[LOGIN_ERROR] = {
		[LEV_VIEW] = SAME, [LEV_START] = LOGIN_PIN_PENDING, [LEV_PIN_CREATED] = NO, [LEV_PIN_FAILED] = NO,
		[LEV_POLL] = SAME, [LEV_POLL_DROPPED] = SAME, [LEV_PIN_PENDING] = NO, [LEV_PIN_APPROVED] = NO,
		[LEV_PIN_GONE] = NO, [LEV_POLL_FAILED] = NO, [LEV_SLOW_DOWN] = NO, [LEV_ALLOWED] = NO, [LEV_DENIED] = NO,
		[LEV_CHECK_FAILED] = NO, [LEV_SIGNED_OUT] = NO, [LEV_FINISH] = NO,
	},
};
/* clang-format on */

int
login_next_state(enum login_state st, enum login_event ev)
{
	int n;

	if ((unsigned)st >= LOGIN_STATES || (unsigned)ev >= LEV_COUNT)
		return -1;
	n = next_state[st][ev];
	return n == SAME ? (int)st : n;
}

/* A poll is due: none in flight (or the one in flight is older than any
 * plex.tv call can take: its instance died), and the last one was at
 * least LIM_PLEX_POLL_INTERVAL_MS ago (plex.tv rate-limits harder polls). */
static bool
poll_due(const login_t *l, int64_t now_ms)
{
	if (l->polling && now_ms - l->poll_at_ms < LIM_PLEX_POLL_STALE_MS)
		return false;
	return now_ms - l->poll_at_ms >= LIM_PLEX_POLL_INTERVAL_MS;
}

/* The PIN asked for at poll_at_ms never came: the instance creating it
 * died, or its answer could not be recorded (a replica killed, the store
 * down for a moment). START asks again rather than waiting for a PIN that
 * will not come. */
static bool
pin_stale(const login_t *l, int64_t now_ms)
{
	return l->st == LOGIN_PIN_PENDING && now_ms - l->poll_at_ms >= LIM_PLEX_PIN_STALE_MS;
}

int
login_step(login_t *l, const login_event_data_t *e, int64_t now_ms, login_effect_t *eff)
{
	int next;
	identity_t *who = NULL;
	char *s = NULL, *sess = NULL;

	memset(eff, 0, sizeof(*eff));
	if ((next = login_next_state(l->st, e->ev)) < 0)
		return PO_ERR_INVALID;
	/* What an event carries is copied first: on failure l is unchanged. */
	switch (e->ev) {
	case LEV_PIN_CREATED:
		if (e->pin_code == NULL || e->pin_id <= 0)
			return PO_ERR_INVALID;
		if ((s = str_dup(e->pin_code)) == NULL)
			return PO_ERR_NOMEM;
		break;
	case LEV_ALLOWED:
		if (e->who == NULL)
			return PO_ERR_INVALID;
		if ((who = identity_dup(e->who)) == NULL || (e->sess && (sess = str_dup(e->sess)) == NULL)) {
			identity_free(who);
			return PO_ERR_NOMEM;
		}
		break;
	case LEV_DENIED:
		if (e->account && (s = str_dup(e->account)) == NULL)
			return PO_ERR_NOMEM;
		break;
	default:
		break;
	}

	switch (e->ev) {
	case LEV_START:
		/* A new PIN, also after a failure ("try again"), and when the
		 * one asked for never came (pin_stale). */
		if (next != (int)l->st || pin_stale(l, now_ms)) {
			free(l->pin_code);
			l->pin_code = NULL;
			l->pin_id = 0;
			l->poll_failures = 0;
			l->polling = false;
			l->poll_at_ms = now_ms; /* in PIN_PENDING: when the PIN was asked for */
			eff->create_pin = true;
		}
		break;
	case LEV_PIN_CREATED:
		free(l->pin_code);
		l->pin_code = s;
		s = NULL; /* transferred */
		l->pin_id = e->pin_id;
		l->poll_at_ms = now_ms; /* the first poll a second from now */
		break;
	case LEV_POLL:
		if (l->st == LOGIN_WAITING && poll_due(l, now_ms)) {
			l->polling = true;
			l->poll_at_ms = now_ms;
			eff->poll_pin = true;
		}
		break;
	case LEV_POLL_DROPPED:
		l->polling = false;
		break;
	case LEV_PIN_PENDING:
	case LEV_SLOW_DOWN:
		/* 429 is "slow down", not a failure: the next poll waits a full
		 * interval, and the client has backed off for everyone. */
		if (e->ev == LEV_PIN_PENDING)
			l->poll_failures = 0;
		l->polling = false;
		l->poll_at_ms = now_ms;
		break;
	case LEV_PIN_APPROVED:
	case LEV_PIN_GONE:
		l->polling = false;
		break;
	case LEV_POLL_FAILED:
		/* One failed poll is retried by the next; only a run of them
		 * means Plex is down. */
		l->polling = false;
		l->poll_at_ms = now_ms;
		if (++l->poll_failures >= LIM_PLEX_POLL_FAILURES_MAX)
			next = LOGIN_UNAVAILABLE;
		break;
	case LEV_ALLOWED:
		identity_free(l->who);
		l->who = who;
		who = NULL; /* transferred */
		free(l->sess);
		l->sess = sess;
		sess = NULL; /* transferred */
		break;
	case LEV_DENIED:
		free(l->account);
		l->account = s;
		s = NULL; /* transferred */
		l->denied_reason = e->denied_reason;
		break;
	case LEV_FINISH:
		eff->remove = true;
		break;
	default:
		break;
	}
	l->st = (enum login_state)next;
	identity_free(who);
	free(s);
	free(sess);
	return PO_OK;
}

const char *
login_state_name(enum login_state st)
{
	static const char *const names[LOGIN_STATES] = { "idle", "pin_pending", "waiting", "checking", "done",
		"denied", "unavailable", "expired", "error" };

	return (unsigned)st < LOGIN_STATES ? names[st] : "invalid";
}

const char *
login_page_state(enum login_state st)
{
	switch (st) {
	case LOGIN_IDLE: return "idle";
	case LOGIN_PIN_PENDING:
	case LOGIN_WAITING:
	case LOGIN_CHECKING: return "waiting";
	case LOGIN_DONE: return "done";
	case LOGIN_DENIED: return "denied";
	case LOGIN_UNAVAILABLE: return "unavailable";
	case LOGIN_EXPIRED: return "expired";
	case LOGIN_ERROR:
	case LOGIN_STATES: break;
	}
	return "error";
}

const char *
login_event_name(enum login_event ev)
{
	static const char *const names[LEV_COUNT] = { "view", "start", "pin_created", "pin_failed", "poll",
		"poll_dropped", "pin_pending", "pin_approved", "pin_gone", "poll_failed", "slow_down", "allowed",
		"denied", "check_failed", "signed_out", "finish" };

	return (unsigned)ev < LEV_COUNT ? names[ev] : "invalid";
}
