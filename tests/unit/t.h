/*
 * t.h - the unit test harness: table-friendly checks that count and report.
 *
 * Each tests/unit/test_*.c is its own program with a main() that calls its
 * test functions through T_RUN and ends with T_DONE(), which prints the
 * closing line "N passed, N failed" and returns non-zero on any failure.
 * A check that fails prints file:line and what it compared, and the test
 * function carries on (so one run shows every failure).
 *
 * A test that passes prints no log line: where it provokes a log line on
 * purpose (a bad option, a missing file), it captures stderr around the call
 * with t_capture_start() / t_capture_end() and checks the message an
 * operator would read. scripts/run-unit fails a test program that prints an
 * ERROR line.
 */
#ifndef PO_TESTS_T_H
#define PO_TESTS_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Capture of stderr (fd 2): t_capture_start() sends it to a temporary
 * file, t_capture_end() restores it and returns what was written, as a
 * NUL-terminated heap string the caller frees ("" if the capture could not
 * be set up, never NULL unless out of memory). Checks that fail between the
 * two print into the capture; t_capture_end() copies the captured text to
 * the real stderr when a check failed meanwhile, so nothing is lost. Not
 * nested, single-threaded use only. */
static FILE *t_cap_file;
static int t_cap_saved = -1;
static int t_cap_failed; /* t_cur_failed when the capture started */
static int t_cap_shown;  /* the last capture was copied to stderr */

static inline void
t_capture_start(void)
{
	fflush(stderr);
	t_cap_failed = t_cur_failed;
	if ((t_cap_file = tmpfile()) == NULL)
		return;
	if ((t_cap_saved = dup(STDERR_FILENO)) < 0 || dup2(fileno(t_cap_file), STDERR_FILENO) < 0) {
		if (t_cap_saved >= 0)
			close(t_cap_saved);
		t_cap_saved = -1;
		fclose(t_cap_file);
		t_cap_file = NULL;
	}
}

static inline char *
t_capture_end(void)
{
	char *text = NULL;
	long n;

	if (t_cap_file == NULL)
		return calloc(1, 1);
	fflush(stderr);
	dup2(t_cap_saved, STDERR_FILENO);
	close(t_cap_saved);
	t_cap_saved = -1;
	if (fseek(t_cap_file, 0, SEEK_END) == 0 && (n = ftell(t_cap_file)) >= 0 &&
	    fseek(t_cap_file, 0, SEEK_SET) == 0 && (text = calloc(1, (size_t)n + 1)) != NULL)
		text[fread(text, 1, (size_t)n, t_cap_file)] = '\0';
	fclose(t_cap_file);
	t_cap_file = NULL;
	t_cap_shown = text != NULL && t_cur_failed && !t_cap_failed;
	if (t_cap_shown)
		fputs(text, stderr);
	return text;
}

/* Checks text captured while running `what` (then frees it): it must
 * contain want, or be empty when want is NULL. */
static inline void
t_check_log(const char *file, int line, const char *what, char *text, const char *want)
{
	if (text == NULL || (want == NULL ? text[0] != '\0' : strstr(text, want) == NULL)) {
		fprintf(stderr, "  FAIL %s:%d: %s should log %s%s%s; it logged:\n%s", file, line, what,
		    want ? "\"" : "", want ? want : "nothing", want ? "\"" : "",
		    text == NULL ? "(out of memory)\n" : t_cap_shown ? "(above)\n"
		                                                     : text);
		t_cur_failed = 1;
	}
	free(text);
}

/* Runs the statement `call` with stderr captured and checks its log lines
 * with t_check_log(). */
#define T_LOGS(call, want)                                                       \
	do {                                                                     \
		t_capture_start();                                               \
		call;                                                            \
		t_check_log(__FILE__, __LINE__, #call, t_capture_end(), (want)); \
	} while (0)

#define T_DONE() \
	(printf("%s: %d passed, %d failed\n", __FILE__, t_pass, t_fail), t_fail ? 1 : 0)

#endif
