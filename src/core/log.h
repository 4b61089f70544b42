/*
 * log.h - leveled logging to stderr, one line per event.
 *
 * The level is set once at start, before any thread runs, and only read after.
 * Never pass a secret (client secret, code, token, Plex token, cookie value)
 * to these functions: use log_mask() to show a recognisable prefix instead.
 */
#ifndef PO_CORE_LOG_H
#define PO_CORE_LOG_H

#include <stddef.h>

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO = 1,
	LOG_WARN = 2,
	LOG_ERROR = 3
};

/* Sets the minimum level printed. Call before starting threads. */
void log_set_level(enum log_level lvl);
/* Parses "debug", "info", "warn", "error"; -1 if none. */
int log_level_parse(const char *s);
/* Writes one line "TIME LEVEL message" to stderr atomically. */
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A failure with the code that caused it and the function it came from
 * (OpenSSH's error_fr): "func: message: out of memory". The code says what
 * failed, so the message need not guess. */
void log_msg_fr(enum log_level lvl, const char *func, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn_fr(rc, ...) log_msg_fr(LOG_WARN, __func__, (rc), __VA_ARGS__)
#define log_error_fr(rc, ...) log_msg_fr(LOG_ERROR, __func__, (rc), __VA_ARGS__)

/* Writes into out (outsz bytes) a masked form of a secret: its first 4
 * characters then "...". Never the whole secret. */
void log_mask(const char *secret, char *out, size_t outsz);

#endif
