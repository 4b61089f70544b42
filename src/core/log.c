/*
 * log.c - leveled logging (see log.h). One fprintf per line so lines from
 * different threads never interleave (stdio locks the stream per call).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

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

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *tags[] = { "DEBUG", "INFO", "WARN", "ERROR" };
	char msg[1024], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (lvl < log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
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
log_mask(const char *secret, char *out, size_t outsz)
{
	size_t n = secret ? strlen(secret) : 0;

	if (outsz == 0)
		return;
	if (n > 4)
		n = 4;
	snprintf(out, outsz, "%.*s...", (int)n, secret ? secret : "");
}
