/*
 * access.c - re-checking Plex access (see access.h).
 *
 * The kept outcome of a check (STORE_ACCESS) is a JSON record
 * {"k":checked,"g":good,"r":relationship,"s":state}; state is an
 * access_state, ACCESS_UNAVAILABLE meaning "plex.tv did not answer at k".
 * Checks in flight live in a small list in memory (one per subject key,
 * with the requests waiting for it); the plex client's thread completes
 * them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "po_limits.h"
#include "policy/policy.h"
#include "session/access.h"

struct waiter {
	void (*wake)(void *);
	void *arg;
};

struct check {
	struct check *next;
	access_t *a;
	char key[STORE_KEY_MAX + 1];
	char *token; /* a secret: wiped */
	int64_t plex_id;
	enum plex_access rel; /* the subject's, kept on a failure */
	int64_t good;         /* the subject's last good check */
	struct waiter w[LIM_ACCESS_WAITERS_MAX];
	size_t nw;
};

struct access {
	access_opts_t o;
	pthread_mutex_t mu; /* the list of checks in flight, and stopping */
	struct check *inflight;
	size_t n_inflight;
	bool stopping;
};

int
access_new(const access_opts_t *o, access_t **out)
{
	access_t *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (a == NULL)
		return PO_ERR_NOMEM;
	a->o = *o;
	pthread_mutex_init(&a->mu, NULL);
	*out = a;
	return PO_OK;
}

void
access_stop(access_t *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = true;
	pthread_mutex_unlock(&a->mu);
}

void
access_free(access_t *a)
{
	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->mu);
	free(a);
}

bool
access_fresh(const access_t *a, const access_subject_t *s, int64_t now)
{
	return now - s->checked < a->o.cfg->access_recheck_s;
}

/* ---- the kept outcome ---- */

struct kept {
	int64_t checked, good;
	enum plex_access rel;
	enum access_state st;
};

static int
kept_get(access_t *a, const char *key, struct kept *k)
{
	json_t *o = NULL;
	buf_t b;
	int rc;

	buf_init(&b, LIM_STORE_VALUE_MAX);
	if ((rc = store_get(a->o.store, STORE_ACCESS, key, &b)) != PO_OK)
		goto out;
	rc = PO_ERR_INVALID;
	if ((o = json_loadb(b.data, b.len, 0, NULL)) == NULL || !json_is_integer(json_object_get(o, "k")) ||
	    !json_is_integer(json_object_get(o, "g")) || !json_is_integer(json_object_get(o, "r")) ||
	    !json_is_integer(json_object_get(o, "s")))
		goto out;
	k->checked = json_integer_value(json_object_get(o, "k"));
	k->good = json_integer_value(json_object_get(o, "g"));
	k->rel = (enum plex_access)json_integer_value(json_object_get(o, "r"));
	k->st = (enum access_state)json_integer_value(json_object_get(o, "s"));
	if ((unsigned)k->rel > PLEX_ACCESS_FRIEND || (unsigned)k->st > ACCESS_UNAVAILABLE)
		goto out;
	rc = PO_OK;
out:
	json_decref(o);
	buf_free(&b);
	return rc;
}

static void
kept_put(access_t *a, const char *key, const struct kept *k)
{
	char v[LIM_ACCESS_RECORD_MAX];
	int n = snprintf(v, sizeof(v), "{\"k\":%lld,\"g\":%lld,\"r\":%d,\"s\":%d}", (long long)k->checked,
	    (long long)k->good, (int)k->rel, (int)k->st);

	/* The newest outcome wins: replace what is there. A failure to keep
	 * it only means the next request checks again. */
	(void)store_del(a->o.store, STORE_ACCESS, key);
	if (n > 0 && (size_t)n < sizeof(v) && store_put(a->o.store, STORE_ACCESS, key, v, (size_t)n) != PO_OK)
		log_debug("access: the outcome of a check was not kept");
}

void
access_forget(access_t *a, const char *key)
{
	(void)store_del(a->o.store, STORE_ACCESS, key);
}

/* plex.tv did not answer: the last good answer holds for access_grace. */
static void
on_failure(const access_t *a, enum plex_access rel, int64_t checked, int64_t good, int64_t now, access_result_t *out)
{
	out->checked = checked;
	out->good = good;
	out->rel = rel;
	out->st = now - good <= a->o.cfg->access_grace_s ? ACCESS_OK : ACCESS_UNAVAILABLE;
}

/* ---- checks in flight ---- */

static void check_done(void *arg, enum plex_status st, const plex_resources_t *res);

/* Starts a check for s (or joins the one under way). Called with a->mu
 * held. true if the caller will be woken. */
