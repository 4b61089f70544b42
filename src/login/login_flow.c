/*
 * login_flow.c - the plex.tv calls of a login (see login_flow.h).
 *
 * One struct chain per chain of calls: it carries the login id, the user's
 * Plex token (a secret, wiped) and what the calls learnt, from one callback
 * to the next. Each answer becomes one event for the login's record; the
 * record may have moved on meanwhile (expired, restarted): then the event
 * is refused by login_step() and the chain stops.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "login/login_flow.h"
#include "login/logins.h"
#include "policy/policy.h"
#include "session/session.h"
#include "po_limits.h"

struct login_flow {
	login_flow_opts_t o;
	login_resources_hook hook;
	void *hook_arg;
	pthread_rwlock_t lock; /* read: a call is being started; write: stopping */
	bool stopping;
};

struct chain {
	login_flow_t *f;
	char id[LOGIN_ID_SIZE];
	void (*done)(void *);
	void *done_arg;
	char *token; /* the user's Plex token: a secret */
	identity_t *who;
	int rate_limited; /* 429s answered to this chain's user/resources calls */
};

/* ---- the real plex client ---- */

static int
real_pin_create(void *p, plex_pin_cb cb, void *arg)
{
	return plex_pin_create(p, cb, arg);
}

static int
real_pin_check(void *p, int64_t pin_id, plex_pin_cb cb, void *arg)
{
	return plex_pin_check(p, pin_id, cb, arg);
}

static int
real_user_get(void *p, const char *token, plex_user_cb cb, void *arg)
{
	return plex_user_get(p, token, cb, arg);
}

static int
real_resources_get(void *p, const char *token, plex_resources_cb cb, void *arg)
{
	return plex_resources_get(p, token, cb, arg);
}

const login_plex_ops_t *
login_flow_plex_ops(void)
{
	static const login_plex_ops_t ops = { real_pin_create, real_pin_check, real_user_get, real_resources_get };

	return &ops;
}

/* ---- the flow ---- */

int
login_flow_new(const login_flow_opts_t *o, login_flow_t **out)
{
	login_flow_t *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (f == NULL)
		return PO_ERR_NOMEM;
	f->o = *o;
	pthread_rwlock_init(&f->lock, NULL);
	*out = f;
	return PO_OK;
}

void
login_flow_set_hook(login_flow_t *f, login_resources_hook hook, void *arg)
{
	f->hook = hook;
	f->hook_arg = arg;
}

void
login_flow_stop(login_flow_t *f)
{
	if (f == NULL)
		return;
	pthread_rwlock_wrlock(&f->lock);
	f->stopping = true;
	pthread_rwlock_unlock(&f->lock);
}

void
login_flow_free(login_flow_t *f)
{
	if (f == NULL)
		return;
	pthread_rwlock_destroy(&f->lock);
	free(f);
}

static struct chain *
chain_new(login_flow_t *f, const char *id)
{
	struct chain *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->f = f;
	memcpy(c->id, id, strnlen(id, LOGIN_ID_SIZE - 1));
	return c;
}

static void
chain_free(struct chain *c)
{
	if (c == NULL)
		return;
	str_free_secret(c->token);
	identity_free(c->who);
	free(c);
}

/* Applies an event from plex.tv's side (no browser id). Refused events are
 * normal here: the login moved on while the call was out. */
static int
event_id(login_flow_t *f, const char *id, const login_event_data_t *e)
{
	int rc = logins_apply(f->o.store, id, NULL, e, clock_now_ms(), NULL, NULL);

	if (rc != PO_OK && rc != PO_ERR_INVALID && rc != PO_ERR_NOTFOUND)
		log_error_fr(rc, "cannot record %s", login_event_name(e->ev));
	return rc;
}

static int
event(struct chain *c, const login_event_data_t *e)
{
	return event_id(c->f, c->id, e);
}

static int
simple_id(login_flow_t *f, const char *id, enum login_event ev)
{
	login_event_data_t e = { .ev = ev };

	return event_id(f, id, &e);
}

static int
simple(struct chain *c, enum login_event ev)
{
	return simple_id(c->f, c->id, ev);
}

/* Starts a call unless the flow is stopping (then it fails like an
 * unreachable plex.tv: PO_ERR_LIMIT). */
