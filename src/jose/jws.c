/*
 * jws.c - compact JWS (RFC 7515 §7.1) with RS256, ES256 and EdDSA for ID
 * tokens, the OIDC at_hash, and a verifier.
 *
 * Signing does no key parsing and no header encoding: the key and its
 * encoded protected header were prepared once by jwk.c. Each call allocates
 * the token once, encodes the payload into it, signs the ASCII signing input
 * in place, and appends the encoded signature. RS256 (RSASSA-PKCS1-v1_5 with
 * SHA-256, RFC 7518 §3.3) and Ed25519 (RFC 8032 §5.1) are deterministic: the
 * same key and payload always give the same token. ES256 (RFC 7518 §3.4) is
 * not: OpenSSL draws a fresh nonce per signature and returns the ASN.1 DER
 * ECDSA-Sig-Value, which is turned into the fixed-size R || S that JWS
 * requires (and back, to verify).
 *
 * The verifier (jose_jws_verify) accepts only what the signer makes: three
 * base64url parts, a header with the key's "alg" and "kid", no "crit", and
 * a signature exactly the algorithm's size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* First: it supplies <openssl/err.h> and <openssl/evp.h>. */
#include "jose/jose_int.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "core/b64url.h"
#include "core/err.h"
#include "core/log.h"
#include "jose/jws.h"

/* OIDC Core §3.1.3.6: the left-most half of the hash: SHA-256 gives 128
 * bits, SHA-512 256 bits. */
#define JWS_AT_HASH_256 16
#define JWS_AT_HASH_512 32
/* Payloads above this cannot be base64url-encoded by b64url_encode (its
 * output is capped at 2^31 - 1 characters); ID tokens are < 4 KiB. */
#define JWS_PAYLOAD_MAX ((size_t)0x7fffffff / 4 * 3)
/* A protected header we would accept is < 100 characters; 1 KiB bounds the
 * work spent on a hostile one. */
#define JWS_HEADER_B64_MAX 1024
/* RFC 7518 §3.4: ES256's R || S; RFC 8032 §5.1.6: an Ed25519 signature. */
#define JWS_ES256_SIG (2 * JWK_P256_COORD)
#define JWS_ED25519_SIG 64
/* A DER ECDSA-Sig-Value over P-256 is at most 72 bytes (two 33-byte
 * INTEGERs with their headers, and the SEQUENCE header). */
#define JWS_ECDSA_DER_MAX 80

/* The size of k's JWS Signature, or 0 if it cannot be had. */
static size_t
jws_sig_size(const jose_key_t *k)
{
	int n;

	switch (k->alg) {
	case JOSE_RS256:
		/* RFC 8017 §8.2.1: exactly the modulus length. */
		return (n = EVP_PKEY_get_size(k->pkey)) > 0 ? (size_t)n : 0;
	case JOSE_ES256:
		return JWS_ES256_SIG;
	case JOSE_EDDSA:
		return JWS_ED25519_SIG;
	}
	return 0;
}

/* Sets up md to sign (sign = 1) or verify with k. PO_OK or PO_ERR_CRYPTO;
 * the caller logs. */
