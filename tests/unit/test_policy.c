/*
 * test_policy.c - who may use what (policy.c), table-driven: the
 * relationship found in a resource list with and without [plex] owner_id,
 * what the decision reports, the built-in groups and allow lists; and the
 * identity records (identity.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "policy/identity.h"
#include "policy/policy.h"
#include "t.h"

#define SID "0123456789abcdef0123456789abcdef01234567"
#define ENTRY(extra) "{\"clientIdentifier\":\"" SID "\",\"provides\":\"server\"" extra "}"

static void
test_relationship_table(void)
{
	static const struct {
		const char *json;
		int64_t user_id, owner_id;
		enum plex_access want;
		size_t matched, no_owner_id, other_owner;
	} v[] = {
		/* without owner_id: the entry's own flags decide */
		{ "[" ENTRY(",\"owned\":true") "]", 1, 0, PLEX_ACCESS_OWNER, 1, 0, 0 },
		{ "[" ENTRY(",\"owned\":false,\"home\":true") "]", 1, 0, PLEX_ACCESS_HOME, 1, 0, 0 },
		{ "[" ENTRY(",\"owned\":false,\"home\":false") "]", 1, 0, PLEX_ACCESS_FRIEND, 1, 0, 0 },
		{ "[" ENTRY("") "]", 1, 0, PLEX_ACCESS_FRIEND, 1, 0, 0 },
		/* the strongest of several entries wins */
		{ "[" ENTRY(",\"owned\":false") "," ENTRY(",\"owned\":true") "]", 1, 0, PLEX_ACCESS_OWNER, 2, 0, 0 },
		{ "[" ENTRY(",\"home\":true") "," ENTRY("") "]", 1, 0, PLEX_ACCESS_HOME, 2, 0, 0 },
		/* not a server, another server, nothing */
		{ "[{\"clientIdentifier\":\"" SID "\",\"provides\":\"client,player\",\"owned\":true}]", 1, 0, PLEX_ACCESS_NONE, 0, 0, 0 },
		{ "[{\"clientIdentifier\":\"ffff\",\"provides\":\"server\",\"owned\":true}]", 1, 0, PLEX_ACCESS_NONE, 0, 0, 0 },
		{ "[]", 1, 0, PLEX_ACCESS_NONE, 0, 0, 0 },
		/* with owner_id: the real owner */
		{ "[" ENTRY(",\"owned\":true") "]", 9001, 9001, PLEX_ACCESS_OWNER, 1, 0, 0 },
		/* an "owned" look-alike in someone else's account */
		{ "[" ENTRY(",\"owned\":true") "]", 666, 9001, PLEX_ACCESS_NONE, 1, 0, 1 },
		/* a share from the owner */
		{ "[" ENTRY(",\"owned\":false,\"home\":false,\"ownerId\":9001") "]", 42, 9001, PLEX_ACCESS_FRIEND, 1, 0, 0 },
		{ "[" ENTRY(",\"owned\":false,\"home\":true,\"ownerId\":9001") "]", 42, 9001, PLEX_ACCESS_HOME, 1, 0, 0 },
		/* a share from someone else */
		{ "[" ENTRY(",\"owned\":false,\"ownerId\":777") "]", 42, 9001, PLEX_ACCESS_NONE, 1, 0, 1 },
		/* a share without ownerId cannot be checked: refused, reported */
		{ "[" ENTRY(",\"owned\":false") "]", 42, 9001, PLEX_ACCESS_NONE, 1, 1, 0 },
		{ "[" ENTRY(",\"owned\":false,\"home\":true") "," ENTRY(",\"owned\":false,\"ownerId\":9001") "]", 42, 9001,
		    PLEX_ACCESS_FRIEND, 2, 1, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		plex_resources_t r = { 0 };
		policy_report_t rep;
		enum plex_access a;

		T_EQ_INT(plex_parse_resources(v[i].json, strlen(v[i].json), &r), PO_OK);
		memset(&rep, 0xa5, sizeof(rep));
		a = policy_server_access(&r, SID, v[i].user_id, v[i].owner_id, &rep);
		if (a != v[i].want)
			fprintf(stderr, "  case %zu: %s\n", i, v[i].json);
		T_EQ_INT(a, v[i].want);
		T_EQ_INT(rep.matched, v[i].matched);
		T_EQ_INT(rep.no_owner_id, v[i].no_owner_id);
		T_EQ_INT(rep.other_owner, v[i].other_owner);
		plex_resources_clear(&r);
	}
	T_EQ_INT(policy_server_access(NULL, SID, 1, 0, NULL), PLEX_ACCESS_NONE);
}

