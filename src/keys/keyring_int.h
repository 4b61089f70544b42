/*
 * keyring_int.h - what the files of the key ring share (keyring.c: the
 * ring in memory; keyring_doc.c: its JSON document; keyring_file.c: the
 * file in data_dir). Not a module contract: keyring.h is.
 */
#ifndef PO_KEYS_KEYRING_INT_H
#define PO_KEYS_KEYRING_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "jose/jwk.h"
#include "keys/keyring.h"
#include "po_limits.h"

/* Keys per algorithm and sealing keys: one current, one next, and the
 * previous ones. */
#define KR_KEYS_PER_SET (2 + LIM_KEYRING_PREVIOUS_MAX)
#define KR_SIG_MAX (JOSE_ALG_COUNT * KR_KEYS_PER_SET)
#define KR_SEAL_MAX KR_KEYS_PER_SET

struct keyring_sig {
	jose_key_t *key; /* owned handle (jose_key_dup shares the OpenSSL key) */
	enum keyring_role role;
	int64_t created;
	int64_t retire; /* previous only */
};

/* Kept in a canonical order (kr_sort): signing keys by algorithm, then
 * current, next, previous (oldest retire first); sealing keys likewise. */
struct keyring {
	atomic_int refs;
	struct keyring_sig sig[KR_SIG_MAX];
	size_t n_sig;
	keyring_seal_key_t seal[KR_SEAL_MAX];
	size_t n_seal;
	EVP_CIPHER *aead; /* the sealing keys' AES-256-GCM, fetched once; or NULL */
};

/* A new empty ring (one reference), or NULL. */
keyring_t *kr_new(void);
/* Appends a signing key; takes ownership of key (freed on failure too).
 * PO_OK or PO_ERR_LIMIT (the ring is full). */
int kr_add_sig(keyring_t *r, jose_key_t *key, enum keyring_role role, int64_t created, int64_t retire);
/* Appends a sealing key (copied). PO_OK or PO_ERR_LIMIT. */
int kr_add_seal(keyring_t *r, const keyring_seal_key_t *k);
/* Appends a message to why, if there is one. A message that does not fit
 * is cut short: the call fails either way, and its return code says why. */
void kr_why(buf_t *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Puts the keys in the canonical order. */
void kr_sort(keyring_t *r);
#endif
