/*
 * policy.c - relationship, groups and decisions (see policy.h).
 */
#include <string.h>
#include <strings.h>

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

static enum plex_access
server_access(const plex_resources_t *r, const char *server_id, int64_t user_id, int64_t owner_id,
    policy_report_t *rep)
{
	enum plex_access best = PLEX_ACCESS_NONE, a;
	size_t i;

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

enum plex_access
policy_server_access(const plex_resources_t *r, char *const *ids, size_t n, int64_t user_id, int64_t owner_id,
    policy_report_t *rep)
{
	enum plex_access best = PLEX_ACCESS_NONE, a;
	policy_report_t dummy;
	size_t i;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	for (i = 0; i < n; i++) {
		a = server_access(r, ids[i], user_id, owner_id, rep);
		if (access_rank(a) > access_rank(best))
			best = a;
	}
	return best;
}

/* true if user u (as written in [group.NAME] users) is who. */
static bool
is_user(const identity_t *who, const char *u)
{
	return strcasecmp(u, who->sub) == 0 || (who->email != NULL && strcasecmp(u, who->email) == 0) ||
	    (who->preferred_username != NULL && strcasecmp(u, who->preferred_username) == 0);
}

void
policy_groups(const config_t *cfg, const identity_t *who, config_groupset_t *out)
{
	size_t g, i;

	memset(out, 0, sizeof(*out));
	switch (who->access) {
	case PLEX_ACCESS_OWNER: config_groupset_add(out, CONFIG_GROUP_OWNER); break;
	case PLEX_ACCESS_HOME: config_groupset_add(out, CONFIG_GROUP_HOME); break;
	case PLEX_ACCESS_FRIEND: config_groupset_add(out, CONFIG_GROUP_FRIEND); break;
	case PLEX_ACCESS_NONE: return;
	}
	for (g = CONFIG_GROUPS_BUILTIN; g < cfg->n_groups; g++)
		for (i = 0; i < cfg->groups[g].n_users; i++)
			if (is_user(who, cfg->groups[g].users[i])) {
				config_groupset_add(out, g);
				break;
			}
}

bool
policy_allows(const config_groupset_t *allow, const config_groupset_t *in)
{
	return config_groupset_meets(allow, in);
}

json_t *
policy_group_names(const config_t *cfg, const config_groupset_t *g)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < cfg->n_groups; i++)
		if (config_groupset_has(g, i) && json_array_append_new(a, json_string(cfg->groups[i].name)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}
