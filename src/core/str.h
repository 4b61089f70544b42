/*
 * str.h - small string and memory helpers, including the security primitives
 * (constant-time compare, wipe) that every module must use for secrets.
 */
#ifndef PO_CORE_STR_H
#define PO_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Constant-time equality of two byte strings. The time depends only on the
 * lengths, never on where they differ. Use for every secret compare. */
bool str_ct_eq(const void *a, size_t alen, const void *b, size_t blen);
/* Overwrites n bytes in a way the compiler cannot drop (OPENSSL_cleanse). */
void str_wipe(void *p, size_t n);
/* Wipes a NUL-terminated string and frees it. Accepts NULL. */
void str_free_secret(char *s);
/* strndup that returns NULL on allocation failure; copies at most n bytes
 * and always NUL-terminates. */
char *str_dupn(const char *s, size_t n);
/* Copies the first n bytes of s (fewer if dst is smaller) into dst of
 * dstsz bytes and NUL-terminates it (nothing when dstsz is 0): a bounded
 * copy without printf's cost, for the per-request path. */
void str_copy(char *dst, size_t dstsz, const char *s, size_t n);
/* strdup; NULL in gives NULL out. */
char *str_dup(const char *s);
/* true if a and b are both non-NULL and equal (not constant time). */
bool str_eq(const char *a, const char *b);
/* Parses a whole decimal unsigned integer in (s, len) with no sign, spaces or
 * trailing data, not above max. PO_OK or PO_ERR_INVALID. */
int str_to_u64(const char *s, size_t len, uint64_t max, uint64_t *out);
/* Value of a hexadecimal digit (0-9, a-f, A-F), or -1. */
int str_hex_val(char c);
/* true if s (len bytes) starts with prefix. */
bool str_has_prefix(const char *s, size_t len, const char *prefix);

#endif
