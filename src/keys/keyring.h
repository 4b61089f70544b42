/*
 * keyring.h - the key ring: every signing key and sealing key of plex-oidc,
 * each with a role, kept in DATA_DIR/keyring.json (docs/OPERATIONS.md,
 * "Keys and rotation").
 *
 * Signing keys sign ID tokens: one set per JWS algorithm in use (RS256
 * always; ES256 and EdDSA when a client asks for them). Sealing keys are
 * 32-byte AES-256-GCM keys for the sealed sessions and refresh tokens
 * (session/seal.h). Every key has a role:
 *   next      published in the JWKS (signing) / opens sealed values
 *             (sealing), but does not sign or seal yet: relying parties
 *             and other replicas learn it before it is used;
 *   current   signs / seals (exactly one per algorithm, one sealing key);
 *   previous  still published / still opens until its retire time, so
 *             tokens and sessions made with it stay valid until they
 *             expire.
 * Each algorithm, and the sealing keys, have exactly one current and one
 * next key, and at most LIM_KEYRING_PREVIOUS_MAX previous ones.
 *
 * A rotation step (keyring_rotate) moves next -> current -> previous and
 * makes a new next, refusing (unless forced) while the next signing key has
 * been published for less than LIM_KEY_PREPUBLISH_S.
 *
 * The document (keyring_parse / keyring_serialize) is JSON:
 *   {"format":"plex-oidc key ring","version":1,
 *    "signing":[{"alg":"RS256","role":"current","kid":"...",
 *                "created":UNIX,"pem":"-----BEGIN PRIVATE KEY-----\n..."},
 *               {... "role":"previous","retire":UNIX ...}, ...],
 *    "sealing":[{"id":"<6 base64url>","role":"next","created":UNIX,
 *                "key":"<43 base64url>"}, ...]}
 * It holds private keys: it is a secret (file mode 0600), and the buffers
 * that hold it are wiped. The same text can live elsewhere (Redis, set
 * with SET NX by the first replica, loaded by the others).
 *
 * Threads: a keyring_t is immutable once built and may be read by any
 * number of threads. It is reference-counted (keyring_ref/keyring_free) so
 * that a holder (keys/keyholder.h) can swap in a reloaded ring while
 * request threads finish with the old one. Time is always passed in ("now",
 * Unix seconds), never read here, so tests drive it with a fake clock.
 *
 * Errors: PO_OK or a negative PO_ERR_*. Functions that take a buf_t *why
 * append one line (no trailing newline) saying what is wrong and what to
 * do, naming the file when there is one; why may be NULL. OpenSSL failures
 * are also logged by the jose module.
 */
#ifndef PO_KEYS_KEYRING_H
#define PO_KEYS_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "jose/jwk.h"

typedef struct keyring keyring_t;

enum keyring_role {
	KEYRING_NEXT = 0,
	KEYRING_CURRENT = 1,
	KEYRING_PREVIOUS = 2
};

/* AES-256-GCM keys (NIST SP 800-38D) and their ids in sealed values. */
#define KEYRING_SEAL_KEY_BYTES 32
#define KEYRING_SEAL_ID_BYTES 4
/* The key ring's file inside DATA_DIR, and the files that show an earlier
 * start (the signing key before the ring; the Plex client identifier). */
#define KEYRING_FILE "keyring.json"
#define KEYRING_LEGACY_KEY_FILE "signing-key.pem"
#define KEYRING_CLIENT_ID_FILE "plex-client-id"
/* Written next to the ring when signing-key.pem was taken over: without
 * it, a missing keyring.json next to signing-key.pem would be taken over
 * again, silently losing the ring's newer keys. */
#define KEYRING_MIGRATED_FILE "keyring.migrated"

/* One sealing key. Borrowed from its ring: lives as long as the ring. */
typedef struct keyring_seal_key {
	uint8_t id[KEYRING_SEAL_ID_BYTES];
	uint8_t key[KEYRING_SEAL_KEY_BYTES]; /* secret */
	enum keyring_role role;
	int64_t created;
	int64_t retire; /* previous keys: when they stop opening; else 0 */
} keyring_seal_key_t;

/* What a caller may show about a key (no secret). */
typedef struct keyring_info {
	bool sealing; /* a sealing key (then alg is unused) */
	enum jose_alg alg;
	enum keyring_role role;
	char id[JOSE_KID_SIZE]; /* signing: the kid; sealing: the id, base64url */
	int64_t created;
	int64_t retire; /* previous keys only; else 0 */
} keyring_info_t;

/* ---- building a ring ---- */

/* A new ring with a current and a next key for RS256, for every algorithm
 * in algs (JOSE_ALG_BIT set), and for sealing, all created at now.
 * PO_OK, PO_ERR_CRYPTO or PO_ERR_NOMEM. */
int keyring_create(unsigned algs, int64_t now, keyring_t **out);
/* A new ring whose current RS256 key is `legacy` (taken over from
 * signing-key.pem: same kid, so no token breaks; created = legacy_created),
 * with a next RS256 key, and current and next keys for the other
 * algorithms in algs and for sealing. legacy is not consumed (the ring gets
 * its own handle). PO_OK, PO_ERR_INVALID (legacy is not an RS256 private
 * key), PO_ERR_CRYPTO or PO_ERR_NOMEM. */
