/*
 * jws.c - RS256 compact JWS (RFC 7515 §7.1) for ID tokens, the OIDC at_hash,
 * and a verifier for tests and tools.
 *
 * Signing does no key parsing and no header encoding: the key and its
 * encoded protected header were prepared once by jwk.c. Each call allocates
 * the token once, encodes the payload into it, signs the ASCII signing input
 * in place, and appends the encoded signature. RS256 is RSASSA-PKCS1-v1_5
 * with SHA-256 (RFC 7518 §3.3), which is deterministic: the same key and
 * payload always give the same token.
 *
 * The verifier (jose_jws_verify) accepts only what the signer makes: three
 * base64url parts, a header with "alg":"RS256" and this key's "kid", no
 * "crit", and a signature exactly the size of the modulus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* First: it supplies <openssl/err.h> (see the build note there). */
#include "jose/jose_int.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "core/b64url.h"
#include "core/err.h"
#include "core/log.h"
#include "jose/jws.h"

/* OIDC Core §3.1.3.6: the left-most half of the SHA-256 hash, 128 bits. */
#define JWS_AT_HASH_BYTES 16
/* Payloads above this cannot be base64url-encoded by b64url_encode (its
 * output is capped at 2^31 - 1 characters); ID tokens are < 4 KiB. */
#define JWS_PAYLOAD_MAX ((size_t)0x7fffffff / 4 * 3)
/* A protected header we would accept is < 100 characters; 1 KiB bounds the
 * work spent on a hostile one. */
#define JWS_HEADER_B64_MAX 1024

/* Sets up md for RS256 signing (sign = 1) or verifying with pkey. PO_OK or
 * PO_ERR_CRYPTO; the caller logs. */
static int
jws_init(EVP_MD_CTX *md, EVP_PKEY *pkey, int sign)
{
	EVP_PKEY_CTX *pctx = NULL; /* owned by md */
	int ok;

	if (sign)
		ok = EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, pkey);
	else
		ok = EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pkey);
	/* RFC 7518 §3.3: RSASSA-PKCS1-v1_5 (the default, set explicitly so a
	 * changed default can never turn RS256 into PS256). */
	if (ok != 1 || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		return PO_ERR_CRYPTO;
	return PO_OK;
}

