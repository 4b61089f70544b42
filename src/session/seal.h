/*
 * seal.h - sealed values: small records encrypted and authenticated with
 * AES-256-GCM (NIST SP 800-38D) under the key ring's sealing keys, for
 * session cookies and refresh tokens that the server keeps nowhere else.
 *
 * A sealed value is base64url (RFC 4648 §5, no padding) of
 *   version (1 byte, SEAL_VERSION) | sealing key id (4 bytes) |
 *   nonce (12 random bytes) | ciphertext | tag (16 bytes)
 * with the additional authenticated data
 *   version | key id | len(purpose) (1 byte) | purpose |
 *   len(context) (2 bytes, big-endian) | context
 * so that a value sealed for one purpose ("session", "refresh") or one
 * context (the issuer: another installation, or another issuer of the same
 * one) never opens as another, and no byte of it can change unnoticed.
 *
 * Opening tries the key the id names, if the ring has it as current, next
 * or previous not yet retired. Every way a value can be wrong (bad
 * base64url, too short or too long, unknown version or key, retired key,
 * any changed byte, another purpose or context) gives the same answer,
 * PO_ERR_INVALID, and never touches memory outside the input.
 *
 * Nonces are random: NIST SP 800-38D §8.3 allows 2^32 seals per key with
 * random 96-bit nonces, far above what one key seals between rotations.
 * Plaintext buffers are wiped. Thread-safe (the ring is read-only).
 */
#ifndef PO_SESSION_SEAL_H
#define PO_SESSION_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "keys/keyring.h"
#include "po_limits.h"

#define SEAL_VERSION 1
#define SEAL_NONCE_BYTES 12
#define SEAL_TAG_BYTES 16
/* Bytes added to the plaintext before base64url: 33. */
#define SEAL_OVERHEAD (1 + KEYRING_SEAL_ID_BYTES + SEAL_NONCE_BYTES + SEAL_TAG_BYTES)
/* The largest plaintext whose sealed text stays within LIM_SEALED_MAX
 * characters (4096 characters carry 3072 bytes): 3039 bytes. */
#define SEAL_PLAINTEXT_MAX (LIM_SEALED_MAX / 4 * 3 - SEAL_OVERHEAD)

/* Seals (pt, len) with the ring's current sealing key for purpose (1 to
 * LIM_SEAL_PURPOSE_MAX bytes) and context (0 to LIM_SEAL_CONTEXT_MAX
 * bytes; NULL = ""). *out gets the text (malloc'd, NUL-terminated; caller
 * frees; not a secret). PO_OK; PO_ERR_LIMIT (len > SEAL_PLAINTEXT_MAX);
 * PO_ERR_INVALID (bad purpose or context, or a ring without a current
 * sealing key); PO_ERR_CRYPTO (randomness or OpenSSL failed; logged);
 * PO_ERR_NOMEM. */
int seal_seal(const keyring_t *r, const char *purpose, const char *context, const void *pt, size_t len,
    char **out);
/* Opens the sealed text (in, len) made by seal_seal with the same purpose
 * and context, with a key of the ring that may open at now. On success
 * *out is the plaintext (malloc'd, with a NUL after it that *out_len does
 * not count; a secret: free it with seal_free) . PO_OK; PO_ERR_INVALID for
 * every bad input (see above); PO_ERR_NOMEM or PO_ERR_CRYPTO only when
 * memory or OpenSSL failed. *out is NULL on error. */
int seal_open(const keyring_t *r, int64_t now, const char *purpose, const char *context, const char *in,
    size_t len, uint8_t **out, size_t *out_len);
/* When the key that sealed (in, len) stops opening: its retire time if it
 * is a previous key of the ring at now, else 0 (not retiring, or no such
 * key). Reads only the header; says nothing of whether the value opens.
 * For a caller that remembers an opened value (the forward-auth cache):
 * what it remembers must end then too. */
int64_t seal_retire(const keyring_t *r, int64_t now, const char *in, size_t len);
/* Wipes and frees a plaintext from seal_open. Accepts NULL. */
void seal_free(uint8_t *p, size_t len);

#endif
