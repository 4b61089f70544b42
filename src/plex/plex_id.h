/*
 * plex_id.h - the X-Plex-Client-Identifier of this installation: a random
 * UUID created once and kept in data_dir. It must never change: PINs are
 * bound to it (docs/PLEX-API.md, "Conventions"). It is public, never a
 * secret.
 */
#ifndef PO_PLEX_PLEX_ID_H
#define PO_PLEX_PLEX_ID_H

#include <stddef.h>

#include "core/err.h"

/* A UUID and its NUL, with room for an operator's longer value. */
#define PLEX_ID_SIZE 64

/* Loads DIR/plex-client-id, or creates it (0600) with a new UUID v4.
 * out gets the identifier (PLEX_ID_SIZE bytes). PO_OK, PO_ERR_IO (the
 * reason is logged: an empty or damaged file is never replaced silently)
 * or PO_ERR_CRYPTO. */
int plex_id_load_or_create(const char *dir, char *out, size_t outsz) PO_WUR;

#endif
