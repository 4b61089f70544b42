/*
 * jwk.c - the provider's RSA signing key: load it, or create it once, and
 * describe it as a JWK (RFC 7517) named by its RFC 7638 thumbprint.
 *
 * The key file is DATA_DIR/signing-key.pem, unencrypted PKCS#8 PEM (RFC 7468
 * §10) protected by its mode, 0600. It is created atomically so that a crash
 * or a second instance never leaves a half-written or replaced key behind:
 * the PEM goes to a fresh temporary file (O_EXCL, 0600), is fsync'd, renamed
 * into place without replacing an existing file, and the directory is
 * fsync'd. An existing file is never overwritten, even when it is unusable:
 * that is an error for the operator to look at, because replacing the key
 * silently would invalidate every token relying parties hold.
 *
 * Everything derived from the key (n, e, kid, the encoded JWS header) is
 * computed once here, so signing (jws.c) does no parsing or encoding of the
 * key per call. A jose_key_t is never modified after it is built.
 *
 * OpenSSL failures are logged with the text of OpenSSL's error queue
 * (jose_log_crypto). Key material is never logged.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* First: it supplies <openssl/err.h> (see the build note there). */
#include "jose/jose_int.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/b64url.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "jose/jwk.h"
#include "po_limits.h"

/* The key file's name inside DATA_DIR. */
#define JWK_FILE "signing-key.pem"
/* RFC 7518 §3.3: keys of 2048 bits or larger MUST be used with RS256. */
#define JWK_RSA_BITS 2048
#define JWK_PEM_MAX LIM_KEY_FILE_MAX /* po_limits.h */
/* base64url of a SHA-256 digest: 32 bytes -> 43 characters. */
#define JWK_KID_LEN 43
/* Room for one OpenSSL error queue in a log line (log lines are < 1 KiB). */
#define JWK_ERRTEXT_MAX 640

