/*
 * plex_id.c - the persisted client identifier (see plex_id.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/rnd.h"
#include "plex/plex_id.h"
#include "po_limits.h"

/* An identifier shorter than this is a damaged file, not a UUID. */
#define PLEX_ID_MIN 8

/* Reads the identifier at path into out. PO_OK; PO_ERR_NOTFOUND when
 * there is no file; PO_ERR_IO (logged) when it cannot be read or is
 * damaged. */
static int
read_id(const char *path, char *out, size_t outsz)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return PO_ERR_NOTFOUND;
		log_error("cannot read %s: %s", path, strerror(errno));
		return PO_ERR_IO;
	}
	n = fread(out, 1, outsz - 1, f);
	fclose(f);
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (strlen(out) < PLEX_ID_MIN) {
		log_error("%s is empty or damaged; delete it to create a new identifier", path);
		return PO_ERR_IO;
	}
	return PO_OK;
}

int
plex_id_load_or_create(const char *dir, char *out, size_t outsz)
{
	buf_t path, tmp;
	int rc = PO_ERR_IO, fd = -1;
	unsigned char r[16];
	bool have_tmp = false;

	buf_init(&path, LIM_PATH_MAX);
	buf_init(&tmp, LIM_PATH_MAX);
	if ((rc = buf_appendf(&path, "%s/plex-client-id", dir)) != PO_OK ||
	    (rc = buf_appendf(&tmp, "%s/.plex-client-id.XXXXXX", dir)) != PO_OK)
		goto out;
	if ((rc = read_id(buf_str(&path), out, outsz)) != PO_ERR_NOTFOUND)
		goto out;
	if ((rc = rnd_bytes(r, sizeof(r))) != PO_OK)
		goto out;
	r[6] = (r[6] & 0x0f) | 0x40; /* RFC 4122 §4.4: version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(out, outsz, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
	    r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	/* Written whole to a temporary file (0600), then linked into place:
	 * link() never replaces, so of replicas sharing data_dir and starting
	 * together exactly one identifier wins, and nobody reads half a file. */
	rc = PO_ERR_IO;
	if ((fd = mkostemp(tmp.data, O_CLOEXEC)) < 0) {
		log_error("cannot create a file in %s: %s", dir, strerror(errno));
		goto out;
	}
	have_tmp = true;
	if (write(fd, out, strlen(out)) != (ssize_t)strlen(out) || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		log_error("cannot write %s: %s", buf_str(&tmp), strerror(errno));
		goto out;
	}
	if (link(buf_str(&tmp), buf_str(&path)) != 0) {
		if (errno != EEXIST) {
			log_error("cannot write %s: %s", buf_str(&path), strerror(errno));
			goto out;
		}
		/* Another instance sharing data_dir was first: its identifier. */
		rc = read_id(buf_str(&path), out, outsz);
		goto out;
	}
	log_info("created Plex client identifier in %s", buf_str(&path));
	rc = PO_OK;
out:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlink(buf_str(&tmp));
	buf_free(&path);
	buf_free(&tmp);
	return rc;
}
