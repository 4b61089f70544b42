/* test_keyring.c - the key ring (keys/keyring.h, keys/keyholder.h): a new
 * ring, its document (round trip and every kind of damage), rotation steps
 * with a fake clock (pre-publishing, retire times, dropping, the bound on
 * previous keys), the file in a data directory (first start, taking over
 * signing-key.pem with the kid unchanged, a corrupt or lost ring, a newly
 * needed algorithm, two processes creating it at once), and the holder
 * that swaps rings under running threads.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "keys/keyholder.h"
#include "keys/keyring.h"
#include "keys/keytool.h"
#include "po_limits.h"
#include "t.h"

#define T0 ((int64_t)1700000000)
#define DAY 86400
#define SEALED (30 * DAY) /* max(session_lifetime, refresh_lifetime) */

/* ---- helpers ---- */

static int
dir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
dir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			if (unlink(p) != 0)
				rmdir(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static char *
file_slurp(const char *dir, const char *name, size_t *len)
{
	char p[512], *buf = NULL;
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fd = open(p, O_RDONLY)) == -1)
		return NULL;
	if (fstat(fd, &st) == 0 && (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		if (read(fd, buf, (size_t)st.st_size) != st.st_size) {
			free(buf);
			buf = NULL;
		} else {
			buf[st.st_size] = '\0';
			if (len != NULL)
				*len = (size_t)st.st_size;
		}
	}
	close(fd);
	return buf;
}