int keyring_create_from_legacy(const jose_key_t *legacy, int64_t legacy_created, unsigned algs, int64_t now,
    keyring_t **out);
/* A new ring: r plus a current and a next key for each algorithm of algs
 * that r lacks (an algorithm newly needed by the configuration; nothing
 * else changes, so nobody is logged out). *added gets the bits added (may
 * be NULL; 0 when r had them all, and then *out is a new reference to r).
 * PO_OK, PO_ERR_CRYPTO or PO_ERR_NOMEM. */
int keyring_add_algs(keyring_t *r, unsigned algs, int64_t now, keyring_t **out, unsigned *added);

/* Seconds to wait before keyring_rotate accepts to run without force: 0 if
 * every next signing key has been published for LIM_KEY_PREPUBLISH_S. */
int64_t keyring_rotate_wait(const keyring_t *r, int64_t now);
/* One rotation step into a new ring (r is not changed):
 *   - previous keys whose retire time has passed are dropped;
 *   - for each algorithm: current -> previous (retiring at now +
 *     LIM_KEY_SIG_RETIRE_S), next -> current, a new next;
 *   - sealing: current -> previous (retiring at now + sealed_lifetime_s +
 *     LIM_KEY_RETIRE_MARGIN_S; pass max(session_lifetime,
 *     refresh_lifetime)), next -> current, a new next.
 * Refused with PO_ERR_DENIED when a next signing key was created less than
 * LIM_KEY_PREPUBLISH_S ago and force is false (why says how long to wait),
 * with PO_ERR_LIMIT when more than LIM_KEYRING_PREVIOUS_MAX previous keys
 * would remain (why says when the oldest retires). Also PO_ERR_INVALID
 * (sealed_lifetime_s < 0), PO_ERR_CRYPTO, PO_ERR_NOMEM. */
int keyring_rotate(const keyring_t *r, int64_t now, int64_t sealed_lifetime_s, bool force, keyring_t **out,
    buf_t *why);

/* ---- the document ---- */

/* Builds a ring from the JSON document (buf, len), checking everything:
 * the format and version, each key (its PEM fits its algorithm and gives
 * the recorded kid; sealing keys are 32 bytes), the roles (one current and
 * one next per algorithm and for sealing, RS256 present, previous keys
 * with a retire time and within LIM_KEYRING_PREVIOUS_MAX), distinct kids
 * and sealing ids, and no unknown member. PO_OK, PO_ERR_INVALID (why says
 * what), PO_ERR_LIMIT (len > LIM_KEYRING_FILE_MAX) or PO_ERR_NOMEM. */
int keyring_parse(const char *buf, size_t len, keyring_t **out, buf_t *why);
/* The ring as its JSON document (keyring_parse reads it back to an equal
 * ring) in *out (malloc'd, NUL-terminated, *len without the NUL). A
 * secret: free it with str_free_secret. PO_OK, PO_ERR_CRYPTO or
 * PO_ERR_NOMEM. */
int keyring_serialize(const keyring_t *r, char **out, size_t *len);

/* ---- DATA_DIR/keyring.json ---- */

/* What keyring_load_or_create did (bits of *done). */
#define KEYRING_DID_CREATE 1u   /* first start: a new ring */
#define KEYRING_DID_MIGRATE 2u  /* signing-key.pem taken over */
#define KEYRING_DID_ADD 4u      /* keys added for algorithms newly in algs */
#define KEYRING_DID_RECREATE 8u /* a new ring replaced lost keys (KEYRING_LOAD_NEW_OK) */
/* Flags of keyring_load_or_create. */
#define KEYRING_LOAD_NEW_OK 1u /* the operator accepts new keys when the ring is lost */

/* The ring of data_dir, made ready for algs (RS256 is always included):
 *   - keyring.json exists: it is loaded; a corrupt one is an error (never
 *     replaced); algorithms of algs it lacks get keys and the file is
 *     rewritten;
 *   - else signing-key.pem exists (and keyring.migrated does not): it
 *     becomes the current RS256 key of a new ring (same kid), the ring is
 *     written, keyring.migrated is written, signing-key.pem is left as it
 *     is;
 *   - else plex-client-id or keyring.migrated exists: an earlier start
 *     had keys that are gone; an error (never a silent new key that would
 *     log everyone out) that says to restore keyring.json from a backup,
 *     unless flags has KEYRING_LOAD_NEW_OK (the operator asked for new
 *     keys: plex-oidc rotate-keys --force), which creates a new ring;
 *   - else (first start) a new ring is created and written.
 * Writers serialize on a lock of data_dir (flock), and a new file is put in
 * place with link(), which never replaces one: two processes creating the
 * ring at once end up with the same ring (the loser loads the winner's).
 * Files are written to a temporary file, fsync'd, moved into place, and the
 * directory fsync'd; mode 0600, owned by data_dir's owner when written by
 * root (rotate-keys run by the operator). data_dir must exist. *done (may be NULL)
 * gets KEYRING_DID_*. PO_OK, PO_ERR_IO, PO_ERR_INVALID (corrupt or lost
 * ring), PO_ERR_CRYPTO or PO_ERR_NOMEM, with why. */