static void
test_groups_and_allow(void)
{
	static const struct {
		const char *allow;
		enum plex_access a;
		bool want;
	} v[] = {
		{ NULL, PLEX_ACCESS_OWNER, true },
		{ NULL, PLEX_ACCESS_HOME, true },
		{ NULL, PLEX_ACCESS_FRIEND, true },
		{ NULL, PLEX_ACCESS_NONE, false },
		{ "plex-owner", PLEX_ACCESS_OWNER, true },
		{ "plex-owner", PLEX_ACCESS_HOME, false },
		{ "plex-owner", PLEX_ACCESS_FRIEND, false },
		{ "plex-owner plex-home", PLEX_ACCESS_HOME, true },
		{ "  plex-home   plex-friend ", PLEX_ACCESS_FRIEND, true },
		{ "plex-friends", PLEX_ACCESS_FRIEND, false },
		{ "plex", PLEX_ACCESS_FRIEND, false },
		{ "", PLEX_ACCESS_OWNER, false },
		{ "plex-owner plex-home plex-friend", PLEX_ACCESS_NONE, false },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		T_EQ_INT(policy_allows(v[i].allow, v[i].a), v[i].want);
	T_EQ_STR(policy_builtin_group(PLEX_ACCESS_OWNER), "plex-owner");
	T_EQ_STR(policy_builtin_group(PLEX_ACCESS_HOME), "plex-home");
	T_EQ_STR(policy_builtin_group(PLEX_ACCESS_FRIEND), "plex-friend");
	T_CHECK(policy_builtin_group(PLEX_ACCESS_NONE) == NULL);
}

static void
test_identity_records(void)
{
	plex_user_t u = { .id = 7, .uuid = "u-1", .username = "bob", .title = "bob", .friendly_name = "Bob <b>",
		.email = "bob@example.com", .thumb = "https://plex.tv/a.png", .confirmed = true };
	plex_user_t managed = { .id = 8, .uuid = "u-2", .title = "Mia", .email = "" };
	identity_t *id = identity_from_plex(&u, 1234), *back = NULL, *m;
	json_t *j;
	static const char *bad[] = { "{}", "{\"sub\":\"\",\"acc\":0}", "{\"sub\":5,\"acc\":0}", "{\"sub\":\"x\"}",
		"{\"sub\":\"x\",\"acc\":9}", "{\"sub\":\"x\",\"acc\":0,\"em\":3}", "[]" };
	size_t i;

	T_CHECK(id != NULL);
	id->access = PLEX_ACCESS_OWNER;
	T_EQ_STR(id->name, "Bob <b>");
	T_EQ_STR(id->preferred_username, "bob");
	j = identity_to_json(id);
	back = identity_from_json(j);
	T_CHECK(back != NULL);
	T_EQ_STR(back->sub, "u-1");
	T_EQ_STR(back->email, "bob@example.com");
	T_EQ_STR(back->picture, "https://plex.tv/a.png");
	T_CHECK(back->email_verified && back->auth_time == 1234 && back->plex_id == 7 && back->access == PLEX_ACCESS_OWNER);
	json_decref(j);
	identity_free(back);
	identity_free(id);
	/* a managed user: no email, names from the title */
	m = identity_from_plex(&managed, 1);
	T_CHECK(m && m->email == NULL);
	T_EQ_STR(m->preferred_username, "Mia");
	identity_free(m);
	T_CHECK(identity_from_plex(NULL, 1) == NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *b = json_loads(bad[i], 0, NULL);
		identity_t *x = identity_from_json(b);
		if (x)
			fprintf(stderr, "  accepted %s\n", bad[i]);
		T_CHECK(x == NULL);
		identity_free(x);
		json_decref(b);
	}
}

int
main(void)
{
	T_RUN(test_relationship_table);
	T_RUN(test_groups_and_allow);
	T_RUN(test_identity_records);
	return T_DONE();
}
