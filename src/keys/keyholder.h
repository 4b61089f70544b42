/*
 * keyholder.h - the server's current key ring, swappable while requests
 * use it.
 *
 * Request threads take a snapshot (keyholder_get) and release it when done
 * (keyholder_put); a reload (keyholder_refresh, from a timer every few
 * seconds or on SIGHUP, or keyholder_set) swaps in a new ring without
 * waiting for them: a request keeps the ring it started with, and the old
 * ring is freed when its last user puts it back. The rings themselves are
 * immutable (keys/keyring.h).
 *
 * keyholder_get costs one mutex lock and one atomic increment; nothing is
 * copied. A keyholder_t is safe to use from any thread.
 */
#ifndef PO_KEYS_KEYHOLDER_H
#define PO_KEYS_KEYHOLDER_H

#include <stdbool.h>

#include "core/buf.h"
#include "keys/keyring.h"

typedef struct keyholder keyholder_t;

/* A holder of ring, which it takes over (the caller's reference). stamp
 * (may be NULL) is the stamp of the file the ring was read from, so that
 * the first keyholder_refresh does not read it again. PO_OK or
 * PO_ERR_NOMEM (then ring is still the caller's). */
int keyholder_new(keyring_t *ring, const keyring_stamp_t *stamp, keyholder_t **out);
/* Frees the holder and drops its reference to the ring (snapshots taken
 * stay valid until put). Accepts NULL. */
void keyholder_free(keyholder_t *h);

/* A reference to the current ring. Never NULL. Give it back with
 * keyholder_put. */
keyring_t *keyholder_get(keyholder_t *h);
/* Gives back a ring from keyholder_get. Accepts NULL. */
void keyholder_put(keyring_t *r);
/* Replaces the ring with ring (the caller's reference is taken over);
 * stamp as in keyholder_new. */
void keyholder_set(keyholder_t *h, keyring_t *ring, const keyring_stamp_t *stamp);

/* Reloads DATA_DIR/keyring.json if its stamp differs from the held ring's
 * (one stat() when it has not changed). The new ring must have keys for
 * every algorithm of algs; if it cannot be read, or lacks one, the held
 * ring stays in use and the error is returned once for that state of the
 * file (later calls return PO_OK until the file changes again), with why.
 * *changed (may be NULL) is set when a new ring was swapped in. PO_OK, or
 * the errors of keyring_load (PO_ERR_NOTFOUND: the file was removed). */
int keyholder_refresh(keyholder_t *h, const char *data_dir, unsigned algs, bool *changed, buf_t *why);

#endif
