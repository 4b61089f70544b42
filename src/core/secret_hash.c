/*
 * secret_hash.c - scrypt hashes of client secrets in PHC strings (see
 * secret_hash.h). The KDF is OpenSSL's (EVP_KDF "SCRYPT", RFC 7914); this
 * file only reads and writes the string around it and compares in
 * constant time.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "core/err.h"
#include "core/rnd.h"
#include "core/secret_hash.h"
#include "core/str.h"

/* A parameter's decimal value: at most this many digits (2^ln needs 2). */
#define SH_DIGITS_MAX 6
/* ln beyond which 2^ln alone is over any work bound (keeps shifts defined). */
#define SH_LN_CEILING 30

static const char sh_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
sh_b64_val(char c)
{
	const char *p = c != '\0' ? strchr(sh_b64, c) : NULL;

	return p != NULL ? (int)(p - sh_b64) : -1;
}

/* PHC "B64": standard base64 without padding. Returns the bytes written,
 * or -1 on a bad character, a length no encoding has, or outsz too small. */
static long
sh_b64_decode(const char *in, size_t n, uint8_t *out, size_t outsz)
{
	size_t i, o = 0, bits = 0;
	uint32_t acc = 0;
	int v;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = sh_b64_val(in[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outsz)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)o;
}

static void
sh_b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0, bits = 0;
	uint32_t acc = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = sh_b64[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = sh_b64[(acc << (6 - bits)) & 63];
	out[o] = '\0';
}

/* "NAME=DIGITS" at *p (the name given), advancing *p; false if it is not
 * there or has no digits, a leading zero or too many. */
static bool
sh_param(const char **p, const char *end, const char *name, unsigned *out)
{
	size_t nl = strlen(name), k = 0;
	const char *q = *p;
	unsigned v = 0;

	if ((size_t)(end - q) <= nl || memcmp(q, name, nl) != 0 || q[nl] != '=')
		return false;
	q += nl + 1;
	while (q < end && *q >= '0' && *q <= '9' && k < SH_DIGITS_MAX) {
		v = v * 10 + (unsigned)(*q - '0');
		q++;
		k++;
	}
	if (k == 0 || k == SH_DIGITS_MAX || (k > 1 && (*p)[nl + 1] == '0'))
		return false;
	*out = v;
	*p = q;
	return true;
}

/* One "$"-terminated (or final) base64 field into out. */
static const char *
sh_field(const char **p, const char *end, bool last, uint8_t *out, size_t *out_len)
{
	const char *q = *p, *stop = last ? end : memchr(q, '$', (size_t)(end - q));
	long n;

	if (stop == NULL)
		return NULL;
	if ((n = sh_b64_decode(q, (size_t)(stop - q), out, LIM_SECRET_HASH_BYTES_MAX)) < 0)
		return NULL;
	*out_len = (size_t)n;
	*p = last ? end : stop + 1;
	return q;
}

const char *
secret_hash_parse(const char *s, size_t len, secret_hash_t *out)
{
	const char *p = s, *end = s + len;
	uint64_t work;

	memset(out, 0, sizeof(*out));
	if (len > LIM_SECRET_HASH_STR_MAX)
		return "is too long to be a hash made by plex-oidc hash-secret";
	if (!str_has_prefix(s, len, SECRET_HASH_PREFIX))
		return "is not a hash made by plex-oidc hash-secret: it must start with \"" SECRET_HASH_PREFIX "\" "
		       "(scrypt); to give the secret itself, use secret or secret_file";
	p += strlen(SECRET_HASH_PREFIX);
	if (!sh_param(&p, end, "ln", &out->ln) || p == end || *p++ != ',' || !sh_param(&p, end, "r", &out->r) ||
	    p == end || *p++ != ',' || !sh_param(&p, end, "p", &out->p) || p == end || *p++ != '$')
		return "has malformed parameters: they must read \"ln=N,r=N,p=N\", as hash-secret writes them";
	if (out->ln < LIM_SECRET_HASH_LN_MIN || out->ln > SH_LN_CEILING)
		return out->ln < LIM_SECRET_HASH_LN_MIN ? "asks for too little work (ln below 10): make a new one with "
		                                          "plex-oidc hash-secret"
		                                        : "asks for more work than a token request may spend (128 * 2^ln "
		                                          "* r * p must be at most 16 MiB)";
	if (out->r == 0 || out->p == 0)
		return "has r or p of 0";
	work = (uint64_t)128 << out->ln;
	if (work > LIM_SECRET_HASH_WORK_MAX / out->r || work * out->r > LIM_SECRET_HASH_WORK_MAX / out->p)
		return "asks for more work than a token request may spend (128 * 2^ln * r * p must be at most 16 MiB)";
	if (sh_field(&p, end, false, out->salt, &out->salt_len) == NULL ||
	    sh_field(&p, end, true, out->hash, &out->hash_len) == NULL)
		return "has a malformed salt or hash: each must be base64 without padding, as hash-secret writes them";
	if (out->salt_len < LIM_SECRET_HASH_SALT_MIN || out->hash_len < LIM_SECRET_HASH_OUT_MIN)
		return "has a salt shorter than 8 bytes or a hash shorter than 16: make a new one with plex-oidc "
		       "hash-secret";
	return NULL;
}

