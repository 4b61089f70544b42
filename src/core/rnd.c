/*
 * rnd.c - random bytes and tokens (see rnd.h).
 */
#include <openssl/rand.h>

#include "core/b64url.h"
#include "core/err.h"
#include "core/rnd.h"
#include "core/str.h"
#include "po_limits.h"

int
rnd_bytes(void *p, size_t n)
{
	if (n > (size_t)0x7fffffff || RAND_bytes(p, (int)n) != 1)
		return PO_ERR_CRYPTO;
	return PO_OK;
}

int
rnd_token(char *out, size_t outsz, size_t nbytes)
{
	unsigned char raw[64];
	int rc;

	if (nbytes > sizeof(raw))
		return PO_ERR_LIMIT;
	if ((rc = rnd_bytes(raw, nbytes)) != PO_OK)
		return rc;
	rc = b64url_encode(raw, nbytes, out, outsz) < 0 ? PO_ERR_LIMIT : PO_OK;
	str_wipe(raw, sizeof(raw));
	return rc;
}
