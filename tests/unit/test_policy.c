/*
 * test_policy.c - who may use what (policy.c), table-driven: the
 * relationship found in a resource list with and without [plex] owner_id,
 * what the decision reports, the built-in groups and allow lists; and the
 * identity records (identity.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/err.h"
#include "policy/identity.h"
#include "policy/policy.h"
#include "t.h"

#define SID "0123456789abcdef0123456789abcdef01234567"
#define ENTRY(extra) "{\"clientIdentifier\":\"" SID "\",\"provides\":\"server\"" extra "}"

static char sid[] = SID;
static char *sids[] = { sid };

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
		a = policy_server_access(&r, sids, 1, v[i].user_id, v[i].owner_id, &rep);
		if (a != v[i].want)
			fprintf(stderr, "  case %zu: %s\n", i, v[i].json);
		T_EQ_INT(a, v[i].want);
		T_EQ_INT(rep.matched, v[i].matched);
		T_EQ_INT(rep.no_owner_id, v[i].no_owner_id);
		T_EQ_INT(rep.other_owner, v[i].other_owner);
		plex_resources_clear(&r);
	}
	T_EQ_INT(policy_server_access(NULL, sids, 1, 1, 0, NULL), PLEX_ACCESS_NONE);
	T_EQ_INT(policy_server_access(NULL, sids, 0, 1, 0, NULL), PLEX_ACCESS_NONE);
}

/* Several servers: the strongest relationship over all of them; a share
 * of a server that is not listed counts for nothing. */
static void
test_several_servers(void)
{
	static char s1[] = "aaaa1111", s2[] = "bbbb2222", s3[] = "cccc3333";
	char *ids[] = { s1, s2 };
	char *only3[] = { s3 };
	plex_resources_t r;
	policy_report_t rep;
	const char *json = "[{\"clientIdentifier\":\"aaaa1111\",\"provides\":\"server\",\"owned\":false,\"ownerId\":5},"
	                   "{\"clientIdentifier\":\"bbbb2222\",\"provides\":\"server\",\"owned\":false,"
	                   "\"home\":true,\"ownerId\":5}]";

	T_EQ_INT(plex_parse_resources(json, strlen(json), &r), PO_OK);
	T_EQ_INT(policy_server_access(&r, ids, 2, 9, 0, &rep), PLEX_ACCESS_HOME);
	T_EQ_INT(rep.matched, 2);
	T_EQ_INT(policy_server_access(&r, ids, 1, 9, 0, &rep), PLEX_ACCESS_FRIEND);
	T_EQ_INT(rep.matched, 1);
	T_EQ_INT(policy_server_access(&r, ids + 1, 1, 9, 5, NULL), PLEX_ACCESS_HOME);
	/* owner_id applies to each server */
	T_EQ_INT(policy_server_access(&r, ids, 2, 9, 6, &rep), PLEX_ACCESS_NONE);
	T_EQ_INT(rep.other_owner, 2);
	T_EQ_INT(policy_server_access(&r, only3, 1, 9, 0, &rep), PLEX_ACCESS_NONE);
	T_EQ_INT(rep.matched, 0);
	plex_resources_clear(&r);
}

static config_t *
load(const char *text)
{
	config_t *c = NULL;
	buf_t err;

	buf_init(&err, 4096);
	if (config_parse(text, strlen(text), "t.ini", NULL, &c, &err) != PO_OK)
		fprintf(stderr, "%s", buf_str(&err));
	buf_free(&err);
	return c;
}

#define BASE "[server]\nlisten = 127.0.0.1:1\nissuer = http://127.0.0.1:1\ndata_dir = /tmp\n[plex]\nserver_id = " SID "\nowner_id = 1\n"