static int
file_put(const char *dir, const char *name, const char *s)
{
	char p[512];
	int fd, ok;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

static int
file_mode(const char *dir, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* The kid of the key of alg with role, or "" (static buffer per call
 * site is not needed: copied into out). */
static void
kid_of(const keyring_t *r, bool sealing, enum jose_alg alg, enum keyring_role role, char *out)
{
	keyring_info_t in;

	out[0] = '\0';
	for (size_t i = 0; keyring_info(r, i, &in) == PO_OK; i++)
		if (in.sealing == sealing && (sealing || in.alg == alg) && in.role == role) {
			memcpy(out, in.id, sizeof(in.id));
			return;
		}
}

static size_t
count_role(const keyring_t *r, bool sealing, enum jose_alg alg, enum keyring_role role)
{
	keyring_info_t in;
	size_t n = 0;

	for (size_t i = 0; keyring_info(r, i, &in) == PO_OK; i++)
		n += in.sealing == sealing && (sealing || in.alg == alg) && in.role == role;
	return n;
}

/* One ring with every algorithm, made once at T0: RSA key generation takes
 * a quarter of a second, so tests share it (rings are immutable) and build
 * variants from its document. */
static keyring_t *base;

/* A ring with base's keys for algs only (RS256 always), via its
 * document. */
static keyring_t *
ring_from_base(unsigned algs)
{
	json_t *doc = NULL, *sig, *e;
	keyring_t *r = NULL;
	char *text = NULL, *out = NULL;
	size_t n, i;

	if (base == NULL || keyring_serialize(base, &text, &n) != PO_OK || (doc = json_loads(text, 0, NULL)) == NULL)
		goto out;
	sig = json_object_get(doc, "signing");
	for (i = json_array_size(sig); i-- > 0;) {
		enum jose_alg a;
		const char *name = json_string_value(json_object_get((e = json_array_get(sig, i)), "alg"));
		if (jose_alg_parse(name, strlen(name), &a) == PO_OK && a != JOSE_RS256 && !(algs & JOSE_ALG_BIT(a)))
			json_array_remove(sig, i);
	}
	if ((out = json_dumps(doc, 0)) != NULL)
		T_EQ_INT(keyring_parse(out, strlen(out), &r, NULL), PO_OK);
out:
	json_decref(doc);
	free(text);
	free(out);
	T_CHECK(r != NULL);
	return r;
}

/* Writes r as DATA_DIR/keyring.json. */
static int
ring_put(const char *dir, const keyring_t *r)
{
	char *text = NULL;
	size_t n;
	int rc = -1;

	if (r != NULL && keyring_serialize(r, &text, &n) == PO_OK)
		rc = file_put(dir, KEYRING_FILE, text);
	free(text);
	return rc;
}

static char *
ser(const keyring_t *r)
{
	char *s = NULL;
	size_t n;

	T_EQ_INT(keyring_serialize(r, &s, &n), PO_OK);
	return s;
}

/* ---- the ring in memory ---- */

static void
test_create(void)
{
	keyring_t *r = base;
	json_t *jwks = NULL, *k;
	size_t i;

	if (r == NULL) {
		T_CHECK(!"the base ring");
		return;
	}
	T_EQ_INT(keyring_algs(r), JOSE_ALGS_ALL);
	T_EQ_INT(keyring_count(r), 8); /* 3 algorithms x 2, 2 sealing keys */
	for (int a = 0; a < JOSE_ALG_COUNT; a++) {
		const jose_key_t *s = keyring_signer(r, (enum jose_alg)a);
		T_CHECK(s != NULL && jose_key_alg_id(s) == (enum jose_alg)a && jose_key_can_sign(s));
		T_EQ_INT(count_role(r, false, (enum jose_alg)a, KEYRING_CURRENT), 1);
		T_EQ_INT(count_role(r, false, (enum jose_alg)a, KEYRING_NEXT), 1);
	}
	T_EQ_INT(count_role(r, true, 0, KEYRING_CURRENT), 1);
	T_EQ_INT(count_role(r, true, 0, KEYRING_NEXT), 1);
	T_CHECK(keyring_seal_current(r) != NULL && keyring_seal_current(r)->role == KEYRING_CURRENT);
	/* the JWKS: every current and next key, distinct kids, each one
	 * importable and equal to the ring's key */
	jwks = keyring_jwks(r, T0);
	T_EQ_INT(json_array_size(json_object_get(jwks, "keys")), 6);
	json_array_foreach(json_object_get(jwks, "keys"), i, k) {
		const char *kid = json_string_value(json_object_get(k, "kid"));
		jose_key_t *pub = NULL;
		size_t j;
		json_t *o;

		T_CHECK(kid != NULL && keyring_find_kid(r, kid, strlen(kid), T0) != NULL);
		T_CHECK(json_object_get(k, "d") == NULL);
		T_EQ_INT(jose_key_from_jwk(k, &pub), PO_OK);
		if (pub != NULL)
			T_EQ_STR(jose_key_kid(pub), kid);
		jose_key_free(pub);
		json_array_foreach(json_object_get(jwks, "keys"), j, o)
			if (j != i)
				T_CHECK(strcmp(kid, json_string_value(json_object_get(o, "kid"))) != 0);
	}
	json_decref(jwks);
	T_CHECK(keyring_find_kid(r, "nope", 4, T0) == NULL);
	T_CHECK(keyring_find_kid(r, NULL, 0, T0) == NULL);
	T_EQ_STR(keyring_role_name(KEYRING_PREVIOUS), "previous");
	T_EQ_INT(keyring_info(r, keyring_count(r), &(keyring_info_t){ 0 }), PO_ERR_NOTFOUND);
	/* references */
	T_CHECK(keyring_ref(r) == r);
	keyring_free(r);
	keyring_free(NULL);
}

/* ID tokens of every published key verify against the ring, by kid;
 * others do not. */
static void
test_verify_jws(void)
{
	keyring_t *r = NULL, *other = NULL;
	char *tok = NULL, *payload = NULL;

	r = ring_from_base(JOSE_ALG_BIT(JOSE_EDDSA));
	T_EQ_INT(keyring_create(JOSE_ALG_BIT(JOSE_EDDSA), T0, &other), PO_OK);
	if (r == NULL || other == NULL)
		goto out;
	T_EQ_INT(keyring_algs(other), JOSE_ALG_BIT(JOSE_RS256) | JOSE_ALG_BIT(JOSE_EDDSA));
	for (int a = 0; a < JOSE_ALG_COUNT; a += 2) {
		T_EQ_INT(jose_jws_sign(keyring_signer(r, (enum jose_alg)a), "{\"sub\":\"1\"}", 11, &tok), PO_OK);
		T_EQ_INT(keyring_verify_jws(r, tok, strlen(tok), T0, &payload), PO_OK);
		T_EQ_STR(payload, "{\"sub\":\"1\"}");
		free(payload);
		payload = NULL;
		T_EQ_INT(keyring_verify_jws(other, tok, strlen(tok), T0, &payload), PO_ERR_INVALID);
		T_CHECK(payload == NULL);
		tok[strlen(tok) - 2] ^= 1;
		T_EQ_INT(keyring_verify_jws(r, tok, strlen(tok), T0, NULL), PO_ERR_INVALID);
		free(tok);
		tok = NULL;
	}
	T_EQ_INT(keyring_verify_jws(r, "a.b.c", 5, T0, NULL), PO_ERR_INVALID);
	T_EQ_INT(keyring_verify_jws(r, NULL, 0, T0, NULL), PO_ERR_INVALID);
out:
	keyring_free(r);
	keyring_free(other);
}

static void
test_document_roundtrip(void)
{
	keyring_t *r = NULL, *back = NULL;
	char *a = NULL, *b = NULL;
	buf_t why;

	buf_init(&why, 4096);
	if ((r = base) == NULL)
		goto out;
	keyring_ref(r);
	a = ser(r);
	T_CHECK(a != NULL && strstr(a, "\"format\": \"plex-oidc key ring\"") != NULL);
	T_EQ_INT(keyring_parse(a, strlen(a), &back, &why), PO_OK);
	T_EQ_STR(buf_str(&why), "");
	if (back == NULL)
		goto out;
	b = ser(back);
	T_EQ_STR(a, b); /* the same document, byte for byte */
	for (int i = 0; i < JOSE_ALG_COUNT; i++)
		T_EQ_STR(jose_key_kid(keyring_signer(back, (enum jose_alg)i)),
		    jose_key_kid(keyring_signer(r, (enum jose_alg)i)));
	T_CHECK(memcmp(keyring_seal_current(r), keyring_seal_current(back), sizeof(keyring_seal_key_t)) == 0);
out:
	free(a);
	free(b);
	keyring_free(r);
	keyring_free(back);
	buf_free(&why);
}

/* Applies one change to the parsed document of a good ring; returns the
 * changed text (malloc'd). */
typedef void (*doc_edit_fn)(json_t *doc);

static void
e_version(json_t *d)
{
	json_object_set_new(d, "version", json_integer(2));
}
static void
e_format(json_t *d)
{
	json_object_set_new(d, "format", json_string("something else"));
}
static void
e_unknown_top(json_t *d)
{
	json_object_set_new(d, "extra", json_true());
}
static void
e_no_signing(json_t *d)
{
	json_object_del(d, "signing");
}
static void
e_sig_unknown(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "signing"), 0), "x5c", json_string("AA"));
}
static void
e_alg(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "signing"), 0), "alg", json_string("HS256"));
}
static void
e_role(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "signing"), 0), "role", json_string("old"));
}
static void
e_kid(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "signing"), 0), "kid",
	    json_string("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
}
static void
e_swap_pem(json_t *d)
{
	/* the RS256 entry gets the ES256 entry's key (and kid) */
	json_t *sig = json_object_get(d, "signing"), *rs = json_array_get(sig, 0), *es = json_array_get(sig, 2);
	json_object_set(rs, "pem", json_object_get(es, "pem"));
	json_object_set(rs, "kid", json_object_get(es, "kid"));
}
static void
e_pem_byte(json_t *d)
{
	json_t *rs = json_array_get(json_object_get(d, "signing"), 0);
	char *pem = strdup(json_string_value(json_object_get(rs, "pem")));
	pem[300] = pem[300] == 'A' ? 'B' : 'A';
	json_object_set_new(rs, "pem", json_string(pem));
	free(pem);
}
static void
e_two_current(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "signing"), 1), "role", json_string("current"));
}
static void
e_no_rs256(json_t *d)
{
	json_t *sig = json_object_get(d, "signing");
	json_array_remove(sig, 0);
	json_array_remove(sig, 0);
}
static void
e_prev_no_retire(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "signing"), 1), "role", json_string("previous"));
}
static void
e_retire_on_current(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "signing"), 0), "retire", json_integer(T0));
}
static void
e_created(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "signing"), 0), "created", json_string("yesterday"));
}
static void
e_dup_key(json_t *d)
{
	json_t *sig = json_object_get(d, "signing"), *c = json_deep_copy(json_array_get(sig, 0));
	json_object_set_new(c, "role", json_string("previous"));
	json_object_set_new(c, "retire", json_integer(T0 + 10));
	json_array_append_new(sig, c);
}
static void
e_seal_short(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "sealing"), 0), "key", json_string("AAAA"));
}
static void
e_seal_id(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "sealing"), 0), "id", json_string("AAAAAAAA"));
}
static void
e_seal_same_id(json_t *d)
{
	json_t *s = json_object_get(d, "sealing");
	json_object_set(json_array_get(s, 1), "id", json_object_get(json_array_get(s, 0), "id"));
}
static void
e_no_seal_next(json_t *d)
{
	json_array_remove(json_object_get(d, "sealing"), 1);
}
static void
e_seal_not_object(json_t *d)
{
	json_array_append_new(json_object_get(d, "sealing"), json_string("key"));
}
static void
e_too_many_prev(json_t *d)
{
	json_t *s = json_object_get(d, "sealing");
	for (int i = 0; i <= LIM_KEYRING_PREVIOUS_MAX; i++) {
		json_t *c = json_deep_copy(json_array_get(s, 0));
		char id[16];
		snprintf(id, sizeof(id), "A%03dAA", i % 1000);
		json_object_set_new(c, "id", json_string(id));
		json_object_set_new(c, "role", json_string("previous"));
		json_object_set_new(c, "retire", json_integer(T0 + 10));
		json_array_append_new(s, c);
	}
}

