/*
 * claims.h - who the user is, as OpenID Connect claims (OIDC Core §5.1),
 * and which of them a scope releases (§5.4).
 *
 * The identity comes from plex.tv (/api/v2/user): sub is the Plex account
 * uuid (stable and short, never the email or username, which change);
 * email is present only when Plex has one (managed Home users have none).
 */
#ifndef PO_OIDC_CLAIMS_H
#define PO_OIDC_CLAIMS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "plex/plex_parse.h"

enum {
	SCOPE_OPENID = 1 << 0,
	SCOPE_PROFILE = 1 << 1,
	SCOPE_EMAIL = 1 << 2,
};

typedef struct claims {
	char *sub;                /* Plex uuid */
	char *name;               /* friendlyName / title / username */
	char *preferred_username; /* username / title */
	char *picture;            /* avatar URL, may be NULL */
	char *email;              /* NULL when Plex has none */
	bool email_verified;      /* Plex's "confirmed" */
	int64_t auth_time;        /* when the user approved at Plex */
} claims_t;

/* New claims from a Plex user. NULL on allocation failure. */
claims_t *claims_from_user(const plex_user_t *u, int64_t auth_time);
/* Deep copy. NULL in or allocation failure gives NULL. */
claims_t *claims_dup(const claims_t *c);
void claims_free(claims_t *c);

/* Parses a space-separated scope list (RFC 6749 §3.3) into SCOPE_* bits;
 * unknown scopes are ignored (OIDC conformance: address, phone...). */
unsigned scope_parse(const char *scope);
/* Writes the granted scopes ("openid profile email" subset) into out. */
void scope_format(unsigned scopes, char *out, size_t outsz);

/* Adds the user claims the scopes release to obj: sub always; name,
 * preferred_username, picture with profile; email and email_verified
 * (from Plex's "confirmed": apps that link accounts by verified email must
 * not trust an unconfirmed one) with email, only when an email exists. PO_OK or PO_ERR_NOMEM. */
int claims_to_json(const claims_t *c, unsigned scopes, json_t *obj);

#endif