int
jose_jws_sign(const jose_key_t *k, const char *payload, size_t len, char **out)
{
	EVP_PKEY *pkey = jose_key_pkey(k);
	EVP_MD_CTX *md = NULL;
	uint8_t *sig = NULL;
	char *tok = NULL;
	const char *hdr;
	size_t hlen, plen, siglen, total, off;
	int rc = PO_ERR_CRYPTO, ksize;

	*out = NULL;
	if (len > JWS_PAYLOAD_MAX)
		return PO_ERR_NOMEM; /* like an allocation that cannot be made */
	hdr = jose_key_header_b64(k, &hlen);
	if ((ksize = EVP_PKEY_get_size(pkey)) <= 0) {
		jose_log_crypto("JWS sign: EVP_PKEY_get_size");
		goto out;
	}
	plen = b64url_enc_len(len);
	/* header "." payload "." signature NUL */
	total = hlen + 1 + plen + 1 + b64url_enc_len((size_t)ksize) + 1;
	if ((tok = malloc(total)) == NULL || (sig = malloc((size_t)ksize)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	/* RFC 7515 §5.1 steps 2-6: the signing input is
	 * ASCII(BASE64URL(header) || '.' || BASE64URL(payload)). */
	memcpy(tok, hdr, hlen);
	tok[hlen] = '.';
	if (b64url_encode((const uint8_t *)payload, len, tok + hlen + 1, total - hlen - 1) !=
	    (long)plen) {
		rc = PO_ERR_INTERNAL; /* cannot happen: tok is sized for it */
		goto out;
	}
	off = hlen + 1 + plen;
	siglen = (size_t)ksize;
	if ((md = EVP_MD_CTX_new()) == NULL || jws_init(md, pkey, 1) != PO_OK ||
	    EVP_DigestSign(md, sig, &siglen, (const uint8_t *)tok, off) != 1) {
		jose_log_crypto("JWS sign: RS256 signature failed");
		goto out;
	}
	/* RFC 7515 §5.1 step 7 and §7.1: append '.' BASE64URL(signature). */
	tok[off] = '.';
	if (b64url_encode(sig, siglen, tok + off + 1, total - off - 1) < 0) {
		rc = PO_ERR_INTERNAL;
		goto out;
	}
	*out = tok;
	tok = NULL; /* transferred */
	rc = PO_OK;
out:
	EVP_MD_CTX_free(md);
	free(sig);
	free(tok);
	return rc;
}

int
jose_at_hash(const char *access_token, size_t len, char *out, size_t outsz)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	if (outsz < b64url_enc_len(JWS_AT_HASH_BYTES) + 1)
		return PO_ERR_LIMIT;
	/* OIDC Core §3.1.3.6: hash the ASCII access_token with the hash of
	 * the ID token's alg (RS256: SHA-256), keep the left-most half,
	 * base64url-encode it. */
	if (EVP_Digest(access_token, len, d, &dlen, EVP_sha256(), NULL) != 1 ||
	    dlen != 2 * JWS_AT_HASH_BYTES) {
		jose_log_crypto("at_hash: SHA-256 failed");
		return PO_ERR_CRYPTO;
	}
	if (b64url_encode(d, JWS_AT_HASH_BYTES, out, outsz) < 0)
		return PO_ERR_LIMIT;
	return PO_OK;
}

/* Checks the decoded protected header: a JSON object (no duplicate names,
 * RFC 7515 §4) with "alg" "RS256" (never trust another alg: RFC 8725 §3.1),
 * "kid" equal to k's, and no "crit" (RFC 7515 §4.1.11: we understand none). */
static int
jws_check_header(const jose_key_t *k, const uint8_t *h, size_t hlen)
{
	json_t *j = NULL;
	const char *alg, *kid;
	int rc = PO_ERR_INVALID;

	if ((j = json_loadb((const char *)h, hlen, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(j))
		goto out;
	alg = json_string_value(json_object_get(j, "alg"));
	kid = json_string_value(json_object_get(j, "kid"));
	if (alg == NULL || strcmp(alg, jose_key_alg(k)) != 0 || kid == NULL ||
	    strcmp(kid, jose_key_kid(k)) != 0 || json_object_get(j, "crit") != NULL)
		goto out;
	rc = PO_OK;
out:
	json_decref(j);
	return rc;
}

int
jose_jws_verify(const jose_key_t *k, const char *jws, size_t len, char **payload)
{
	EVP_PKEY *pkey = jose_key_pkey(k);
	EVP_MD_CTX *md = NULL;
	const char *d1, *d2, *p, *s;
	uint8_t *hbuf = NULL, *sig = NULL;
	char *pbuf = NULL;
	size_t hlen, plen, slen;
	long n;
	int rc = PO_ERR_INVALID, ksize;

	if (payload != NULL)
		*payload = NULL;
	if (jws == NULL)
		return PO_ERR_INVALID;
	ERR_set_mark();
	/* RFC 7515 §7.1: exactly three parts, separated by two '.'. */
	if ((d1 = memchr(jws, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jws))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jws)) != NULL)
		goto out;
	hlen = (size_t)(d1 - jws);
	p = d1 + 1;
	plen = (size_t)(d2 - p);
	s = d2 + 1;
	slen = len - (size_t)(s - jws);
	if (hlen == 0 || hlen > JWS_HEADER_B64_MAX || slen == 0)
		goto out;
	if ((ksize = EVP_PKEY_get_size(pkey)) <= 0)
		goto out;

	/* Decoding buffers: n base64url characters give at most n bytes. */
	if ((hbuf = malloc(hlen)) == NULL || (pbuf = malloc(plen + 1)) == NULL ||
	    (sig = malloc((size_t)ksize)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	if ((n = b64url_decode(jws, hlen, hbuf, hlen)) <= 0 ||
	    jws_check_header(k, hbuf, (size_t)n) != PO_OK)
		goto out;
	if ((n = b64url_decode(p, plen, (uint8_t *)pbuf, plen)) < 0)
		goto out;
	pbuf[n] = '\0';
	/* RFC 8017 §8.2.2 step 1: the signature is exactly k octets long. */
	if (b64url_decode(s, slen, sig, (size_t)ksize) != ksize)
		goto out;
	if ((md = EVP_MD_CTX_new()) == NULL || jws_init(md, pkey, 0) != PO_OK) {
		jose_log_crypto("JWS verify: cannot set up RS256");
		rc = PO_ERR_CRYPTO;
		goto out;
	}
	if (EVP_DigestVerify(md, sig, (size_t)ksize, (const uint8_t *)jws, (size_t)(d2 - jws)) != 1)
		goto out;
	if (payload != NULL) {
		*payload = pbuf;
		pbuf = NULL; /* transferred */
	}
	rc = PO_OK;
out:
	/* A bad signature is an answer, not a failure: drop what OpenSSL
	 * queued about it so it is not reported with a later error. */
	ERR_pop_to_mark();
	EVP_MD_CTX_free(md);
	free(hbuf);
	free(pbuf);
	free(sig);
	return rc;
}
