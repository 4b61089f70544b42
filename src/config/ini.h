/*
 * ini.h - a small, bounded INI tokenizer over (buf, len).
 *
 * It splits text into lines and tells a handler about each "[section]" header
 * and each "key = value" pair, with its 1-based line number. It knows nothing
 * about which sections or keys exist: that is config.c's job. It keeps no
 * state outside the call and allocates nothing, so it can be fuzzed as is.
 *
 * Syntax, one construct per line:
 *   - lines end with "\n" or "\r\n"; a UTF-8 byte order mark at the very
 *     start of the buffer is skipped;
 *   - spaces and tabs around section names, keys and values are trimmed;
 *   - a blank line, or one whose first non-blank character is ';' or '#', is
 *     a comment;
 *   - elsewhere a space or tab followed by ';' or '#' starts a comment that
 *     runs to the end of the line ("listen = :8080  ; port"); a ';' or '#'
 *     with no blank before it is data ("secret = abc#def"), and so is one
 *     that starts a value ("accent_color = #e5a00d  # gold" is "#e5a00d");
 *   - "[name]" opens a section; "key = value" splits at the first '=', so
 *     values may contain '=' (URLs with queries); the value may be empty.
 * There is no quoting, escaping or line continuation: values are verbatim.
 * There is no line length limit other than len.
 *
 * Malformed lines (no '=', an empty key, an unclosed "[", text after "]",
 * an empty section name, a NUL or other control character other than tab)
 * are reported to the handler's error callback and skipped; parsing goes on,
 * so one pass reports every malformed line.
 */
#ifndef PO_CONFIG_INI_H
#define PO_CONFIG_INI_H

#include <stddef.h>

/* Callbacks. Pointers are borrowed from the caller's buffer, valid only
 * during the call, and NOT NUL-terminated: use the lengths. A callback
 * returns PO_OK to go on; any other value stops parsing and is returned by
 * ini_parse() unchanged. Any callback may be NULL (the event is ignored). */
typedef struct ini_handler {
	/* "[name]": name trimmed, without the brackets, non-empty. */
	int (*section)(void *ctx, size_t line, const char *name, size_t name_len);
	/* "key = value": key trimmed and non-empty; value trimmed, without an
	 * inline comment, possibly empty (val_len 0). */
	int (*pair)(void *ctx, size_t line, const char *key, size_t key_len, const char *val,
	    size_t val_len);
	/* A malformed line. `why` is a static English phrase saying what is
	 * wrong and what was expected, e.g. "expected \"key = value\"". */
	int (*error)(void *ctx, size_t line, const char *why);
} ini_handler_t;

/* Tokenizes (buf, len) (buf may be NULL when len is 0), calling h for every
 * section header, pair and malformed line, in line order.
 * Returns PO_OK if every line was well formed; PO_ERR_INVALID if at least
 * one malformed line was reported (parsing still ran to the end); or the
 * first non-PO_OK value a callback returned. */
int ini_parse(const char *buf, size_t len, const ini_handler_t *h, void *ctx);

#endif
