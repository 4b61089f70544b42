/*
 * fuzz_keyring.c - libFuzzer target for the key ring's document
 * (keyring_parse, src/keys/keyring.h): what DATA_DIR/keyring.json holds,
 * or what another replica stored elsewhere. Damaged files, edits by hand and
 * files of another kind must be refused, never crash or half-load.
 *
 * Properties: a refused document leaves *out NULL and says why; an accepted
 * one is a usable ring (a current RS256 signer, a current sealing key, every
 * kid of its JWKS found again), and writing it back and reading that gives
 * the same document, byte for byte.
 */
#include "fuzz.h"

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "jose/jwk.h"
#include "keys/keyring.h"

#define NOW ((int64_t)1700000000)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	keyring_t *r = (keyring_t *)&r, *back = NULL;
	char *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0, i;
	json_t *jwks, *k;
	buf_t why;
	int rc;

	log_set_level((enum log_level)(LOG_ERROR + 1)); /* refusals log on purpose */
	buf_init(&why, 4096);
	rc = keyring_parse((const char *)data, size, &r, &why);
	if (rc != PO_OK) {
		FUZZ_CHECK(r == NULL);
		FUZZ_CHECK(rc == PO_ERR_INVALID || rc == PO_ERR_LIMIT || rc == PO_ERR_NOMEM);
		FUZZ_CHECK(rc == PO_ERR_NOMEM || why.len > 0);
		buf_free(&why);
		return 0;
	}
	FUZZ_CHECK(keyring_signer(r, JOSE_RS256) != NULL);
	FUZZ_CHECK(keyring_seal_current(r) != NULL);
	FUZZ_CHECK(keyring_count(r) >= 4);
	jwks = keyring_jwks(r, 0); /* at time 0 nothing has retired */
	FUZZ_CHECK(jwks != NULL);
	json_array_foreach(json_object_get(jwks, "keys"), i, k) {
		const char *kid = json_string_value(json_object_get(k, "kid"));
		FUZZ_CHECK(kid != NULL && keyring_find_kid(r, kid, strlen(kid), 0) != NULL);
	}
	json_decref(jwks);
	FUZZ_CHECK(keyring_serialize(r, &text, &len) == PO_OK);
	FUZZ_CHECK(keyring_parse(text, len, &back, NULL) == PO_OK);
	FUZZ_CHECK(keyring_serialize(back, &again, &len2) == PO_OK);
	FUZZ_CHECK(len == len2 && memcmp(text, again, len) == 0);
	str_free_secret(text);
	str_free_secret(again);
	keyring_free(back);
	keyring_free(r);
	buf_free(&why);
	(void)NOW;
	return 0;
}