static void
test_document_damage(void)
{
	static const struct {
		const char *name;
		doc_edit_fn fn;
		const char *why; /* a piece of the reason */
	} t[] = {
		{ "version 2", e_version, "version" },
		{ "other format", e_format, "not a plex-oidc key ring" },
		{ "unknown member", e_unknown_top, "needs exactly" },
		{ "no signing list", e_no_signing, "needs exactly" },
		{ "unknown key member", e_sig_unknown, "signing key 1" },
		{ "alg HS256", e_alg, "alg" },
		{ "role old", e_role, "role" },
		{ "kid not the key's", e_kid, "thumbprint" },
		{ "RS256 entry holds an EC key", e_swap_pem, "cannot be read" },
		{ "a changed byte in a PEM key", e_pem_byte, "signing key 1" },
		{ "two current RS256 keys", e_two_current, "current" },
		{ "no RS256 keys", e_no_rs256, "RS256" },
		{ "previous without retire", e_prev_no_retire, "retire" },
		{ "current with retire", e_retire_on_current, "retire" },
		{ "created not a number", e_created, "created" },
		{ "the same key twice", e_dup_key, "twice" },
		{ "sealing key of 3 bytes", e_seal_short, "32 bytes" },
		{ "sealing id of 6 bytes", e_seal_id, "4 bytes" },
		{ "two sealing keys, one id", e_seal_same_id, "same id" },
		{ "no next sealing key", e_no_seal_next, "sealing" },
		{ "a sealing entry that is a string", e_seal_not_object, "sealing key 3" },
		{ "too many previous sealing keys", e_too_many_prev, "sealing keys" },
	};
	keyring_t *r = NULL, *got = NULL;
	char *good = NULL;
	size_t len, bad = 0;
	buf_t why;

	buf_init(&why, 8192);
	r = ring_from_base(JOSE_ALG_BIT(JOSE_ES256));
	if (r == NULL || (good = ser(r)) == NULL)
		goto out;
	len = strlen(good);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *doc = json_loads(good, 0, NULL);
		char *text;
		int rc;

		t[i].fn(doc);
		text = json_dumps(doc, 0);
		buf_reset(&why);
		rc = keyring_parse(text, strlen(text), &got, &why);
		if (rc != PO_ERR_INVALID || strstr(buf_str(&why), t[i].why) == NULL)
			fprintf(stderr, "  case \"%s\": rc %d, why \"%s\"\n", t[i].name, rc, buf_str(&why));
		T_EQ_INT(rc, PO_ERR_INVALID);
		T_CHECK(got == NULL);
		T_CHECK(strstr(buf_str(&why), t[i].why) != NULL);
		keyring_free(got);
		got = NULL;
		free(text);
		json_decref(doc);
	}
	/* cut short anywhere: never accepted, never a crash */
	for (size_t n = 0; n < len; n++) {
		if (keyring_parse(good, n, &got, NULL) != PO_ERR_INVALID || got != NULL)
			bad++;
		keyring_free(got);
		got = NULL;
	}
	T_EQ_INT(bad, 0);
	/* not JSON; too large */
	T_EQ_INT(keyring_parse("garbage", 7, &got, NULL), PO_ERR_INVALID);
	{
		char *big = calloc(1, LIM_KEYRING_FILE_MAX + 2);
		if (big != NULL) {
			memset(big, ' ', LIM_KEYRING_FILE_MAX + 1);
			T_EQ_INT(keyring_parse(big, LIM_KEYRING_FILE_MAX + 1, &got, NULL), PO_ERR_LIMIT);
		}
		free(big);
	}
	T_CHECK(got == NULL);
out:
	free(good);
	keyring_free(r);
	buf_free(&why);
}

/* ---- rotation, with a fake clock ---- */

static void
test_rotate_steps(void)
{
	keyring_t *r0 = NULL, *r1 = NULL, *r2 = NULL, *r3 = NULL;
	char k0cur[64], k0next[64], k1prev[64], k1cur[64], k1next[64], s0cur[64], s0next[64], s1prev[64],
	    s1cur[64];
	char *tok = NULL;
	int64_t t1 = T0 + LIM_KEY_PREPUBLISH_S, retire;
	json_t *jwks;
	buf_t why;
	keyring_info_t in;

	buf_init(&why, 4096);
	if ((r0 = ring_from_base(JOSE_ALG_BIT(JOSE_ES256))) == NULL)
		goto out;
	kid_of(r0, false, JOSE_RS256, KEYRING_CURRENT, k0cur);
	kid_of(r0, false, JOSE_RS256, KEYRING_NEXT, k0next);
	kid_of(r0, true, 0, KEYRING_CURRENT, s0cur);
	kid_of(r0, true, 0, KEYRING_NEXT, s0next);
	T_EQ_INT(jose_jws_sign(keyring_signer(r0, JOSE_RS256), "{}", 2, &tok), PO_OK);

	/* too early: the next key was published 10 s ago */
	T_EQ_INT(keyring_rotate_wait(r0, T0 + 10), LIM_KEY_PREPUBLISH_S - 10);
	T_EQ_INT(keyring_rotate(r0, T0 + 10, SEALED, false, &r1, &why), PO_ERR_DENIED);
	T_CHECK(r1 == NULL);
	T_CHECK(strstr(buf_str(&why), "try again in 9 min 50 s") != NULL);
	T_CHECK(strstr(buf_str(&why), k0next) != NULL || strstr(buf_str(&why), "ES256") != NULL);
	T_EQ_INT(keyring_rotate_wait(r0, t1 - 1), 1);
	T_EQ_INT(keyring_rotate_wait(r0, t1), 0);
	T_EQ_INT(keyring_rotate(r0, t1, -1, false, &r1, NULL), PO_ERR_INVALID);

	/* one step at exactly the pre-publish time */
	buf_reset(&why);
	T_EQ_INT(keyring_rotate(r0, t1, SEALED, false, &r1, &why), PO_OK);
	if (r1 == NULL)
		goto out;
	kid_of(r1, false, JOSE_RS256, KEYRING_PREVIOUS, k1prev);
	kid_of(r1, false, JOSE_RS256, KEYRING_CURRENT, k1cur);
	kid_of(r1, false, JOSE_RS256, KEYRING_NEXT, k1next);
	kid_of(r1, true, 0, KEYRING_PREVIOUS, s1prev);
	kid_of(r1, true, 0, KEYRING_CURRENT, s1cur);
	T_EQ_STR(k1prev, k0cur);
	T_EQ_STR(k1cur, k0next);
	T_CHECK(k1next[0] != '\0' && strcmp(k1next, k0cur) != 0 && strcmp(k1next, k0next) != 0);
	T_EQ_STR(s1prev, s0cur);
	T_EQ_STR(s1cur, s0next);
	T_EQ_INT(count_role(r1, false, JOSE_ES256, KEYRING_PREVIOUS), 1);
	/* retire times */
	for (size_t i = 0; keyring_info(r1, i, &in) == PO_OK; i++) {
		if (in.role != KEYRING_PREVIOUS) {
			T_EQ_INT(in.retire, 0);
			continue;
		}
		T_EQ_INT(in.retire, in.sealing ? t1 + SEALED + LIM_KEY_RETIRE_MARGIN_S : t1 + LIM_KEY_SIG_RETIRE_S);
	}
	T_EQ_INT(LIM_KEY_SIG_RETIRE_S, LIM_ID_TOKEN_TTL_S + LIM_JWKS_MAX_AGE_S + LIM_KEY_RETIRE_MARGIN_S);
	T_CHECK(LIM_KEY_PREPUBLISH_S >= 2 * LIM_JWKS_MAX_AGE_S);
	/* the old current key still verifies what it signed, and is still in
	 * the JWKS, until its retire time; then it is gone */
	retire = t1 + LIM_KEY_SIG_RETIRE_S;
	T_EQ_INT(keyring_verify_jws(r1, tok, strlen(tok), retire - 1, NULL), PO_OK);
	T_EQ_INT(keyring_verify_jws(r1, tok, strlen(tok), retire, NULL), PO_ERR_INVALID);
	jwks = keyring_jwks(r1, retire - 1);
	T_EQ_INT(json_array_size(json_object_get(jwks, "keys")), 6);
	json_decref(jwks);
	jwks = keyring_jwks(r1, retire);
	T_EQ_INT(json_array_size(json_object_get(jwks, "keys")), 4);
	json_decref(jwks);
	T_CHECK(keyring_find_kid(r1, k1prev, strlen(k1prev), retire - 1) != NULL);
	T_CHECK(keyring_find_kid(r1, k1prev, strlen(k1prev), retire) == NULL);
	/* the ring it came from is unchanged */
	kid_of(r0, false, JOSE_RS256, KEYRING_CURRENT, k1prev);
	T_EQ_STR(k1prev, k0cur);

	/* the next step, after the first previous keys retired: they are
	 * dropped; the sealing one (30 days) stays */
	T_EQ_INT(keyring_rotate(r1, retire + 1, SEALED, false, &r2, NULL), PO_OK);
	if (r2 == NULL)
		goto out;
	T_EQ_INT(count_role(r2, false, JOSE_RS256, KEYRING_PREVIOUS), 1);
	kid_of(r2, false, JOSE_RS256, KEYRING_PREVIOUS, k1prev);
	T_EQ_STR(k1prev, k1cur);
	T_EQ_INT(count_role(r2, true, 0, KEYRING_PREVIOUS), 2);
	T_EQ_INT(keyring_count(r2), 2 * 3 + 4);
	T_CHECK(keyring_seal_find(r2, keyring_seal_current(r0)->id, t1 + SEALED + LIM_KEY_RETIRE_MARGIN_S - 1) != NULL);
	T_CHECK(keyring_seal_find(r2, keyring_seal_current(r0)->id, t1 + SEALED + LIM_KEY_RETIRE_MARGIN_S) == NULL);

	/* forced: at once */
	T_EQ_INT(keyring_rotate(r2, retire + 2, SEALED, false, &r3, NULL), PO_ERR_DENIED);
	T_EQ_INT(keyring_rotate(r2, retire + 2, SEALED, true, &r3, NULL), PO_OK);
	T_CHECK(r3 != NULL && count_role(r3, true, 0, KEYRING_PREVIOUS) == 3);
out:
	free(tok);
	keyring_free(r0);
	keyring_free(r1);
	keyring_free(r2);
	keyring_free(r3);
	buf_free(&why);
}

