/*
 * test_gate_cache.c - forward auth's memory of opened cookies
 * (src/gate/gate_cache.c): keys are digests of the whole cookie, entries
 * come back as they were stored, the cache never holds more than
 * LIM_GATE_CACHE_SLOTS entries however many sessions it sees (the oldest
 * of a set goes), an update replaces in place, clearing forgets all, and
 * an identity too long for an entry is not kept; an entry's held answer
 * is handed out as a reference, kept for its session only, and let go
 * when the entry is replaced or the cache cleared (the sanitizer build
 * reports a reference never dropped as a leak).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/gate_cache.h"
#include "po_limits.h"
#include "t.h"

static session_t
session(const char *sid)
{
	session_t s;

	memset(&s, 0, sizeof(s));
	snprintf(s.sid, sizeof(s.sid), "%s", sid);
	s.expires = 1000;
	s.checked = s.good = 10;
	return s;
}

static void
key_of(gate_cache_t *c, const char *cookie, uint8_t *key)
{
	T_EQ_INT(gate_cache_key(c, cookie, strlen(cookie), key), PO_OK);
}

static void
test_roundtrip(void)
{
	gate_cache_t *c = NULL;
	uint8_t k1[GATE_CACHE_KEY_BYTES], k2[GATE_CACHE_KEY_BYTES], k3[GATE_CACHE_KEY_BYTES];
	config_groupset_t g = { { 5 } };
	session_t s = session("sid-one");
	gate_entry_t e, out;

	T_EQ_INT(gate_cache_new(&c), PO_OK);
	if (c == NULL)
		return;
	key_of(c, "AXEaUBcookie-value", k1);
	key_of(c, "AXEaUBcookie-valuf", k2);
	key_of(c, "AXEaUBcookie-value", k3);
	T_CHECK(memcmp(k1, k2, sizeof(k1)) != 0); /* one byte changed */
	T_CHECK(memcmp(k1, k3, sizeof(k1)) == 0);
	T_CHECK(!gate_cache_get(c, k1, &out));
	T_CHECK(gate_entry_fill(&e, &s, 20, 21, PLEX_ACCESS_FRIEND, &g, "fred.w", "Fred Weasley", NULL,
	    "plex-friend,family"));
	gate_cache_put(c, k1, &e, gate_cache_gen(c));
	T_CHECK(gate_cache_get(c, k1, &out));
	T_CHECK(!gate_cache_get(c, k2, &out) || memcmp(&out, &e, sizeof(e)) != 0);
	T_CHECK(gate_cache_get(c, k1, &out));
	T_EQ_STR(out.sid, "sid-one");
	T_EQ_INT(out.expires, 1000);
	/* a cookie whose sealing key retires first ends with the key */
	s.usable_until = 700;
	T_CHECK(gate_entry_fill(&out, &s, 20, 21, PLEX_ACCESS_FRIEND, &g, "fred.w", NULL, NULL, "plex-friend"));
	T_EQ_INT(out.expires, 700);
	s.usable_until = 0;
	T_CHECK(gate_cache_get(c, k1, &out));
	T_EQ_INT(out.checked, 20);
	T_EQ_INT(out.good, 21);
	T_EQ_INT(out.rel, PLEX_ACCESS_FRIEND);
	T_EQ_INT(out.groups.w[0], 5);
	T_EQ_STR(gate_entry_str(&out, out.user), "fred.w");
	T_EQ_STR(gate_entry_str(&out, out.name), "Fred Weasley");
	T_CHECK(gate_entry_str(&out, out.email) == NULL);
	T_EQ_STR(gate_entry_str(&out, out.group_names), "plex-friend,family");
	/* an update (a newer check) replaces the entry */
	e.checked = 99;
	gate_cache_put(c, k1, &e, gate_cache_gen(c));
	T_CHECK(gate_cache_get(c, k1, &out) && out.checked == 99);
	gate_cache_clear(c);
	T_CHECK(!gate_cache_get(c, k1, &out));
	/* A cookie opened before a clear (with the key ring of then) is not
	 * stored after it: its generation is gone. */
	{
		uint64_t before = gate_cache_gen(c);

		gate_cache_clear(c);
		gate_cache_put(c, k1, &e, before);
		T_CHECK(!gate_cache_get(c, k1, &out));
		gate_cache_put(c, k1, &e, gate_cache_gen(c));
		T_CHECK(gate_cache_get(c, k1, &out));
	}
	gate_cache_free(c);
	gate_cache_free(NULL);
}

/* Four times as many sessions as slots: at most LIM_GATE_CACHE_SLOTS are
 * kept, the newest of each set; a replaced key is updated, not added. */
static void
test_bounded(void)
{
	enum {
		N = LIM_GATE_CACHE_SLOTS * 4
	};
	gate_cache_t *c = NULL;
	uint8_t(*keys)[GATE_CACHE_KEY_BYTES] = calloc(N, GATE_CACHE_KEY_BYTES);
	config_groupset_t g = { { 1 } };
	session_t s = session("x");
	gate_entry_t e, out;
	char cookie[32];
	size_t i, hits = 0, recent = 0;

	T_EQ_INT(gate_cache_new(&c), PO_OK);
	if (c == NULL || keys == NULL) {
		gate_cache_free(c);
		free(keys);
		return;
	}
	T_CHECK(gate_entry_fill(&e, &s, 1, 1, PLEX_ACCESS_OWNER, &g, "alice", "Alice", "a@example.com", "plex-owner"));
	for (i = 0; i < N; i++) {
		snprintf(cookie, sizeof(cookie), "cookie-%zu", i);
		key_of(c, cookie, keys[i]);
		e.checked = (int64_t)i;
		gate_cache_put(c, keys[i], &e, gate_cache_gen(c));
	}
	for (i = 0; i < N; i++)
		if (gate_cache_get(c, keys[i], &out)) {
			hits++;
			T_EQ_INT(out.checked, (int64_t)i);
			recent += i >= N / 2;
		}
	T_CHECK(hits <= LIM_GATE_CACHE_SLOTS);
	T_CHECK(hits >= LIM_GATE_CACHE_SLOTS * 9 / 10); /* the sets fill up evenly */
	T_CHECK(recent >= hits * 9 / 10);               /* the oldest went first */
	T_CHECK(gate_cache_get(c, keys[N - 1], &out));  /* the newest is always kept */
	T_CHECK(!gate_cache_get(c, keys[0], &out));
	gate_cache_free(c);
	free(keys);
}

