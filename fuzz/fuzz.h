/*
 * fuzz.h - what every libFuzzer target of fuzz/ shares: the entry point's
 * prototype, a property check that crashes loudly, and small helpers to cut
 * one input into fields (see fuzz/README.md).
 *
 * Targets pass libFuzzer's buffer to the (buf, len) parsers as is: it is a
 * heap block of exactly len bytes, so AddressSanitizer catches a parser that
 * reads one byte past the end or expects a NUL terminator it was not given.
 */
#ifndef PO_FUZZ_FUZZ_H
#define PO_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property that must hold whatever the input: when it does not, abort()
 * so libFuzzer saves the input as a crash. */
#define FUZZ_CHECK(cond)                                                                              \
	do {                                                                                          \
		if (!(cond)) {                                                                        \
			fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                      \
		}                                                                                     \
	} while (0)

/* A NUL-terminated heap copy of (p, n), in a block of exactly n + 1 bytes.
 * Aborts on allocation failure (libFuzzer's -rss_limit_mb catches real
 * memory blow-ups first). */
static inline char *
fuzz_cstr(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	FUZZ_CHECK(s != NULL);
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Cuts the next field, up to the separator byte sep or the end, from
 * (*data, *size) and advances past it. Sets *n to the field's length and
 * returns its start. */
static inline const uint8_t *
fuzz_field(const uint8_t **data, size_t *size, int sep, size_t *n)
{
	const uint8_t *f = *data;
	const uint8_t *e = *size ? memchr(f, sep, *size) : NULL;

	*n = e != NULL ? (size_t)(e - f) : *size;
	*data += *n + (e != NULL ? 1 : 0);
	*size -= *n + (e != NULL ? 1 : 0);
	return f;
}

#endif
