/* clock.c - time sources (see clock.h). */
#include <stdio.h>
#include <time.h>

#include "core/clock.h"

int64_t
clock_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t
clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
clock_fmt_duration(int64_t s, char *out, size_t outsz)
{
	static const struct {
		int64_t len;
		const char *name;
	} u[] = { { 86400, "d" }, { 3600, "h" }, { 60, "min" }, { 1, "s" } };
	size_t i;

	if (s < 0)
		s = 0;
	for (i = 0; i + 1 < sizeof(u) / sizeof(u[0]) && s < u[i].len; i++)
		;
	if (i + 1 < sizeof(u) / sizeof(u[0]) && s % u[i].len / u[i + 1].len != 0)
		snprintf(out, outsz, "%lld %s %lld %s", (long long)(s / u[i].len), u[i].name,
		    (long long)(s % u[i].len / u[i + 1].len), u[i + 1].name);
	else
		snprintf(out, outsz, "%lld %s", (long long)(s / u[i].len), u[i].name);
}

void
clock_fmt_utc(int64_t t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (outsz == 0)
		return;
	if (gmtime_r(&tt, &tm) == NULL || strftime(out, outsz, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, outsz, "@%lld", (long long)t);
}
