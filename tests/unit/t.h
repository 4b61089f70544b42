/*
 * t.h - the unit test harness: table-friendly checks that count and report.
 *
 * Each tests/unit/test_*.c is its own program with a main() that calls its
 * test functions through T_RUN and ends with T_DONE(), which prints the
 * closing line "N passed, N failed" and returns non-zero on any failure.
 * A check that fails prints file:line and what it compared, and the test
 * function carries on (so one run shows every failure).
 */
#ifndef PO_TESTS_T_H
#define PO_TESTS_T_H

#include <stdio.h>
#include <string.h>

static int t_pass, t_fail, t_cur_failed;

#define T_CHECK(cond)                                                                     \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			t_cur_failed = 1;                                                 \
		}                                                                         \
	} while (0)

#define T_EQ_INT(a, b)                                                                       \
	do {                                                                                 \
		long long t_a = (long long)(a), t_b = (long long)(b);                        \
		if (t_a != t_b) {                                                            \
			fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld != %lld)\n", __FILE__, \
			    __LINE__, #a, #b, t_a, t_b);                                     \
			t_cur_failed = 1;                                                    \
		}                                                                            \
	} while (0)

#define T_EQ_STR(a, b)                                                                           \
	do {                                                                                     \
		const char *t_a = (a), *t_b = (b);                                               \
		if (t_a == NULL || t_b == NULL || strcmp(t_a, t_b) != 0) {                       \
			fprintf(stderr, "  FAIL %s:%d: %s == %s (\"%s\" != \"%s\")\n", __FILE__, \
			    __LINE__, #a, #b, t_a ? t_a : "(null)", t_b ? t_b : "(null)");       \
			t_cur_failed = 1;                                                        \
		}                                                                                \
	} while (0)

#define T_RUN(fn)                                              \
	do {                                                   \
		t_cur_failed = 0;                              \
		fn();                                          \
		if (t_cur_failed) {                            \
			t_fail++;                              \
			fprintf(stderr, "not ok - %s\n", #fn); \
		} else {                                       \
			t_pass++;                              \
			printf("ok - %s\n", #fn);              \
		}                                              \
	} while (0)

#define T_DONE() \
	(printf("%s: %d passed, %d failed\n", __FILE__, t_pass, t_fail), t_fail ? 1 : 0)

#endif
