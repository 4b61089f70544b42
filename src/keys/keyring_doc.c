/*
 * keyring_doc.c - the key ring as a JSON document (keyring.h shows it):
 * written by keyring_serialize, read back and checked by keyring_parse.
 *
 * The reader trusts nothing: the file may be damaged, edited by hand, cut
 * short by a full disk, or another file altogether. Every member is
 * checked (no unknown one is ignored), every PEM key is read as its
 * algorithm requires and must give the kid recorded next to it, and the
 * roles must form a usable ring (doc_check). The first problem found is
 * reported, naming the key ("signing key 3") and what is wrong.
 *
 * The document holds private keys. Our own buffers are wiped; jansson's
 * copies of the strings are freed without wiping (docs/SECURITY.md).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/b64url.h"
#include "core/err.h"
#include "core/str.h"
#include "jose/jwk.h"
#include "keys/keyring.h"
#include "keys/keyring_int.h"
#include "po_limits.h"

#define DOC_FORMAT "plex-oidc key ring"
#define DOC_VERSION 1

/* ---- writing ---- */

static json_t *
doc_sig(const struct keyring_sig *s)
{
	json_t *o = NULL;
	char *pem = NULL;
	size_t len = 0;

	if (jose_key_to_pem(s->key, &pem, &len) != PO_OK)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:I, s:s%}", "alg", jose_key_alg(s->key), "role", keyring_role_name(s->role),
	    "kid", jose_key_kid(s->key), "created", (json_int_t)s->created, "pem", pem, len);
	if (o != NULL && s->role == KEYRING_PREVIOUS && json_object_set_new(o, "retire", json_integer(s->retire)) != 0) {
		json_decref(o);
		o = NULL;
	}
	str_wipe(pem, len);
	free(pem);
	return o;
}

static json_t *
doc_seal(const keyring_seal_key_t *s)
{
	char id[16], key[64];
	json_t *o = NULL;

	if (b64url_encode(s->id, sizeof(s->id), id, sizeof(id)) < 0 ||
	    b64url_encode(s->key, sizeof(s->key), key, sizeof(key)) < 0)
		goto out;
	o = json_pack("{s:s, s:s, s:I, s:s}", "id", id, "role", keyring_role_name(s->role), "created",
	    (json_int_t)s->created, "key", key);
	if (o != NULL && s->role == KEYRING_PREVIOUS && json_object_set_new(o, "retire", json_integer(s->retire)) != 0) {
		json_decref(o);
		o = NULL;
	}
out:
	str_wipe(key, sizeof(key));
	return o;
}

int
keyring_serialize(const keyring_t *r, char **out, size_t *len)
{
	json_t *doc = NULL, *sig = NULL, *seal = NULL, *o;
	int rc = PO_ERR_NOMEM;
	size_t i;

	*out = NULL;
	*len = 0;
	if ((sig = json_array()) == NULL || (seal = json_array()) == NULL)
		goto out;
	for (i = 0; i < r->n_sig; i++)
		if ((o = doc_sig(&r->sig[i])) == NULL || json_array_append_new(sig, o) != 0)
			goto out;
	for (i = 0; i < r->n_seal; i++)
		if ((o = doc_seal(&r->seal[i])) == NULL || json_array_append_new(seal, o) != 0)
			goto out;
	doc = json_pack("{s:s, s:i, s:O, s:O}", "format", DOC_FORMAT, "version", DOC_VERSION, "signing", sig,
	    "sealing", seal);
	if (doc == NULL || (*out = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER)) == NULL)
		goto out;
	*len = strlen(*out);
	rc = PO_OK;
out:
	json_decref(doc);
	json_decref(sig);
	json_decref(seal);
	return rc;
}

/* ---- reading ---- */

/* true if every member of o is one of names (NULL-terminated). */
static bool
doc_members_ok(json_t *o, const char *const *names)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		size_t i;

		(void)v;
		for (i = 0; names[i] != NULL && strcmp(names[i], key) != 0; i++)
			;
		if (names[i] == NULL)
			return false;
	}
	return true;
}

static int
doc_role(const json_t *o, enum keyring_role *role)
{
	const char *s = json_string_value(json_object_get(o, "role"));

	for (int i = KEYRING_NEXT; s != NULL && i <= KEYRING_PREVIOUS; i++) {
		if (strcmp(s, keyring_role_name((enum keyring_role)i)) == 0) {
			*role = (enum keyring_role)i;
			return PO_OK;
		}
	}
	return PO_ERR_INVALID;
}

