/*
 * fuzz_ini.c - libFuzzer target for ini_parse() (src/config/ini.h), the INI
 * tokenizer that reads the configuration file.
 *
 * Properties checked in the callbacks, from the contract in ini.h: every
 * pointer handed out lies inside the input; section names and keys are
 * non-empty and trimmed; values are trimmed; nothing contains a control
 * character other than tab; line numbers never go backwards; the return
 * value is PO_ERR_INVALID exactly when an error was reported. A second pass
 * stops at the Nth event and must return the callback's own code; a third
 * runs with no callbacks at all.
 */
#include <stdbool.h>

#include "fuzz.h"

#include "config/ini.h"
#include "core/err.h"

/* A code no ini function returns itself, to tell "the callback stopped it". */
#define FUZZ_STOP 4242

struct run {
	const char *buf;
	size_t len;
	size_t last_line;
	size_t events;
	size_t stop_at; /* 0: never stop */
	bool saw_error;
};

static void
check_span(const struct run *r, const char *p, size_t n)
{
	size_t i;

	FUZZ_CHECK(p >= r->buf && n <= r->len && (size_t)(p - r->buf) <= r->len - n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
	}
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
event(struct run *r, size_t line)
{
	FUZZ_CHECK(line >= 1 && line >= r->last_line);
	r->last_line = line;
	r->events++;
	return r->stop_at != 0 && r->events == r->stop_at ? FUZZ_STOP : PO_OK;
}

static int
on_section(void *ctx, size_t line, const char *name, size_t len)
{
	struct run *r = ctx;

	check_span(r, name, len);
	FUZZ_CHECK(len > 0 && !blank(name[0]) && !blank(name[len - 1]));
	FUZZ_CHECK(memchr(name, '[', len) == NULL && memchr(name, ']', len) == NULL);
	return event(r, line);
}

static int
on_pair(void *ctx, size_t line, const char *key, size_t klen, const char *val, size_t vlen)
{
	struct run *r = ctx;

	check_span(r, key, klen);
	check_span(r, val, vlen);
	FUZZ_CHECK(klen > 0 && !blank(key[0]) && !blank(key[klen - 1]));
	FUZZ_CHECK(memchr(key, '=', klen) == NULL);
	FUZZ_CHECK(vlen == 0 || (!blank(val[0]) && !blank(val[vlen - 1])));
	FUZZ_CHECK(val >= key + klen);
	return event(r, line);
}

static int
on_error(void *ctx, size_t line, const char *why)
{
	struct run *r = ctx;

	FUZZ_CHECK(why != NULL && why[0] != '\0');
	r->saw_error = true;
	return event(r, line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ini_handler_t all = { on_section, on_pair, on_error };
	static const ini_handler_t none = { NULL, NULL, NULL };
	struct run r = { (const char *)data, size, 0, 0, 0, false };
	size_t events;
	int rc;

	rc = ini_parse((const char *)data, size, &all, &r);
	FUZZ_CHECK(rc == (r.saw_error ? PO_ERR_INVALID : PO_OK));
	events = r.events;

	/* Stop somewhere in the middle: the callback's code comes back as is. */
	if (events > 0) {
		struct run s = { (const char *)data, size, 0, 0, 1 + size % events, false };

		rc = ini_parse((const char *)data, size, &all, &s);
		FUZZ_CHECK(rc == FUZZ_STOP && s.events == s.stop_at);
	}

	rc = ini_parse((const char *)data, size, &none, NULL);
	FUZZ_CHECK(rc == (r.saw_error ? PO_ERR_INVALID : PO_OK));
	return 0;
}
