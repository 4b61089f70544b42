/*
 * policy.h - who may use what: the Plex relationship with the configured
 * server, the groups it puts a user in, and whether a list of allowed
 * groups admits them. Pure: no I/O, no clock, no locks. Both front doors
 * (the OpenID Connect endpoints and forward auth) ask it the same question
 * and get the same answer.
 *
 * The rule (docs/PLEX-API.md, "May the user use our server?"): among the
 * entries of the user's /api/v2/resources that provide "server" and carry
 * the configured machine identifier, the strongest relationship wins:
 * owned -> owner; shared with home: true -> home; shared -> friend. With
 * the owner's account id configured ([plex] owner_id), an owned entry
 * counts only for the owner and a shared one only when its ownerId is the
 * owner: a device in another account that claims the identifier grants
 * nothing. A shared entry with no ownerId at all cannot be checked then; it
 * grants nothing either, but is reported (policy_report_t) so the lock-out
 * is visible in the log and the metrics rather than silent.
 */
#ifndef PO_POLICY_POLICY_H
#define PO_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plex/plex_parse.h"

/* Built-in group names, one per relationship. */
#define POLICY_GROUP_OWNER "plex-owner"
#define POLICY_GROUP_HOME "plex-home"
#define POLICY_GROUP_FRIEND "plex-friend"

/* What the decision saw besides its answer, for logs and metrics. */
typedef struct policy_report {
	size_t matched;       /* server entries with the configured identifier */
	size_t no_owner_id;   /* ...shared, without ownerId, refused because owner_id is set */
	size_t other_owner;   /* ...refused: owned by or shared from another account */
} policy_report_t;

/* The user's relationship with the server server_id, from their resources
 * (rules above). user_id is the signed-in account's id; owner_id 0 means
 * "[plex] owner_id not set". rep (may be NULL) is filled in. A NULL or
 * empty server_id or resource list gives PLEX_ACCESS_NONE. */
enum plex_access policy_server_access(const plex_resources_t *r, const char *server_id, int64_t user_id,
    int64_t owner_id, policy_report_t *rep);

/* The built-in group of a relationship (POLICY_GROUP_*), NULL for none. */
const char *policy_builtin_group(enum plex_access a);

/* true if the relationship's group is in the space-separated list allow
 * (NULL: the default, every built-in group: whoever the server is shared
 * with). */
bool policy_allows(const char *allow, enum plex_access a);

#endif
