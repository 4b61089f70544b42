/*
 * seal.c - AES-256-GCM sealed values (seal.h has the format and the rules).
 *
 * One pass each way with OpenSSL's EVP AEAD interface: the additional data
 * is fed in pieces (header, purpose, context, with their lengths, so that
 * no two (purpose, context) pairs give the same bytes), then the text.
 * Opening decrypts into a buffer that is wiped and freed unless the tag
 * checks out: OpenSSL writes plaintext before it has seen the tag.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/b64url.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/str.h"
#include "session/seal.h"

#define SEAL_HDR (1 + KEYRING_SEAL_ID_BYTES)

/* Checks purpose and context and feeds the additional data to ctx:
 * header | len(purpose) | purpose | len(context) | context. */
static int
seal_aad(EVP_CIPHER_CTX *ctx, int enc, const uint8_t hdr[SEAL_HDR], const char *purpose, const char *context)
{
	size_t pl = purpose != NULL ? strlen(purpose) : 0, cl = context != NULL ? strlen(context) : 0;
	uint8_t plen[1], clen[2];
	int n, ok;

	if (pl == 0 || pl > LIM_SEAL_PURPOSE_MAX || cl > LIM_SEAL_CONTEXT_MAX)
		return PO_ERR_INVALID;
	plen[0] = (uint8_t)pl;
	clen[0] = (uint8_t)(cl >> 8);
	clen[1] = (uint8_t)cl;
	/* out NULL: these bytes are authenticated, not encrypted. */
	if (enc)
		ok = EVP_EncryptUpdate(ctx, NULL, &n, hdr, SEAL_HDR) == 1 &&
		    EVP_EncryptUpdate(ctx, NULL, &n, plen, 1) == 1 &&
		    EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)purpose, (int)pl) == 1 &&
		    EVP_EncryptUpdate(ctx, NULL, &n, clen, 2) == 1 &&
		    (cl == 0 || EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)context, (int)cl) == 1);
	else
		ok = EVP_DecryptUpdate(ctx, NULL, &n, hdr, SEAL_HDR) == 1 &&
		    EVP_DecryptUpdate(ctx, NULL, &n, plen, 1) == 1 &&
		    EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)purpose, (int)pl) == 1 &&
		    EVP_DecryptUpdate(ctx, NULL, &n, clen, 2) == 1 &&
		    (cl == 0 || EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)context, (int)cl) == 1);
	return ok ? PO_OK : PO_ERR_CRYPTO;
}

