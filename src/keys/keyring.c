/*
 * keyring.c - the key ring in memory: building one (first start, taking
 * over signing-key.pem, adding an algorithm), one rotation step, and the
 * accessors request threads use (see keyring.h for the roles and rules).
 *
 * A ring is never changed once built: every operation that "changes" it
 * builds a new ring (sharing the OpenSSL keys it keeps through
 * jose_key_dup), so readers need no lock. The reference count is the only
 * thing that moves. Sealing keys live inside the ring and are wiped when
 * the last reference goes.
 *
 * Its JSON document is keyring_doc.c's; the file in data_dir is
 * keyring_file.c's.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64url.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/rnd.h"
#include "core/str.h"
#include "jose/jws.h"
#include "keys/keyring.h"
#include "keys/keyring_int.h"

static const char *const role_names[] = { "next", "current", "previous" };

const char *
keyring_role_name(enum keyring_role role)
{
	return (unsigned)role <= KEYRING_PREVIOUS ? role_names[role] : "?";
}

void
kr_why(buf_t *why, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL)
		return;
	va_start(ap, fmt);
	if (buf_vappendf(why, fmt, ap) != PO_OK) {
		/* cut short (keyring_int.h) */
	}
	va_end(ap);
}

/* ---- building ---- */

keyring_t *
kr_new(void)
{
	keyring_t *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	atomic_init(&r->refs, 1);
	/* Without it, sealing asks OpenSSL for the cipher each time. */
	r->aead = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	return r;
}

int
kr_add_sig(keyring_t *r, jose_key_t *key, enum keyring_role role, int64_t created, int64_t retire)
{
	if (r->n_sig == KR_SIG_MAX) {
		jose_key_free(key);
		return PO_ERR_LIMIT;
	}
	r->sig[r->n_sig++] = (struct keyring_sig){ key, role, created, role == KEYRING_PREVIOUS ? retire : 0 };
	return PO_OK;
}

int
kr_add_seal(keyring_t *r, const keyring_seal_key_t *k)
{
	if (r->n_seal == KR_SEAL_MAX)
		return PO_ERR_LIMIT;
	r->seal[r->n_seal] = *k;
	if (k->role != KEYRING_PREVIOUS)
		r->seal[r->n_seal].retire = 0;
	r->n_seal++;
	return PO_OK;
}

/* Canonical order: current, next, then previous keys oldest retire first. */
static int
kr_rank(enum keyring_role role)
{
	return role == KEYRING_CURRENT ? 0 : role == KEYRING_NEXT ? 1
	                                                          : 2;
}

static int
kr_sig_cmp(const void *a, const void *b)
{
	const struct keyring_sig *x = a, *y = b;
	enum jose_alg ax = jose_key_alg_id(x->key), ay = jose_key_alg_id(y->key);

	if (ax != ay)
		return ax < ay ? -1 : 1;
	if (kr_rank(x->role) != kr_rank(y->role))
		return kr_rank(x->role) < kr_rank(y->role) ? -1 : 1;
	if (x->retire != y->retire)
		return x->retire < y->retire ? -1 : 1;
	return strcmp(jose_key_kid(x->key), jose_key_kid(y->key));
}

static int
kr_seal_cmp(const void *a, const void *b)
{
	const keyring_seal_key_t *x = a, *y = b;

	if (kr_rank(x->role) != kr_rank(y->role))
		return kr_rank(x->role) < kr_rank(y->role) ? -1 : 1;
	if (x->retire != y->retire)
		return x->retire < y->retire ? -1 : 1;
	return memcmp(x->id, y->id, sizeof(x->id));
}

void
kr_sort(keyring_t *r)
{
	qsort(r->sig, r->n_sig, sizeof(r->sig[0]), kr_sig_cmp);
	qsort(r->seal, r->n_seal, sizeof(r->seal[0]), kr_seal_cmp);
}

