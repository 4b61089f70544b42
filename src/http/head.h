/*
 * head.h - the checks on a request head, as a pure function over its
 * header fields, so they can be tested and fuzzed without a socket.
 *
 * The server (server.c) hands over every header field libmicrohttpd
 * parsed, in order, before any body is read. The checks refuse what could
 * be framed two ways by two parsers (request smuggling, RFC 9112 §6.3,
 * §11.2), what is over the limits of po_limits.h, and NUL bytes (RFC 9110
 * §5.5).
 */
#ifndef PO_HTTP_HEAD_H
#define PO_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* One header field. Borrowed; the bytes need not be NUL-terminated and may
 * contain NUL (which the check refuses). value may be NULL when
 * value_len is 0. */
typedef struct http_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
} http_field_t;

/* How the body is framed, when the head is accepted. */
typedef struct http_head {
	bool chunked;    /* Transfer-Encoding: chunked */
	bool has_length; /* a Content-Length */
	uint64_t length; /* its value (0 without one) */
} http_head_t;

/* Checks the n fields f[0..n-1] of one request head. A caller that
 * collects fields may stop at LIM_HTTP_FIELDS_MAX + 1: more is refused
 * anyway. Returns 0 when the head is acceptable, with *out filled in, or
 * the HTTP status to answer with (*out then all zero/false):
 *   431  more than LIM_HTTP_FIELDS_MAX fields, or more than
 *        LIM_HTTP_HEAD_MAX bytes of fields counted as "name: value\r\n"
 *        (RFC 6585 §5);
 *   400  a NUL byte in a name or value (RFC 9110 §5.5); a Content-Length
 *        that is not a plain decimal number, or several that differ
 *        (RFC 9112 §6.3 item 5); more than one Transfer-Encoding line, or
 *        one whose value is not exactly "chunked" (transfer-coding names
 *        are case-insensitive, RFC 9112 §7; we read no other coding, and a
 *        list such as "gzip, chunked" is refused rather than guessed at);
 *        Transfer-Encoding together with Content-Length (RFC 9112 §6.1);
 *   413  a Content-Length over LIM_HTTP_BODY_MAX (RFC 9110 §15.5.14),
 *        however many digits it has, answered before the body is read.
 * Field names are compared case-insensitively (RFC 9110 §5.1). */
int http_head_check(const http_field_t *f, size_t n, http_head_t *out);

/* Looks up k distinct names (NUL-terminated) among the n fields of a
 * checked head, in one pass, case-insensitively: out[i] gets the value of
 * the first field called names[i] ("" for a field without a value), or
 * NULL when there is none (and always NULL past HTTP_FIELDS_FIND_MAX
 * names). Values are borrowed from f, which must hold NUL-terminated
 * values (libmicrohttpd's do). Returns true when one of the names appears
 * more than once. */
#define HTTP_FIELDS_FIND_MAX 8
bool http_fields_find(const http_field_t *f, size_t n, const char *const *names, size_t k, const char **out);

/* Every field called name, in order, joined with ", " into b (RFC 9110
 * §5.3: a field's lines combine so). An empty line is an empty element of
 * the list, which clientip.h's walk stops at, as it does at an empty
 * element inside a line. b is emptied when the whole does not fit its
 * limit: a caller trusts none of a list it cannot read to the end. */
void http_fields_join(const http_field_t *f, size_t n, const char *name, buf_t *b);

#endif
