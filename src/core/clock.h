/*
 * clock.h - time. Protocol logic never reads the clock itself: handlers take
 * "now" from clock_now_s() once per request and pass it down, so unit tests
 * drive the logic with a fake time.
 */
#ifndef PO_CORE_CLOCK_H
#define PO_CORE_CLOCK_H

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

#endif