static void
test_fill_limits(void)
{
	config_groupset_t g = { { 1 } };
	session_t s = session("x");
	gate_entry_t e;
	char *big = malloc(GATE_ENTRY_TEXT_MAX + 1);

	T_CHECK(big != NULL);
	if (big == NULL)
		return;
	memset(big, 'n', GATE_ENTRY_TEXT_MAX);
	big[GATE_ENTRY_TEXT_MAX] = '\0';
	T_CHECK(!gate_entry_fill(&e, &s, 1, 1, PLEX_ACCESS_OWNER, &g, "alice", big, NULL, "plex-owner"));
	big[GATE_ENTRY_TEXT_MAX - 64] = '\0';
	T_CHECK(gate_entry_fill(&e, &s, 1, 1, PLEX_ACCESS_OWNER, &g, "alice", big, NULL, "plex-owner"));
	T_CHECK(!gate_entry_fill(&e, &s, 1, 1, PLEX_ACCESS_OWNER, &g, NULL, "Alice", NULL, "plex-owner"));
	free(big);
}

/* A held answer with one header: http_resp_t as a handler would fill it. */
static http_held_t *
answer(const char *user)
{
	http_resp_t r = { .status = 200 };
	http_held_t *h;

	T_EQ_INT(http_resp_header(&r, "Remote-User", user), PO_OK);
	h = http_held_new(&r);
	T_CHECK(h != NULL);
	http_resp_clear(&r);
	return h;
}

static void
test_answers(void)
{
	gate_cache_t *c = NULL;
	uint8_t k1[GATE_CACHE_KEY_BYTES], k2[GATE_CACHE_KEY_BYTES];
	config_groupset_t g = { { 1 } };
	session_t s = session("sid-a");
	http_resp_t r = { 0 };
	http_held_t *h1, *h2;
	gate_entry_t e, out;
	uint64_t v_old;

	T_EQ_INT(gate_cache_new(&c), PO_OK);
	if (c == NULL)
		return;
	key_of(c, "cookie-a", k1);
	key_of(c, "cookie-b", k2);
	T_CHECK(gate_entry_fill(&e, &s, 1, 1, PLEX_ACCESS_OWNER, &g, "alice", NULL, NULL, "plex-owner"));
	T_CHECK(e.answer == NULL);
	gate_cache_put(c, k1, &e, gate_cache_gen(c));
	T_CHECK(gate_cache_get(c, k1, &out) && out.answer == NULL);
	h1 = answer("alice");
	h2 = answer("mallory");
	/* no entry: not kept */
	gate_cache_answer(c, k2, out.version, h2);
	T_CHECK(!gate_cache_get(c, k2, &out));
	/* an answer built from an entry replaced since (a re-check that
	 * changed the groups) is not kept for the newer one */
	T_CHECK(gate_cache_get(c, k1, &out) && out.answer == NULL);
	v_old = out.version;
	gate_cache_put(c, k1, &e, gate_cache_gen(c));
	gate_cache_answer(c, k1, v_old, h2);
	T_CHECK(gate_cache_get(c, k1, &out) && out.answer == NULL);
	T_CHECK(out.version != v_old);
	/* kept: every get hands out a reference of its own */
	gate_cache_answer(c, k1, out.version, h1);
	T_CHECK(gate_cache_get(c, k1, &out) && out.answer == h1);
	http_held_unref(out.answer);
	T_CHECK(gate_cache_get(c, k1, &out) && out.answer == h1);
	http_resp_held(&r, 200, out.answer); /* as a request sends it */
	T_CHECK(r.held == h1 && r.status == 200);
	/* a second answer for the same entry does not replace the first */
	gate_cache_answer(c, k1, out.version, h2);
	T_CHECK(gate_cache_get(c, k1, &out) && out.answer == h1);
	http_held_unref(out.answer);
	/* the entry replaced: its answer goes, the request's copy stays */
	gate_cache_put(c, k1, &e, gate_cache_gen(c));
	T_CHECK(gate_cache_get(c, k1, &out) && out.answer == NULL);
	T_CHECK(r.held == h1);
	http_resp_clear(&r);
	T_CHECK(r.held == NULL);
	/* cleared and freed with answers in: dropped (LeakSanitizer) */
	gate_cache_answer(c, k1, out.version, h2);
	gate_cache_clear(c);
	T_CHECK(!gate_cache_get(c, k1, &out));
	gate_cache_put(c, k1, &e, gate_cache_gen(c));
	T_CHECK(gate_cache_get(c, k1, &out));
	gate_cache_answer(c, k1, out.version, h2);
	http_held_unref(h1);
	http_held_unref(h2);
	gate_cache_free(c);
}

int
main(void)
{
	T_RUN(test_roundtrip);
	T_RUN(test_bounded);
	T_RUN(test_fill_limits);
	T_RUN(test_answers);
	return T_DONE();
}
