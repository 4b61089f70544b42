/*
 * fuzz_form.c - libFuzzer target for the urlencoded decoder
 * (src/http/form.h): form_parse(), form_get(), form_count(), form_decode(),
 * on query strings and form bodies as a client sends them.
 *
 * Properties: a parsed form holds at most LIM_FORM_PARAMS_MAX parameters of
 * at most LIM_PARAM_LEN_MAX bytes each; every name can be looked up and is
 * counted at least once; a failed parse leaves the form empty; and
 * form_decode(form_encode(x)) == x for every decoded value.
 */
#include <stdbool.h>

#include "fuzz.h"

#include "core/buf.h"
#include "core/err.h"
#include "http/form.h"
#include "po_limits.h"

/* The parameters the OIDC endpoints read (src/oidc/). */
static const char *const oauth_names[] = {
	"client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "grant_type", "code", "code_verifier",
	"client_secret", "access_token", "prompt", "response_mode", "request", "request_uri",
	"l", "mode", "server", "issuer", "client"
};

/* Encodes s and decodes it back: the round trip must give s. */
static void
round_trip(const char *s)
{
	buf_t enc;
	char *back;

	buf_init(&enc, 3 * strlen(s) + 1);
	FUZZ_CHECK(form_encode(&enc, s) == PO_OK);
	back = form_decode(buf_str(&enc), enc.len, false);
	FUZZ_CHECK(back != NULL && strcmp(back, s) == 0);
	/* Unreserved characters only: '+' decoding must not matter. */
	free(back);
	back = form_decode(buf_str(&enc), enc.len, true);
	FUZZ_CHECK(back != NULL && strcmp(back, s) == 0);
	free(back);
	buf_free(&enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	form_t f = { NULL, 0 };
	size_t i, n;
	char *d;
	int rc;

	rc = form_parse(buf, size, &f);
	if (rc != PO_OK) {
		FUZZ_CHECK(rc == PO_ERR_INVALID || rc == PO_ERR_LIMIT || rc == PO_ERR_NOMEM);
		FUZZ_CHECK(f.p == NULL && f.n == 0);
	}
	FUZZ_CHECK(f.n <= LIM_FORM_PARAMS_MAX);
	for (i = 0; i < f.n; i++) {
		FUZZ_CHECK(f.p[i].name != NULL && f.p[i].value != NULL);
		FUZZ_CHECK(strlen(f.p[i].name) <= LIM_PARAM_LEN_MAX);
		FUZZ_CHECK(strlen(f.p[i].value) <= LIM_PARAM_LEN_MAX);
		FUZZ_CHECK(form_get(&f, f.p[i].name) != NULL);
		n = form_count(&f, f.p[i].name);
		FUZZ_CHECK(n >= 1 && n <= f.n);
		if (i < 4) {
			round_trip(f.p[i].name);
			round_trip(f.p[i].value);
		}
	}
	for (i = 0; i < sizeof(oauth_names) / sizeof(oauth_names[0]); i++)
		FUZZ_CHECK((form_get(&f, oauth_names[i]) != NULL) == (form_count(&f, oauth_names[i]) > 0));
	form_clear(&f);
	FUZZ_CHECK(f.p == NULL && f.n == 0);
	form_clear(&f); /* twice is harmless */

	/* The decoder on its own, both ways of reading '+'. */
	if ((d = form_decode(buf, size, true)) != NULL) {
		FUZZ_CHECK(strlen(d) <= size);
		free(d);
	}
	if ((d = form_decode(buf, size, false)) != NULL) {
		FUZZ_CHECK(strlen(d) <= size);
		round_trip(d);
		free(d);
	}
	return 0;
}
