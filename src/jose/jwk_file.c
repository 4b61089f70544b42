/*
 * jwk_file.c - DATA_DIR/signing-key.pem, the one RSA signing key of
 * plex-oidc before the key ring (keys/keyring.h): load it, or create it
 * once.
 *
 * The key file is unencrypted PKCS#8 PEM (RFC 7468 §10) protected by its
 * mode, 0600. It is created atomically so that a crash or a second instance
 * never leaves a half-written or replaced key behind: the PEM goes to a
 * fresh temporary file (O_EXCL, 0600), is fsync'd, renamed into place
 * without replacing an existing file, and the directory is fsync'd. An
 * existing file is never overwritten, even when it is unusable: that is an
 * error for the operator to look at, because replacing the key silently
 * would invalidate every token relying parties hold.
 *
 * The key ring takes this file over as its current RS256 key (same kid) and
 * leaves it in place, so an older version still starts with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* First: it supplies <openssl/err.h> and <openssl/evp.h>. */
#include "jose/jose_int.h"

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "jose/jwk.h"
#include "po_limits.h"

/* The key file's name inside DATA_DIR. */
#define JWK_FILE "signing-key.pem"
#define JWK_PEM_MAX LIM_KEY_FILE_MAX /* po_limits.h */

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
