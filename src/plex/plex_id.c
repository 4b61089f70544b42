/*
 * plex_id.c - the persisted client identifier (see plex_id.h).
 */
#include <errno.h>
#include <fcntl.h>
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

int
plex_id_load_or_create(const char *dir, char *out, size_t outsz)
{
	buf_t path;
	FILE *f = NULL;
	int rc = PO_ERR_IO, fd = -1;
	unsigned char r[16];
	size_t n;

	buf_init(&path, LIM_PATH_MAX);
	if ((rc = buf_appendf(&path, "%s/plex-client-id", dir)) != PO_OK)
		goto out;
	rc = PO_ERR_IO;
	if ((f = fopen(buf_str(&path), "r")) != NULL) {
		n = fread(out, 1, outsz - 1, f);
		out[n] = '\0';
		out[strcspn(out, "\r\n")] = '\0';
		if (strlen(out) < PLEX_ID_MIN) {
			log_error("%s is empty or damaged; delete it to create a new identifier", buf_str(&path));
			goto out;
		}
		rc = PO_OK;
		goto out;
	}
	if ((rc = rnd_bytes(r, sizeof(r))) != PO_OK)
		goto out;
	r[6] = (r[6] & 0x0f) | 0x40; /* RFC 4122 §4.4: version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(out, outsz, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
	    r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	rc = PO_ERR_IO;
	if ((fd = open(buf_str(&path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    write(fd, out, strlen(out)) != (ssize_t)strlen(out) || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		log_error("cannot write %s: %s", buf_str(&path), strerror(errno));
		goto out;
	}
	log_info("created Plex client identifier in %s", buf_str(&path));
	rc = PO_OK;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	buf_free(&path);
	return rc;
}
