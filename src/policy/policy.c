/*
 * policy.c - relationship, groups and decisions (see policy.h).
 */
#include <string.h>

#include "core/str.h"
#include "policy/policy.h"

static int
access_rank(enum plex_access a)
{
	switch (a) {
	case PLEX_ACCESS_OWNER: return 3;
	case PLEX_ACCESS_HOME: return 2;
	case PLEX_ACCESS_FRIEND: return 1;
	case PLEX_ACCESS_NONE: break;
	}
	return 0;
}

enum plex_access
policy_server_access(const plex_resources_t *r, const char *server_id, int64_t user_id, int64_t owner_id,
    policy_report_t *rep)
{
	enum plex_access best = PLEX_ACCESS_NONE, a;
	policy_report_t dummy;
	size_t i;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	if (r == NULL || server_id == NULL || server_id[0] == '\0')
		return PLEX_ACCESS_NONE;
	for (i = 0; i < r->n; i++) {
		const plex_resource_t *it = &r->items[i];

		/* The user's own clients and players are never the server,
		 * whatever their identifier (docs/PLEX-API.md). */
		if (!it->provides_server || !str_eq(it->client_identifier, server_id))
			continue;
		rep->matched++;
		/* Device identifiers are chosen by devices: with the owner known,
		 * an entry counts only if it is the owner's own server (the user
		 * is the owner) or a share from the owner (ownerId). */
		if (owner_id > 0 && !it->owned && it->owner_id == 0) {
			rep->no_owner_id++;
			continue;
		}
		if (owner_id > 0 && (it->owned ? user_id != owner_id : it->owner_id != owner_id)) {
			rep->other_owner++;
			continue;
		}
		if (it->owned)
			a = PLEX_ACCESS_OWNER;
		else if (it->home)
			a = PLEX_ACCESS_HOME;
		else
			a = PLEX_ACCESS_FRIEND;
		if (access_rank(a) > access_rank(best))
			best = a;
	}
	return best;
}

const char *
policy_builtin_group(enum plex_access a)
{
	switch (a) {
	case PLEX_ACCESS_OWNER: return POLICY_GROUP_OWNER;
	case PLEX_ACCESS_HOME: return POLICY_GROUP_HOME;
	case PLEX_ACCESS_FRIEND: return POLICY_GROUP_FRIEND;
	case PLEX_ACCESS_NONE: break;
	}
	return NULL;
}

/* true if the space-separated list has the word w. */
static bool
list_has(const char *list, const char *w)
{
	size_t wl = strlen(w), n;

	while (*list) {
		while (*list == ' ')
			list++;
		n = strcspn(list, " ");
		if (n == wl && memcmp(list, w, n) == 0)
			return true;
		list += n;
	}
	return false;
}

bool
policy_allows(const char *allow, enum plex_access a)
{
	const char *g = policy_builtin_group(a);

	if (g == NULL)
		return false;
	return allow == NULL || list_has(allow, g);
}
