/*
 * claims.h - the user as OpenID Connect claims (OIDC Core §5.1), and which
 * of them a scope releases (§5.4). The user is an identity (policy/
 * identity.h): sub is the Plex uuid; email only when Plex has one.
 */
#ifndef PO_OIDC_CLAIMS_H
#define PO_OIDC_CLAIMS_H

#include <stddef.h>

#include <jansson.h>

#include "config/config.h"
#include "policy/identity.h"

enum {
	SCOPE_OPENID = 1 << 0,
	SCOPE_PROFILE = 1 << 1,
	SCOPE_EMAIL = 1 << 2,
	/* OIDC Core §11: a refresh token, when the client may have one. */
	SCOPE_OFFLINE_ACCESS = 1 << 3,
	/* The user's groups (policy.h): not a standard scope; what Authentik,
	 * Authelia and the apps' own docs call it. */
	SCOPE_GROUPS = 1 << 4,
};

/* "openid profile email offline_access groups" and its NUL. */
#define SCOPE_STR_MAX 64

/* Parses a space-separated scope list (RFC 6749 §3.3) into SCOPE_* bits;
 * unknown scopes are ignored (OIDC conformance: address, phone...). NULL
 * gives 0. */
unsigned scope_parse(const char *scope);
/* Writes the granted scopes ("openid profile email offline_access"
 * subset) into out (SCOPE_STR_MAX bytes). */
void scope_format(unsigned scopes, char *out, size_t outsz);

/* Adds the user claims the scopes release to obj: sub always; name,
 * preferred_username, picture with profile; email and email_verified
 * (from Plex's "confirmed": apps that link accounts by verified email must
 * not trust an unconfirmed one) with email, only when an email exists;
 * groups (an array of group names, policy_groups() of cfg) with groups.
 * The same function serves the ID token and UserInfo, so the two agree.
 * cfg is read only for groups (it may be NULL without SCOPE_GROUPS).
 * PO_OK or PO_ERR_NOMEM. */
int claims_to_json(const config_t *cfg, const identity_t *who, unsigned scopes, json_t *obj);

/* Where claims go. */
enum claims_dest {
	CLAIMS_ID_TOKEN,
	CLAIMS_USERINFO
};
/* The same for client cl (NULL: as claims_to_json): with its
 * always_send_groups, groups whatever the scopes; in an ID token, only the
 * claims of its id_token_claims (config.h). UserInfo always has every
 * claim released, so the two never disagree on a value: the ID token may
 * only carry fewer. PO_OK or PO_ERR_NOMEM. */
int claims_for_client(const config_t *cfg, const config_client_t *cl, const identity_t *who, unsigned scopes,
    enum claims_dest dest, json_t *obj);

#endif