/* A new random sealing key whose id no key of r has. */
static int
kr_new_seal(keyring_t *r, enum keyring_role role, int64_t now)
{
	keyring_seal_key_t k = { .role = role, .created = now };
	int rc = PO_OK, tries;

	if ((rc = rnd_bytes(k.key, sizeof(k.key))) != PO_OK)
		goto out;
	for (tries = 0;; tries++) {
		size_t i;

		if ((rc = rnd_bytes(k.id, sizeof(k.id))) != PO_OK)
			goto out;
		for (i = 0; i < r->n_seal && memcmp(r->seal[i].id, k.id, sizeof(k.id)) != 0; i++)
			;
		if (i == r->n_seal)
			break;
		if (tries == 16) { /* 2^-32 per try: a broken random source */
			rc = PO_ERR_CRYPTO;
			goto out;
		}
	}
	rc = kr_add_seal(r, &k);
out:
	str_wipe(&k, sizeof(k));
	return rc;
}

static int
kr_new_sig(keyring_t *r, enum jose_alg alg, enum keyring_role role, int64_t now)
{
	jose_key_t *k = NULL;
	int rc;

	if ((rc = jose_key_generate(alg, &k)) != PO_OK)
		return rc;
	return kr_add_sig(r, k, role, now, 0);
}

static int
kr_new_pair(keyring_t *r, enum jose_alg alg, int64_t now)
{
	int rc;

	if ((rc = kr_new_sig(r, alg, KEYRING_CURRENT, now)) != PO_OK)
		return rc;
	return kr_new_sig(r, alg, KEYRING_NEXT, now);
}

static int
kr_new_seal_pair(keyring_t *r, int64_t now)
{
	int rc;

	if ((rc = kr_new_seal(r, KEYRING_CURRENT, now)) != PO_OK)
		return rc;
	return kr_new_seal(r, KEYRING_NEXT, now);
}

int
keyring_create(unsigned algs, int64_t now, keyring_t **out)
{
	keyring_t *r = NULL;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	algs = (algs | JOSE_ALG_BIT(JOSE_RS256)) & JOSE_ALGS_ALL;
	if ((r = kr_new()) == NULL)
		goto out;
	for (unsigned a = 0; a < JOSE_ALG_COUNT; a++)
		if ((algs & JOSE_ALG_BIT(a)) && (rc = kr_new_pair(r, (enum jose_alg)a, now)) != PO_OK)
			goto out;
	if ((rc = kr_new_seal_pair(r, now)) != PO_OK)
		goto out;
	kr_sort(r);
	*out = r;
	r = NULL; /* transferred */
	rc = PO_OK;
out:
	keyring_free(r);
	return rc;
}

int
keyring_create_from_legacy(const jose_key_t *legacy, int64_t legacy_created, unsigned algs, int64_t now,
    keyring_t **out)
{
	keyring_t *r = NULL;
	jose_key_t *k = NULL;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	if (jose_key_alg_id(legacy) != JOSE_RS256 || !jose_key_can_sign(legacy))
		return PO_ERR_INVALID;
	if ((r = kr_new()) == NULL || (k = jose_key_dup(legacy)) == NULL)
		goto out;
	/* The old key keeps signing (same kid: no token breaks); the new next
	 * one is published first and takes over at the first rotation. */
	rc = kr_add_sig(r, k, KEYRING_CURRENT, legacy_created, 0);
	k = NULL; /* transferred */
	if (rc != PO_OK || (rc = kr_new_sig(r, JOSE_RS256, KEYRING_NEXT, now)) != PO_OK)
		goto out;
	for (unsigned a = 0; a < JOSE_ALG_COUNT; a++)
		if (a != JOSE_RS256 && (algs & JOSE_ALG_BIT(a)) && (rc = kr_new_pair(r, (enum jose_alg)a, now)) != PO_OK)
			goto out;
	if ((rc = kr_new_seal_pair(r, now)) != PO_OK)
		goto out;
	kr_sort(r);
	*out = r;
	r = NULL; /* transferred */
	rc = PO_OK;
out:
	keyring_free(r);
	return rc;
}

