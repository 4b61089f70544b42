/*
 * gate_cache.c - forward auth's bounded memory of opened cookies (see
 * gate_cache.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/str.h"
#include "gate/gate_cache.h"
#include "po_limits.h"

#define SETS (LIM_GATE_CACHE_SLOTS / LIM_GATE_CACHE_WAYS)
_Static_assert(LIM_GATE_CACHE_SLOTS % LIM_GATE_CACHE_WAYS == 0, "whole sets");
_Static_assert(GATE_ENTRY_TEXT_MAX < GATE_ENTRY_NONE, "offsets fit");

struct slot {
	uint8_t key[GATE_CACHE_KEY_BYTES];
	bool used;
	uint64_t stamp; /* insertion order, for replacing the oldest; unique in
	                 * its set (next is never reset): the entry's version */
	gate_entry_t e;
};

struct set {
	pthread_mutex_t mu;
	uint64_t next;
	struct slot s[LIM_GATE_CACHE_WAYS];
};

struct gate_cache {
	EVP_MD *sha256;       /* fetched once: no lookup per request */
	_Atomic uint64_t gen; /* bumped by every clear */
	struct set sets[SETS];
};

int
gate_cache_new(gate_cache_t **out)
{
	gate_cache_t *c = calloc(1, sizeof(*c));
	size_t i;

	*out = NULL;
	if (c == NULL)
		return PO_ERR_NOMEM;
	if ((c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		free(c);
		return PO_ERR_CRYPTO;
	}
	for (i = 0; i < SETS; i++)
		pthread_mutex_init(&c->sets[i].mu, NULL);
	*out = c;
	return PO_OK;
}

void
gate_cache_free(gate_cache_t *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < SETS; i++) {
		for (size_t j = 0; j < LIM_GATE_CACHE_WAYS; j++)
			http_held_unref(c->sets[i].s[j].e.answer);
		pthread_mutex_destroy(&c->sets[i].mu);
	}
	EVP_MD_free(c->sha256);
	str_wipe(c, sizeof(*c)); /* the entries name sessions */
	free(c);
}

int
gate_cache_key(const gate_cache_t *c, const char *buf, size_t len, uint8_t key[GATE_CACHE_KEY_BYTES])
{
	unsigned n = 0;

	if (EVP_Digest(buf, len, key, &n, c->sha256, NULL) != 1 || n != GATE_CACHE_KEY_BYTES)
		return PO_ERR_CRYPTO;
	return PO_OK;
}

static struct set *
set_of(gate_cache_t *c, const uint8_t *key)
{
	uint32_t h;

	memcpy(&h, key, sizeof(h)); /* a digest: any four bytes are uniform */
	return &c->sets[h % SETS];
}

bool
gate_cache_get(gate_cache_t *c, const uint8_t key[GATE_CACHE_KEY_BYTES], gate_entry_t *out)
{
	struct set *st = set_of(c, key);
	bool hit = false;
	size_t i;

	pthread_mutex_lock(&st->mu);
	for (i = 0; i < LIM_GATE_CACHE_WAYS; i++)
		if (st->s[i].used && memcmp(st->s[i].key, key, GATE_CACHE_KEY_BYTES) == 0) {
			*out = st->s[i].e;
			out->version = st->s[i].stamp;
			if (out->answer != NULL)
				http_held_ref(out->answer); /* the caller's */
			hit = true;
			break;
		}
	pthread_mutex_unlock(&st->mu);
	return hit;
}

void
gate_cache_answer(gate_cache_t *c, const uint8_t key[GATE_CACHE_KEY_BYTES], uint64_t version, http_held_t *h)
{
	struct set *st = set_of(c, key);
	size_t i;

	pthread_mutex_lock(&st->mu);
	for (i = 0; i < LIM_GATE_CACHE_WAYS; i++) {
		struct slot *s = &st->s[i];

		if (!s->used || memcmp(s->key, key, GATE_CACHE_KEY_BYTES) != 0)
			continue;
		/* Built from the entry of this version: a newer one (a re-check
		 * that changed the groups) must not send it. */
		if (s->e.answer == NULL && s->stamp == version) {
			http_held_ref(h);
			s->e.answer = h;
		}
		break;
	}
	pthread_mutex_unlock(&st->mu);
}