/* A ring (from base, RS256 only) with n previous sealing keys retiring
 * at `retire`, the first of them at `first`. */
static keyring_t *
ring_with_previous(int n, int64_t first, int64_t retire)
{
	keyring_t *r0 = ring_from_base(0), *r = NULL;
	json_t *doc = NULL, *seal;
	char *text = NULL, *out = NULL;
	size_t len;

	if (r0 == NULL || keyring_serialize(r0, &text, &len) != PO_OK || (doc = json_loads(text, 0, NULL)) == NULL)
		goto out;
	seal = json_object_get(doc, "sealing");
	for (int i = 0; i < n; i++) {
		json_t *c = json_deep_copy(json_array_get(seal, 0));
		char id[16];
		snprintf(id, sizeof(id), "P%03dAA", i % 1000);
		json_object_set_new(c, "id", json_string(id));
		json_object_set_new(c, "role", json_string("previous"));
		json_object_set_new(c, "retire", json_integer(i == 0 ? first : retire));
		json_array_append_new(seal, c);
	}
	if ((out = json_dumps(doc, 0)) != NULL)
		T_EQ_INT(keyring_parse(out, strlen(out), &r, NULL), PO_OK);
out:
	keyring_free(r0);
	json_decref(doc);
	free(text);
	free(out);
	return r;
}

/* Previous keys pile up when rotations come faster than keys retire; at
 * LIM_KEYRING_PREVIOUS_MAX a rotation is refused, saying when the oldest
 * retires, and nothing is generated. */
static void
test_rotate_bound(void)
{
	int64_t t = T0 + LIM_KEY_PREPUBLISH_S;
	keyring_t *full = ring_with_previous(LIM_KEYRING_PREVIOUS_MAX, t + 5000, t + 9000);
	keyring_t *room = ring_with_previous(LIM_KEYRING_PREVIOUS_MAX - 1, t + 5000, t + 9000), *n = NULL;
	char when[64];
	buf_t why;

	buf_init(&why, 4096);
	T_CHECK(full != NULL && room != NULL);
	if (full == NULL || room == NULL)
		goto out;
	T_EQ_INT(keyring_rotate(full, t, SEALED, false, &n, &why), PO_ERR_LIMIT);
	T_CHECK(n == NULL);
	T_CHECK(strstr(buf_str(&why), "33 previous sealing keys") != NULL);
	snprintf(when, sizeof(when), "%s", "2023-11-14 23:46:40 UTC"); /* T0 + 600 + 5000: date -u -d @1700005600 */
	T_CHECK(strstr(buf_str(&why), when) != NULL);
	/* one fewer: the rotation fits, exactly at the bound */
	T_EQ_INT(keyring_rotate(room, t, SEALED, false, &n, NULL), PO_OK);
	if (n != NULL)
		T_EQ_INT(count_role(n, true, 0, KEYRING_PREVIOUS), LIM_KEYRING_PREVIOUS_MAX);
	keyring_free(n);
	n = NULL;
	/* once the oldest has retired it is dropped, and there is room again */
	T_EQ_INT(keyring_rotate(full, t + 5000, SEALED, false, &n, NULL), PO_OK);
	if (n != NULL)
		T_EQ_INT(count_role(n, true, 0, KEYRING_PREVIOUS), LIM_KEYRING_PREVIOUS_MAX);
out:
	keyring_free(n);
	keyring_free(full);
	keyring_free(room);
	buf_free(&why);
}

static void
test_add_algs(void)
{
	keyring_t *r = NULL, *g = NULL, *same = NULL;
	unsigned added = 99;
	char a[64], b[64];

	if ((r = ring_from_base(0)) == NULL)
		return;
	T_EQ_INT(keyring_algs(r), JOSE_ALG_BIT(JOSE_RS256));
	T_EQ_INT(keyring_add_algs(r, JOSE_ALG_BIT(JOSE_EDDSA), T0 + 5, &g, &added), PO_OK);
	T_EQ_INT(added, JOSE_ALG_BIT(JOSE_EDDSA));
	if (g != NULL) {
		T_CHECK(keyring_signer(g, JOSE_EDDSA) != NULL && keyring_signer(g, JOSE_ES256) == NULL);
		kid_of(r, false, JOSE_RS256, KEYRING_CURRENT, a);
		kid_of(g, false, JOSE_RS256, KEYRING_CURRENT, b);
		T_EQ_STR(a, b);
		T_CHECK(memcmp(keyring_seal_current(r), keyring_seal_current(g), sizeof(keyring_seal_key_t)) == 0);
		/* nothing to add: the same ring */
		T_EQ_INT(keyring_add_algs(g, JOSE_ALG_BIT(JOSE_EDDSA), T0, &same, &added), PO_OK);
		T_EQ_INT(added, 0);
		T_CHECK(same == g);
	}
	keyring_free(same);
	keyring_free(g);
	keyring_free(r);
}

/* ---- the file in data_dir ---- */