static bool
join_or_start(access_t *a, const access_subject_t *s, void (*wake)(void *), void *arg)
{
	struct check *c;
	int rc;

	for (c = a->inflight; c != NULL; c = c->next)
		if (strcmp(c->key, s->key) == 0)
			break;
	if (c == NULL) {
		if (a->stopping || a->n_inflight >= LIM_ACCESS_INFLIGHT_MAX || strlen(s->key) > STORE_KEY_MAX ||
		    (c = calloc(1, sizeof(*c))) == NULL)
			return false;
		if ((c->token = str_dup(s->plex_token)) == NULL) {
			free(c);
			return false;
		}
		c->a = a;
		memcpy(c->key, s->key, strlen(s->key) + 1);
		c->plex_id = s->plex_id;
		c->rel = s->rel;
		c->good = s->good;
		/* Listed before the call: its callback may run at once (and
		 * takes the lock, so it waits for us). */
		c->next = a->inflight;
		a->inflight = c;
		a->n_inflight++;
		c->w[c->nw++] = (struct waiter){ wake, arg };
		rc = a->o.resources_get(a->o.plex, c->token, check_done, c);
		if (rc != PO_OK) {
			a->inflight = c->next;
			a->n_inflight--;
			str_free_secret(c->token);
			free(c);
			return false;
		}
		return true;
	}
	if (c->nw == LIM_ACCESS_WAITERS_MAX)
		return false;
	c->w[c->nw++] = (struct waiter){ wake, arg };
	return true;
}

/* For the log: why a re-check did not find the share. */
static const char *
check_outcome(int outcome, enum plex_status st)
{
	if (outcome == ACCESS_GONE)
		return "the server is no longer shared";
	if (outcome == ACCESS_SIGNED_OUT)
		return "plex.tv refused the token";
	return plex_status_name(st);
}

static void
check_done(void *arg, enum plex_status st, const plex_resources_t *res)
{
	struct check *c = arg, **pp;
	access_t *a = c->a;
	const config_t *cfg = a->o.cfg;
	struct kept k = { .checked = clock_now_s(), .good = c->good, .rel = c->rel, .st = ACCESS_UNAVAILABLE };
	size_t i;

	if (st == PLEX_OK) {
		k.rel = policy_server_access(res, cfg->plex_server_ids, cfg->n_plex_server_ids, c->plex_id, cfg->plex_owner_id, NULL);
		k.good = k.checked;
		k.st = k.rel == PLEX_ACCESS_NONE ? ACCESS_GONE : ACCESS_OK;
	} else if (st == PLEX_UNAUTHORIZED) {
		k.st = ACCESS_SIGNED_OUT;
	}
	if (k.st != ACCESS_OK)
		log_info("access: re-check of a session: %s", check_outcome(k.st, st));
	if (st != PLEX_CANCELLED)
		kept_put(a, c->key, &k);
	pthread_mutex_lock(&a->mu);
	for (pp = &a->inflight; *pp != NULL && *pp != c; pp = &(*pp)->next)
		;
	if (*pp == c) {
		*pp = c->next;
		a->n_inflight--;
	}
	pthread_mutex_unlock(&a->mu);
	/* Out of the list: a request woken now and asking again reads the
	 * kept outcome, or starts afresh. */
	for (i = 0; i < c->nw; i++)
		c->w[i].wake(c->w[i].arg);
	str_free_secret(c->token);
	free(c);
}

int
access_check(access_t *a, const access_subject_t *s, int64_t now, void (*wake)(void *), void *wake_arg,
    access_result_t *out)
{
	struct kept k;
	bool waiting;

	memset(out, 0, sizeof(*out));
	out->rel = s->rel;
	out->checked = s->checked;
	out->good = s->good;
	if (access_fresh(a, s, now)) {
		out->st = ACCESS_OK;
		return PO_OK;
	}
	/* Another request (or replica) checked since the subject's check. */
	if (kept_get(a, s->key, &k) == PO_OK && k.checked > s->checked) {
		out->updated = true;
		switch (k.st) {
		case ACCESS_OK:
			if (now - k.checked < a->o.cfg->access_recheck_s) {
				out->st = ACCESS_OK;
				out->rel = k.rel;
				out->checked = k.checked;
				out->good = k.good;
				return PO_OK;
			}
			break;
		case ACCESS_GONE:
		case ACCESS_SIGNED_OUT:
			out->st = k.st;
			return PO_OK;
		case ACCESS_UNAVAILABLE:
			if (now - k.checked < LIM_ACCESS_RETRY_S) {
				/* The subject keeps its own check time: the kept
				 * failure is what paces the next attempt. */
				on_failure(a, s->rel, s->checked, s->good > k.good ? s->good : k.good, now, out);
				out->updated = false;
				return PO_OK;
			}
			break;
		case ACCESS_WAIT:
			break;
		}
	}
	pthread_mutex_lock(&a->mu);
	waiting = join_or_start(a, s, wake, wake_arg);
	pthread_mutex_unlock(&a->mu);
	if (waiting) {
		out->st = ACCESS_WAIT;
		return PO_OK;
	}
	/* No check could start (stopping, too many at once): as if plex.tv
	 * were down. */
	on_failure(a, s->rel, s->checked, s->good, now, out);
	out->updated = false;
	return PO_OK;
}
