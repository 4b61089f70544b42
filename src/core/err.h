/*
 * err.h - the internal error codes of plex-oidc.
 *
 * One small closed set, OpenSSH style: functions that can fail return an int,
 * 0 (PO_OK) on success or one of these negative values. They are internal:
 * protocol errors (RFC 6749 error codes) live in oidc/errors.h, and both are
 * mapped to HTTP status and body in exactly one place (oidc/errors.c).
 */
#ifndef PO_CORE_ERR_H
#define PO_CORE_ERR_H

enum {
	PO_OK = 0,
	PO_ERR_NOMEM = -1,    /* allocation failed */
	PO_ERR_INVALID = -2,  /* malformed or unacceptable input */
	PO_ERR_LIMIT = -3,    /* input or state over a limit in po_limits.h */
	PO_ERR_NOTFOUND = -4, /* no such item (or it expired) */
	PO_ERR_IO = -5,       /* file or socket I/O failed; see errno */
	PO_ERR_CRYPTO = -6,   /* OpenSSL failed; the crypto module logged why */
	PO_ERR_UPSTREAM = -7, /* plex.tv unavailable or answered nonsense */
	PO_ERR_DENIED = -8,   /* authenticated but not allowed */
	PO_ERR_INTERNAL = -9, /* a bug: should not happen */
};

/* Marks a function whose result must be looked at (curl's dynbuf habit):
 * an append or a response header that silently fails would drop a
 * Location or a Set-Cookie. */
#define PO_WUR __attribute__((warn_unused_result))

/* Returns a static, human-readable string for an error code. Never NULL. */
const char *po_strerror(int rc);

#endif