static void
test_first_start(void)
{
	char dir[] = "/tmp/test_keyring.XXXXXX", *before = NULL, *after = NULL;
	keyring_t *r = NULL, *r2 = NULL;
	unsigned done = 99;
	buf_t why;
	mode_t old;

	buf_init(&why, 4096);
	if (mkdtemp(dir) == NULL) {
		T_CHECK(!"mkdtemp");
		return;
	}
	old = umask(0); /* a permissive umask must not widen the mode */
	T_EQ_INT(keyring_load_or_create(dir, JOSE_ALG_BIT(JOSE_ES256), 0, T0, &r, &done, &why), PO_OK);
	umask(old);
	T_EQ_STR(buf_str(&why), "");
	T_EQ_INT(done, KEYRING_DID_CREATE);
	T_CHECK(r != NULL && keyring_algs(r) == (JOSE_ALG_BIT(JOSE_RS256) | JOSE_ALG_BIT(JOSE_ES256)));
	T_EQ_INT(file_mode(dir, KEYRING_FILE), 0600);
	T_EQ_INT(dir_count(dir), 1); /* no temporary file, no marker */
	before = file_slurp(dir, KEYRING_FILE, NULL);
	/* the next start loads the same ring and writes nothing */
	T_EQ_INT(keyring_load_or_create(dir, JOSE_ALG_BIT(JOSE_ES256), 0, T0 + 60, &r2, &done, &why), PO_OK);
	T_EQ_INT(done, 0);
	after = file_slurp(dir, KEYRING_FILE, NULL);
	T_CHECK(before != NULL && after != NULL && strcmp(before, after) == 0);
	if (r != NULL && r2 != NULL) {
		T_EQ_STR(jose_key_kid(keyring_signer(r, JOSE_RS256)), jose_key_kid(keyring_signer(r2, JOSE_RS256)));
		T_EQ_STR(jose_key_kid(keyring_signer(r, JOSE_ES256)), jose_key_kid(keyring_signer(r2, JOSE_ES256)));
	}
	keyring_free(r2);
	r2 = NULL;
	/* keyring_load reads only */
	T_EQ_INT(keyring_load(dir, &r2, NULL, NULL), PO_OK);
	keyring_free(r2);
	r2 = NULL;
	/* a directory that does not exist */
	T_EQ_INT(keyring_load_or_create("/nonexistent/plex-oidc", 0, 0, T0, &r2, NULL, &why), PO_ERR_IO);
	T_CHECK(strstr(buf_str(&why), "/nonexistent/plex-oidc: cannot open") != NULL);
	T_EQ_INT(keyring_load_or_create("", 0, 0, T0, &r2, NULL, NULL), PO_ERR_INVALID);
	T_CHECK(r2 == NULL);
	free(before);
	free(after);
	keyring_free(r);
	dir_remove(dir);
	buf_free(&why);
}

/* signing-key.pem of earlier versions becomes the current RS256 key: the
 * kid is unchanged, tokens it signed verify, the file is left in place. */
static void
test_migration(void)
{
	char dir[] = "/tmp/test_keyring.XXXXXX", *pem_before = NULL, *pem_after = NULL, *marker = NULL, *tok = NULL;
	jose_key_t *legacy = NULL;
	keyring_t *r = NULL, *r2 = NULL;
	unsigned done = 0;
	struct stat st;
	char p[512];
	buf_t why;

	buf_init(&why, 4096);
	if (mkdtemp(dir) == NULL) {
		T_CHECK(!"mkdtemp");
		return;
	}
	T_EQ_INT(jose_key_load_or_create(dir, &legacy, NULL), PO_OK);
	T_EQ_INT(file_put(dir, KEYRING_CLIENT_ID_FILE, "3f1e0c52-7a8e-4f0f-9a51-0d3c1a2b4c5d\n"), 0);
	if (legacy == NULL)
		goto out;
	T_EQ_INT(jose_jws_sign(legacy, "{\"sub\":\"7\"}", 11, &tok), PO_OK);
	pem_before = file_slurp(dir, KEYRING_LEGACY_KEY_FILE, NULL);
	snprintf(p, sizeof(p), "%s/%s", dir, KEYRING_LEGACY_KEY_FILE);
	T_EQ_INT(stat(p, &st), 0);

	T_EQ_INT(keyring_load_or_create(dir, JOSE_ALG_BIT(JOSE_EDDSA), 0, T0, &r, &done, &why), PO_OK);
	T_EQ_STR(buf_str(&why), "");
	T_EQ_INT(done, KEYRING_DID_MIGRATE);
	if (r == NULL)
		goto out;
	T_EQ_STR(jose_key_kid(keyring_signer(r, JOSE_RS256)), jose_key_kid(legacy));
	T_CHECK(keyring_signer(r, JOSE_EDDSA) != NULL);
	T_EQ_INT(keyring_verify_jws(r, tok, strlen(tok), T0, NULL), PO_OK);
	{
		keyring_info_t in;
		for (size_t i = 0; keyring_info(r, i, &in) == PO_OK; i++)
			if (!in.sealing && in.alg == JOSE_RS256 && in.role == KEYRING_CURRENT)
				T_EQ_INT(in.created, (int64_t)st.st_mtim.tv_sec);
	}
	pem_after = file_slurp(dir, KEYRING_LEGACY_KEY_FILE, NULL);
	T_CHECK(pem_before != NULL && pem_after != NULL && strcmp(pem_before, pem_after) == 0);
	T_EQ_INT(file_mode(dir, KEYRING_FILE), 0600);
	marker = file_slurp(dir, KEYRING_MIGRATED_FILE, NULL);
	T_CHECK(marker != NULL && strstr(marker, jose_key_kid(legacy)) != NULL);
	T_EQ_INT(dir_count(dir), 4); /* signing-key.pem, plex-client-id, keyring.json, the marker */
	/* the next start loads the ring */
	T_EQ_INT(keyring_load_or_create(dir, JOSE_ALG_BIT(JOSE_EDDSA), 0, T0 + 5, &r2, &done, &why), PO_OK);
	T_EQ_INT(done, 0);
	if (r2 != NULL)
		T_EQ_STR(jose_key_kid(keyring_signer(r2, JOSE_RS256)), jose_key_kid(legacy));
	keyring_free(r2);
	r2 = NULL;
	/* keyring.json deleted after the take-over: not taken over again */
	snprintf(p, sizeof(p), "%s/%s", dir, KEYRING_FILE);
	T_EQ_INT(unlink(p), 0);
	buf_reset(&why);
	T_EQ_INT(keyring_load_or_create(dir, 0, 0, T0 + 9, &r2, &done, &why), PO_ERR_INVALID);
	T_CHECK(r2 == NULL);
	T_CHECK(strstr(buf_str(&why), "keyring.json is missing") != NULL);
	T_CHECK(strstr(buf_str(&why), KEYRING_MIGRATED_FILE) != NULL);
	T_CHECK(strstr(buf_str(&why), "rotate-keys") != NULL);
	T_EQ_INT(dir_count(dir), 3);
out:
	free(tok);
	free(pem_before);
	free(pem_after);
	free(marker);
	jose_key_free(legacy);
	keyring_free(r);
	keyring_free(r2);
	dir_remove(dir);
	buf_free(&why);
}

/* Keys that are gone are an error, never silently new keys; the operator
 * can ask for new ones. A damaged ring is an error and left untouched. */