/* A copy of r without the previous keys retired at now. */
static int
kr_copy_live(const keyring_t *r, int64_t now, keyring_t **out)
{
	keyring_t *c = NULL;
	int rc = PO_ERR_NOMEM;
	size_t i;

	*out = NULL;
	if ((c = kr_new()) == NULL)
		goto out;
	for (i = 0; i < r->n_sig; i++) {
		const struct keyring_sig *s = &r->sig[i];
		jose_key_t *k;

		if (s->role == KEYRING_PREVIOUS && s->retire <= now)
			continue;
		if ((k = jose_key_dup(s->key)) == NULL)
			goto out;
		if ((rc = kr_add_sig(c, k, s->role, s->created, s->retire)) != PO_OK)
			goto out;
		rc = PO_ERR_NOMEM;
	}
	for (i = 0; i < r->n_seal; i++)
		if ((r->seal[i].role != KEYRING_PREVIOUS || r->seal[i].retire > now) &&
		    (rc = kr_add_seal(c, &r->seal[i])) != PO_OK)
			goto out;
	*out = c;
	c = NULL; /* transferred */
	rc = PO_OK;
out:
	keyring_free(c);
	return rc;
}

int
keyring_add_algs(keyring_t *r, unsigned algs, int64_t now, keyring_t **out, unsigned *added)
{
	unsigned missing = (algs & JOSE_ALGS_ALL) & ~keyring_algs(r);
	keyring_t *c = NULL;
	int rc;

	*out = NULL;
	if (added != NULL)
		*added = 0;
	if (missing == 0) {
		*out = keyring_ref(r);
		return PO_OK;
	}
	/* Retired keys are kept as they are: only a rotation drops them. */
	if ((rc = kr_copy_live(r, INT64_MIN, &c)) != PO_OK)
		goto out;
	for (unsigned a = 0; a < JOSE_ALG_COUNT; a++)
		if ((missing & JOSE_ALG_BIT(a)) && (rc = kr_new_pair(c, (enum jose_alg)a, now)) != PO_OK)
			goto out;
	kr_sort(c);
	if (added != NULL)
		*added = missing;
	*out = c;
	c = NULL; /* transferred */
	rc = PO_OK;
out:
	keyring_free(c);
	return rc;
}

/* ---- rotation ---- */

int64_t
keyring_rotate_wait(const keyring_t *r, int64_t now)
{
	int64_t wait = 0;

	for (size_t i = 0; i < r->n_sig; i++) {
		int64_t ready = r->sig[i].created + LIM_KEY_PREPUBLISH_S;

		if (r->sig[i].role == KEYRING_NEXT && ready - now > wait)
			wait = ready - now;
	}
	return wait;
}

/* The why of a refused rotation: the youngest next key and the wait. */
static void
kr_why_wait(const keyring_t *r, int64_t now, int64_t wait, buf_t *why)
{
	const struct keyring_sig *y = NULL;
	char age[CLOCK_TEXT_SIZE], left[CLOCK_TEXT_SIZE], when[CLOCK_TEXT_SIZE];

	if (why == NULL)
		return;
	for (size_t i = 0; i < r->n_sig; i++)
		if (r->sig[i].role == KEYRING_NEXT && (y == NULL || r->sig[i].created > y->created))
			y = &r->sig[i];
	if (y == NULL)
		return;
	clock_fmt_duration(now - y->created, age, sizeof(age));
	clock_fmt_duration(wait, left, sizeof(left));
	clock_fmt_utc(now + wait, when, sizeof(when));
	kr_why(why, "not rotated: the next %s key (kid %s) has been published for %s only; relying "
	            "parties may cache the key set for %d s, so a new key is published for at least %d s before it signs; "
	            "try again in %s (after %s)",
	    jose_key_alg(y->key), jose_key_kid(y->key), age, LIM_JWKS_MAX_AGE_S,
	    LIM_KEY_PREPUBLISH_S, left, when);
}

/* Refuses a ring with too many previous keys in one set, saying when the
 * oldest of that set retires. */
