/*
 * keytool.h - the rotate-keys command: one rotation step of a data_dir's
 * key ring, and a report of it for the operator.
 *
 * main.c reads the configuration and passes what the step needs, so this
 * module does not depend on the config module and can be tested alone.
 */
#ifndef PO_KEYS_KEYTOOL_H
#define PO_KEYS_KEYTOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Rotates the ring of data_dir one step (keyring_rotate_file) at now, with
 * keys for algs (JOSE_ALG_BIT set; RS256 always) and previous sealing keys
 * kept for sealed_lifetime_s (max of session_lifetime and
 * refresh_lifetime). Writes to out what it did: which key of each
 * algorithm signs now, which are published and until when, the sealing
 * keys, and how a running server picks the new ring up; or, to err, why
 * nothing was rotated and what to do. Returns the exit status: 0 when the
 * ring was rotated (or created), 1 when not. */
int keytool_rotate(const char *data_dir, unsigned algs, int64_t sealed_lifetime_s, bool force, int64_t now,
    FILE *out, FILE *err);

#endif
