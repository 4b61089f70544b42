/*
 * fuzz_seal.c - libFuzzer target for sealed values (seal_open and
 * seal_seal, src/session/seal.h): the session cookies and refresh tokens
 * that come back from browsers and relying parties.
 *
 * Input: "PURPOSE\nCONTEXT\nTEXT" (fewer fields: the rest empty). The ring
 * is made once with random keys, so no input can carry a valid tag:
 *   - seal_open of TEXT must refuse it (PO_ERR_INVALID, *out NULL);
 *   - TEXT sealed as a plaintext must open to exactly TEXT with the same
 *     purpose and context (when they are acceptable), and never with one
 *     byte of the sealed value changed (which byte depends on the input),
 *     with another purpose, or with another context.
 */
#include "fuzz.h"

#include "core/err.h"
#include "core/log.h"
#include "keys/keyring.h"
#include "session/seal.h"

#define NOW ((int64_t)1700000000)

static keyring_t *ring;

/* seal_open's answer; on success *pt and *n are the plaintext (caller frees). */
static int
open_it(const char *purpose, const char *context, const char *in, size_t len, uint8_t **pt, size_t *n)
{
	int rc = seal_open(ring, NOW, purpose, context, in, len, pt, n);

	FUZZ_CHECK(rc == PO_OK || rc == PO_ERR_INVALID);
	FUZZ_CHECK(rc == PO_OK || (*pt == NULL && *n == 0));
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest = data, *f;
	size_t rest_len = size, plen, clen, n = 0;
	char *purpose, *context, *text, *sealed = NULL, *other;
	uint8_t *pt = NULL;
	int rc;

	if (ring == NULL) {
		log_set_level((enum log_level)(LOG_ERROR + 1));
		FUZZ_CHECK(keyring_create(0, NOW, &ring) == PO_OK);
	}
	f = fuzz_field(&rest, &rest_len, '\n', &plen);
	purpose = fuzz_cstr(f, plen);
	f = fuzz_field(&rest, &rest_len, '\n', &clen);
	context = fuzz_cstr(f, clen);
	text = malloc(rest_len ? rest_len : 1); /* exactly rest_len: over-reads are caught */
	FUZZ_CHECK(text != NULL);
	memcpy(text, rest, rest_len);

	FUZZ_CHECK(open_it(purpose, context, text, rest_len, &pt, &n) == PO_ERR_INVALID);

	rc = seal_seal(ring, purpose, context, text, rest_len, &sealed);
	if (rc == PO_OK) {
		size_t slen = strlen(sealed), at = slen ? (size_t)(data[0] ^ (uint8_t)size) % slen : 0;

		FUZZ_CHECK(slen <= LIM_SEALED_MAX);
		FUZZ_CHECK(open_it(purpose, context, sealed, slen, &pt, &n) == PO_OK);
		FUZZ_CHECK(n == rest_len && memcmp(pt, text, n) == 0 && pt[n] == 0);
		seal_free(pt, n);
		pt = NULL;
		n = 0;
		{
			char was = sealed[at];

			sealed[at] = was == 'A' ? 'B' : 'A';
			FUZZ_CHECK(open_it(purpose, context, sealed, slen, &pt, &n) == PO_ERR_INVALID);
			sealed[at] = was;
		}
		/* Another context or purpose: one more byte (a field with a NUL
		 * in it ends there, so the byte would not count). */
		if (strlen(context) == clen) {
			other = fuzz_cstr(context, clen + 1);
			other[clen] = 'x';
			FUZZ_CHECK(open_it(purpose, other, sealed, slen, &pt, &n) == PO_ERR_INVALID);
			free(other);
		}
		if (strlen(purpose) == plen) {
			other = fuzz_cstr(purpose, plen + 1);
			other[plen] = 'x';
			FUZZ_CHECK(open_it(other, context, sealed, slen, &pt, &n) == PO_ERR_INVALID);
			free(other);
		}
	} else {
		FUZZ_CHECK(sealed == NULL);
		FUZZ_CHECK(rc == PO_ERR_LIMIT || rc == PO_ERR_INVALID);
	}
	free(sealed);
	free(purpose);
	free(context);
	free(text);
	return 0;
}
