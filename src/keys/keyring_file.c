/*
 * keyring_file.c - the key ring in data_dir: DATA_DIR/keyring.json (see
 * keyring.h for the decisions at start: load, take over signing-key.pem,
 * first start, or a clear error when keys are gone).
 *
 * Readers never lock: a writer replaces the file with rename(), so a
 * reader sees the old file or the new one, never a mix. Writers (a server
 * adding an algorithm's keys, rotate-keys, a first start) take an
 * exclusive flock() on data_dir itself, then read, decide and write, so two
 * writers never lose each other's change. A new file is first written to a
 * temporary file in data_dir (mode 0600), fsync'd, then moved into place:
 * with link() when it must not replace anything (a first start: if
 * another process got there first, whatever the lock, its ring stands and
 * ours is dropped), with rename() when it replaces the ring; then the
 * directory is fsync'd so the new name survives a crash. Run as root, a
 * writer gives the file to data_dir's owner (the service's user).
 *
 * All paths are opened relative to one descriptor of data_dir (openat and
 * friends), so a data_dir renamed underneath cannot mix two directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "jose/jwk.h"
#include "keys/keyring.h"
#include "keys/keyring_int.h"
#include "po_limits.h"

/* What to run when the keys are gone and there is no backup. */
#define KF_NEW_KEYS_HINT                                                                                               \
	"run `plex-oidc rotate-keys --config FILE --force` to create new keys (every session and refresh token ends: " \
	"everyone signs in again)"

