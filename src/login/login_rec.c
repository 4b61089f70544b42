/*
 * login_rec.c - a pending login as a store record (see login.h): a JSON
 * object with short keys, so the same record works in memory and in a
 * shared store. Decoding trusts nothing: a record that does not have the
 * right shape is not a login.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/str.h"
#include "login/login.h"
#include "po_limits.h"

void
login_clear(login_t *l)
{
	free(l->app);
	str_free_secret(l->cont); /* carries the app's state and PKCE challenge */
	free(l->pin_code);
	identity_free(l->who);
	free(l->sess);
	free(l->account);
	str_wipe(l->bid, sizeof(l->bid));
	memset(l, 0, sizeof(*l));
}

static int
set(json_t *o, const char *k, json_t *v)
{
	return json_object_set_new(o, k, v) == 0 ? PO_OK : PO_ERR_NOMEM;
}

static int
set_str(json_t *o, const char *k, const char *v)
{
	return v == NULL ? PO_OK : set(o, k, json_string(v));
}

int
login_encode(const login_t *l, buf_t *out)
{
	json_t *o = json_object(), *who = NULL;
	char *s = NULL;
	int rc = PO_ERR_NOMEM;

	if (o == NULL)
		goto out;
	if ((rc = set_str(o, "b", l->bid)) != PO_OK || (rc = set(o, "d", json_integer(l->door))) != PO_OK ||
	    (rc = set_str(o, "a", l->app)) != PO_OK || (rc = set_str(o, "c", l->cont)) != PO_OK ||
	    (rc = set(o, "s", json_integer(l->st))) != PO_OK)
		goto out;
	if (l->pin_id && (rc = set(o, "pi", json_integer(l->pin_id))) != PO_OK)
		goto out;
	if (l->pin_id && (rc = set_str(o, "pc", l->pin_code)) != PO_OK)
		goto out;
	if ((l->poll_at_ms && (rc = set(o, "pa", json_integer(l->poll_at_ms))) != PO_OK) ||
	    (l->polling && (rc = set(o, "pl", json_true())) != PO_OK) ||
	    (l->poll_failures && (rc = set(o, "pf", json_integer(l->poll_failures))) != PO_OK))
		goto out;
	if (l->who) {
		rc = PO_ERR_NOMEM;
		if ((who = identity_to_json(l->who)) == NULL)
			goto out;
		rc = set(o, "who", who);
		who = NULL; /* transferred, even on failure */
		if (rc != PO_OK)
			goto out;
	}
	if ((rc = set_str(o, "ss", l->sess)) != PO_OK || (rc = set_str(o, "ac", l->account)) != PO_OK ||
	    (l->denied_reason && (rc = set(o, "dr", json_integer(l->denied_reason))) != PO_OK))
		goto out;
	rc = PO_ERR_NOMEM;
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	rc = buf_puts(out, s);
out:
	json_decref(o);
	json_decref(who);
	str_free_secret(s);
	return rc;
}

/* An optional string member of at most max bytes: absent gives NULL. */
static bool
get_str(const json_t *o, const char *k, size_t max, char **out)
{
	const json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL)
		return true;
	if (!json_is_string(v) || json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
		return false;
	return (*out = str_dup(json_string_value(v))) != NULL;
}

static bool
get_int(const json_t *o, const char *k, long long lo, long long hi, long long *out)
{
	const json_t *v = json_object_get(o, k);

	*out = 0;
	if (v == NULL)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return false;
	*out = json_integer_value(v);
	return true;
}

int
login_decode(const char *buf, size_t len, login_t *l)
{
	json_t *o = NULL;
	const json_t *b;
	long long door, st, pin, at, pf, dr;
	int rc = PO_ERR_INVALID;

	memset(l, 0, sizeof(*l));
	if ((o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(o))
		goto out;
	b = json_object_get(o, "b");
	if (!json_is_string(b) || json_string_length(b) == 0 || json_string_length(b) >= sizeof(l->bid))
		goto out;
	memcpy(l->bid, json_string_value(b), json_string_length(b) + 1);
	if (!get_int(o, "d", 0, LOGIN_DOOR_COUNT - 1, &door) || !get_int(o, "s", 0, LOGIN_STATES - 1, &st) ||
	    !get_int(o, "pi", 0, INT64_MAX, &pin) || !get_int(o, "pa", 0, INT64_MAX, &at) ||
	    !get_int(o, "pf", 0, LIM_PLEX_POLL_FAILURES_MAX, &pf) || !get_int(o, "dr", 0, LOGIN_DENIED_UNVERIFIABLE, &dr))
		goto out;
	l->door = (enum login_door)door;
	l->st = (enum login_state)st;
	l->pin_id = pin;
	l->poll_at_ms = at;
	l->poll_failures = (int)pf;
	l->denied_reason = (int)dr;
	l->polling = json_is_true(json_object_get(o, "pl"));
	if (!get_str(o, "a", LIM_CLIENT_ID_MAX, &l->app) || !get_str(o, "c", LIM_LOGIN_CONT_MAX, &l->cont) ||
	    !get_str(o, "pc", LIM_PLEX_CODE_MAX, &l->pin_code) || !get_str(o, "ac", LIM_PLEX_FIELD_MAX, &l->account) ||
	    !get_str(o, "ss", LIM_SEALED_MAX, &l->sess))
		goto out;
	if (json_object_get(o, "who") && (l->who = identity_from_json(json_object_get(o, "who"))) == NULL)
		goto out;
	if (l->app == NULL || (l->st == LOGIN_DONE && l->who == NULL) || (l->pin_id && l->pin_code == NULL))
		goto out;
	rc = PO_OK;
out:
	json_decref(o);
	if (rc != PO_OK)
		login_clear(l);
	return rc;
}
