/*
 * b64url.h - base64url (RFC 4648 §5, no padding, as JOSE uses it: RFC 7515
 * §2) and standard base64 decoding (RFC 4648 §4, for HTTP Basic auth).
 *
 * Bounded: every function takes (buf, len) and an output size, and never
 * writes past it. Decoders are strict: characters outside the alphabet,
 * impossible lengths and non-zero trailing bits are errors.
 */
#ifndef PO_CORE_B64URL_H
#define PO_CORE_B64URL_H

#include <stddef.h>
#include <stdint.h>

/* Length of the base64url encoding of n bytes (no padding), without NUL. */
size_t b64url_enc_len(size_t n);
/* Encodes n bytes into out as base64url without padding, NUL-terminated.
 * Returns the length written (without NUL), or -1 if outsz is too small. */
long b64url_encode(const uint8_t *in, size_t n, char *out, size_t outsz);
/* Decodes base64url text (no padding allowed) into out. On success returns
 * the number of bytes written; -1 on bad input or if outsz is too small. */
long b64url_decode(const char *in, size_t n, uint8_t *out, size_t outsz);
/* Decodes standard base64 (padding required when the length needs it).
 * Same returns as b64url_decode. */
long b64_decode(const char *in, size_t n, uint8_t *out, size_t outsz);

#endif