static int
jws_init(EVP_MD_CTX *md, const jose_key_t *k, int sign)
{
	EVP_PKEY_CTX *pctx = NULL; /* owned by md */
	/* RFC 8032 §5.1: Ed25519 hashes internally (PureEdDSA): no digest. */
	const EVP_MD *h = NULL;
	int ok;

	if (k->alg != JOSE_EDDSA)
		h = k->hash != NULL ? k->hash : EVP_sha256();

	if (sign)
		ok = EVP_DigestSignInit(md, &pctx, h, NULL, k->pkey);
	else
		ok = EVP_DigestVerifyInit(md, &pctx, h, NULL, k->pkey);
	if (ok != 1)
		return PO_ERR_CRYPTO;
	/* RFC 7518 §3.3: RSASSA-PKCS1-v1_5 (the default, set explicitly so a
	 * changed default can never turn RS256 into PS256). */
	if (k->alg == JOSE_RS256 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		return PO_ERR_CRYPTO;
	return PO_OK;
}

void
jose_key_prepare(jose_key_t *k)
{
	EVP_MD_CTX *md = NULL;

	ERR_set_mark(); /* the caller's errors stay; ours are dropped below */
	if (k->hash == NULL)
		k->hash = EVP_MD_fetch(NULL, k->alg == JOSE_EDDSA ? "SHA512" : "SHA256", NULL);
	if (!k->priv || k->sign_tmpl != NULL)
		goto out;
	if ((md = EVP_MD_CTX_new()) == NULL || jws_init(md, k, 1) != PO_OK)
		goto out;
	k->sign_tmpl = md;
	md = NULL; /* kept */
out:
	EVP_MD_CTX_free(md);
	ERR_pop_to_mark(); /* a key without them works: nothing to report */
}

/* Sets up md to sign with k: a copy of the key's template (copying only
 * reads the template and takes references, so threads may copy it at
 * once; it never signs itself), or a set-up of its own. */
static int
jws_sign_init(EVP_MD_CTX *md, const jose_key_t *k)
{
	if (k->sign_tmpl != NULL) {
		ERR_set_mark();
		if (EVP_MD_CTX_copy_ex(md, k->sign_tmpl) == 1) {
			ERR_pop_to_mark();
			return PO_OK;
		}
		ERR_pop_to_mark();
		EVP_MD_CTX_reset(md);
	}
	return jws_init(md, k, 1);
}

/* DER ECDSA-Sig-Value -> R || S, each left-padded to 32 bytes (RFC 7518
 * §3.4: "the octet sequence ... MUST be 64 octets"). */
static int
jws_der_to_raw(const uint8_t *der, size_t len, uint8_t raw[JWS_ES256_SIG])
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r = NULL, *s = NULL;
	int rc = PO_ERR_CRYPTO;

	if (es == NULL)
		return PO_ERR_CRYPTO;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, raw, JWK_P256_COORD) == JWK_P256_COORD &&
	    BN_bn2binpad(s, raw + JWK_P256_COORD, JWK_P256_COORD) == JWK_P256_COORD)
		rc = PO_OK;
	ECDSA_SIG_free(es);
	return rc;
}