uint64_t
gate_cache_gen(gate_cache_t *c)
{
	return atomic_load(&c->gen);
}

void
gate_cache_put(gate_cache_t *c, const uint8_t key[GATE_CACHE_KEY_BYTES], const gate_entry_t *e, uint64_t gen)
{
	struct set *st = set_of(c, key);
	size_t i, pick = 0;

	pthread_mutex_lock(&st->mu);
	/* Read under the set's lock: a clear bumps gen before it takes the
	 * locks, so an entry either sees the new generation here or is
	 * wiped by the clear after it. */
	if (atomic_load(&c->gen) != gen) {
		pthread_mutex_unlock(&st->mu);
		return;
	}
	for (i = 0; i < LIM_GATE_CACHE_WAYS; i++) {
		if (st->s[i].used && memcmp(st->s[i].key, key, GATE_CACHE_KEY_BYTES) == 0) {
			pick = i;
			break;
		}
		if (!st->s[i].used || (st->s[pick].used && st->s[i].stamp < st->s[pick].stamp))
			pick = i;
	}
	memcpy(st->s[pick].key, key, GATE_CACHE_KEY_BYTES);
	http_held_unref(st->s[pick].e.answer); /* the old entry's, or NULL */
	st->s[pick].e = *e;
	st->s[pick].e.answer = NULL;
	st->s[pick].used = true;
	st->s[pick].stamp = ++st->next;
	pthread_mutex_unlock(&st->mu);
}

void
gate_cache_clear(gate_cache_t *c)
{
	size_t i;

	atomic_fetch_add(&c->gen, 1);
	for (i = 0; i < SETS; i++) {
		pthread_mutex_lock(&c->sets[i].mu);
		for (size_t j = 0; j < LIM_GATE_CACHE_WAYS; j++)
			http_held_unref(c->sets[i].s[j].e.answer);
		memset(c->sets[i].s, 0, sizeof(c->sets[i].s));
		pthread_mutex_unlock(&c->sets[i].mu);
	}
}

/* Appends s and its NUL to e->text at *at; its offset, or false. */
static bool
add(gate_entry_t *e, size_t *at, const char *s, uint16_t *off)
{
	size_t n;

	if (s == NULL) {
		*off = GATE_ENTRY_NONE;
		return true;
	}
	n = strlen(s) + 1;
	if (n > sizeof(e->text) - *at)
		return false;
	memcpy(e->text + *at, s, n);
	*off = (uint16_t)*at;
	*at += n;
	return true;
}

bool
gate_entry_fill(gate_entry_t *e, const session_t *s, int64_t checked, int64_t good, enum plex_access rel,
    const config_groupset_t *in, const char *user, const char *name, const char *email, const char *group_names)
{
	size_t at = 0;

	memset(e, 0, sizeof(*e));
	memcpy(e->sid, s->sid, sizeof(e->sid));
	e->expires = s->usable_until ? s->usable_until : s->expires; /* a retiring key's cookie ends with it */
	e->checked = checked;
	e->good = good;
	e->rel = rel;
	e->groups = *in;
	return add(e, &at, user, &e->user) && add(e, &at, name, &e->name) && add(e, &at, email, &e->email) &&
	    add(e, &at, group_names, &e->group_names) && e->user != GATE_ENTRY_NONE;
}

const char *
gate_entry_str(const gate_entry_t *e, uint16_t off)
{
	return off == GATE_ENTRY_NONE || off >= sizeof(e->text) ? NULL : e->text + off;
}
