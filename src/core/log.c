/*
 * log.c - leveled logging (see log.h). One fprintf per line so lines from
 * different threads never interleave (stdio locks the stream per call).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"

/* One log line: longer messages are cut (a line never spans lines). */
#define LOG_LINE_MAX 1024
/* "2026-12-06T01:02:03" and its NUL. */
#define LOG_TIME_MAX 32

/* Written once at start (log_set_level) before threads exist; read-only after. */
static enum log_level log_min = LOG_INFO;

void
log_set_level(enum log_level lvl)
{
	log_min = lvl;
}

int
log_level_parse(const char *s)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* Writes one line: the message (already formatted, cleaned here), with its
 * time and level. */
static void
log_line(enum log_level lvl, char *msg)
{
	static const char *tags[] = { "DEBUG", "INFO", "WARN", "ERROR" };
	char ts[LOG_TIME_MAX];
	struct timespec now;
	struct tm tm;

	/* A log line never spans lines and carries no terminal escapes: a
	 * control character in a value (a Plex username, a path) would let it
	 * forge a log entry or rewrite an operator's terminal. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", ts, now.tv_nsec / 1000000L, tags[lvl], msg);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;

	if (lvl < log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line(lvl, msg);
}

void
log_msg_fr(enum log_level lvl, const char *func, int rc, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;
	int n;

	if (lvl < log_min)
		return;
	n = snprintf(msg, sizeof(msg), "%s: ", func);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(msg))
		n += vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", po_strerror(rc));
	log_line(lvl, msg);
}

void
log_mask(const char *secret, char *out, size_t outsz)
{
	size_t n = secret ? strlen(secret) : 0;

	if (outsz == 0)
		return;
	if (n > 4)
		n = 4;
	snprintf(out, outsz, "%.*s...", (int)n, secret ? secret : "");
}