/* RFC 7468 §10 (PKCS#8) and the traditional PKCS#1 RSA label. */
static const char pem_pkcs8[] = "-----BEGIN PRIVATE KEY-----";
static const char pem_pkcs1[] = "-----BEGIN RSA PRIVATE KEY-----";
static const char pem_encrypted[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

struct jose_key {
	EVP_PKEY *pkey;            /* owned; EVP_PKEY_free clears the private part */
	char *n;                   /* base64url modulus (public) */
	char *e;                   /* base64url public exponent */
	char *hdr;                 /* base64url JWS protected header */
	size_t hdr_len;
	char kid[JWK_KID_LEN + 1]; /* RFC 7638 thumbprint */
};

void
jose_log_crypto(const char *what)
{
	char text[JWK_ERRTEXT_MAX], one[256];
	size_t used = 0;
	unsigned long e;

	text[0] = '\0';
	/* Drain the whole queue even when the text is full, so that stale
	 * entries never get blamed on a later, unrelated failure. */
	while ((e = ERR_get_error()) != 0) {
		int n;

		if (used + 1 >= sizeof(text))
			continue;
		ERR_error_string_n(e, one, sizeof(one));
		n = snprintf(text + used, sizeof(text) - used, "%s%s", used ? "; " : "", one);
		if (n < 0)
			continue;
		used += (size_t)n < sizeof(text) - used ? (size_t)n : sizeof(text) - used - 1;
	}
	log_error("%s: %s", what, used ? text : "(no OpenSSL error reported)");
}

/* pem_password_cb that refuses to supply a passphrase. Without it OpenSSL
 * would prompt on the controlling terminal for an encrypted key. */
static int
jwk_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* true if s is a non-empty base64url string (RFC 4648 §5, no padding). */
static int
jwk_is_b64url(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

int
jose_rsa_thumbprint(const char *n_b64, const char *e_b64, char *out, size_t outsz)
{
	static const char p1[] = "{\"e\":\"", p2[] = "\",\"kty\":\"RSA\",\"n\":\"", p3[] = "\"}";
	EVP_MD_CTX *md = NULL;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int rc = PO_ERR_CRYPTO;

	if (outsz < JWK_KID_LEN + 1)
		return PO_ERR_LIMIT;
	if (!jwk_is_b64url(n_b64) || !jwk_is_b64url(e_b64))
		return PO_ERR_INVALID;
	/* RFC 7638 §3.2-§3.3: the required members of an RSA JWK (e, kty, n)
	 * in lexicographic order, no whitespace. The values are base64url,
	 * which never needs JSON escaping, so these are the exact bytes. */
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, p1, sizeof(p1) - 1) != 1 ||
	    EVP_DigestUpdate(md, e_b64, strlen(e_b64)) != 1 ||
	    EVP_DigestUpdate(md, p2, sizeof(p2) - 1) != 1 ||
	    EVP_DigestUpdate(md, n_b64, strlen(n_b64)) != 1 ||
	    EVP_DigestUpdate(md, p3, sizeof(p3) - 1) != 1 ||
	    EVP_DigestFinal_ex(md, d, &dlen) != 1) {
		jose_log_crypto("JWK thumbprint: SHA-256 failed");
		goto out;
	}
	if (b64url_encode(d, dlen, out, outsz) != JWK_KID_LEN) {
		rc = PO_ERR_LIMIT;
		goto out;
	}
	rc = PO_OK;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* Reads the RSA parameter `name` (n or e) of pkey as base64url into *out
 * (malloc'd). RFC 7518 §6.3.1.1-§6.3.1.2: the unsigned big-endian value in
 * as few octets as possible; BN_bn2bin writes no leading zero octets. */
static int
jwk_bn_b64(const EVP_PKEY *pkey, const char *name, char **out)
{
	BIGNUM *bn = NULL;
	uint8_t *bin = NULL;
	char *enc = NULL;
	size_t enc_sz;
	int rc = PO_ERR_CRYPTO, nbytes;

	*out = NULL;
	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
		jose_log_crypto("signing key: cannot read an RSA public parameter");
		goto out;
	}
	if ((nbytes = BN_num_bytes(bn)) <= 0 || BN_is_negative(bn)) {
		log_error("signing key: RSA parameter %s is zero or negative", name);
		rc = PO_ERR_INVALID;
		goto out;
	}
	enc_sz = b64url_enc_len((size_t)nbytes) + 1;
	if ((bin = malloc((size_t)nbytes)) == NULL || (enc = malloc(enc_sz)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	if (BN_bn2bin(bn, bin) != nbytes) {
		jose_log_crypto("signing key: BN_bn2bin failed");
		goto out;
	}
	if (b64url_encode(bin, (size_t)nbytes, enc, enc_sz) < 0) {
		rc = PO_ERR_INTERNAL; /* cannot happen: enc is sized for it */
		goto out;
	}
	*out = enc;
	enc = NULL; /* transferred */
	rc = PO_OK;
out:
	BN_free(bn); /* n and e are public: no need to clear */
	free(bin);
	free(enc);
	return rc;
}

/* Builds the encoded JWS protected header of k (RFC 7515 §4.1.1 alg,
 * §4.1.4 kid; RFC 7519 §5.1 typ). JSON through jansson: with sorted keys
 * and the compact format it is exactly {"alg":"RS256","kid":"..","typ":"JWT"}. */
static int
jwk_make_header(jose_key_t *k)
{
	json_t *h = NULL;
	char *text = NULL;
	size_t tlen, enc_sz;
	int rc = PO_ERR_NOMEM;

	if ((h = json_pack("{s:s, s:s, s:s}", "alg", jose_key_alg(k), "kid", k->kid, "typ",
		 "JWT")) == NULL)
		goto out;
	if ((text = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto out;
	tlen = strlen(text);
	enc_sz = b64url_enc_len(tlen) + 1;
	if ((k->hdr = malloc(enc_sz)) == NULL)
		goto out;
	if (b64url_encode((const uint8_t *)text, tlen, k->hdr, enc_sz) < 0) {
		rc = PO_ERR_INTERNAL; /* cannot happen: sized for it */
		goto out;
	}
	k->hdr_len = enc_sz - 1;
	rc = PO_OK;
out:
	free(text);
	json_decref(h);
	return rc;
}

/* The parts of the RSA private key agree with each other (RFC 8017 §3.2):
 * n = p q, e d = 1 mod (p-1) and mod (q-1), dP = d mod (p-1),
 * dQ = d mod (q-1), q qInv = 1 mod p. A damaged byte anywhere in the key
 * breaks one of them. This is EVP_PKEY_pairwise_check() without its proof
 * that p and q are prime (BN_check_prime: ~380 million instructions, 93 %
 * of a start, 15-70 ms), which a damaged file cannot need and a key we or
 * OpenSSL generated does not: a few microseconds. Two-prime keys only. */
static bool
jwk_rsa_consistent(const EVP_PKEY *pkey)
{
	static const char *const names[] = { OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
		OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };
	enum { N, E, D, P, Q, DP, DQ, QINV, NPARTS };
	BIGNUM *v[NPARTS] = { 0 }, *t = NULL, *pm1 = NULL, *qm1 = NULL;
	BN_CTX *ctx = NULL;
	bool ok = false;
	size_t i;

	for (i = 0; i < NPARTS; i++)
		if (EVP_PKEY_get_bn_param(pkey, names[i], &v[i]) != 1)
			goto out;
	if ((ctx = BN_CTX_new()) == NULL || (t = BN_new()) == NULL || (pm1 = BN_dup(v[P])) == NULL ||
	    (qm1 = BN_dup(v[Q])) == NULL || !BN_sub_word(pm1, 1) || !BN_sub_word(qm1, 1) || BN_is_zero(pm1) ||
	    BN_is_zero(qm1))
		goto out;
	ok = BN_mul(t, v[P], v[Q], ctx) && BN_cmp(t, v[N]) == 0 &&
	    BN_mod_mul(t, v[E], v[D], pm1, ctx) && BN_is_one(t) &&
	    BN_mod_mul(t, v[E], v[D], qm1, ctx) && BN_is_one(t) &&
	    BN_nnmod(t, v[D], pm1, ctx) && BN_cmp(t, v[DP]) == 0 &&
	    BN_nnmod(t, v[D], qm1, ctx) && BN_cmp(t, v[DQ]) == 0 &&
	    BN_mod_mul(t, v[Q], v[QINV], v[P], ctx) && BN_is_one(t);
out:
	for (i = 0; i < NPARTS; i++)
		BN_clear_free(v[i]);
	BN_clear_free(t);
	BN_clear_free(pm1);
	BN_clear_free(qm1);
	BN_CTX_free(ctx);
	return ok;
}

/* Checks that pkey is a usable RS256 signing key: RSA (not RSA-PSS, which
 * RS256 cannot use), at least JWK_RSA_BITS, and internally consistent (a
 * damaged private key would make bad signatures). PO_OK or PO_ERR_INVALID. */
static int
jwk_check_pkey(EVP_PKEY *pkey)
{
	int bits;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		log_error("signing key: not an RSA key (RS256 needs RSA)");
		return PO_ERR_INVALID;
	}
	if ((bits = EVP_PKEY_get_bits(pkey)) < JWK_RSA_BITS) {
		log_error("signing key: RSA key of %d bits, at least %d required (RFC 7518 §3.3)",
		    bits, JWK_RSA_BITS);
		return PO_ERR_INVALID;
	}
	if (!jwk_rsa_consistent(pkey)) {
		jose_log_crypto("signing key: the RSA private key is inconsistent");
		return PO_ERR_INVALID;
	}
	return PO_OK;
}

/* Makes a key from a checked pkey. Takes ownership of *pkeyp on success
 * (then *pkeyp is NULL); on failure *pkeyp is left to the caller. */
static int
jwk_key_new(EVP_PKEY **pkeyp, jose_key_t **out)
{
	jose_key_t *k = NULL;
	int rc;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return PO_ERR_NOMEM;
	if ((rc = jwk_bn_b64(*pkeyp, OSSL_PKEY_PARAM_RSA_N, &k->n)) != PO_OK ||
	    (rc = jwk_bn_b64(*pkeyp, OSSL_PKEY_PARAM_RSA_E, &k->e)) != PO_OK ||
	    (rc = jose_rsa_thumbprint(k->n, k->e, k->kid, sizeof(k->kid))) != PO_OK ||
	    (rc = jwk_make_header(k)) != PO_OK)
		goto out;
	k->pkey = *pkeyp;
	*pkeyp = NULL; /* transferred */
	*out = k;
	k = NULL; /* transferred */
	rc = PO_OK;
out:
	jose_key_free(k);
	return rc;
}

int
jose_key_from_pem(const char *pem, size_t len, jose_key_t **out)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	char rest[128];
	size_t off = 0;
	int rc = PO_ERR_INVALID, n;

	*out = NULL;
	if (pem == NULL || len > JWK_PEM_MAX) {
		log_error("signing key: no PEM text, or over %d bytes", JWK_PEM_MAX);
		goto out;
	}
	/* The text must open with the private key itself: PEM readers skip
	 * whatever precedes it (a certificate, say) and take the first key. */
	while (off < len && isspace((unsigned char)pem[off]))
		off++;
	if (str_has_prefix(pem + off, len - off, pem_encrypted)) {
		log_error("signing key: encrypted PEM keys are not supported");
		goto out;
	}
	if (!str_has_prefix(pem + off, len - off, pem_pkcs8) &&
	    !str_has_prefix(pem + off, len - off, pem_pkcs1)) {
		log_error("signing key: not a PEM private key (expected \"%s\")", pem_pkcs8);
		goto out;
	}
	/* A read-only memory BIO over the caller's text: no copy to wipe. */
	if ((bio = BIO_new_mem_buf(pem + off, (int)(len - off))) == NULL) {
		jose_log_crypto("signing key: BIO_new_mem_buf");
		rc = PO_ERR_NOMEM;
		goto out;
	}
	/* The decoders OpenSSL tries in turn queue errors even when one of
	 * them succeeds: mark the queue so those can be dropped on success. */
	ERR_set_mark();
	if ((pkey = PEM_read_bio_PrivateKey(bio, NULL, jwk_no_passphrase, NULL)) == NULL) {
		ERR_clear_last_mark();
		jose_log_crypto("signing key: cannot parse the PEM private key");
		goto out;
	}
	ERR_pop_to_mark();
	/* Trailing data is rejected: the file is exactly one key. */
	while ((n = BIO_read(bio, rest, (int)sizeof(rest))) > 0) {
		for (int i = 0; i < n; i++) {
			if (!isspace((unsigned char)rest[i])) {
				log_error("signing key: unexpected data after the key");
				goto out;
			}
		}
	}
	if ((rc = jwk_check_pkey(pkey)) != PO_OK)
		goto out;
	rc = jwk_key_new(&pkey, out);
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	str_wipe(rest, sizeof(rest));
	return rc;
}

/* Reads the key file at path. PO_ERR_NOTFOUND (nothing logged) if it does
 * not exist; otherwise the returns of jose_key_from_pem, or PO_ERR_IO. */
static int
jwk_load_file(const char *path, jose_key_t **out)
{
	struct stat st;
	char *pem = NULL;
	size_t len = 0;
	ssize_t r;
	int fd = -1, rc = PO_ERR_IO;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			return PO_ERR_NOTFOUND;
		log_error("signing key %s: open: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		log_error("signing key %s: fstat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("signing key %s: not a regular file", path);
		rc = PO_ERR_INVALID;
		goto out;
	}
	if ((st.st_mode & 077) != 0)
		log_warn("signing key %s: readable by other users (mode %03o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
	if ((pem = malloc(JWK_PEM_MAX + 1)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	/* Read to EOF, one byte past the limit to detect an oversized file. */
	while (len <= JWK_PEM_MAX) {
		r = read(fd, pem + len, JWK_PEM_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_error("signing key %s: read: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > JWK_PEM_MAX) {
		log_error("signing key %s: over %d bytes, not a key", path, JWK_PEM_MAX);
		rc = PO_ERR_INVALID;
		goto out;
	}
	if ((rc = jose_key_from_pem(pem, len, out)) != PO_OK)
		log_error("signing key %s: unusable (%s); it is left untouched", path,
		    po_strerror(rc));
out:
	if (pem != NULL) {
		str_wipe(pem, len);
		free(pem);
	}
	if (fd != -1)
		close(fd);
	return rc;
}

/* *out = dir followed by suffix (malloc'd). PO_OK, PO_ERR_INVALID (no
 * directory given) or PO_ERR_NOMEM. */
static int
jwk_path(const char *dir, const char *suffix, char **out)
{
	size_t dl, sl;

	*out = NULL;
	if (dir == NULL || *dir == '\0') {
		log_error("signing key: no data directory given");
		return PO_ERR_INVALID;
	}
	dl = strlen(dir);
	sl = strlen(suffix);
	if ((*out = malloc(dl + sl + 1)) == NULL)
		return PO_ERR_NOMEM;
	memcpy(*out, dir, dl);
	memcpy(*out + dl, suffix, sl + 1);
	return PO_OK;
}

/* Writes all n bytes of p to fd. PO_OK or PO_ERR_IO (errno set). */
static int
jwk_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return PO_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return PO_OK;
}

/* Generates a key and installs it at path (inside dir) atomically, never
 * replacing an existing file. *installed is 1 when our key is now the file;
 * 0 when another process created the file first (then *out is NULL and the
 * caller loads that file instead). */
static int
jwk_create_file(const char *dir, const char *path, jose_key_t **out, int *installed)
{
	EVP_PKEY *pkey = NULL;
	jose_key_t *k = NULL;
	BIO *mem = NULL;
	char *tmp = NULL, *pem = NULL;
	long pem_len = 0;
	int fd = -1, dfd = -1, have_tmp = 0, rc;

	*out = NULL;
	*installed = 0;
	if ((rc = jwk_path(dir, "/." JWK_FILE ".XXXXXX", &tmp)) != PO_OK)
		goto out;
	/* The file first: a directory we cannot write fails before the slow
	 * key generation. mkostemp opens with O_CREAT|O_EXCL and mode 0600,
	 * under a fresh name (a fixed name left by a crash would block every
	 * later start). */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		log_error("signing key: cannot create a file in %s: %s", dir, strerror(errno));
		rc = PO_ERR_IO;
		goto out;
	}
	have_tmp = 1;
	rc = PO_ERR_CRYPTO;
	if ((pkey = EVP_RSA_gen(JWK_RSA_BITS)) == NULL) {
		jose_log_crypto("signing key: RSA key generation failed");
		goto out;
	}
	/* Unencrypted PKCS#8 (RFC 5958) PEM: the file mode is its protection. */
	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (pem_len = BIO_get_mem_data(mem, &pem)) <= 0) {
		jose_log_crypto("signing key: cannot encode the new key as PEM");
		goto out;
	}
	/* Use the key exactly as it will be read back from the file. */
	if ((rc = jose_key_from_pem(pem, (size_t)pem_len, &k)) != PO_OK)
		goto out;

	rc = PO_ERR_IO;
	/* Exactly 0600 whatever the umask (the umask can only narrow it). */
	if (fchmod(fd, S_IRUSR | S_IWUSR) == -1 ||
	    jwk_write_all(fd, pem, (size_t)pem_len) != PO_OK || fsync(fd) == -1) {
		log_error("signing key: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_error("signing key: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	/* Rename without replacing: if another instance sharing DATA_DIR won
	 * the race, its key stands and we load it. Filesystems without
	 * RENAME_NOREPLACE get a plain rename (which could only lose to an
	 * exactly simultaneous start). */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == -1) {
		if (errno == EEXIST) {
			unlink(tmp);
			have_tmp = 0;
			rc = PO_OK; /* *installed stays 0 */
			goto out;
		}
		if ((errno != EINVAL && errno != ENOSYS) || rename(tmp, path) == -1) {
			log_error("signing key: cannot rename %s to %s: %s", tmp, path,
			    strerror(errno));
			goto out;
		}
	}
	have_tmp = 0;
	/* Make the new directory entry durable. EINVAL: the filesystem cannot
	 * sync directories, and there is nothing more to do. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (fsync(dfd) == -1 && errno != EINVAL)) {
		log_error("signing key: cannot sync directory %s: %s", dir, strerror(errno));
		goto out;
	}
	*out = k;
	k = NULL; /* transferred */
	*installed = 1;
	rc = PO_OK;
out:
	if (fd != -1)
		close(fd);
	if (have_tmp)
		unlink(tmp);
	if (dfd != -1)
		close(dfd);
	if (pem != NULL && pem_len > 0)
		str_wipe(pem, (size_t)pem_len);
	BIO_free(mem);
	EVP_PKEY_free(pkey);
	jose_key_free(k);
	free(tmp);
	return rc;
}

int
jose_key_load_or_create(const char *data_dir, jose_key_t **out, int *created)
{
	char *path = NULL;
	int rc, installed = 0;

	*out = NULL;
	if (created != NULL)
		*created = 0;
	if ((rc = jwk_path(data_dir, "/" JWK_FILE, &path)) != PO_OK)
		goto out;
	if ((rc = jwk_load_file(path, out)) != PO_ERR_NOTFOUND)
		goto out;
	if ((rc = jwk_create_file(data_dir, path, out, &installed)) != PO_OK)
		goto out;
	if (installed) {
		log_info("signing key: created %s (kid %s)", path, (*out)->kid);
		if (created != NULL)
			*created = 1;
		goto out;
	}
	/* Another process created the file while we generated ours. */
	if ((rc = jwk_load_file(path, out)) == PO_ERR_NOTFOUND) {
		log_error("signing key %s: disappeared while being created", path);
		rc = PO_ERR_IO;
	}
out:
	free(path);
	return rc;
}

void
jose_key_free(jose_key_t *k)
{
	if (k == NULL)
		return;
	/* RSA_free clears d, p, q and the CRT values (BN_clear_free). The
	 * other members are public. */
	EVP_PKEY_free(k->pkey);
	free(k->n);
	free(k->e);
	free(k->hdr);
	free(k);
}

const char *
jose_key_kid(const jose_key_t *k)
{
	return k->kid;
}

const char *
jose_key_alg(const jose_key_t *k)
{
	(void)k; /* RSA keys only, hence RS256 (RFC 7518 §3.3) */
	return "RS256";
}

json_t *
jose_key_public_jwk(const jose_key_t *k)
{
	/* RFC 7517 §4 and RFC 7518 §6.3.1: public members only. */
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "use", "sig", "alg",
	    jose_key_alg(k), "kid", k->kid, "n", k->n, "e", k->e);
}

struct evp_pkey_st *
jose_key_pkey(const jose_key_t *k)
{
	return k->pkey;
}

const char *
jose_key_header_b64(const jose_key_t *k, size_t *len)
{
	*len = k->hdr_len;
	return k->hdr;
}