/* created (>= 0) and, for a previous key only, retire (> 0). */
static const char *
doc_times(const json_t *o, enum keyring_role role, int64_t *created, int64_t *retire)
{
	json_t *c = json_object_get(o, "created"), *t = json_object_get(o, "retire");

	if (!json_is_integer(c) || json_integer_value(c) < 0)
		return "\"created\" is not a time";
	*created = json_integer_value(c);
	*retire = 0;
	if (role != KEYRING_PREVIOUS)
		return t == NULL ? NULL : "only a previous key has a \"retire\" time";
	if (!json_is_integer(t) || json_integer_value(t) <= 0)
		return "a previous key needs a \"retire\" time";
	*retire = json_integer_value(t);
	return NULL;
}

static int
doc_read_sig(keyring_t *r, json_t *o, size_t n, buf_t *why)
{
	static const char *const names[] = { "alg", "role", "kid", "created", "retire", "pem", NULL };
	const char *alg = json_string_value(json_object_get(o, "alg"));
	const char *kid = json_string_value(json_object_get(o, "kid"));
	const char *pem = json_string_value(json_object_get(o, "pem"));
	const char *bad = NULL;
	enum jose_alg a = JOSE_RS256;
	enum keyring_role role = KEYRING_NEXT;
	int64_t created = 0, retire = 0;
	jose_key_t *k = NULL;
	int rc;

	if (!json_is_object(o) || !doc_members_ok(o, names))
		bad = "is not an object of alg, role, kid, created, retire and pem";
	else if (alg == NULL || jose_alg_parse(alg, strlen(alg), &a) != PO_OK)
		bad = "has no known \"alg\" (RS256, ES256 or EdDSA)";
	else if (doc_role(o, &role) != PO_OK)
		bad = "has no known \"role\" (next, current or previous)";
	else if ((bad = doc_times(o, role, &created, &retire)) != NULL)
		;
	else if (kid == NULL || pem == NULL)
		bad = "has no \"kid\" or no \"pem\"";
	else if (jose_key_from_pem_alg(a, pem, json_string_length(json_object_get(o, "pem")), &k) != PO_OK)
		bad = "holds a PEM key that cannot be read as its algorithm's";
	else if (strcmp(jose_key_kid(k), kid) != 0)
		bad = "holds a key whose thumbprint is not its \"kid\"";
	if (bad != NULL) {
		jose_key_free(k);
		kr_why(why, "signing key %zu %s", n, bad);
		return PO_ERR_INVALID;
	}
	if ((rc = kr_add_sig(r, k, role, created, retire)) == PO_ERR_LIMIT && why != NULL)
		kr_why(why, "more than %d signing keys", KR_SIG_MAX);
	return rc == PO_ERR_LIMIT ? PO_ERR_INVALID : rc;
}

/* Decodes base64url member name of o into exactly n bytes. */
static bool
doc_bytes(const json_t *o, const char *name, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL && strlen(s) == b64url_enc_len(n) && b64url_decode(s, strlen(s), out, n) == (long)n;
}

static int
doc_read_seal(keyring_t *r, json_t *o, size_t n, buf_t *why)
{
	static const char *const names[] = { "id", "role", "created", "retire", "key", NULL };
	keyring_seal_key_t k = { 0 };
	const char *bad = NULL;
	int rc;

	if (!json_is_object(o) || !doc_members_ok(o, names))
		bad = "is not an object of id, role, created, retire and key";
	else if (doc_role(o, &k.role) != PO_OK)
		bad = "has no known \"role\" (next, current or previous)";
	else if ((bad = doc_times(o, k.role, &k.created, &k.retire)) != NULL)
		;
	else if (!doc_bytes(o, "id", k.id, sizeof(k.id)))
		bad = "has no \"id\" of 4 bytes in base64url";
	else if (!doc_bytes(o, "key", k.key, sizeof(k.key)))
		bad = "has no \"key\" of 32 bytes in base64url";
	if (bad != NULL) {
		kr_why(why, "sealing key %zu %s", n, bad);
		rc = PO_ERR_INVALID;
		goto out;
	}
	if ((rc = kr_add_seal(r, &k)) == PO_ERR_LIMIT) {
		kr_why(why, "more than %d sealing keys", KR_SEAL_MAX);
		rc = PO_ERR_INVALID;
	}
out:
	str_wipe(&k, sizeof(k));
	return rc;
}

/* Checks the roles: for each algorithm present and for sealing, exactly
 * one current and one next; previous keys have a retire time; at most
 * LIM_KEYRING_PREVIOUS_MAX of them; RS256 present; distinct kids and
 * sealing ids. PO_OK or PO_ERR_INVALID with why. */