static void
test_lost_and_corrupt(void)
{
	char dir[] = "/tmp/test_keyring.XXXXXX", *after = NULL;
	keyring_t *r = NULL;
	unsigned done = 0;
	buf_t why;

	buf_init(&why, 4096);
	if (mkdtemp(dir) == NULL) {
		T_CHECK(!"mkdtemp");
		return;
	}
	/* an earlier start (plex-client-id) but no keys */
	T_EQ_INT(file_put(dir, KEYRING_CLIENT_ID_FILE, "id\n"), 0);
	T_EQ_INT(keyring_load_or_create(dir, 0, 0, T0, &r, &done, &why), PO_ERR_INVALID);
	T_CHECK(r == NULL);
	T_CHECK(strstr(buf_str(&why), dir) != NULL && strstr(buf_str(&why), "keyring.json is missing") != NULL);
	T_CHECK(strstr(buf_str(&why), "plex-client-id") != NULL && strstr(buf_str(&why), "backup") != NULL);
	T_EQ_INT(dir_count(dir), 1);
	/* asked for: new keys */
	T_EQ_INT(keyring_load_or_create(dir, 0, KEYRING_LOAD_NEW_OK, T0, &r, &done, NULL), PO_OK);
	T_EQ_INT(done, KEYRING_DID_RECREATE);
	keyring_free(r);
	r = NULL;

	/* damaged: an edit that left it invalid */
	T_EQ_INT(file_put(dir, KEYRING_FILE, "{\"format\": \"plex-oidc key ring\", \"version\": 1,"), 0);
	buf_reset(&why);
	T_EQ_INT(keyring_load_or_create(dir, 0, KEYRING_LOAD_NEW_OK, T0, &r, &done, &why), PO_ERR_INVALID);
	T_CHECK(r == NULL);
	T_CHECK(strstr(buf_str(&why), "keyring.json is damaged") != NULL);
	T_CHECK(strstr(buf_str(&why), "not valid JSON") != NULL);
	after = file_slurp(dir, KEYRING_FILE, NULL);
	T_EQ_STR(after, "{\"format\": \"plex-oidc key ring\", \"version\": 1,");
	T_EQ_INT(keyring_load(dir, &r, NULL, NULL), PO_ERR_INVALID);
	free(after);
	/* a directory where the file should be */
	{
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, KEYRING_FILE);
		T_EQ_INT(unlink(p), 0);
		T_EQ_INT(mkdir(p, 0700), 0);
		T_EQ_INT(keyring_load_or_create(dir, 0, 0, T0, &r, &done, NULL), PO_ERR_INVALID);
		rmdir(p);
	}
	/* a damaged signing-key.pem is not taken over */
	{
		char d2[] = "/tmp/test_keyring.XXXXXX";
		if (mkdtemp(d2) != NULL) {
			T_EQ_INT(file_put(d2, KEYRING_LEGACY_KEY_FILE, "-----BEGIN PRIVATE KEY-----\nAAAA\n"), 0);
			buf_reset(&why);
			T_EQ_INT(keyring_load_or_create(d2, 0, 0, T0, &r, &done, &why), PO_ERR_INVALID);
			T_CHECK(strstr(buf_str(&why), "signing-key.pem cannot be read") != NULL);
			T_EQ_INT(dir_count(d2), 1);
			dir_remove(d2);
		}
	}
	T_CHECK(r == NULL);
	dir_remove(dir);
	buf_free(&why);
}

static void
test_file_add_alg_and_rotate(void)
{
	char dir[] = "/tmp/test_keyring.XXXXXX", *a = NULL, *b = NULL;
	keyring_t *r = NULL, *r2 = NULL, *before = NULL, *after = NULL;
	keyring_stamp_t s1, s2;
	unsigned done = 0;
	buf_t why;

	buf_init(&why, 4096);
	if (mkdtemp(dir) == NULL) {
		T_CHECK(!"mkdtemp");
		return;
	}
	r = ring_from_base(0);
	T_EQ_INT(ring_put(dir, r), 0);
	T_EQ_INT(keyring_stamp(dir, &s1), PO_OK);
	/* a client now asks for ES256: its keys are added, nothing else moves */
	T_EQ_INT(keyring_load_or_create(dir, JOSE_ALG_BIT(JOSE_ES256), 0, T0 + 100, &r2, &done, NULL), PO_OK);
	T_EQ_INT(done, KEYRING_DID_ADD);
	T_EQ_INT(keyring_stamp(dir, &s2), PO_OK);
	T_CHECK(!keyring_stamp_eq(&s1, &s2));
	if (r != NULL && r2 != NULL) {
		T_EQ_STR(jose_key_kid(keyring_signer(r, JOSE_RS256)), jose_key_kid(keyring_signer(r2, JOSE_RS256)));
		T_CHECK(keyring_signer(r2, JOSE_ES256) != NULL);
	}
	T_EQ_INT(file_mode(dir, KEYRING_FILE), 0600);
	T_EQ_INT(dir_count(dir), 1);
	/* run by root on a data_dir that belongs to the service's user, the
	 * file goes to that user (as root is what tests run as in CI; another
	 * user keeps its own files) */
	{
		char p[512];
		struct stat st;
		uid_t owner = geteuid() == 0 ? 65534 : geteuid();

		if (geteuid() == 0)
			T_EQ_INT(chown(dir, 65534, 65534), 0);
		keyring_free(r2);
		r2 = NULL;
		T_EQ_INT(keyring_load_or_create(dir, JOSE_ALG_BIT(JOSE_ES256) | JOSE_ALG_BIT(JOSE_EDDSA), 0, T0 + 200, &r2,
		             &done, NULL),
		    PO_OK);
		T_EQ_INT(done, KEYRING_DID_ADD);
		snprintf(p, sizeof(p), "%s/%s", dir, KEYRING_FILE);
		T_EQ_INT(stat(p, &st), 0);
		T_EQ_INT(st.st_uid, owner);
		if (geteuid() == 0)
			T_EQ_INT(chown(dir, 0, 0), 0);
	}

	/* rotate-keys: refused while ES256's next key is young; the file is
	 * not touched */
	a = file_slurp(dir, KEYRING_FILE, NULL);
	buf_reset(&why);
	T_EQ_INT(keyring_rotate_file(dir, JOSE_ALG_BIT(JOSE_ES256), T0 + 200 + LIM_KEY_PREPUBLISH_S - 1, SEALED, false,
	             &before,
	             &after, &done, &why),
	    PO_ERR_DENIED);
	T_CHECK(before == NULL && after == NULL);
	T_CHECK(strstr(buf_str(&why), "EdDSA") != NULL); /* the youngest next key */
	b = file_slurp(dir, KEYRING_FILE, NULL);
	T_CHECK(a != NULL && b != NULL && strcmp(a, b) == 0);
	free(b);
	/* ... and done once it is old enough */
	T_EQ_INT(keyring_rotate_file(dir, JOSE_ALG_BIT(JOSE_ES256), T0 + 200 + LIM_KEY_PREPUBLISH_S, SEALED, false,
	             &before, &after, &done, NULL),
	    PO_OK);
	T_EQ_INT(done, 0);
	if (before != NULL && after != NULL && r2 != NULL) {
		char k[64];
		kid_of(after, false, JOSE_RS256, KEYRING_PREVIOUS, k);
		T_EQ_STR(k, jose_key_kid(keyring_signer(r2, JOSE_RS256)));
		T_EQ_STR(jose_key_kid(keyring_signer(before, JOSE_RS256)), jose_key_kid(keyring_signer(r2, JOSE_RS256)));
	}
	keyring_free(r2);
	r2 = NULL;
	T_EQ_INT(keyring_load(dir, &r2, &s1, NULL), PO_OK);
	T_EQ_INT(keyring_stamp(dir, &s2), PO_OK);
	T_CHECK(keyring_stamp_eq(&s1, &s2));
	if (r2 != NULL && after != NULL)
		T_EQ_STR(jose_key_kid(keyring_signer(r2, JOSE_RS256)), jose_key_kid(keyring_signer(after, JOSE_RS256)));
	T_EQ_INT(dir_count(dir), 1);
	free(a);
	keyring_free(r);
	keyring_free(r2);
	keyring_free(before);
	keyring_free(after);
	dir_remove(dir);
	buf_free(&why);
}

