/*
 * cookie.h - reading one cookie from a Cookie header (RFC 6265 §5.4) and
 * writing Set-Cookie values with the attributes plex-oidc always wants.
 */
#ifndef PO_HTTP_COOKIE_H
#define PO_HTTP_COOKIE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* Finds cookie `name` in the header (buf, len). On success *val points into
 * buf (borrowed) with *vlen bytes, and PO_OK is returned; PO_ERR_NOTFOUND if
 * absent; PO_ERR_INVALID if the same name appears twice (we never set it
 * twice, so a duplicate is someone else's doing: treat as absent). */
int cookie_get(const char *buf, size_t len, const char *name, const char **val, size_t *vlen);

/* Appends a Set-Cookie value: name=value; Path=path; HttpOnly;
 * SameSite=Lax; Max-Age=max_age (omitted when max_age < 0, a session
 * cookie); Secure when secure. SameSite=Lax, not Strict: the browser comes
 * back from plex.tv with a top-level GET that must carry the cookie. */
int cookie_format(buf_t *out, const char *name, const char *value, const char *path, int max_age, bool secure);
/* The same with "; Domain=domain" (domain NULL: none, a host-only cookie):
 * the browser sends it to domain and every host below it (the forward-auth
 * cookie, gate/gate.h). domain must be a checked host name. */
int cookie_format_domain(buf_t *out, const char *name, const char *value, const char *domain, const char *path,
    int max_age, bool secure);

#endif
