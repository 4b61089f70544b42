/*
 * identity.h - who the user is, as plex.tv told us: the input of the
 * policy and the source of every claim and identity header.
 *
 * sub is the Plex account uuid (stable and short; never the email or the
 * username, which change). email is present only when Plex has one
 * (managed Home users have none). access is the relationship with the
 * configured server found at sign-in (policy.h).
 *
 * Records that outlive a request (a pending login, a code, an access
 * token) carry an identity as a JSON object (identity_to_json /
 * identity_from_json); decoding is strict about sub and lenient about the
 * optional fields, and bounded by the limits of plex_parse.h.
 */
#ifndef PO_POLICY_IDENTITY_H
#define PO_POLICY_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "plex/plex_parse.h"

typedef struct identity {
	char *sub;                /* Plex uuid */
	char *name;               /* friendlyName / title / username */
	char *preferred_username; /* username / title */
	char *username;           /* the Plex username; "" when the account has none (managed Home
	                           * users); NULL when unknown (a record written before it was kept) */
	char *picture;            /* avatar URL, may be NULL */
	char *email;              /* NULL when Plex has none */
	bool email_verified;      /* Plex's "confirmed" */
	int64_t auth_time;        /* when the user approved at Plex (Unix s) */
	int64_t plex_id;          /* the Plex account id */
	enum plex_access access;  /* relationship with the server */
} identity_t;

/* A new identity from a Plex user (access NONE until decided). NULL on
 * allocation failure or a user without uuid. */
identity_t *identity_from_plex(const plex_user_t *u, int64_t auth_time);
/* Deep copy. NULL in or allocation failure gives NULL. */
identity_t *identity_dup(const identity_t *id);
/* Frees; accepts NULL. */
void identity_free(identity_t *id);
/* The record form: a new JSON object, NULL on allocation failure. */
json_t *identity_to_json(const identity_t *id);
/* Back from the record form. NULL if obj is not a valid identity (no sub,
 * wrong types, over the bounds) or on allocation failure. */
identity_t *identity_from_json(const json_t *obj);

#endif