/* R || S -> DER (*der allocated by OpenSSL: OPENSSL_free it). */
static int
jws_raw_to_der(const uint8_t raw[JWS_ES256_SIG], uint8_t **der, size_t *len)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int n, rc = PO_ERR_CRYPTO;

	*der = NULL;
	if ((es = ECDSA_SIG_new()) == NULL || (r = BN_bin2bn(raw, JWK_P256_COORD, NULL)) == NULL ||
	    (s = BN_bin2bn(raw + JWK_P256_COORD, JWK_P256_COORD, NULL)) == NULL)
		goto out;
	if (ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* transferred */
	if ((n = i2d_ECDSA_SIG(es, der)) <= 0)
		goto out;
	*len = (size_t)n;
	rc = PO_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

int
jose_jws_sig(const jose_key_t *k, const uint8_t *in, size_t len, uint8_t *sig, size_t sigsz, size_t *siglen)
{
	EVP_MD_CTX *md = NULL;
	uint8_t der[JWS_ECDSA_DER_MAX];
	size_t need = jws_sig_size(k), n;
	int rc = PO_ERR_CRYPTO;

	*siglen = 0;
	if (!k->priv)
		return PO_ERR_INVALID;
	if (need == 0 || sigsz < need)
		return need == 0 ? PO_ERR_CRYPTO : PO_ERR_LIMIT;
	if ((md = EVP_MD_CTX_new()) == NULL || jws_sign_init(md, k) != PO_OK) {
		jose_log_crypto("JWS sign: cannot set up the signature");
		goto out;
	}
	if (k->alg == JOSE_ES256) {
		n = sizeof(der);
		if ((size_t)EVP_PKEY_get_size(k->pkey) > sizeof(der) || EVP_DigestSign(md, der, &n, in, len) != 1 ||
		    jws_der_to_raw(der, n, sig) != PO_OK) {
			jose_log_crypto("JWS sign: ES256 signature failed");
			goto out;
		}
		n = JWS_ES256_SIG;
	} else {
		n = sigsz;
		if (EVP_DigestSign(md, sig, &n, in, len) != 1 || n != need) {
			jose_log_crypto("JWS sign: signature failed");
			goto out;
		}
	}
	*siglen = n;
	rc = PO_OK;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

int
jose_jws_sig_verify(const jose_key_t *k, const uint8_t *in, size_t len, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md = NULL;
	uint8_t *der = NULL;
	const uint8_t *s = sig;
	size_t slen = siglen;
	int rc = PO_ERR_INVALID;

	/* RFC 8017 §8.2.2 step 1, RFC 7518 §3.4, RFC 8032 §5.1.7: the
	 * signature is exactly the algorithm's size. */
	if (sig == NULL || siglen == 0 || siglen != jws_sig_size(k))
		return PO_ERR_INVALID;
	ERR_set_mark();
	if (k->alg == JOSE_ES256) {
		if (jws_raw_to_der(sig, &der, &slen) != PO_OK) {
			rc = PO_ERR_NOMEM; /* BN/ASN.1 allocation: the input always fits */
			goto out;
		}
		s = der;
	}
	if ((md = EVP_MD_CTX_new()) == NULL || jws_init(md, k, 0) != PO_OK) {
		ERR_clear_last_mark();
		jose_log_crypto("JWS verify: cannot set up the verification");
		ERR_set_mark();
		rc = PO_ERR_CRYPTO;
		goto out;
	}
	if (EVP_DigestVerify(md, s, slen, in, len) == 1)
		rc = PO_OK;
out:
	/* A bad signature is an answer, not a failure: drop what OpenSSL
	 * queued about it so it is not reported with a later error. */
	ERR_pop_to_mark();
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	return rc;
}

int
jose_jws_sign(const jose_key_t *k, const char *payload, size_t len, char **out)
{
	uint8_t *sig = NULL;
	char *tok = NULL;
	const char *hdr;
	size_t hlen, plen, siglen, sigmax, total, off;
	int rc;

	*out = NULL;
	if (!k->priv)
		return PO_ERR_INVALID;
	if (len > JWS_PAYLOAD_MAX)
		return PO_ERR_NOMEM; /* like an allocation that cannot be made */
	hdr = jose_key_header_b64(k, &hlen);
	if ((sigmax = jws_sig_size(k)) == 0) {
		jose_log_crypto("JWS sign: EVP_PKEY_get_size");
		return PO_ERR_CRYPTO;
	}
	plen = b64url_enc_len(len);
	/* header "." payload "." signature NUL */
	total = hlen + 1 + plen + 1 + b64url_enc_len(sigmax) + 1;
	if ((tok = malloc(total)) == NULL || (sig = malloc(sigmax)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	/* RFC 7515 §5.1 steps 2-6: the signing input is
	 * ASCII(BASE64URL(header) || '.' || BASE64URL(payload)). */
	memcpy(tok, hdr, hlen);
	tok[hlen] = '.';
	if (b64url_encode((const uint8_t *)payload, len, tok + hlen + 1, total - hlen - 1) != (long)plen) {
		rc = PO_ERR_INTERNAL; /* cannot happen: tok is sized for it */
		goto out;
	}
	off = hlen + 1 + plen;
	if ((rc = jose_jws_sig(k, (const uint8_t *)tok, off, sig, sigmax, &siglen)) != PO_OK)
		goto out;
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
	free(sig);
	free(tok);
	return rc;
}

/* at_hash with the hash h of alg. */
static int
at_hash(enum jose_alg alg, const EVP_MD *h, const char *access_token, size_t len, char *out, size_t outsz)
{
	size_t half = alg == JOSE_EDDSA ? JWS_AT_HASH_512 : JWS_AT_HASH_256;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	if ((unsigned)alg >= JOSE_ALG_COUNT)
		return PO_ERR_INVALID;
	if (outsz < b64url_enc_len(half) + 1)
		return PO_ERR_LIMIT;
	/* OIDC Core §3.1.3.6: hash the ASCII access_token with the hash of
	 * the ID token's alg, keep the left-most half, base64url-encode it.
	 * Why SHA-512 for EdDSA: see jws.h. */
	if (EVP_Digest(access_token, len, d, &dlen, h, NULL) != 1 || dlen != 2 * half) {
		jose_log_crypto("at_hash: the hash failed");
		return PO_ERR_CRYPTO;
	}
	if (b64url_encode(d, half, out, outsz) < 0)
		return PO_ERR_LIMIT;
	return PO_OK;
}

int
jose_at_hash_alg(enum jose_alg alg, const char *access_token, size_t len, char *out, size_t outsz)
{
	return at_hash(alg, alg == JOSE_EDDSA ? EVP_sha512() : EVP_sha256(), access_token, len, out, outsz);
}

int
jose_key_at_hash(const jose_key_t *k, const char *access_token, size_t len, char *out, size_t outsz)
{
	if (k->hash == NULL)
		return jose_at_hash_alg(k->alg, access_token, len, out, outsz);
	return at_hash(k->alg, k->hash, access_token, len, out, outsz);
}

int
jose_at_hash(const char *access_token, size_t len, char *out, size_t outsz)
{
	return jose_at_hash_alg(JOSE_RS256, access_token, len, out, outsz);
}

/* Splits a compact JWS into its three parts (RFC 7515 §7.1: exactly two
 * '.'), with a header of 1..JWS_HEADER_B64_MAX characters and a non-empty
 * signature. *d1 and *d2 point at the dots. */
static int
jws_split(const char *jws, size_t len, const char **d1, const char **d2)
{
	if (jws == NULL || (*d1 = memchr(jws, '.', len)) == NULL ||
	    (*d2 = memchr(*d1 + 1, '.', len - (size_t)(*d1 + 1 - jws))) == NULL ||
	    memchr(*d2 + 1, '.', len - (size_t)(*d2 + 1 - jws)) != NULL)
		return PO_ERR_INVALID;
	if (*d1 == jws || (size_t)(*d1 - jws) > JWS_HEADER_B64_MAX || *d2 + 1 == jws + len)
		return PO_ERR_INVALID;
	return PO_OK;
}

/* The decoded protected header as a JSON object (RFC 7515 §4: no duplicate
 * names). NULL if it is not one. */
static json_t *
jws_header(const char *jws, size_t hlen)
{
	uint8_t buf[JWS_HEADER_B64_MAX];
	json_t *j;
	long n;

	if ((n = b64url_decode(jws, hlen, buf, sizeof(buf))) <= 0)
		return NULL;
	if ((j = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL)) != NULL &&
	    !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

int
jose_jws_kid(const char *jws, size_t len, char *kid, size_t kidsz)
{
	const char *d1, *d2, *v;
	json_t *h = NULL;
	int rc = PO_ERR_INVALID;
	size_t vl;

	if (kidsz > 0)
		kid[0] = '\0';
	if (jws_split(jws, len, &d1, &d2) != PO_OK || (h = jws_header(jws, (size_t)(d1 - jws))) == NULL)
		goto out;
	if ((v = json_string_value(json_object_get(h, "kid"))) == NULL ||
	    (vl = json_string_length(json_object_get(h, "kid"))) >= kidsz || memchr(v, '\0', vl) != NULL)
		goto out;
	memcpy(kid, v, vl + 1);
	rc = PO_OK;
out:
	json_decref(h);
	return rc;
}

/* Checks the protected header: "alg" k's (never trust another alg: RFC
 * 8725 §3.1), "kid" equal to k's, and no "crit" (RFC 7515 §4.1.11: we
 * understand none). */
static int
jws_check_header(const jose_key_t *k, const char *jws, size_t hlen)
{
	json_t *j = NULL;
	const char *alg, *kid;
	int rc = PO_ERR_INVALID;

	if ((j = jws_header(jws, hlen)) == NULL)
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
	const char *d1, *d2, *p, *s;
	uint8_t *sig = NULL;
	char *pbuf = NULL;
	size_t plen, slen, want = jws_sig_size(k);
	long n;
	int rc = PO_ERR_INVALID;

	if (payload != NULL)
		*payload = NULL;
	if (jws_split(jws, len, &d1, &d2) != PO_OK || want == 0)
		return PO_ERR_INVALID;
	p = d1 + 1;
	plen = (size_t)(d2 - p);
	s = d2 + 1;
	slen = len - (size_t)(s - jws);
	if (jws_check_header(k, jws, (size_t)(d1 - jws)) != PO_OK)
		goto out;
	/* Decoding buffers: n base64url characters give at most n bytes. */
	if ((pbuf = malloc(plen + 1)) == NULL || (sig = malloc(want)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	if ((n = b64url_decode(p, plen, (uint8_t *)pbuf, plen)) < 0)
		goto out;
	pbuf[n] = '\0';
	if (b64url_decode(s, slen, sig, want) != (long)want)
		goto out;
	if ((rc = jose_jws_sig_verify(k, (const uint8_t *)jws, (size_t)(d2 - jws), sig, want)) != PO_OK)
		goto out;
	if (payload != NULL) {
		*payload = pbuf;
		pbuf = NULL; /* transferred */
	}
out:
	free(pbuf);
	free(sig);
	return rc;
}
