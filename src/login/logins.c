/*
 * logins.c - pending logins in the store (see logins.h).
 */
#include <string.h>

#include "core/rnd.h"
#include "core/str.h"
#include "login/logins.h"
#include "po_limits.h"

bool
logins_id_ok(const char *id)
{
	size_t i, n = id ? strnlen(id, LOGIN_ID_SIZE) : 0;

	if (n != LOGIN_ID_CHARS)
		return false;
	for (i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

int
logins_create(store_t *s, const login_t *l, char *id)
{
	buf_t rec;
	int rc;

	buf_init(&rec, LIM_STORE_VALUE_MAX);
	if ((rc = login_encode(l, &rec)) != PO_OK || (rc = rnd_token(id, LOGIN_ID_SIZE, LIM_RANDOM_TOKEN_BYTES)) != PO_OK)
		goto out;
	rc = store_put(s, STORE_LOGINS, id, rec.data, rec.len);
out:
	buf_free(&rec);
	return rc;
}

/* One application of an event, as store_update()'s callback (it may run
 * more than once against a shared store: every output is rewritten). */
struct apply {
	const char *bid;
	const login_event_data_t *e;
	int64_t now_ms;
	login_t l; /* the record after the step */
	login_effect_t eff;
	int rc;
};

static enum store_write
apply_fn(void *arg, const char *val, size_t len, buf_t *next)
{
	struct apply *a = arg;

	login_clear(&a->l);
	memset(&a->eff, 0, sizeof(a->eff));
	if ((a->rc = login_decode(val, len, &a->l)) != PO_OK) {
		a->rc = PO_ERR_NOTFOUND; /* not a login: as good as gone */
		return STORE_KEEP;
	}
	if (a->bid && !str_ct_eq(a->l.bid, strlen(a->l.bid), a->bid, strlen(a->bid))) {
		a->rc = PO_ERR_NOTFOUND;
		return STORE_KEEP;
	}
	if ((a->rc = login_step(&a->l, a->e, a->now_ms, &a->eff)) != PO_OK)
		return STORE_KEEP;
	if (a->eff.remove)
		return STORE_DELETE;
	if (a->e->ev == LEV_VIEW)
		return STORE_KEEP; /* nothing changed */
	if ((a->rc = login_encode(&a->l, next)) != PO_OK)
		return STORE_KEEP;
	return STORE_REPLACE;
}

int
logins_apply(store_t *s, const char *id, const char *bid, const login_event_data_t *e, int64_t now_ms,
    login_t *after, login_effect_t *eff)
{
	struct apply a = { 0 };
	int rc;

	a.bid = bid;
	a.e = e;
	a.now_ms = now_ms;
	if (!logins_id_ok(id))
		rc = PO_ERR_NOTFOUND;
	else if ((rc = store_update(s, STORE_LOGINS, id, apply_fn, &a)) == PO_OK)
		rc = a.rc;
	if ((rc == PO_OK || rc == PO_ERR_INVALID) && after) {
		*after = a.l;
		memset(&a.l, 0, sizeof(a.l)); /* transferred */
	}
	if (rc == PO_OK && eff)
		*eff = a.eff;
	login_clear(&a.l);
	return rc;
}