static int
kf_open_dir(const char *dir, int *dfd, buf_t *why)
{
	*dfd = -1;
	if (dir == NULL || *dir == '\0') {
		kr_why(why, "no data directory given ([server] data_dir)");
		return PO_ERR_INVALID;
	}
	if ((*dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		kr_why(why, "%s: cannot open the data directory: %s", dir, strerror(errno));
		return PO_ERR_IO;
	}
	return PO_OK;
}

static int
kf_lock(int dfd, const char *dir, buf_t *why)
{
	while (flock(dfd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		/* A filesystem without locks (some network ones): go on. New
		 * files still never replace one (link()); only two writers
		 * changing an existing ring at the same moment could race. */
		if (errno == ENOLCK || errno == EOPNOTSUPP || errno == ENOTSUP || errno == EINVAL) {
			log_warn("%s: cannot lock the data directory (%s); going on without the lock", dir,
			    strerror(errno));
			return PO_OK;
		}
		kr_why(why, "%s: cannot lock the data directory: %s", dir, strerror(errno));
		return PO_ERR_IO;
	}
	return PO_OK;
}

/* 1 if name exists in the directory, 0 if not, -1 on another error. */
static int
kf_exists(int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, 0) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

static void
kf_stamp_of(const struct stat *st, keyring_stamp_t *s)
{
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	s->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

/* Reads the regular file name (at most max bytes) into *buf (malloc'd,
 * NUL-terminated; a secret: the caller wipes it). PO_ERR_NOTFOUND (no
 * message) if it does not exist. */
static int
kf_read(int dfd, const char *dir, const char *name, size_t max, char **buf, size_t *len, struct stat *st,
    buf_t *why)
{
	char *data = NULL;
	size_t n = 0;
	ssize_t r;
	int fd = -1, rc = PO_ERR_IO;

	*buf = NULL;
	*len = 0;
	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			return PO_ERR_NOTFOUND;
		kr_why(why, "%s/%s: cannot open: %s", dir, name, strerror(errno));
		return PO_ERR_IO;
	}
	if (fstat(fd, st) == -1) {
		kr_why(why, "%s/%s: fstat: %s", dir, name, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		kr_why(why, "%s/%s: not a regular file", dir, name);
		rc = PO_ERR_INVALID;
		goto out;
	}
	if ((st->st_mode & 077) != 0)
		log_warn("%s/%s: readable by other users (mode %03o); it holds private keys: chmod 600 it", dir, name,
		    (unsigned)(st->st_mode & 0777));
	/* One buffer of the final size, never grown: no copy of a key is
	 * left in freed memory. */
	if ((data = malloc(max + 2)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	while (n <= max) { /* one byte past max tells "too large" */
		if ((r = read(fd, data + n, max + 1 - n)) == -1) {
			if (errno == EINTR)
				continue;
			kr_why(why, "%s/%s: read: %s", dir, name, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		kr_why(why, "%s/%s: larger than %zu bytes: not what plex-oidc wrote there", dir, name, max);
		rc = PO_ERR_INVALID;
		goto out;
	}
	data[n] = '\0';
	*buf = data;
	*len = n;
	data = NULL; /* transferred */
	rc = PO_OK;
out:
	if (data != NULL) {
		str_wipe(data, n);
		free(data);
	}
	close(fd);
	return rc;
}

/* Loads and checks keyring.json. PO_ERR_NOTFOUND if there is none. */
static int
kf_load_ring(int dfd, const char *dir, keyring_t **out, keyring_stamp_t *stamp, buf_t *why)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	buf_t reason;
	int rc;

	*out = NULL;
	buf_init(&reason, 1024);
	if ((rc = kf_read(dfd, dir, KEYRING_FILE, LIM_KEYRING_FILE_MAX, &text, &len, &st, why)) != PO_OK)
		goto out;
	if ((rc = keyring_parse(text, len, out, &reason)) == PO_ERR_INVALID || rc == PO_ERR_LIMIT) {
		kr_why(why, "%s/%s is damaged: %s. It is left as it is: restore it from a backup; if there is none, "
		            "move it away and " KF_NEW_KEYS_HINT,
		    dir, KEYRING_FILE, buf_str(&reason));
		rc = PO_ERR_INVALID;
		goto out;
	}
	if (rc == PO_OK && stamp != NULL)
		kf_stamp_of(&st, stamp);
out:
	if (text != NULL) {
		str_wipe(text, len);
		free(text);
	}
	buf_free(&reason);
	return rc;
}

static int
kf_write_all(int fd, const char *p, size_t n)
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

/* true for the errno of a filesystem that lacks an operation. */
static bool
kf_unsupported(int e)
{
	return e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EINVAL || e == ENOSYS;
}

/* Gives the temporary file base the name `name` without ever replacing a
 * file: link() (then the temporary name is still to be removed), or where
 * the filesystem has no hard links renameat2(RENAME_NOREPLACE), or where it
 * has neither a check and rename(), which only writers that do not take the
 * directory's lock could race. *existed: the name was taken, nothing done.
 * PO_OK or PO_ERR_IO (errno set). */
static int
kf_place_new(int dfd, const char *base, const char *name, bool *existed, int *have_tmp)
{
	if (linkat(dfd, base, dfd, name, 0) == 0)
		return PO_OK;
	if (errno == EEXIST) {
		*existed = true;
		return PO_OK;
	}
	if (!kf_unsupported(errno))
		return PO_ERR_IO;
	if (renameat2(dfd, base, dfd, name, RENAME_NOREPLACE) == 0) {
		*have_tmp = 0;
		return PO_OK;
	}
	if (errno == EEXIST) {
		*existed = true;
		return PO_OK;
	}
	if (!kf_unsupported(errno))
		return PO_ERR_IO;
	if (kf_exists(dfd, name) != 0) {
		*existed = true;
		return PO_OK;
	}
	if (renameat(dfd, base, dfd, name) == -1)
		return PO_ERR_IO;
	*have_tmp = 0;
	return PO_OK;
}

/* Puts (data, len) in place as name, mode 0600, durably. replace: rename()
 * over an existing file; else link(), and *existed = true (nothing
 * written) when the name is taken. */
static int
kf_install(int dfd, const char *dir, const char *name, const char *data, size_t len, bool replace, bool *existed,
    buf_t *why)
{
	char tmp[PATH_MAX], *base;
	struct stat dst;
	int fd = -1, rc = PO_ERR_IO, have_tmp = 0;

	*existed = false;
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= (int)sizeof(tmp)) {
		kr_why(why, "%s: path too long", dir);
		return PO_ERR_INVALID;
	}
	base = strrchr(tmp, '/') + 1;
	/* mkostemp: O_CREAT | O_EXCL, mode 0600, a fresh name (a fixed name
	 * left by a crash would block every later write). */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		kr_why(why, "%s: cannot create a file in the data directory: %s", dir, strerror(errno));
		goto out;
	}
	have_tmp = 1;
	/* root (rotate-keys run by the operator) writes the file for the user
	 * that owns data_dir, the service's: a root-owned 0600 key ring would
	 * be unreadable to the server. */
	if (geteuid() == 0 && fstat(dfd, &dst) == 0 && dst.st_uid != 0 && fchown(fd, dst.st_uid, dst.st_gid) == -1) {
		kr_why(why, "%s: cannot give %s to the owner of the data directory: %s", dir, tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, S_IRUSR | S_IWUSR) == -1 || kf_write_all(fd, data, len) != PO_OK || fsync(fd) == -1) {
		kr_why(why, "%s: cannot write %s: %s", dir, tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		kr_why(why, "%s: cannot write %s: %s", dir, tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (replace) {
		if (renameat(dfd, base, dfd, name) == -1) {
			kr_why(why, "%s: cannot rename %s to %s: %s", dir, base, name, strerror(errno));
			goto out;
		}
		have_tmp = 0;
	} else if ((rc = kf_place_new(dfd, base, name, existed, &have_tmp)) != PO_OK) {
		kr_why(why, "%s: cannot put %s in place: %s", dir, name, strerror(errno));
		goto out;
	}
	rc = PO_ERR_IO;
	if (*existed) {
		rc = PO_OK;
		goto out;
	}
	/* Make the new name durable. EINVAL: the filesystem cannot sync a
	 * directory, and there is nothing more to do. */
	if (fsync(dfd) == -1 && errno != EINVAL) {
		kr_why(why, "%s: cannot sync the data directory: %s", dir, strerror(errno));
		goto out;
	}
	rc = PO_OK;
out:
	if (fd != -1)
		close(fd);
	if (have_tmp)
		(void)unlinkat(dfd, base, 0); /* after link(): the temporary name only */
	return rc;
}

static int
kf_write_ring(int dfd, const char *dir, const keyring_t *r, bool replace, bool *existed, buf_t *why)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*existed = false;
	if ((rc = keyring_serialize(r, &text, &len)) != PO_OK)
		return rc;
	rc = kf_install(dfd, dir, KEYRING_FILE, text, len, replace, existed, why);
	str_wipe(text, len);
	free(text);
	return rc;
}

/* Takes signing-key.pem over into a new ring. */
static int
kf_migrate(int dfd, const char *dir, unsigned algs, int64_t now, keyring_t **out, buf_t *why)
{
	jose_key_t *legacy = NULL;
	struct stat st;
	char *pem = NULL, note[512], when[CLOCK_TEXT_SIZE];
	size_t len = 0;
	bool existed;
	int rc;

	*out = NULL;
	if ((rc = kf_read(dfd, dir, KEYRING_LEGACY_KEY_FILE, LIM_KEY_FILE_MAX, &pem, &len, &st, why)) != PO_OK)
		goto out;
	if ((rc = jose_key_from_pem(pem, len, &legacy)) != PO_OK) {
		kr_why(why, "%s/%s cannot be read as an RS256 key (see the line above); it is left as it is: restore "
		            "it from a backup",
		    dir, KEYRING_LEGACY_KEY_FILE);
		rc = PO_ERR_INVALID;
		goto out;
	}
	if ((rc = keyring_create_from_legacy(legacy, (int64_t)st.st_mtim.tv_sec, algs, now, out)) != PO_OK)
		goto out;
	clock_fmt_utc(now, when, sizeof(when));
	snprintf(note, sizeof(note),
	    "%s took over %s (kid %s) on %s.\nThe keys are in %s now: never delete it (back it up).\n", KEYRING_FILE,
	    KEYRING_LEGACY_KEY_FILE, jose_key_kid(legacy), when, KEYRING_FILE);
	log_info("key ring: took over %s/%s as the current RS256 key (kid %s unchanged)", dir,
	    KEYRING_LEGACY_KEY_FILE, jose_key_kid(legacy));
	if ((rc = kf_write_ring(dfd, dir, *out, false, &existed, why)) != PO_OK)
		goto out;
	if (existed) { /* written by another process in between: it stands */
		keyring_free(*out);
		if ((rc = kf_load_ring(dfd, dir, out, NULL, why)) == PO_ERR_NOTFOUND)
			rc = PO_ERR_IO;
		goto out;
	}
	rc = kf_install(dfd, dir, KEYRING_MIGRATED_FILE, note, strlen(note), false, &existed, why);
out:
	if (rc != PO_OK) {
		keyring_free(*out);
		*out = NULL;
	}
	if (pem != NULL) {
		str_wipe(pem, len);
		free(pem);
	}
	jose_key_free(legacy);
	return rc;
}

/* The decisions of keyring_load_or_create, with the lock held. */
static int
kf_locked(int dfd, const char *dir, unsigned algs, unsigned flags, int64_t now, keyring_t **out, unsigned *done,
    buf_t *why)
{
	keyring_t *r = NULL, *grown = NULL;
	const char *earlier = NULL;
	unsigned added = 0;
	bool existed;
	int rc;

	*out = NULL;
	if ((rc = kf_load_ring(dfd, dir, &r, NULL, why)) == PO_ERR_NOTFOUND) {
		if (kf_exists(dfd, KEYRING_MIGRATED_FILE) != 0)
			earlier = KEYRING_MIGRATED_FILE;
		else if (kf_exists(dfd, KEYRING_LEGACY_KEY_FILE) != 0) {
			if ((rc = kf_migrate(dfd, dir, algs, now, &r, why)) != PO_OK)
				goto out;
			*done |= KEYRING_DID_MIGRATE;
		} else if (kf_exists(dfd, KEYRING_CLIENT_ID_FILE) != 0)
			earlier = KEYRING_CLIENT_ID_FILE;
		if (earlier != NULL && !(flags & KEYRING_LOAD_NEW_OK)) {
			kr_why(why, "%s/%s is missing, but plex-oidc has run with this data directory before (%s is "
			            "there): its keys are gone. Restore %s from a backup; if there is none, " KF_NEW_KEYS_HINT,
			    dir,
			    KEYRING_FILE,
			    earlier, KEYRING_FILE);
			rc = PO_ERR_INVALID;
			goto out;
		}
		if (r == NULL) {
			if ((rc = keyring_create(algs, now, &r)) != PO_OK ||
			    (rc = kf_write_ring(dfd, dir, r, false, &existed, why)) != PO_OK)
				goto out;
			if (existed) {
				keyring_free(r);
				if ((rc = kf_load_ring(dfd, dir, &r, NULL, why)) != PO_OK)
					goto out;
			} else {
				*done |= earlier != NULL ? KEYRING_DID_RECREATE : KEYRING_DID_CREATE;
				log_info("key ring: created %s/%s (%s)", dir, KEYRING_FILE,
				    earlier != NULL ? "new keys, as asked" : "first start");
			}
		}
	}
	if (rc != PO_OK)
		goto out;
	if ((rc = keyring_add_algs(r, algs, now, &grown, &added)) != PO_OK)
		goto out;
	if (added != 0) {
		if ((rc = kf_write_ring(dfd, dir, grown, true, &existed, why)) != PO_OK)
			goto out;
		*done |= KEYRING_DID_ADD;
		for (unsigned a = 0; a < JOSE_ALG_COUNT; a++)
			if (added & JOSE_ALG_BIT(a))
				log_info("key ring: added %s keys (a client asks for %s)", jose_alg_name((enum jose_alg)a),
				    jose_alg_name((enum jose_alg)a));
	}
	*out = grown;
	grown = NULL; /* transferred */
out:
	keyring_free(grown);
	keyring_free(r);
	return rc;
}

int
keyring_load_or_create(const char *data_dir, unsigned algs, unsigned flags, int64_t now, keyring_t **out,
    unsigned *done, buf_t *why)
{
	unsigned did = 0;
	int dfd = -1, rc;

	*out = NULL;
	algs = (algs | JOSE_ALG_BIT(JOSE_RS256)) & JOSE_ALGS_ALL;
	if ((rc = kf_open_dir(data_dir, &dfd, why)) != PO_OK)
		goto out;
	/* The usual start: the ring is there and has every algorithm. */
	rc = kf_load_ring(dfd, data_dir, out, NULL, why);
	if (rc == PO_OK && (keyring_algs(*out) & algs) == algs)
		goto out;
	if (rc != PO_OK && rc != PO_ERR_NOTFOUND)
		goto out;
	keyring_free(*out);
	*out = NULL;
	if ((rc = kf_lock(dfd, data_dir, why)) != PO_OK)
		goto out;
	rc = kf_locked(dfd, data_dir, algs, flags, now, out, &did, why);
out:
	if (dfd != -1)
		close(dfd); /* releases the lock */
	if (done != NULL)
		*done = did;
	return rc;
}

int
keyring_load(const char *data_dir, keyring_t **out, keyring_stamp_t *stamp, buf_t *why)
{
	int dfd = -1, rc;

	*out = NULL;
	if ((rc = kf_open_dir(data_dir, &dfd, why)) != PO_OK)
		return rc;
	rc = kf_load_ring(dfd, data_dir, out, stamp, why);
	close(dfd);
	return rc;
}

int
keyring_rotate_file(const char *data_dir, unsigned algs, int64_t now, int64_t sealed_lifetime_s, bool force,
    keyring_t **before, keyring_t **out, unsigned *done, buf_t *why)
{
	keyring_t *old = NULL, *rotated = NULL;
	unsigned did = 0;
	bool existed;
	int dfd = -1, rc;

	*out = NULL;
	if (before != NULL)
		*before = NULL;
	algs = (algs | JOSE_ALG_BIT(JOSE_RS256)) & JOSE_ALGS_ALL;
	if ((rc = kf_open_dir(data_dir, &dfd, why)) != PO_OK || (rc = kf_lock(dfd, data_dir, why)) != PO_OK)
		goto out;
	if ((rc = kf_locked(dfd, data_dir, algs, force ? KEYRING_LOAD_NEW_OK : 0, now, &old, &did, why)) != PO_OK)
		goto out;
	if (did & (KEYRING_DID_CREATE | KEYRING_DID_RECREATE)) { /* new keys: nothing to rotate */
		*out = old;
		old = NULL; /* transferred */
		goto out;
	}
	if ((rc = keyring_rotate(old, now, sealed_lifetime_s, force, &rotated, why)) != PO_OK ||
	    (rc = kf_write_ring(dfd, data_dir, rotated, true, &existed, why)) != PO_OK)
		goto out;
	*out = rotated;
	rotated = NULL; /* transferred */
	if (before != NULL) {
		*before = old;
		old = NULL; /* transferred */
	}
out:
	if (dfd != -1)
		close(dfd); /* releases the lock */
	keyring_free(old);
	keyring_free(rotated);
	if (done != NULL)
		*done = did;
	return rc;
}

int
keyring_stamp(const char *data_dir, keyring_stamp_t *out)
{
	char path[PATH_MAX];
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (snprintf(path, sizeof(path), "%s/%s", data_dir, KEYRING_FILE) >= (int)sizeof(path))
		return PO_ERR_IO;
	if (stat(path, &st) == -1)
		return errno == ENOENT ? PO_ERR_NOTFOUND : PO_ERR_IO;
	kf_stamp_of(&st, out);
	return PO_OK;
}

bool
keyring_stamp_eq(const keyring_stamp_t *a, const keyring_stamp_t *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns &&
	    a->ctime_ns == b->ctime_ns;
}
