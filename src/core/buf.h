/*
 * buf.h - a growable byte buffer with a hard maximum size (curl's dynbuf).
 *
 * Every buffer that grows with untrusted input has a ceiling: appending past
 * `max` fails with PO_ERR_LIMIT and leaves the buffer as it was. The data is
 * always NUL-terminated (the NUL is not counted in len), so text can be used
 * as a C string. The buffer owns its memory; buf_free() releases it.
 */
#ifndef PO_CORE_BUF_H
#define PO_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/err.h"

typedef struct buf {
	char *data; /* NULL until the first append; NUL-terminated after */
	size_t len;
	size_t cap;
	size_t max; /* ceiling for len */
} buf_t;

/* Initializes an empty buffer that may hold up to `max` bytes. */
void buf_init(buf_t *b, size_t max);
/* Appends n bytes. PO_OK, PO_ERR_LIMIT (over max) or PO_ERR_NOMEM. */
int buf_append(buf_t *b, const void *p, size_t n) PO_WUR;
/* Appends a NUL-terminated string. */
int buf_puts(buf_t *b, const char *s) PO_WUR;
/* Appends formatted text. Same returns as buf_append. */
int buf_appendf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3))) PO_WUR;
int buf_vappendf(buf_t *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0))) PO_WUR;
/* The contents as a C string; "" when empty. Borrowed: valid until the next
 * append or free. */
const char *buf_str(const buf_t *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(buf_t *b);
/* Hands the data over to the caller (who frees it with free()) and leaves the
 * buffer empty. Returns NULL if the buffer was empty and could not allocate. */
char *buf_steal(buf_t *b, size_t *len);
/* Releases the memory, wiping it first (buffers may have held secrets). */
void buf_free(buf_t *b);

#endif