static int
kr_check_room(const keyring_t *r, buf_t *why)
{
	size_t n[JOSE_ALG_COUNT + 1] = { 0 };
	int64_t oldest[JOSE_ALG_COUNT + 1] = { 0 };
	char when[CLOCK_TEXT_SIZE];
	size_t i;

	for (i = 0; i < r->n_sig + r->n_seal; i++) {
		bool sealing = i >= r->n_sig;
		enum keyring_role role = sealing ? r->seal[i - r->n_sig].role : r->sig[i].role;
		int64_t retire = sealing ? r->seal[i - r->n_sig].retire : r->sig[i].retire;
		size_t set = sealing ? JOSE_ALG_COUNT : (size_t)jose_key_alg_id(r->sig[i].key);

		if (role != KEYRING_PREVIOUS)
			continue;
		if (n[set]++ == 0 || retire < oldest[set])
			oldest[set] = retire;
	}
	for (i = 0; i <= JOSE_ALG_COUNT; i++) {
		if (n[i] <= LIM_KEYRING_PREVIOUS_MAX)
			continue;
		clock_fmt_utc(oldest[i], when, sizeof(when));
		kr_why(why, "not rotated: the ring would keep %zu previous %s keys, and at most %d "
		            "are kept (each still opens or verifies what it made until it retires); the oldest "
		            "retires at %s: rotate after that, or less often",
		    n[i],
		    i == JOSE_ALG_COUNT ? "sealing" : jose_alg_name((enum jose_alg)i), LIM_KEYRING_PREVIOUS_MAX,
		    when);
		return PO_ERR_LIMIT;
	}
	return PO_OK;
}

int
keyring_rotate(const keyring_t *r, int64_t now, int64_t sealed_lifetime_s, bool force, keyring_t **out,
    buf_t *why)
{
	int64_t wait = keyring_rotate_wait(r, now);
	unsigned algs = keyring_algs(r);
	keyring_t *c = NULL;
	int rc;
	size_t i;

	*out = NULL;
	if (sealed_lifetime_s < 0)
		return PO_ERR_INVALID;
	if (wait > 0 && !force) {
		kr_why_wait(r, now, wait, why);
		return PO_ERR_DENIED;
	}
	if ((rc = kr_copy_live(r, now, &c)) != PO_OK)
		goto out;
	for (i = 0; i < c->n_sig; i++) {
		struct keyring_sig *s = &c->sig[i];

		if (s->role == KEYRING_CURRENT) {
			s->role = KEYRING_PREVIOUS;
			s->retire = now + LIM_KEY_SIG_RETIRE_S;
		} else if (s->role == KEYRING_NEXT) {
			s->role = KEYRING_CURRENT;
		}
	}
	for (i = 0; i < c->n_seal; i++) {
		keyring_seal_key_t *s = &c->seal[i];

		if (s->role == KEYRING_CURRENT) {
			s->role = KEYRING_PREVIOUS;
			s->retire = now + sealed_lifetime_s + LIM_KEY_RETIRE_MARGIN_S;
		} else if (s->role == KEYRING_NEXT) {
			s->role = KEYRING_CURRENT;
		}
	}
	if ((rc = kr_check_room(c, why)) != PO_OK)
		goto out;
	for (unsigned a = 0; a < JOSE_ALG_COUNT; a++)
		if ((algs & JOSE_ALG_BIT(a)) && (rc = kr_new_sig(c, (enum jose_alg)a, KEYRING_NEXT, now)) != PO_OK)
			goto out;
	if ((rc = kr_new_seal(c, KEYRING_NEXT, now)) != PO_OK)
		goto out;
	kr_sort(c);
	*out = c;
	c = NULL; /* transferred */
	rc = PO_OK;
out:
	keyring_free(c);
	return rc;
}

/* ---- using a ring ---- */

keyring_t *
keyring_ref(keyring_t *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	return r;
}

