/* err.c - string table for the internal error codes (see err.h). */
#include "core/err.h"

const char *
po_strerror(int rc)
{
	switch (rc) {
	case PO_OK: return "success";
	case PO_ERR_NOMEM: return "out of memory";
	case PO_ERR_INVALID: return "invalid input";
	case PO_ERR_LIMIT: return "over a limit";
	case PO_ERR_NOTFOUND: return "not found";
	case PO_ERR_IO: return "I/O error";
	case PO_ERR_CRYPTO: return "cryptographic operation failed";
	case PO_ERR_UPSTREAM: return "plex.tv unavailable";
	case PO_ERR_DENIED: return "access denied";
	case PO_ERR_INTERNAL: return "internal error";
	}
	return "unknown error";
}
