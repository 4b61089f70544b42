/*
 * cookie.c - Cookie header lookup and Set-Cookie formatting (see cookie.h).
 */
#include <string.h>

#include "core/err.h"
#include "http/cookie.h"

int
cookie_get(const char *buf, size_t len, const char *name, const char **val, size_t *vlen)
{
	size_t nlen = strlen(name), pos = 0;
	int found = 0;

	while (pos < len) {
		const char *seg = buf + pos, *semi, *eq;
		size_t slen, klen;

		semi = memchr(seg, ';', len - pos);
		slen = semi ? (size_t)(semi - seg) : len - pos;
		pos += slen + 1;
		while (slen && (*seg == ' ' || *seg == '\t')) {
			seg++;
			slen--;
		}
		while (slen && (seg[slen - 1] == ' ' || seg[slen - 1] == '\t'))
			slen--;
		if ((eq = memchr(seg, '=', slen)) == NULL)
			continue;
		klen = (size_t)(eq - seg);
		if (klen != nlen || memcmp(seg, name, nlen) != 0)
			continue;
		if (found++)
			return PO_ERR_INVALID;
		*val = eq + 1;
		*vlen = slen - klen - 1;
		/* RFC 6265 §4.1.1: a value may be wrapped in double quotes */
		if (*vlen >= 2 && (*val)[0] == '"' && (*val)[*vlen - 1] == '"') {
			(*val)++;
			*vlen -= 2;
		}
	}
	return found ? PO_OK : PO_ERR_NOTFOUND;
}

int
cookie_format(buf_t *out, const char *name, const char *value, const char *path, int max_age, bool secure)
{
	return cookie_format_domain(out, name, value, NULL, path, max_age, secure);
}

int
cookie_format_domain(buf_t *out, const char *name, const char *value, const char *domain, const char *path,
    int max_age, bool secure)
{
	int rc;

	rc = buf_appendf(out, "%s=%s; Path=%s; HttpOnly; SameSite=Lax", name, value, path[0] ? path : "/");
	/* RFC 6265 §5.2.3: the cookie goes to domain and every host below it. */
	if (rc == PO_OK && domain != NULL)
		rc = buf_appendf(out, "; Domain=%s", domain);
	if (rc == PO_OK && max_age >= 0)
		rc = buf_appendf(out, "; Max-Age=%d", max_age);
	if (rc == PO_OK && secure)
		rc = buf_puts(out, "; Secure");
	return rc;
}
