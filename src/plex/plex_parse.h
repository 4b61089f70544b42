/*
 * plex_parse.h - pure parsers for plex.tv's JSON answers
 * (docs/PLEX-API.md). No I/O: (buf, len) in, structs out, so every
 * parser is unit-tested and fuzzed.
 *
 * Lenient where Plex is inconsistent (fields null, missing or of another
 * type are treated as absent), strict where identity depends on it (a user
 * without a uuid is an error). Strings in the structs are malloc'd and owned
 * by the struct; the *_clear functions free them (wiping tokens).
 */
#ifndef PO_PLEX_PLEX_PARSE_H
#define PO_PLEX_PLEX_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct plex_pin {
	int64_t id;         /* PIN ids are past 2^31 */
	char *code;         /* 25 chars [a-z0-9] for strong PINs */
	char *auth_token;   /* NULL until the user approves; a secret */
	int64_t expires_in; /* seconds, 0 if absent */
} plex_pin_t;

typedef struct plex_user {
	int64_t id;
	char *uuid;          /* required, non-empty: the OIDC "sub" */
	char *username;      /* NULL if null/"" (managed Home users) */
	char *title;         /* NULL if absent */
	char *friendly_name; /* NULL if absent or "" */
	char *email;         /* NULL if null/"" (managed Home users) */
	char *thumb;         /* avatar URL; NULL if absent */
	bool restricted;
	bool home;
	bool confirmed; /* the account's email is confirmed ("confirmed": true) */
} plex_user_t;

typedef struct plex_resource {
	char *name;              /* NULL if absent */
	char *client_identifier; /* NULL if absent */
	bool provides_server;    /* "server" is a member of the comma-separated provides */
	bool owned;
	bool home;
	char *source_title; /* the owner's name for shared servers; may be NULL */
	int64_t owner_id;   /* "ownerId": the owner's account id on shared entries; 0 if absent */
} plex_resource_t;

typedef struct plex_resources {
	plex_resource_t *items;
	size_t n;
} plex_resources_t;

/* The relationships a resource entry can express (policy/policy.h decides
 * which one a user has). */
enum plex_access {
	PLEX_ACCESS_NONE = 0, /* no server entry with that identifier */
	PLEX_ACCESS_OWNER,    /* owned: true */
	PLEX_ACCESS_HOME,     /* owned: false, home: true */
	PLEX_ACCESS_FRIEND,   /* owned: false, home: false (accepted share) */
};

/* Parses a PIN object (POST /api/v2/pins, GET /api/v2/pins/ID). id (> 0) and
 * code (1..64 characters [A-Za-z0-9]) are required; an authToken that is
 * present but fails plex_token_ok() makes the answer invalid. PO_OK,
 * PO_ERR_INVALID (not JSON, wrong shape, over LIM_PLEX_BODY_MAX) or
 * PO_ERR_NOMEM. On error *out is left cleared. */
int plex_parse_pin(const char *buf, size_t len, plex_pin_t *out);
void plex_pin_clear(plex_pin_t *p);

/* true if (tok, len) can be used as a Plex token: 1..LIM_PLEX_TOKEN_MAX
 * visible ASCII characters (it is sent as an HTTP header value). */
bool plex_token_ok(const char *tok, size_t len);

/* Parses GET /api/v2/user. uuid is required: 1..255 visible ASCII
 * characters (it becomes the OIDC "sub"). Optional strings that are empty or
 * longer than 2048 bytes read as NULL. Same returns. */
int plex_parse_user(const char *buf, size_t len, plex_user_t *out);
void plex_user_clear(plex_user_t *u);
/* The display name for "name": friendly_name, else title, else username,
 * else uuid. Borrowed. */
const char *plex_user_display_name(const plex_user_t *u);
/* The "preferred_username": username, else title, else uuid. Borrowed. */
const char *plex_user_login_name(const plex_user_t *u);

/* Parses GET /api/v2/resources (a JSON array; entries that are not objects
 * are skipped). At most 10000 entries are kept. Same returns. */
int plex_parse_resources(const char *buf, size_t len, plex_resources_t *out);
void plex_resources_clear(plex_resources_t *r);
/* Static name of an access level: "none", "owner", "home", "friend". */
const char *plex_access_name(enum plex_access a);

#endif