int
seal_seal(const keyring_t *r, const char *purpose, const char *context, const void *pt, size_t len,
    char **out)
{
	const keyring_seal_key_t *k = keyring_seal_current(r);
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *raw = NULL, *nonce, *ct;
	size_t rawlen = SEAL_OVERHEAD + len, tlen;
	char *text = NULL;
	int n = 0, m = 0, rc;

	*out = NULL;
	if (len > SEAL_PLAINTEXT_MAX)
		return PO_ERR_LIMIT;
	if (k == NULL || (pt == NULL && len > 0))
		return PO_ERR_INVALID;
	tlen = b64url_enc_len(rawlen) + 1;
	if ((raw = malloc(rawlen)) == NULL || (text = malloc(tlen)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	raw[0] = SEAL_VERSION;
	memcpy(raw + 1, k->id, KEYRING_SEAL_ID_BYTES);
	nonce = raw + SEAL_HDR;
	ct = nonce + SEAL_NONCE_BYTES;
	if ((rc = rnd_bytes(nonce, SEAL_NONCE_BYTES)) != PO_OK)
		goto out;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex2(ctx, keyring_seal_cipher(r), k->key, nonce, NULL) != 1) {
		rc = PO_ERR_CRYPTO;
		goto out;
	}
	if ((rc = seal_aad(ctx, 1, raw, purpose, context)) != PO_OK)
		goto out;
	if ((len > 0 && EVP_EncryptUpdate(ctx, ct, &n, pt, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(ctx, ct + n, &m) != 1 || (size_t)(n + m) != len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SEAL_TAG_BYTES, ct + len) != 1) {
		rc = PO_ERR_CRYPTO;
		goto out;
	}
	if (b64url_encode(raw, rawlen, text, tlen) < 0) {
		rc = PO_ERR_INTERNAL; /* cannot happen: sized for it */
		goto out;
	}
	*out = text;
	text = NULL; /* transferred */
	rc = PO_OK;
out:
	if (rc == PO_ERR_CRYPTO) {
		log_error("seal: AES-256-GCM failed (OpenSSL)");
		ERR_clear_error();
	}
	EVP_CIPHER_CTX_free(ctx);
	free(raw); /* ciphertext only: nothing secret */
	free(text);
	return rc;
}

int
seal_open(const keyring_t *r, int64_t now, const char *purpose, const char *context, const char *in,
    size_t len, uint8_t **out, size_t *out_len)
{
	const keyring_seal_key_t *k;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *raw = NULL, *pt = NULL, *tag;
	size_t ctlen = 0;
	long rawlen;
	int n = 0, m = 0, rc = PO_ERR_INVALID;

	*out = NULL;
	*out_len = 0;
	/* Bounds before any work: the text is attacker-controlled. */
	if (in == NULL || len > LIM_SEALED_MAX || len < b64url_enc_len(SEAL_OVERHEAD))
		return PO_ERR_INVALID;
	if ((raw = malloc(len)) == NULL)
		return PO_ERR_NOMEM;
	if ((rawlen = b64url_decode(in, len, raw, len)) < (long)SEAL_OVERHEAD || raw[0] != SEAL_VERSION ||
	    (k = keyring_seal_find(r, raw + 1, now)) == NULL)
		goto out;
	ctlen = (size_t)rawlen - SEAL_OVERHEAD;
	tag = raw + rawlen - SEAL_TAG_BYTES;
	if ((pt = malloc(ctlen + 1)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	ERR_set_mark();
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex2(ctx, keyring_seal_cipher(r), k->key, raw + SEAL_HDR, NULL) != 1) {
		rc = PO_ERR_CRYPTO;
		ERR_pop_to_mark();
		log_error("seal: AES-256-GCM is not available");
		goto out;
	}
	if ((rc = seal_aad(ctx, 0, raw, purpose, context)) != PO_OK ||
	    (ctlen > 0 && EVP_DecryptUpdate(ctx, pt, &n, raw + SEAL_HDR + SEAL_NONCE_BYTES, (int)ctlen) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, SEAL_TAG_BYTES, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, pt + n, &m) != 1 || (size_t)(n + m) != ctlen) {
		/* A wrong tag is an answer, not a failure. */
		ERR_pop_to_mark();
		rc = PO_ERR_INVALID;
		goto out;
	}
	ERR_pop_to_mark();
	pt[ctlen] = '\0';
	*out = pt;
	*out_len = ctlen;
	pt = NULL; /* transferred */
	rc = PO_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	seal_free(pt, ctlen + 1);
	return rc;
}

int64_t
seal_retire(const keyring_t *r, int64_t now, const char *in, size_t len)
{
	/* 8 characters are 6 whole bytes: the version and key id, and one
	 * nonce byte. */
	uint8_t hdr[6];
	const keyring_seal_key_t *k;

	_Static_assert(SEAL_HDR <= sizeof(hdr), "the header fits");
	if (in == NULL || len < 8 || b64url_decode(in, 8, hdr, sizeof(hdr)) != (long)sizeof(hdr) ||
	    hdr[0] != SEAL_VERSION || (k = keyring_seal_find(r, hdr + 1, now)) == NULL)
		return 0;
	return k->retire;
}

void
seal_free(uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	str_wipe(p, len);
	free(p);
}