#define CALL(f, rc, op, ...)                                                                    \
	do {                                                                                    \
		pthread_rwlock_rdlock(&(f)->lock);                                              \
		(rc) = (f)->stopping ? PO_ERR_LIMIT : (f)->o.ops->op((f)->o.plex, __VA_ARGS__); \
		pthread_rwlock_unlock(&(f)->lock);                                              \
	} while (0)

/* ---- PIN creation ---- */

static void
on_pin_created(void *arg, enum plex_status st, const plex_pin_t *pin)
{
	struct chain *c = arg;
	login_event_data_t e = { .ev = LEV_PIN_FAILED };

	if (st == PLEX_OK) {
		e.ev = LEV_PIN_CREATED;
		e.pin_id = pin->id;
		e.pin_code = pin->code;
	} else {
		log_warn("login: creating a Plex PIN failed: %s", plex_status_name(st));
	}
	if (event(c, &e) == PO_ERR_NOMEM && e.ev == LEV_PIN_CREATED)
		simple(c, LEV_PIN_FAILED);
	if (c->done)
		c->done(c->done_arg);
	chain_free(c);
}

int
login_flow_create_pin(login_flow_t *f, const char *id, void (*done)(void *), void *done_arg)
{
	struct chain *c = chain_new(f, id);
	int rc = PO_ERR_NOMEM;

	if (c != NULL) {
		c->done = done;
		c->done_arg = done_arg;
		CALL(f, rc, pin_create, on_pin_created, c);
	}
	if (rc != PO_OK) {
		simple_id(f, id, LEV_PIN_FAILED);
		chain_free(c);
	}
	return rc;
}

/* ---- polling, then user and resources ---- */

static void on_user(void *arg, enum plex_status st, const plex_user_t *user);
static void on_resources(void *arg, enum plex_status st, const plex_resources_t *res);

/* A user or resources call answered 429: plex.tv asks us to slow down, it
 * is not down. The client has already backed off for every call; ask
 * again, a bounded number of times, before giving up with "try again". */
static bool
retry_later(struct chain *c, enum plex_status st)
{
	int rc;

	if (st != PLEX_RATE_LIMITED || ++c->rate_limited > LIM_PLEX_RATE_LIMITED_RETRIES)
		return false;
	if (c->who == NULL)
		CALL(c->f, rc, user_get, c->token, on_user, c);
	else
		CALL(c->f, rc, resources_get, c->token, on_resources, c);
	return rc == PO_OK;
}

static void
on_pin_checked(void *arg, enum plex_status st, const plex_pin_t *pin)
{
	struct chain *c = arg;
	int rc;

	switch (st) {
	case PLEX_OK:
		if (pin->auth_token == NULL || pin->auth_token[0] == '\0') {
			simple(c, LEV_PIN_PENDING);
			break;
		}
		if (simple(c, LEV_PIN_APPROVED) != PO_OK)
			break; /* the login moved on */
		rc = PO_ERR_NOMEM;
		if ((c->token = str_dup(pin->auth_token)) != NULL)
			CALL(c->f, rc, user_get, c->token, on_user, c);
		if (rc == PO_OK)
			return; /* c goes on to on_user */
		simple(c, LEV_CHECK_FAILED);
		break;
	case PLEX_NOT_FOUND:
		simple(c, LEV_PIN_GONE);
		break;
	case PLEX_RATE_LIMITED:
		simple(c, LEV_SLOW_DOWN);
		break;
	case PLEX_UNAVAILABLE:
	case PLEX_UNAUTHORIZED: /* PIN calls carry no user token: an outage */
	case PLEX_CANCELLED:
		simple(c, st == PLEX_CANCELLED ? LEV_POLL_DROPPED : LEV_POLL_FAILED);
		break;
	}
	chain_free(c);
}

int
login_flow_poll(login_flow_t *f, const char *id, int64_t pin_id)
{
	struct chain *c = chain_new(f, id);
	int rc = PO_ERR_NOMEM;

	if (c != NULL)
		CALL(f, rc, pin_check, pin_id, on_pin_checked, c);
	if (rc != PO_OK) {
		simple_id(f, id, LEV_POLL_DROPPED);
		chain_free(c);
	}
	return rc;
}