int keyring_load_or_create(const char *data_dir, unsigned algs, unsigned flags, int64_t now, keyring_t **out,
    unsigned *done, buf_t *why);
/* Loads keyring.json only: never creates, migrates or writes anything (a
 * server reloading the ring). PO_ERR_NOTFOUND if there is none; otherwise
 * as keyring_load_or_create. stamp (may be NULL) gets the stamp of the
 * file that was read (keyring_stamp). */
struct keyring_stamp;
int keyring_load(const char *data_dir, keyring_t **out, struct keyring_stamp *stamp, buf_t *why);
/* One rotation step of data_dir's ring, all under the lock of data_dir:
 * keyring_load_or_create (with KEYRING_LOAD_NEW_OK when force), then, unless
 * that created a new ring (nothing to rotate), keyring_rotate and the ring
 * written back. *before (may be NULL) gets the ring as it was (NULL when a
 * new ring was created), *out the ring now in the file, *done (may be NULL)
 * what keyring_load_or_create did. Same returns as keyring_rotate and
 * keyring_load_or_create; when the rotation is refused, *out is NULL and
 * the file is as keyring_load_or_create left it. */
int keyring_rotate_file(const char *data_dir, unsigned algs, int64_t now, int64_t sealed_lifetime_s, bool force,
    keyring_t **before, keyring_t **out, unsigned *done, buf_t *why);

/* A cheap identity of keyring.json as it is on disk: a rename() by a
 * writer always changes it (new inode), so a server can poll it every few
 * seconds and reload only when it changed. */
typedef struct keyring_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
	int64_t ctime_ns;
} keyring_stamp_t;
/* The stamp of DATA_DIR/keyring.json. PO_OK, PO_ERR_NOTFOUND or PO_ERR_IO. */
int keyring_stamp(const char *data_dir, keyring_stamp_t *out);
/* true if a and b are the same file state. */
bool keyring_stamp_eq(const keyring_stamp_t *a, const keyring_stamp_t *b);

/* ---- using a ring ---- */

/* Adds a reference; returns r. */
keyring_t *keyring_ref(keyring_t *r);
/* Drops a reference; the last one frees the ring, wiping its secrets.
 * Accepts NULL. */
void keyring_free(keyring_t *r);

/* The current signing key of alg (it signs), or NULL if the ring has no
 * key for alg. Borrowed: lives as long as the caller's reference. */
const jose_key_t *keyring_signer(const keyring_t *r, enum jose_alg alg);
/* The published key (current, next, or previous not yet retired at now)
 * whose kid is (kid, len), or NULL. Borrowed like keyring_signer. */
const jose_key_t *keyring_find_kid(const keyring_t *r, const char *kid, size_t len, int64_t now);
/* Verifies a compact JWS signed by one of the ring's published keys (found
 * by the kid in its header; jose_jws_verify checks alg, kid and
 * signature). Expiry is not checked: an expired ID token of ours still
 * verifies (id_token_hint, OIDC Core §3.1.2.1). PO_OK with *payload
 * (malloc'd, may be NULL to skip); PO_ERR_INVALID for any token that is
 * not ours or not intact; PO_ERR_NOMEM or PO_ERR_CRYPTO. */
int keyring_verify_jws(const keyring_t *r, const char *jws, size_t len, int64_t now, char **payload);
/* The JWKS (RFC 7517 §5), {"keys":[...]}: the public JWK of every published
 * signing key (current, next, previous not retired at now), each with its
 * own kid. A new reference (json_decref); NULL on allocation failure. */
json_t *keyring_jwks(const keyring_t *r, int64_t now);
/* The algorithms the ring has keys for (JOSE_ALG_BIT set). */
unsigned keyring_algs(const keyring_t *r);

/* The sealing keys' AEAD, AES-256-GCM (seal.h), fetched from OpenSSL once
 * when the ring was made. Borrowed like keyring_signer. */
const EVP_CIPHER *keyring_seal_cipher(const keyring_t *r);
/* The current sealing key. Borrowed like keyring_signer. */
const keyring_seal_key_t *keyring_seal_current(const keyring_t *r);
/* The sealing key with this id that may open (current, next, or previous
 * not yet retired at now), or NULL. Borrowed like keyring_signer. */
const keyring_seal_key_t *keyring_seal_find(const keyring_t *r, const uint8_t id[KEYRING_SEAL_ID_BYTES],
    int64_t now);

/* The number of keys (signing and sealing), and key i of them (signing
 * keys first, by algorithm then role; then sealing keys): for tools and
 * logs. keyring_info returns PO_ERR_NOTFOUND past the end. */
size_t keyring_count(const keyring_t *r);
int keyring_info(const keyring_t *r, size_t i, keyring_info_t *out);
/* "next", "current", "previous". Static string. */
const char *keyring_role_name(enum keyring_role role);

#endif
