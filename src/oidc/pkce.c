/*
 * pkce.c - Proof Key for Code Exchange (RFC 7636), S256 only.
 *
 * The authorization endpoint stores the client's code_challenge (checked
 * with pkce_challenge_valid); the token endpoint later receives the
 * code_verifier and asks pkce_s256_matches whether it is the preimage.
 * "plain" is not offered: RFC 7636 §4.2 allows it only for clients that
 * cannot do SHA-256, and every client we serve can.
 */
#include <stdint.h>

#include <openssl/evp.h>

#include "core/b64url.h"
#include "core/log.h"
#include "core/str.h"
#include "po_limits.h"
#include "oidc/pkce.h"

/* SHA-256 output; its base64url encoding is LIM_PKCE_CHALLENGE_LEN long. */
#define PKCE_DIGEST_LEN 32

/* RFC 7636 §4.1 / RFC 3986 §2.3: unreserved = ALPHA / DIGIT / "-" / "." /
 * "_" / "~". Explicit ranges: no locale can widen them. */
static bool
pkce_unreserved(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

bool
pkce_verifier_valid(const char *v, size_t len)
{
	size_t i;

	if (v == NULL || len < LIM_PKCE_VERIFIER_MIN || len > LIM_PKCE_VERIFIER_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!pkce_unreserved(v[i]))
			return false;
	return true;
}

bool
pkce_challenge_valid(const char *c, size_t len)
{
	uint8_t d[PKCE_DIGEST_LEN];

	if (c == NULL || len != LIM_PKCE_CHALLENGE_LEN)
		return false;
	/* RFC 7636 §4.2: BASE64URL(SHA256(..)), i.e. the encoding of exactly
	 * 32 bytes. The strict decoder also refuses non-zero trailing bits,
	 * which no real encoding has. */
	return b64url_decode(c, len, d, sizeof(d)) == PKCE_DIGEST_LEN;
}

bool
pkce_s256_matches(const char *verifier, size_t vlen, const char *challenge, size_t clen)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	char enc[LIM_PKCE_CHALLENGE_LEN + 1];
	unsigned int dlen = 0;

	if (!pkce_verifier_valid(verifier, vlen) || challenge == NULL)
		return false;
	/* RFC 7636 §4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))). */
	if (EVP_Digest(verifier, vlen, d, &dlen, EVP_sha256(), NULL) != 1 ||
	    dlen != PKCE_DIGEST_LEN) {
		log_error("PKCE: SHA-256 failed");
		return false;
	}
	if (b64url_encode(d, dlen, enc, sizeof(enc)) != LIM_PKCE_CHALLENGE_LEN)
		return false;
	/* ... == code_challenge, compared in constant time. The digest is the
	 * public challenge, so it needs no wiping. */
	return str_ct_eq(enc, LIM_PKCE_CHALLENGE_LEN, challenge, clen);
}
