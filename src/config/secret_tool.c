/*
 * secret_tool.c - the hash-secret command (see secret_tool.h).
 */
#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "config/config_value.h"
#include "config/secret_tool.h"
#include "core/err.h"
#include "core/secret_hash.h"
#include "core/str.h"
#include "po_limits.h"

/* The secret, a "\r\n" and one byte more to tell "too long". */
#define ST_INPUT_MAX (LIM_CLIENT_SECRET_MAX + 3)

#define ST_HINT "make one with: openssl rand -base64 48 | tr '+/' '-_' | tr -d '='"

/* Reads until EOF, or the first newline on a terminal (where EOF needs
 * Ctrl-D). Returns the length, or -1 (errno set). */
static ssize_t
st_read(int fd, char *buf, size_t max, bool tty)
{
	size_t len = 0;
	ssize_t n;

	while (len < max) {
		if ((n = read(fd, buf + len, tty ? 1 : max - len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (tty && buf[len - 1] == '\n')
			break;
	}
	return (ssize_t)len;
}

int
secret_tool_hash(int fd, FILE *out, FILE *err)
{
	char in[ST_INPUT_MAX], hash[LIM_SECRET_HASH_STR_MAX];
	struct termios old, quiet;
	bool tty = isatty(fd) == 1, echo_off = false;
	ssize_t n;
	size_t len;
	int status = 1, rc;

	if (tty) {
		fprintf(err, "Client secret (not shown; end with Enter): ");
		fflush(err);
		if (tcgetattr(fd, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
		}
	}
	n = st_read(fd, in, sizeof(in), tty);
	if (echo_off) {
		(void)tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', err);
	}
	if (n < 0) {
		fprintf(err, "plex-oidc hash-secret: cannot read standard input: %s\n", strerror(errno));
		goto out;
	}
	len = (size_t)n;
	/* One trailing newline, as echo and editors write it (secret_file). */
	if (len > 0 && in[len - 1] == '\n')
		len--;
	if (len > 0 && in[len - 1] == '\r')
		len--;
	if (len == 0) {
		fprintf(err, "plex-oidc hash-secret: no secret on standard input; " ST_HINT "\n");
	} else if (len > LIM_CLIENT_SECRET_MAX) {
		fprintf(err, "plex-oidc hash-secret: the secret is longer than %d characters, the most plex-oidc "
		             "accepts\n",
		    LIM_CLIENT_SECRET_MAX);
	} else if (!cv_secret_chars_ok(in, len)) {
		fprintf(err, "plex-oidc hash-secret: the secret has characters other than A-Z a-z 0-9 - . _ ~ "
		             "(URL-safe), which some applications send without encoding them (one line only); " ST_HINT "\n");
	} else if (len < LIM_CLIENT_SECRET_MIN) {
		fprintf(err, "plex-oidc hash-secret: the secret is %zu characters long; at least %d are required; " ST_HINT "\n", len, LIM_CLIENT_SECRET_MIN);
	} else if ((rc = secret_hash_make(in, len, hash, sizeof(hash))) != PO_OK) {
		fprintf(err, "plex-oidc hash-secret: hashing failed: %s\n", po_strerror(rc));
	} else {
		fprintf(out, "%s\n", hash);
		status = fflush(out) == 0 ? 0 : 1;
	}
out:
	str_wipe(in, sizeof(in));
	return status;
}
