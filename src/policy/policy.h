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

#include <jansson.h>

#include "config/config.h"
#include "plex/plex_parse.h"
#include "policy/identity.h"

/* Built-in group names, one per relationship. */
#define POLICY_GROUP_OWNER "plex-owner"
#define POLICY_GROUP_HOME "plex-home"
#define POLICY_GROUP_FRIEND "plex-friend"

/* What the decision saw besides its answer, for logs and metrics. */
typedef struct policy_report {
	size_t matched;     /* server entries with the configured identifier */
	size_t no_owner_id; /* ...shared, without ownerId, refused because owner_id is set */
	size_t other_owner; /* ...refused: owned by or shared from another account */
} policy_report_t;

/* The user's relationship with the configured servers: the strongest
 * over every server of ids (n of them), each by the rules above. user_id is
 * the signed-in account's id; owner_id 0 means "[plex] owner_id not set".
 * rep (may be NULL) is filled in, summed over the servers. No ids or an
 * empty resource list give PLEX_ACCESS_NONE. */
enum plex_access policy_server_access(const plex_resources_t *r, char *const *ids, size_t n, int64_t user_id,
    int64_t owner_id, policy_report_t *rep);

/* The built-in group of a relationship (POLICY_GROUP_*), NULL for none. */
const char *policy_builtin_group(enum plex_access a);

/* The groups of a user (config.h numbering): the built-in group of their
 * relationship, and every [group.NAME] that lists their uuid, email or
 * username (case-insensitive, as Plex compares them). A user with no
 * relationship is in no group at all, whatever the named groups say:
 * the Plex share is the source of truth. */
void policy_groups(const config_t *cfg, const identity_t *who, config_groupset_t *out);

/* true if a user in groups `in` may use what allows `allow`. */
bool policy_allows(const config_groupset_t *allow, const config_groupset_t *in);

/* Appends the names of the groups in g to a new JSON array (the "groups"
 * claim) in group order; NULL on allocation failure. */
json_t *policy_group_names(const config_t *cfg, const config_groupset_t *g);

#endif
