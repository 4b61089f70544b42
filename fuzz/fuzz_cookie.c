/*
 * fuzz_cookie.c - libFuzzer target for cookie_get() (src/http/cookie.h),
 * which reads one cookie out of a browser's Cookie header.
 *
 * Input: the header, looked up for the names plex-oidc sets. When the input
 * holds a '\n', the part before the first one is also used as the cookie
 * name and the rest as the header.
 *
 * Properties: a value found lies inside the header, right after "name="
 * (or its opening quote); the result is PO_OK, PO_ERR_NOTFOUND or
 * PO_ERR_INVALID (a duplicate) only; and what cookie_format() writes for a
 * value found, cookie_get() reads back unchanged (the cookie we set is the
 * cookie we get).
 */
#include "fuzz.h"

#include "core/buf.h"
#include "core/err.h"
#include "http/cookie.h"

static const char *const cookie_names[] = { "plexoidc_bid", "plexoidc_setup_state", "a", "" };

/* Set-Cookie of (val, vlen) under name, then read back. Only values a
 * Set-Cookie can carry: no NUL, no ';', no blank at either end (RFC 6265
 * §4.1.1 allows no whitespace at all; the reader trims it), not themselves
 * quoted. */
static void
round_trip(const char *name, const char *val, size_t vlen)
{
	const char *back = NULL;
	size_t blen = 0;
	char *v;
	buf_t sc;

	if (memchr(val, '\0', vlen) != NULL || memchr(val, ';', vlen) != NULL ||
	    (vlen > 0 && (val[0] == ' ' || val[0] == '\t' || val[vlen - 1] == ' ' || val[vlen - 1] == '\t')) ||
	    (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"'))
		return;
	v = fuzz_cstr(val, vlen);
	buf_init(&sc, 8192);
	FUZZ_CHECK(cookie_format(&sc, name, v, "/", (int)(vlen % 3) - 1, vlen % 2) == PO_OK);
	FUZZ_CHECK(cookie_get(sc.data, sc.len, name, &back, &blen) == PO_OK);
	FUZZ_CHECK(blen == vlen && memcmp(back, val, vlen) == 0);
	buf_free(&sc);
	free(v);
}

static void
lookup(const char *hdr, size_t len, const char *name, int check_round_trip)
{
	const char *val = NULL;
	size_t vlen = 0;
	int rc;

	rc = cookie_get(hdr, len, name, &val, &vlen);
	FUZZ_CHECK(rc == PO_OK || rc == PO_ERR_NOTFOUND || rc == PO_ERR_INVALID);
	if (rc != PO_OK)
		return;
	FUZZ_CHECK(val != NULL && val >= hdr && vlen <= len && (size_t)(val - hdr) <= len - vlen);
	/* What precedes the value is "name=" (or "name=\"" when quoted). */
	FUZZ_CHECK(val > hdr && (val[-1] == '=' || val[-1] == '"'));
	if (check_round_trip)
		round_trip(name, val, vlen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *hdr = (const char *)data;
	const uint8_t *rest = data, *nm;
	size_t i, rest_len = size, nlen;
	char *name;

	for (i = 0; i < sizeof(cookie_names) / sizeof(cookie_names[0]); i++)
		lookup(hdr, size, cookie_names[i], cookie_names[i][0] != '\0');

	if (memchr(data, '\n', size) != NULL) {
		nm = fuzz_field(&rest, &rest_len, '\n', &nlen);
		name = fuzz_cstr(nm, nlen);
		lookup((const char *)rest, rest_len, name, 0);
		free(name);
	}
	return 0;
}
