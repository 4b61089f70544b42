/*
 * clock.h - time. Protocol logic never reads the clock itself: handlers take
 * "now" from clock_now_s() once per request and pass it down, so unit tests
 * drive the logic with a fake time.
 */
#ifndef PO_CORE_CLOCK_H
#define PO_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since the Unix epoch (wall clock, for token iat/exp). */
int64_t clock_now_s(void);
/* Milliseconds since the Unix epoch: for times kept in records that
 * another instance may read (a monotonic clock is per machine). */
int64_t clock_now_ms(void);
/* Milliseconds from a monotonic clock (for TTLs, intervals, latency). */
int64_t clock_mono_ms(void);
/* Microseconds from a monotonic clock (request latency). */
int64_t clock_mono_us(void);

/* Room for the texts below, NUL included. */
#define CLOCK_TEXT_SIZE 32
/* Writes a duration for people: "45 s", "8 min 20 s", "2 h 5 min",
 * "30 d 4 h" (the two largest units; negative values as 0 s). */
void clock_fmt_duration(int64_t seconds, char *out, size_t outsz);
/* Writes a Unix time as "2026-01-31 13:05:00 UTC". */
void clock_fmt_utc(int64_t t, char *out, size_t outsz);

#endif