/* Processes that create the ring of one data_dir at the same moment all
 * end up with the same ring (the one in the file). */
static void
test_concurrent_creation(void)
{
	enum {
		PROCS = 4,
		ROUNDS = 2
	};

	for (int round = 0; round < ROUNDS; round++) {
		char dir[] = "/tmp/test_keyring.XXXXXX", *text = NULL;
		int go[2], res[2];
		pid_t pids[PROCS];
		char got[PROCS][200];
		keyring_t *r = NULL;

		if (mkdtemp(dir) == NULL || pipe(go) != 0 || pipe(res) != 0) {
			T_CHECK(!"fixture");
			return;
		}
		if (round % 2 == 1) { /* odd rounds: all take over signing-key.pem */
			jose_key_t *k = NULL;
			T_EQ_INT(jose_key_load_or_create(dir, &k, NULL), PO_OK);
			jose_key_free(k);
		}
		for (int i = 0; i < PROCS; i++) {
			if ((pids[i] = fork()) == 0) {
				keyring_t *mine = NULL;
				char line[200] = "error";
				char c;

				close(go[1]);
				(void)!read(go[0], &c, 1); /* the start signal: all at once */
				if (keyring_load_or_create(dir, JOSE_ALG_BIT(JOSE_ES256), 0, T0, &mine, NULL, NULL) == PO_OK) {
					char s[16] = "";
					keyring_info_t in;
					for (size_t j = 0; keyring_info(mine, j, &in) == PO_OK; j++)
						if (in.sealing && in.role == KEYRING_CURRENT)
							memcpy(s, in.id, sizeof(s) - 1);
					snprintf(line, sizeof(line), "%s %s %s", jose_key_kid(keyring_signer(mine, JOSE_RS256)),
					    jose_key_kid(keyring_signer(mine, JOSE_ES256)), s);
				}
				(void)!write(res[1], line, sizeof(line));
				_exit(0);
			}
		}
		close(go[0]);
		close(go[1]); /* EOF releases every child at once */
		close(res[1]);
		for (int i = 0; i < PROCS; i++)
			T_EQ_INT(read(res[0], got[i], sizeof(got[i])), (ssize_t)sizeof(got[i]));
		close(res[0]);
		for (int i = 0; i < PROCS; i++) {
			int status = 0;
			waitpid(pids[i], &status, 0);
			T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		T_CHECK(strcmp(got[0], "error") != 0);
		for (int i = 1; i < PROCS; i++)
			T_EQ_STR(got[i], got[0]);
		/* and it is the ring in the file */
		T_EQ_INT(keyring_load(dir, &r, NULL, NULL), PO_OK);
		if (r != NULL) {
			char want[200];
			snprintf(want, sizeof(want), "%s %s", jose_key_kid(keyring_signer(r, JOSE_RS256)),
			    jose_key_kid(keyring_signer(r, JOSE_ES256)));
			T_CHECK(strncmp(got[0], want, strlen(want)) == 0);
		}
		T_EQ_INT(dir_count(dir), round % 2 == 1 ? 3 : 1); /* no temporary file left */
		keyring_free(r);
		free(text);
		dir_remove(dir);
	}
}

/* ---- the holder ---- */

struct reader {
	keyholder_t *h;
	atomic_int *stop;
	atomic_long uses, bad;
};

static void *
reader_thread(void *arg)
{
	struct reader *rd = arg;

	while (!atomic_load(rd->stop)) {
		keyring_t *r = keyholder_get(rd->h);
		const jose_key_t *k = keyring_signer(r, JOSE_RS256);
		char *tok = NULL;

		/* sign and verify with the snapshot while it may be swapped */
		if (k == NULL || jose_jws_sign(k, "{}", 2, &tok) != PO_OK ||
		    keyring_verify_jws(r, tok, strlen(tok), T0, NULL) != PO_OK)
			atomic_fetch_add(&rd->bad, 1);
		free(tok);
		keyholder_put(r);
		atomic_fetch_add(&rd->uses, 1);
	}
	return NULL;
}

static void
test_holder(void)
{
	char dir[] = "/tmp/test_keyring.XXXXXX";
	keyring_t *r = NULL, *snap = NULL, *now = NULL, *after = NULL;
	keyholder_t *h = NULL;
	keyring_stamp_t st;
	bool changed = true;
	char old_kid[64];
	buf_t why;

	buf_init(&why, 4096);
	if (mkdtemp(dir) == NULL) {
		T_CHECK(!"mkdtemp");
		return;
	}
	r = ring_from_base(0);
	T_EQ_INT(ring_put(dir, r), 0);
	T_EQ_INT(keyring_stamp(dir, &st), PO_OK);
	T_EQ_INT(keyholder_new(r, &st, &h), PO_OK);
	if (h == NULL) {
		keyring_free(r);
		goto out;
	}
	/* unchanged file: nothing read */
	T_EQ_INT(keyholder_refresh(h, dir, 0, &changed, &why), PO_OK);
	T_CHECK(!changed);
	snap = keyholder_get(h);
	T_CHECK(snap == r);
	snprintf(old_kid, sizeof(old_kid), "%s", jose_key_kid(keyring_signer(snap, JOSE_RS256)));
	/* rotate-keys elsewhere: the next refresh swaps the new ring in */
	T_EQ_INT(keyring_rotate_file(dir, 0, T0 + LIM_KEY_PREPUBLISH_S, SEALED, false, NULL, &after, NULL, NULL), PO_OK);
	T_EQ_INT(keyholder_refresh(h, dir, 0, &changed, &why), PO_OK);
	T_CHECK(changed);
	now = keyholder_get(h);
	T_CHECK(now != snap);
	if (now != NULL && after != NULL)
		T_EQ_STR(jose_key_kid(keyring_signer(now, JOSE_RS256)), jose_key_kid(keyring_signer(after, JOSE_RS256)));
	/* the snapshot taken before is still whole */
	T_EQ_STR(jose_key_kid(keyring_signer(snap, JOSE_RS256)), old_kid);
	keyholder_put(snap);
	keyholder_put(now);
	/* a damaged file: reported once, the ring in use is kept */
	T_EQ_INT(file_put(dir, KEYRING_FILE, "{}"), 0);
	buf_reset(&why);
	T_EQ_INT(keyholder_refresh(h, dir, 0, &changed, &why), PO_ERR_INVALID);
	T_CHECK(!changed && strstr(buf_str(&why), "damaged") != NULL);
	T_EQ_INT(keyholder_refresh(h, dir, 0, &changed, NULL), PO_OK);
	now = keyholder_get(h);
	if (after != NULL)
		T_EQ_STR(jose_key_kid(keyring_signer(now, JOSE_RS256)), jose_key_kid(keyring_signer(after, JOSE_RS256)));
	keyholder_put(now);
	/* a ring without an algorithm in use is refused; a missing file too */
	{
		char *text = NULL;
		size_t n;
		T_EQ_INT(keyring_serialize(after, &text, &n), PO_OK);
		if (text != NULL)
			T_EQ_INT(file_put(dir, KEYRING_FILE, text), 0);
		free(text);
		T_EQ_INT(keyholder_refresh(h, dir, JOSE_ALG_BIT(JOSE_EDDSA), &changed, NULL), PO_ERR_INVALID);
		T_CHECK(!changed);
		/* that state of the file was reported; a new one is read */
		T_EQ_INT(keyholder_refresh(h, dir, 0, &changed, NULL), PO_OK);
		T_CHECK(!changed);
		T_EQ_INT(ring_put(dir, base), 0);
		T_EQ_INT(keyholder_refresh(h, dir, 0, &changed, NULL), PO_OK);
		T_CHECK(changed);
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, KEYRING_FILE);
		unlink(p);
		T_EQ_INT(keyholder_refresh(h, dir, 0, &changed, NULL), PO_ERR_NOTFOUND);
		T_EQ_INT(keyholder_refresh(h, dir, 0, &changed, NULL), PO_OK); /* reported once */
	}
	/* threads use snapshots while rings are swapped under them */
	{
		enum {
			N = 3
		};
		struct reader rd[N];
		pthread_t th[N];
		atomic_int stop;
		long bad = 0, least = 0;
		keyring_t *variants[2] = { ring_from_base(0), ring_from_base(JOSE_ALGS_ALL) };

		atomic_init(&stop, 0);
		for (int i = 0; i < N; i++) {
			rd[i].h = h;
			rd[i].stop = &stop;
			atomic_init(&rd[i].uses, 0);
			atomic_init(&rd[i].bad, 0);
			T_EQ_INT(pthread_create(&th[i], NULL, reader_thread, &rd[i]), 0);
		}
		/* swap until every thread has used 20 snapshots (at most ~10 s) */
		for (long i = 0; i < 100000 && least < 20; i++) {
			if (variants[i % 2] != NULL)
				keyholder_set(h, keyring_ref(variants[i % 2]), NULL);
			usleep(100);
			least = atomic_load(&rd[0].uses);
			for (int j = 1; j < N; j++)
				if (atomic_load(&rd[j].uses) < least)
					least = atomic_load(&rd[j].uses);
		}
		atomic_store(&stop, 1);
		for (int i = 0; i < N; i++) {
			pthread_join(th[i], NULL);
			bad += atomic_load(&rd[i].bad);
		}
		T_EQ_INT(bad, 0);
		if (least < 20)
			fprintf(stderr, "  a reader used only %ld snapshots\n", least);
		T_CHECK(least >= 20);
		keyring_free(variants[0]);
		keyring_free(variants[1]);
	}
	keyholder_free(h);
	keyholder_free(NULL);
	keyholder_put(NULL);
out:
	keyring_free(after);
	dir_remove(dir);
	buf_free(&why);
}

