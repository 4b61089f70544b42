/*
 * claims.c - scopes and the claims they release (see claims.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "oidc/claims.h"
#include "policy/policy.h"

unsigned
scope_parse(const char *scope)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = { { "openid", SCOPE_OPENID }, { "profile", SCOPE_PROFILE }, { "email", SCOPE_EMAIL },
		{ "offline_access", SCOPE_OFFLINE_ACCESS }, { "groups", SCOPE_GROUPS } };
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
	snprintf(out, outsz, "%s%s%s%s%s", scopes & SCOPE_OPENID ? "openid" : "",
	    scopes & SCOPE_PROFILE ? " profile" : "", scopes & SCOPE_EMAIL ? " email" : "",
	    scopes & SCOPE_OFFLINE_ACCESS ? " offline_access" : "", scopes & SCOPE_GROUPS ? " groups" : "");
}

static int
set_str(json_t *obj, const char *k, const char *v)
{
	if (v == NULL)
		return PO_OK;
	return json_object_set_new(obj, k, json_string(v)) == 0 ? PO_OK : PO_ERR_NOMEM;
}

/* The claims (CONFIG_CLAIM_* bits) the scopes release (OIDC Core §5.4). */
static unsigned
released(unsigned scopes)
{
	unsigned m = 0;

	if (scopes & SCOPE_PROFILE)
		m |= CONFIG_CLAIM_NAME | CONFIG_CLAIM_PREFERRED_USERNAME | CONFIG_CLAIM_PICTURE;
	if (scopes & SCOPE_EMAIL)
		m |= CONFIG_CLAIM_EMAIL | CONFIG_CLAIM_EMAIL_VERIFIED;
	if (scopes & SCOPE_GROUPS)
		m |= CONFIG_CLAIM_GROUPS;
	return m;
}

/* sub, and the claims of mask that the user has. */
static int
put_claims(const config_t *cfg, const identity_t *c, unsigned m, json_t *obj)
{
	int rc = set_str(obj, "sub", c->sub);
	config_groupset_t g;
	json_t *names;

	if (rc == PO_OK && (m & CONFIG_CLAIM_NAME))
		rc = set_str(obj, "name", c->name);
	if (rc == PO_OK && (m & CONFIG_CLAIM_PREFERRED_USERNAME))
		rc = set_str(obj, "preferred_username", c->preferred_username);
	if (rc == PO_OK && (m & CONFIG_CLAIM_PICTURE))
		rc = set_str(obj, "picture", c->picture);
	if (rc == PO_OK && (m & CONFIG_CLAIM_EMAIL) && c->email)
		rc = set_str(obj, "email", c->email);
	/* Only beside an email: it says whether that email is confirmed. */
	if (rc == PO_OK && (m & CONFIG_CLAIM_EMAIL_VERIFIED) && c->email &&
	    json_object_set_new(obj, "email_verified", json_boolean(c->email_verified)) != 0)
		rc = PO_ERR_NOMEM;
	if (rc == PO_OK && (m & CONFIG_CLAIM_GROUPS)) {
		policy_groups(cfg, c, &g);
		if ((names = policy_group_names(cfg, &g)) == NULL || json_object_set_new(obj, "groups", names) != 0)
			rc = PO_ERR_NOMEM;
	}
	return rc;
}

int
claims_to_json(const config_t *cfg, const identity_t *c, unsigned scopes, json_t *obj)
{
	return put_claims(cfg, c, released(scopes), obj);
}

int
claims_for_client(const config_t *cfg, const config_client_t *cl, const identity_t *who, unsigned scopes,
    enum claims_dest dest, json_t *obj)
{
	unsigned m = released(scopes);

	if (cl != NULL && cl->always_send_groups)
		m |= CONFIG_CLAIM_GROUPS;
	if (cl != NULL && dest == CLAIMS_ID_TOKEN)
		m &= cl->id_token_claims;
	return put_claims(cfg, who, m, obj);
}
