/*
 * gate_cache.h - forward auth's memory of cookies it has opened, so that
 * the check of a valid session (every request of every guarded app, every
 * image and script) does not decrypt and parse the same sealed cookie
 * again: the measured cost of that was a third of the check
 * (docs/PERFORMANCE.md, "Forward auth").
 *
 * An entry is keyed by the SHA-256 of the whole cookie value, so only the
 * exact bytes that once opened (AES-GCM authenticated, session.h) find it;
 * it holds what the answer needs: the session id (revocation is still
 * looked up in the store on every request), its expiry, the time of the
 * last access check and its outcome (a due re-check still goes through
 * session/access.h, and its result is written back), the groups of that
 * outcome, and the identity headers. Never the Plex token: a due re-check
 * opens the cookie again.
 *
 * Bounded: LIM_GATE_CACHE_SLOTS fixed-size entries allocated once, in
 * sets of LIM_GATE_CACHE_WAYS; a full set replaces its oldest entry.
 * Memory does not grow with the number of sessions seen. Entries whose
 * identity does not fit GATE_ENTRY_TEXT_MAX are not kept (those sessions
 * take the slow path). The whole cache is emptied when the key ring
 * changes (a rotation may retire the key a cookie was sealed with).
 *
 * An entry used again also keeps its whole 200 answer, built once
 * (http_held_t): the requests after it are sent that answer as is, with
 * no header copied or allocated (docs/PERFORMANCE.md). Only entries hit
 * at least once carry one, so sessions seen once cost no answer.
 *
 * Thread-safe: one mutex per set, held only to copy an entry in or out.
 */
#ifndef PO_GATE_GATE_CACHE_H
#define PO_GATE_GATE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "http/server.h"
#include "core/err.h"
#include "plex/plex_parse.h"
#include "session/session.h"

#define GATE_CACHE_KEY_BYTES 32 /* SHA-256 */
/* "user\0name\0email\0groups\0": a household's names fit with room. */
#define GATE_ENTRY_TEXT_MAX 448
/* An absent field's offset. */
#define GATE_ENTRY_NONE UINT16_MAX

typedef struct gate_cache gate_cache_t;

typedef struct gate_entry {
	char sid[SESSION_ID_SIZE];
	int64_t expires;          /* the session's, or sooner its sealing key's retire time */
	int64_t checked, good;    /* its last access check (access.h) */
	enum plex_access rel;     /* that check's relationship */
	config_groupset_t groups; /* the user's groups with rel (policy.h) */
	char text[GATE_ENTRY_TEXT_MAX];
	uint16_t user, name, email, group_names; /* offsets into text, GATE_ENTRY_NONE when absent */
	http_held_t *answer;                     /* the 200 of this entry, or NULL (gate_cache_answer) */
	uint64_t version;                        /* set by gate_cache_get: which store of the key this is */
} gate_entry_t;

/* A cache of LIM_GATE_CACHE_SLOTS entries. PO_OK, PO_ERR_NOMEM or
 * PO_ERR_CRYPTO (no SHA-256). */
int gate_cache_new(gate_cache_t **out) PO_WUR;
/* Accepts NULL. */
void gate_cache_free(gate_cache_t *c);

/* The key of a cookie value (buf, len). PO_OK or PO_ERR_CRYPTO. */
int gate_cache_key(const gate_cache_t *c, const char *buf, size_t len, uint8_t key[GATE_CACHE_KEY_BYTES]) PO_WUR;
/* Copies the entry of key into *out: true if there is one. out->answer,
 * when not NULL, is a reference of the caller's: http_resp_held() it, or
 * http_held_unref() it. */
bool gate_cache_get(gate_cache_t *c, const uint8_t key[GATE_CACHE_KEY_BYTES], gate_entry_t *out);
/* Gives the entry of key the answer h (a reference of its own), when it is
 * still the entry gate_cache_get returned with version (not replaced by a
 * newer one of the same cookie, whose groups may differ, nor cleared) and
 * has none yet. */
void gate_cache_answer(gate_cache_t *c, const uint8_t key[GATE_CACHE_KEY_BYTES], uint64_t version, http_held_t *h);
/* The cache's generation: read it before taking the key ring whose open
 * cookies are to be stored, and pass it to gate_cache_put. */
uint64_t gate_cache_gen(gate_cache_t *c);
/* Stores e under key, replacing what it had, or the oldest of its set;
 * nothing when the cache was emptied since gen was read (the cookie was
 * opened with a key ring that may no longer hold its key). e->answer must
 * be NULL (gate_entry_fill leaves it so): answers come with use. */
void gate_cache_put(gate_cache_t *c, const uint8_t key[GATE_CACHE_KEY_BYTES], const gate_entry_t *e, uint64_t gen);
/* Empties it and starts a new generation (the key ring changed). */
void gate_cache_clear(gate_cache_t *c);

/* Fills e from a session whose access was checked (checked, good, rel) and
 * the user's groups with that relationship: false when the identity does
 * not fit (then it is not cached). user is Remote-User's value, groups the
 * comma-separated names. */
bool gate_entry_fill(gate_entry_t *e, const session_t *s, int64_t checked, int64_t good, enum plex_access rel,
    const config_groupset_t *in, const char *user, const char *name, const char *email, const char *group_names);
/* A field of e, or NULL when absent. */
const char *gate_entry_str(const gate_entry_t *e, uint16_t off);

#endif