void
keyring_free(keyring_t *r)
{
	size_t i;

	if (r == NULL || atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (i = 0; i < r->n_sig; i++)
		jose_key_free(r->sig[i].key);
	str_wipe(r->seal, sizeof(r->seal));
	EVP_CIPHER_free(r->aead);
	free(r);
}

static bool
kr_published(enum keyring_role role, int64_t retire, int64_t now)
{
	return role != KEYRING_PREVIOUS || now < retire;
}

const jose_key_t *
keyring_signer(const keyring_t *r, enum jose_alg alg)
{
	for (size_t i = 0; i < r->n_sig; i++)
		if (r->sig[i].role == KEYRING_CURRENT && jose_key_alg_id(r->sig[i].key) == alg)
			return r->sig[i].key;
	return NULL;
}

const jose_key_t *
keyring_find_kid(const keyring_t *r, const char *kid, size_t len, int64_t now)
{
	if (kid == NULL || len != JOSE_KID_SIZE - 1)
		return NULL;
	for (size_t i = 0; i < r->n_sig; i++)
		if (memcmp(jose_key_kid(r->sig[i].key), kid, len) == 0 &&
		    kr_published(r->sig[i].role, r->sig[i].retire, now))
			return r->sig[i].key;
	return NULL;
}

int
keyring_verify_jws(const keyring_t *r, const char *jws, size_t len, int64_t now, char **payload)
{
	char kid[JOSE_KID_SIZE];
	const jose_key_t *k;

	if (payload != NULL)
		*payload = NULL;
	if (jose_jws_kid(jws, len, kid, sizeof(kid)) != PO_OK ||
	    (k = keyring_find_kid(r, kid, strlen(kid), now)) == NULL)
		return PO_ERR_INVALID;
	return jose_jws_verify(k, jws, len, payload);
}

json_t *
keyring_jwks(const keyring_t *r, int64_t now)
{
	json_t *keys = json_array(), *jwks = NULL, *k;

	if (keys == NULL)
		return NULL;
	for (size_t i = 0; i < r->n_sig; i++) {
		if (!kr_published(r->sig[i].role, r->sig[i].retire, now))
			continue;
		if ((k = jose_key_public_jwk(r->sig[i].key)) == NULL || json_array_append_new(keys, k) != 0) {
			json_decref(keys);
			return NULL;
		}
	}
	if ((jwks = json_pack("{s:o}", "keys", keys)) == NULL)
		return NULL; /* json_pack "o" releases keys on failure */
	return jwks;
}

unsigned
keyring_algs(const keyring_t *r)
{
	unsigned algs = 0;

	for (size_t i = 0; i < r->n_sig; i++)
		algs |= JOSE_ALG_BIT(jose_key_alg_id(r->sig[i].key));
	return algs;
}

const EVP_CIPHER *
keyring_seal_cipher(const keyring_t *r)
{
	return r->aead != NULL ? r->aead : EVP_aes_256_gcm();
}

const keyring_seal_key_t *
keyring_seal_current(const keyring_t *r)
{
	for (size_t i = 0; i < r->n_seal; i++)
		if (r->seal[i].role == KEYRING_CURRENT)
			return &r->seal[i];
	return NULL;
}

const keyring_seal_key_t *
keyring_seal_find(const keyring_t *r, const uint8_t id[KEYRING_SEAL_ID_BYTES], int64_t now)
{
	for (size_t i = 0; i < r->n_seal; i++)
		if (memcmp(r->seal[i].id, id, KEYRING_SEAL_ID_BYTES) == 0 &&
		    kr_published(r->seal[i].role, r->seal[i].retire, now))
			return &r->seal[i];
	return NULL;
}

size_t
keyring_count(const keyring_t *r)
{
	return r->n_sig + r->n_seal;
}

int
keyring_info(const keyring_t *r, size_t i, keyring_info_t *out)
{
	memset(out, 0, sizeof(*out));
	if (i < r->n_sig) {
		const struct keyring_sig *s = &r->sig[i];

		out->alg = jose_key_alg_id(s->key);
		out->role = s->role;
		memcpy(out->id, jose_key_kid(s->key), JOSE_KID_SIZE);
		out->created = s->created;
		out->retire = s->retire;
		return PO_OK;
	}
	if ((i -= r->n_sig) < r->n_seal) {
		const keyring_seal_key_t *s = &r->seal[i];

		out->sealing = true;
		out->role = s->role;
		if (b64url_encode(s->id, sizeof(s->id), out->id, sizeof(out->id)) < 0)
			return PO_ERR_INTERNAL; /* cannot happen: 6 characters fit */
		out->created = s->created;
		out->retire = s->retire;
		return PO_OK;
	}
	return PO_ERR_NOTFOUND;
}
