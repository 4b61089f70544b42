/*
 * claims.c - OIDC claims from a Plex user (see claims.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "oidc/claims.h"

void
claims_free(claims_t *c)
{
	if (c == NULL)
		return;
	free(c->sub);
	free(c->name);
	free(c->preferred_username);
	free(c->picture);
	free(c->email);
	free(c);
}

/* Copies s, or returns NULL for NULL; *ok is cleared on allocation failure. */
static char *
dup_opt(const char *s, int *ok)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = str_dup(s)) == NULL)
		*ok = 0;
	return p;
}

claims_t *
claims_from_user(const plex_user_t *u, int64_t auth_time)
{
	claims_t *c = NULL;
	int ok = 1;

	if (u == NULL || u->uuid == NULL || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->sub = dup_opt(u->uuid, &ok);
	c->name = dup_opt(plex_user_display_name(u), &ok);
	c->preferred_username = dup_opt(plex_user_login_name(u), &ok);
	c->picture = dup_opt(u->thumb, &ok);
	c->email = u->email && u->email[0] ? dup_opt(u->email, &ok) : NULL;
	c->email_verified = u->confirmed;
	c->auth_time = auth_time;
	if (!ok) {
		claims_free(c);
		return NULL;
	}
	return c;
}

claims_t *
claims_dup(const claims_t *s)
{
	claims_t *c = NULL;
	int ok = 1;

	if (s == NULL || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->sub = dup_opt(s->sub, &ok);
	c->name = dup_opt(s->name, &ok);
	c->preferred_username = dup_opt(s->preferred_username, &ok);
	c->picture = dup_opt(s->picture, &ok);
	c->email = dup_opt(s->email, &ok);
	c->email_verified = s->email_verified;
	c->auth_time = s->auth_time;
	if (!ok) {
		claims_free(c);
		return NULL;
	}
	return c;
}

unsigned
scope_parse(const char *scope)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = { { "openid", SCOPE_OPENID }, { "profile", SCOPE_PROFILE }, { "email", SCOPE_EMAIL } };
	unsigned bits = 0;
	const char *p = scope;

	while (p && *p) {
		size_t n;
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (n == strlen(known[i].name) && memcmp(p, known[i].name, n) == 0)
				bits |= known[i].bit;
		p += n;
	}
	return bits;
}

void
scope_format(unsigned scopes, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s%s%s", scopes & SCOPE_OPENID ? "openid" : "",
	    scopes & SCOPE_PROFILE ? " profile" : "", scopes & SCOPE_EMAIL ? " email" : "");
}

static int
set_str(json_t *obj, const char *k, const char *v)
{
	if (v == NULL)
		return PO_OK;
	return json_object_set_new(obj, k, json_string(v)) == 0 ? PO_OK : PO_ERR_NOMEM;
}

int
claims_to_json(const claims_t *c, unsigned scopes, json_t *obj)
{
	int rc = set_str(obj, "sub", c->sub);

	if (rc == PO_OK && (scopes & SCOPE_PROFILE)) {
		if ((rc = set_str(obj, "name", c->name)) == PO_OK &&
		    (rc = set_str(obj, "preferred_username", c->preferred_username)) == PO_OK)
			rc = set_str(obj, "picture", c->picture);
	}
	if (rc == PO_OK && (scopes & SCOPE_EMAIL) && c->email) {
		if ((rc = set_str(obj, "email", c->email)) == PO_OK &&
		    json_object_set_new(obj, "email_verified", json_boolean(c->email_verified)) != 0)
			rc = PO_ERR_NOMEM;
	}
	return rc;
}