static int
doc_check(const keyring_t *r, buf_t *why)
{
	size_t cur[JOSE_ALG_COUNT] = { 0 }, nxt[JOSE_ALG_COUNT] = { 0 }, prev[JOSE_ALG_COUNT] = { 0 };
	size_t scur = 0, snxt = 0, sprev = 0, i, j;
	const char *what = NULL;

	for (i = 0; i < r->n_sig; i++) {
		const struct keyring_sig *s = &r->sig[i];
		enum jose_alg a = jose_key_alg_id(s->key);

		cur[a] += s->role == KEYRING_CURRENT;
		nxt[a] += s->role == KEYRING_NEXT;
		prev[a] += s->role == KEYRING_PREVIOUS;
		if (!jose_key_can_sign(s->key))
			what = "a signing key without its private part";
		else if (s->role == KEYRING_PREVIOUS && s->retire <= 0)
			what = "a previous signing key without a retire time";
		for (j = 0; j < i; j++)
			if (strcmp(jose_key_kid(r->sig[j].key), jose_key_kid(s->key)) == 0)
				what = "the same signing key twice";
	}
	for (i = 0; i < r->n_seal; i++) {
		scur += r->seal[i].role == KEYRING_CURRENT;
		snxt += r->seal[i].role == KEYRING_NEXT;
		sprev += r->seal[i].role == KEYRING_PREVIOUS;
		if (r->seal[i].role == KEYRING_PREVIOUS && r->seal[i].retire <= 0)
			what = "a previous sealing key without a retire time";
		for (j = 0; j < i; j++)
			if (memcmp(r->seal[j].id, r->seal[i].id, KEYRING_SEAL_ID_BYTES) == 0)
				what = "two sealing keys with the same id";
	}
	for (i = 0; i < JOSE_ALG_COUNT && what == NULL; i++) {
		if (cur[i] + nxt[i] + prev[i] == 0 && i != JOSE_RS256)
			continue;
		if (cur[i] != 1 || nxt[i] != 1) {
			kr_why(why, "%zu current and %zu next %s keys (exactly one of each is needed)",
			    cur[i], nxt[i], jose_alg_name((enum jose_alg)i));
			return PO_ERR_INVALID;
		}
		if (prev[i] > LIM_KEYRING_PREVIOUS_MAX)
			what = "more previous signing keys than allowed";
	}
	if (what == NULL && (scur != 1 || snxt != 1))
		what = "not exactly one current and one next sealing key";
	if (what == NULL && sprev > LIM_KEYRING_PREVIOUS_MAX)
		what = "more previous sealing keys than allowed";
	if (what != NULL) {
		kr_why(why, "%s", what);
		return PO_ERR_INVALID;
	}
	return PO_OK;
}

int
keyring_parse(const char *buf, size_t len, keyring_t **out, buf_t *why)
{
	static const char *const names[] = { "format", "version", "signing", "sealing", NULL };
	json_t *doc = NULL, *sig, *seal, *v;
	keyring_t *r = NULL;
	json_error_t jerr;
	int rc = PO_ERR_INVALID;
	size_t i;

	*out = NULL;
	if (len > LIM_KEYRING_FILE_MAX) {
		kr_why(why, "larger than %d bytes: not a key ring", LIM_KEYRING_FILE_MAX);
		return PO_ERR_LIMIT;
	}
	if ((doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		kr_why(why, "not valid JSON (line %d: %s)", jerr.line, jerr.text);
		goto out;
	}
	v = json_object_get(doc, "version");
	sig = json_object_get(doc, "signing");
	seal = json_object_get(doc, "sealing");
	if (!json_is_object(doc) || !str_eq(json_string_value(json_object_get(doc, "format")), DOC_FORMAT)) {
		kr_why(why, "not a plex-oidc key ring (no \"format\": \"" DOC_FORMAT "\")");
		goto out;
	}
	if (!json_is_integer(v) || json_integer_value(v) != DOC_VERSION) {
		kr_why(why, "version %s is not one this plex-oidc reads (%d); was it written by a "
		            "newer version?",
		    json_is_integer(v) ? "other" : "missing", DOC_VERSION);
		goto out;
	}
	if (!doc_members_ok(doc, names) || !json_is_array(sig) || !json_is_array(seal)) {
		kr_why(why, "needs exactly format, version, signing (a list) and sealing (a list)");
		goto out;
	}
	if ((r = kr_new()) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	json_array_foreach(sig, i, v)
		if ((rc = doc_read_sig(r, v, i + 1, why)) != PO_OK)
			goto out;
	json_array_foreach(seal, i, v)
		if ((rc = doc_read_seal(r, v, i + 1, why)) != PO_OK)
			goto out;
	if ((rc = doc_check(r, why)) != PO_OK)
		goto out;
	kr_sort(r);
	*out = r;
	r = NULL; /* transferred */
	rc = PO_OK;
out:
	keyring_free(r);
	json_decref(doc);
	return rc;
}