/* The outcome of a user or resources call that did not answer. */
static void
check_failed(struct chain *c, enum plex_status st, const char *what)
{
	if (st == PLEX_UNAUTHORIZED) {
		log_warn("login: plex.tv did not accept the token of an approved PIN (%s)", what);
		simple(c, LEV_SIGNED_OUT);
	} else {
		simple(c, LEV_CHECK_FAILED);
	}
}

static void
on_user(void *arg, enum plex_status st, const plex_user_t *user)
{
	struct chain *c = arg;
	int rc = PO_ERR_NOMEM;

	if (retry_later(c, st))
		return;
	if (st != PLEX_OK) {
		check_failed(c, st, "user");
		goto done;
	}
	if ((c->who = identity_from_plex(user, clock_now_s())) != NULL)
		CALL(c->f, rc, resources_get, c->token, on_resources, c);
	if (rc == PO_OK)
		return; /* c goes on to on_resources */
	simple(c, LEV_CHECK_FAILED);
done:
	chain_free(c);
}

/* A new sign-on session for the chain's user, sealed into *out. */
static int
seal_session(struct chain *c, char **out)
{
	keyring_t *ring = keyholder_get(c->f->o.keys);
	session_t s;
	int rc;

	*out = NULL;
	if ((rc = session_new(c->who, c->token, clock_now_s(), c->f->o.cfg->session_lifetime_s, &s)) == PO_OK) {
		rc = session_seal(ring, c->f->o.cfg->issuer, &s, out);
		session_clear(&s);
	}
	keyholder_put(ring);
	return rc;
}

static void
on_resources(void *arg, enum plex_status st, const plex_resources_t *res)
{
	struct chain *c = arg;
	const config_t *cfg = c->f->o.cfg;
	login_event_data_t e = { .ev = LEV_ALLOWED };
	policy_report_t rep;
	char *sess = NULL;

	if (retry_later(c, st))
		return;
	if (st != PLEX_OK) {
		check_failed(c, st, "resources");
		goto done;
	}
	c->who->access = policy_server_access(res, cfg->plex_server_ids, cfg->n_plex_server_ids, c->who->plex_id, cfg->plex_owner_id, &rep);
	if (c->f->o.setup_mode) {
		/* Setup: any account may sign in, to see the servers it owns. */
		if (c->f->hook)
			c->f->hook(c->f->hook_arg, c->who, res);
		c->who->access = PLEX_ACCESS_OWNER;
	}
	if (rep.no_owner_id) {
		/* docs/SECURITY.md: a share plex.tv sent without ownerId cannot be
		 * checked against [plex] owner_id. Visible, never silent. */
		log_warn("login: Plex account %s: %zu share(s) of the server came without ownerId and were refused "
		         "because [plex] owner_id is set (see docs/SECURITY.md, \"owner_id\")",
		    c->who->sub, rep.no_owner_id);
		metrics_inc(c->f->o.metrics, M_ACCESS_UNVERIFIABLE);
	}
	/* The uuid and name are not secrets; they make the log useful. */
	log_info("login: Plex account %s (%s): %s", c->who->sub, c->who->name,
	    c->who->access == PLEX_ACCESS_NONE ? "no access to the server, denied" : plex_access_name(c->who->access));
	if (c->who->access == PLEX_ACCESS_NONE) {
		metrics_inc(c->f->o.metrics, M_LOGINS_DENIED);
		e.ev = LEV_DENIED;
		e.account = c->who->name;
		e.denied_reason = rep.no_owner_id && !rep.other_owner ? LOGIN_DENIED_UNVERIFIABLE : LOGIN_DENIED_NOT_SHARED;
	} else {
		e.who = c->who;
		/* The sign-on session, sealed here where the Plex token is: the
		 * record, and the store, only ever see it sealed. Without one the
		 * sign-in still succeeds, for this app alone. */
		if (c->f->o.keys && !c->f->o.setup_mode && seal_session(c, &sess) != PO_OK)
			log_warn("login: no sign-on session for Plex account %s: sealing failed", c->who->sub);
		e.sess = sess;
	}
	if (event(c, &e) == PO_ERR_NOMEM)
		simple(c, LEV_CHECK_FAILED);
done:
	free(sess);
	chain_free(c);
}
