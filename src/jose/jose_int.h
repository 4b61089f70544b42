/*
 * jose_int.h - internals shared by jwk.c and jws.c only.
 *
 * Not a module contract: nothing outside src/jose/ includes this file. It
 * exists so that jws.c can reuse what jwk.c prepared once per key (the
 * encoded JWS protected header) instead of rebuilding it on every signature,
 * and so that both files report OpenSSL failures the same way.
 */
#ifndef PO_JOSE_JOSE_INT_H
#define PO_JOSE_JOSE_INT_H

#include <stddef.h>

#include <openssl/err.h>

#include "jose/jwk.h"

/* The base64url-encoded JWS protected header of k (RFC 7515 §7.1),
 * {"alg":"RS256","kid":"<kid>","typ":"JWT"}, built when the key was made.
 * Borrowed: lives as long as the key. *len gets its length. */
const char *jose_key_header_b64(const jose_key_t *k, size_t *len);

/* Logs "what: <OpenSSL error queue>" at error level and empties this
 * thread's OpenSSL error queue. The queue holds library and reason codes
 * only, never key material. */
void jose_log_crypto(const char *what);

#endif