/* The rotate-keys report (keys/keytool.h), with a fake clock. */
static void
test_keytool(void)
{
	char dir[] = "/tmp/test_keyring.XXXXXX", *out = NULL, *err = NULL;
	size_t on = 0, en = 0;
	keyring_t *r = ring_from_base(JOSE_ALG_BIT(JOSE_EDDSA));
	FILE *o, *e;
	int status;

	if (mkdtemp(dir) == NULL || r == NULL) {
		T_CHECK(!"fixture");
		keyring_free(r);
		return;
	}
	T_EQ_INT(ring_put(dir, r), 0);
	/* too early: status 1, why and what to do on err, nothing on out */
	o = open_memstream(&out, &on);
	e = open_memstream(&err, &en);
	status = keytool_rotate(dir, JOSE_ALG_BIT(JOSE_EDDSA), SEALED, false, T0 + 60, o, e);
	fclose(o);
	fclose(e);
	T_EQ_INT(status, 1);
	T_EQ_STR(out, "");
	T_CHECK(strncmp(err, "plex-oidc: not rotated: ", 24) == 0 && strstr(err, "try again in 9 min") != NULL &&
	    strstr(err, "--force") != NULL);
	free(out);
	free(err);
	/* on time: status 0, every key named with what it does now */
	o = open_memstream(&out, &on);
	e = open_memstream(&err, &en);
	status = keytool_rotate(dir, JOSE_ALG_BIT(JOSE_EDDSA), SEALED, false, T0 + LIM_KEY_PREPUBLISH_S, o, e);
	fclose(o);
	fclose(e);
	T_EQ_INT(status, 0);
	T_EQ_STR(err, "");
	{
		char line[256];
		snprintf(line, sizeof(line), "  RS256    current   kid %s  (signs from now on)\n",
		    jose_key_kid(keyring_signer(r, JOSE_RS256)) /* r's current is now previous: */);
		T_CHECK(strstr(out, "rotated the key ring ") == out);
		T_CHECK(strstr(out, line) == NULL);
		snprintf(line, sizeof(line), "           previous  kid %s  (still published until 2023-11-14 23:38:20 UTC)\n",
		    jose_key_kid(keyring_signer(r, JOSE_RS256)));
		T_CHECK(strstr(out, line) != NULL); /* T0 + 600 + 4500 s */
		T_CHECK(strstr(out, "(new: published now; signs after the next rotation, in 10 min at the earliest)") != NULL);
		T_CHECK(strstr(out, "  EdDSA    current   kid ") != NULL);
		T_CHECK(strstr(out, "  sealing  current   id  ") != NULL && strstr(out, "           previous  id  ") != NULL);
		T_CHECK(strstr(out, "(still opens until 2023-12-14 22:33:20 UTC)") != NULL); /* T0 + 600 + 30d + 600 */
		T_CHECK(strstr(out, "within 5 seconds") != NULL);
	}
	free(out);
	free(err);
	/* a directory that is not there */
	o = open_memstream(&out, &on);
	e = open_memstream(&err, &en);
	T_EQ_INT(keytool_rotate("/nonexistent/dir", 0, SEALED, true, T0, o, e), 1);
	fclose(o);
	fclose(e);
	T_CHECK(strstr(err, "/nonexistent/dir: cannot open the data directory") != NULL);
	free(out);
	free(err);
	keyring_free(r);
	dir_remove(dir);
}

int
main(void)
{
	/* The negative cases log errors on purpose; T_VERBOSE=1 shows them. */
	if (getenv("T_VERBOSE") == NULL)
		log_set_level((enum log_level)(LOG_ERROR + 1));
	if (keyring_create(JOSE_ALGS_ALL, T0, &base) != PO_OK)
		base = NULL; /* the tests that need it fail */
	T_RUN(test_create);
	T_RUN(test_verify_jws);
	T_RUN(test_document_roundtrip);
	T_RUN(test_document_damage);
	T_RUN(test_rotate_steps);
	T_RUN(test_rotate_bound);
	T_RUN(test_add_algs);
	T_RUN(test_first_start);
	T_RUN(test_migration);
	T_RUN(test_lost_and_corrupt);
	T_RUN(test_file_add_alg_and_rotate);
	T_RUN(test_concurrent_creation);
	T_RUN(test_holder);
	T_RUN(test_keytool);
	keyring_free(base);
	return T_DONE();
}
