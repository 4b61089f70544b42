/*
 * identity.c - the user as plex.tv described them (see identity.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "po_limits.h"
#include "policy/identity.h"

void
identity_free(identity_t *id)
{
	if (id == NULL)
		return;
	free(id->sub);
	free(id->name);
	free(id->preferred_username);
	free(id->username);
	free(id->picture);
	free(id->email);
	free(id);
}

/* Copies s, or returns NULL for NULL; *ok is cleared on allocation failure. */
static char *
dup_opt(const char *s, bool *ok)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = str_dup(s)) == NULL)
		*ok = false;
	return p;
}

identity_t *
identity_from_plex(const plex_user_t *u, int64_t auth_time)
{
	identity_t *id = NULL;
	bool ok = true;

	if (u == NULL || u->uuid == NULL || (id = calloc(1, sizeof(*id))) == NULL)
		return NULL;
	id->sub = dup_opt(u->uuid, &ok);
	id->name = dup_opt(plex_user_display_name(u), &ok);
	id->preferred_username = dup_opt(plex_user_login_name(u), &ok);
	id->username = dup_opt(u->username ? u->username : "", &ok);
	id->picture = dup_opt(u->thumb, &ok);
	id->email = u->email && u->email[0] ? dup_opt(u->email, &ok) : NULL;
	id->email_verified = u->confirmed;
	id->auth_time = auth_time;
	id->plex_id = u->id;
	if (!ok) {
		identity_free(id);
		return NULL;
	}
	return id;
}

identity_t *
identity_dup(const identity_t *s)
{
	identity_t *id = NULL;
	bool ok = true;

	if (s == NULL || (id = calloc(1, sizeof(*id))) == NULL)
		return NULL;
	*id = *s;
	id->sub = dup_opt(s->sub, &ok);
	id->name = dup_opt(s->name, &ok);
	id->preferred_username = dup_opt(s->preferred_username, &ok);
	id->username = dup_opt(s->username, &ok);
	id->picture = dup_opt(s->picture, &ok);
	id->email = dup_opt(s->email, &ok);
	if (!ok) {
		identity_free(id);
		return NULL;
	}
	return id;
}

/* Record keys are short: records are kept in memory (or a shared store)
 * by the thousand. */
static int
set_opt(json_t *o, const char *k, const char *v)
{
	return v == NULL || json_object_set_new(o, k, json_string(v)) == 0 ? PO_OK : PO_ERR_NOMEM;
}

json_t *
identity_to_json(const identity_t *id)
{
	json_t *o = json_object();

	if (o == NULL || set_opt(o, "sub", id->sub) != PO_OK || set_opt(o, "nm", id->name) != PO_OK ||
	    set_opt(o, "un", id->preferred_username) != PO_OK || set_opt(o, "u", id->username) != PO_OK ||
	    set_opt(o, "pic", id->picture) != PO_OK ||
	    set_opt(o, "em", id->email) != PO_OK || json_object_set_new(o, "ev", json_boolean(id->email_verified)) != 0 ||
	    json_object_set_new(o, "at", json_integer(id->auth_time)) != 0 ||
	    json_object_set_new(o, "pid", json_integer(id->plex_id)) != 0 ||
	    json_object_set_new(o, "acc", json_integer(id->access)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* An optional string member: absent is NULL; present must be a string of at
 * most max bytes. false on a bad member or allocation failure. */
static bool
get_opt(const json_t *o, const char *k, size_t max, char **out)
{
	const json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL)
		return true;
	if (!json_is_string(v) || json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
		return false;
	return (*out = str_dup(json_string_value(v))) != NULL;
}

identity_t *
identity_from_json(const json_t *o)
{
	identity_t *id = NULL;
	const json_t *acc;

	if (!json_is_object(o) || (id = calloc(1, sizeof(*id))) == NULL)
		return NULL;
	if (!get_opt(o, "sub", LIM_PLEX_UUID_MAX, &id->sub) || id->sub == NULL || id->sub[0] == '\0' ||
	    !get_opt(o, "nm", LIM_PLEX_FIELD_MAX, &id->name) ||
	    !get_opt(o, "un", LIM_PLEX_FIELD_MAX, &id->preferred_username) ||
	    !get_opt(o, "u", LIM_PLEX_FIELD_MAX, &id->username) ||
	    !get_opt(o, "pic", LIM_PLEX_FIELD_MAX, &id->picture) || !get_opt(o, "em", LIM_PLEX_FIELD_MAX, &id->email))
		goto bad;
	id->email_verified = json_is_true(json_object_get(o, "ev"));
	id->auth_time = json_integer_value(json_object_get(o, "at"));
	id->plex_id = json_integer_value(json_object_get(o, "pid"));
	acc = json_object_get(o, "acc");
	if (!json_is_integer(acc) || json_integer_value(acc) < PLEX_ACCESS_NONE ||
	    json_integer_value(acc) > PLEX_ACCESS_FRIEND)
		goto bad;
	id->access = (enum plex_access)json_integer_value(acc);
	return id;
bad:
	identity_free(id);
	return NULL;
}