/* scrypt of (secret, len) with h's parameters and salt into out. */
static int
sh_derive(const secret_hash_t *h, const char *secret, size_t len, uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	uint64_t n = (uint64_t)1 << h->ln, maxmem = 2 * (uint64_t)LIM_SECRET_HASH_WORK_MAX;
	uint32_t r = h->r, p = h->p;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)(uintptr_t)secret, len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(uintptr_t)h->salt, h->salt_len),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		/* Above what the bounds allow, so a valid value never fails here. */
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
		OSSL_PARAM_construct_end(),
	};
	int rc = PO_ERR_CRYPTO;

	if ((kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) != NULL && (ctx = EVP_KDF_CTX_new(kdf)) != NULL &&
	    EVP_KDF_derive(ctx, out, outlen, params) == 1)
		rc = PO_OK;
	if (rc != PO_OK)
		ERR_clear_error(); /* nothing here to report but the failure itself */
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int
secret_hash_verify(const secret_hash_t *h, const char *secret, size_t len, bool *match)
{
	uint8_t got[LIM_SECRET_HASH_BYTES_MAX];
	int rc;

	*match = false;
	if ((rc = sh_derive(h, secret, len, got, h->hash_len)) == PO_OK)
		*match = str_ct_eq(got, h->hash_len, h->hash, h->hash_len);
	str_wipe(got, sizeof(got));
	return rc;
}

int
secret_hash_make(const char *secret, size_t len, char *out, size_t outsz)
{
	secret_hash_t h = {
		.ln = LIM_SECRET_HASH_LN_DEFAULT,
		.r = LIM_SECRET_HASH_R_DEFAULT,
		.p = LIM_SECRET_HASH_P_DEFAULT,
		.salt_len = LIM_SECRET_HASH_SALT_LEN,
		.hash_len = LIM_SECRET_HASH_LEN,
	};
	char salt[LIM_SECRET_HASH_BYTES_MAX * 2], hash[LIM_SECRET_HASH_BYTES_MAX * 2];
	int rc, n;

	if (outsz < LIM_SECRET_HASH_STR_MAX)
		return PO_ERR_LIMIT;
	if ((rc = rnd_bytes(h.salt, h.salt_len)) != PO_OK ||
	    (rc = sh_derive(&h, secret, len, h.hash, h.hash_len)) != PO_OK)
		goto out;
	sh_b64_encode(h.salt, h.salt_len, salt);
	sh_b64_encode(h.hash, h.hash_len, hash);
	n = snprintf(out, outsz, SECRET_HASH_PREFIX "ln=%u,r=%u,p=%u$%s$%s", h.ln, h.r, h.p, salt, hash);
	rc = n > 0 && (size_t)n < outsz ? PO_OK : PO_ERR_LIMIT;
out:
	secret_hash_clear(&h);
	str_wipe(hash, sizeof(hash));
	return rc;
}

void
secret_hash_clear(secret_hash_t *h)
{
	str_wipe(h, sizeof(*h));
}
