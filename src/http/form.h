/*
 * form.h - application/x-www-form-urlencoded decoding and encoding
 * (WHATWG URL "application/x-www-form-urlencoded", RFC 6749 Appendix B).
 *
 * Used for query strings and form bodies. The parser is bounded and strict:
 * malformed percent-encoding and decoded NUL bytes are errors (never passed
 * on), and the number and length of parameters are capped by po_limits.h.
 * Duplicates are kept and counted, because RFC 6749 §3.1 requires that
 * OAuth parameters appear at most once.
 */
#ifndef PO_HTTP_FORM_H
#define PO_HTTP_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

typedef struct form_param {
	char *name;  /* decoded, NUL-terminated */
	char *value; /* decoded, NUL-terminated */
} form_param_t;

typedef struct form {
	form_param_t *p;
	size_t n;
} form_t;

/* Decodes (buf, len) into out (which the caller zero-initializes). Empty
 * segments ("a=1&&b=2") are skipped; a segment without '=' has value "".
 * PO_OK, PO_ERR_INVALID (bad %-escape or a NUL byte), PO_ERR_LIMIT (too many
 * or too long parameters) or PO_ERR_NOMEM. On error out is cleared. */
int form_parse(const char *buf, size_t len, form_t *out);
/* The first value of name, or NULL. Borrowed from the form. */
const char *form_get(const form_t *f, const char *name);
/* How many times name appears. */
size_t form_count(const form_t *f, const char *name);
/* Frees the parameters (wiping values: forms carry secrets). */
void form_clear(form_t *f);

/* Appends s percent-encoded for a query component (unreserved characters
 * kept, everything else %XX). */
int form_encode(buf_t *out, const char *s) PO_WUR;
/* Percent-decodes (in, n) into a new string ('+' becomes ' ' when plus is
 * true). NULL on bad input (bad escape, NUL) or allocation failure. */
char *form_decode(const char *in, size_t n, bool plus);

#endif