static void
test_groups_and_allow(void)
{
	config_t *c = load(BASE "[group.family]\nusers = Carol dave@Example.com\n"
	                        "[group.admins]\nusers = 5F3C-uuid carol\n"
	                        "[client.all]\nsecret = 0123456789abcdef0123456789abcdef\nredirect_uris = https://a/cb\n"
	                        "[client.owner]\nsecret = 0123456789abcdef0123456789abcdef\nredirect_uris = https://a/cb\n"
	                        "allow = plex-owner admins\n"
	                        "[client.fam]\nsecret = 0123456789abcdef0123456789abcdef\nredirect_uris = https://a/cb\n"
	                        "allow = family plex-home\n");
	identity_t carol = { .sub = "c-uuid", .preferred_username = "carol", .access = PLEX_ACCESS_FRIEND };
	identity_t dave = {
		.sub = "d-uuid",
		.preferred_username = "dave",
		.email = "DAVE@example.COM",
		.access = PLEX_ACCESS_FRIEND,
	};
	identity_t erin = { .sub = "5f3c-UUID", .access = PLEX_ACCESS_FRIEND };
	identity_t gone = { .sub = "c-uuid", .preferred_username = "carol", .access = PLEX_ACCESS_NONE };
	identity_t home = { .sub = "h-uuid", .preferred_username = "kid", .access = PLEX_ACCESS_HOME };
	const config_client_t *all, *own, *fam;
	config_groupset_t g;
	json_t *names;
	char *txt;

	T_CHECK(c != NULL);
	if (c == NULL)
		return;
	all = config_client_find(c, "all");
	own = config_client_find(c, "owner");
	fam = config_client_find(c, "fam");
	/* carol: a friend, in both named groups (by username, any case) */
	policy_groups(c, &carol, &g);
	T_CHECK(policy_allows(&all->allow, &g));
	T_CHECK(policy_allows(&own->allow, &g));
	T_CHECK(policy_allows(&fam->allow, &g));
	names = policy_group_names(c, &g);
	txt = json_dumps(names, JSON_COMPACT);
	T_EQ_STR(txt, "[\"plex-friend\",\"family\",\"admins\"]");
	free(txt);
	json_decref(names);
	/* dave: by email, case-insensitive; not an admin */
	policy_groups(c, &dave, &g);
	T_CHECK(policy_allows(&fam->allow, &g));
	T_CHECK(!policy_allows(&own->allow, &g));
	/* erin: by uuid */
	policy_groups(c, &erin, &g);
	T_CHECK(policy_allows(&own->allow, &g));
	T_CHECK(!policy_allows(&fam->allow, &g));
	/* no share: no group at all, the named ones included */
	policy_groups(c, &gone, &g);
	T_CHECK(!policy_allows(&all->allow, &g));
	T_CHECK(!policy_allows(&own->allow, &g));
	T_CHECK(!policy_allows(&fam->allow, &g));
	/* a Home member is in plex-home */
	policy_groups(c, &home, &g);
	T_CHECK(config_groupset_has(&g, CONFIG_GROUP_HOME));
	T_CHECK(policy_allows(&fam->allow, &g));
	T_CHECK(!policy_allows(&own->allow, &g));
	T_EQ_STR(policy_builtin_group(PLEX_ACCESS_OWNER), "plex-owner");
	T_EQ_STR(policy_builtin_group(PLEX_ACCESS_HOME), "plex-home");
	T_EQ_STR(policy_builtin_group(PLEX_ACCESS_FRIEND), "plex-friend");
	T_CHECK(policy_builtin_group(PLEX_ACCESS_NONE) == NULL);
	config_free(c);
}

static void
test_identity_records(void)
{
	plex_user_t u = {
		.id = 7,
		.uuid = "u-1",
		.username = "bob",
		.title = "bob",
		.friendly_name = "Bob <b>",
		.email = "bob@example.com",
		.thumb = "https://plex.tv/a.png",
		.confirmed = true,
	};
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
	T_EQ_STR(back->username, "bob"); /* forward auth's Remote-User */
	T_CHECK(back->email_verified && back->auth_time == 1234 && back->plex_id == 7 && back->access == PLEX_ACCESS_OWNER);
	json_decref(j);
	identity_free(back);
	identity_free(id);
	/* a managed user: no email, names from the title */
	m = identity_from_plex(&managed, 1);
	T_CHECK(m && m->email == NULL);
	T_EQ_STR(m->preferred_username, "Mia");
	T_EQ_STR(m->username, ""); /* none: Remote-User is the uuid, never the title */
	j = identity_to_json(m);
	back = identity_from_json(j);
	T_CHECK(back != NULL && back->username != NULL && back->username[0] == '\0');
	json_decref(j);
	identity_free(back);
	identity_free(m);
	{
		/* a record from before the username was kept: unknown, not "" */
		json_t *old = json_loads("{\"sub\":\"u-3\",\"un\":\"Kid\",\"acc\":2}", 0, NULL);
		identity_t *o = identity_from_json(old);
		T_CHECK(o != NULL && o->username == NULL);
		identity_free(o);
		json_decref(old);
	}
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
	T_RUN(test_several_servers);
	T_RUN(test_groups_and_allow);
	T_RUN(test_identity_records);
	return T_DONE();
}
