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
 * PO_ERR_INVALID (a duplicate) only.
 */
#include "fuzz.h"

#include "core/err.h"
#include "http/cookie.h"

static const char *const cookie_names[] = { "plexoidc_bid", "plexoidc_setup_state", "a", "" };

static void
lookup(const char *hdr, size_t len, const char *name)
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
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *hdr = (const char *)data;
	const uint8_t *rest = data, *nm;
	size_t i, rest_len = size, nlen;
	char *name;

	for (i = 0; i < sizeof(cookie_names) / sizeof(cookie_names[0]); i++)
		lookup(hdr, size, cookie_names[i]);

	if (memchr(data, '\n', size) != NULL) {
		nm = fuzz_field(&rest, &rest_len, '\n', &nlen);
		name = fuzz_cstr(nm, nlen);
		lookup((const char *)rest, rest_len, name);
		free(name);
	}
	return 0;
}
