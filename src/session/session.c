/*
 * session.c - sealed sign-on sessions (see session.h).
 *
 * The sealed plaintext is a JSON object with short keys:
 *   {"v":1,"sid":..,"who":{identity},"pt":plex token,"c":created,
 *    "e":expires,"k":checked,"g":good}
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/rnd.h"
#include "core/str.h"
#include "http/cookie.h"
#include "po_limits.h"
#include "session/seal.h"
#include "session/session.h"

#define SESSION_PURPOSE "session"
#define SESSION_GATE_PURPOSE "gate"
/* What a revoked session id is stored as: its presence is the record. */
#define SESSION_REVOKED_MARK "1"
#define SESSION_FORMAT 1
/* 16 random bytes: a session id names a session, it is no secret on its
 * own (the sealed cookie is). */
#define SESSION_ID_BYTES 16

void
session_clear(session_t *s)
{
	identity_free(s->who);
	str_free_secret(s->plex_token);
	memset(s, 0, sizeof(*s));
}

int
session_new(const identity_t *who, const char *plex_token, int64_t now, int64_t lifetime_s, session_t *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = rnd_token(out->sid, sizeof(out->sid), SESSION_ID_BYTES)) != PO_OK)
		return rc;
	if ((out->who = identity_dup(who)) == NULL || (out->plex_token = str_dup(plex_token)) == NULL) {
		session_clear(out);
		return PO_ERR_NOMEM;
	}
	out->created = now;
	out->expires = now + lifetime_s;
	out->checked = out->good = now;
	return PO_OK;
}

static int
seal_as(const keyring_t *r, const char *purpose, const char *issuer, const session_t *s, char **out)
{
	json_t *o = json_object(), *who = identity_to_json(s->who);
	char *pt = NULL;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	if (o == NULL || who == NULL || json_object_set_new(o, "v", json_integer(SESSION_FORMAT)) != 0 ||
	    json_object_set_new(o, "sid", json_string(s->sid)) != 0)
		goto out;
	if (json_object_set_new(o, "who", who) != 0) {
		who = NULL; /* consumed */
		goto out;
	}
	who = NULL; /* transferred */
	if (json_object_set_new(o, "pt", json_string(s->plex_token)) != 0 ||
	    json_object_set_new(o, "c", json_integer(s->created)) != 0 ||
	    json_object_set_new(o, "e", json_integer(s->expires)) != 0 ||
	    json_object_set_new(o, "k", json_integer(s->checked)) != 0 ||
	    json_object_set_new(o, "g", json_integer(s->good)) != 0 || (pt = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	rc = seal_seal(r, purpose, issuer, pt, strlen(pt), out);
out:
	json_decref(o);
	json_decref(who);
	str_free_secret(pt);
	return rc;
}

static bool
get_time(const json_t *o, const char *k, int64_t *out)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = json_integer_value(v);
	return true;
}

int
session_seal(const keyring_t *r, const char *issuer, const session_t *s, char **out)
{
	return seal_as(r, SESSION_PURPOSE, issuer, s, out);
}

int
session_seal_gate(const keyring_t *r, const char *issuer, const session_t *s, char **out)
{
	return seal_as(r, SESSION_GATE_PURPOSE, issuer, s, out);
}

static int
open_as(const keyring_t *r, const char *purpose, const char *issuer, int64_t now, const char *in, size_t len,
    session_t *out)
{
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	json_t *o = NULL, *v;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = seal_open(r, now, purpose, issuer, in, len, &pt, &ptlen)) != PO_OK)
		goto out;
	rc = PO_ERR_INVALID;
	if ((o = json_loadb((const char *)pt, ptlen, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(o) ||
	    json_integer_value(json_object_get(o, "v")) != SESSION_FORMAT)
		goto out;
	v = json_object_get(o, "sid");
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= sizeof(out->sid))
		goto out;
	memcpy(out->sid, json_string_value(v), json_string_length(v) + 1);
	v = json_object_get(o, "pt");
	if (!json_is_string(v) || !plex_token_ok(json_string_value(v), json_string_length(v)) ||
	    (out->plex_token = str_dup(json_string_value(v))) == NULL)
		goto out;
	if ((out->who = identity_from_json(json_object_get(o, "who"))) == NULL || !get_time(o, "c", &out->created) ||
	    !get_time(o, "e", &out->expires) || !get_time(o, "k", &out->checked) || !get_time(o, "g", &out->good))
		goto out;
	/* Expired is as good as absent: a new Plex sign-in makes a new one. */
	if (now >= out->expires)
		goto out;
	out->usable_until = seal_retire(r, now, in, len);
	if (out->usable_until == 0 || out->usable_until > out->expires)
		out->usable_until = out->expires;
	rc = PO_OK;
out:
	json_decref(o);
	seal_free(pt, ptlen);
	if (rc != PO_OK)
		session_clear(out);
	return rc;
}

int
session_open(const keyring_t *r, const char *issuer, int64_t now, const char *in, size_t len, session_t *out)
{
	return open_as(r, SESSION_PURPOSE, issuer, now, in, len, out);
}

int
session_open_gate(const keyring_t *r, const char *issuer, int64_t now, const char *in, size_t len, session_t *out)
{
	return open_as(r, SESSION_GATE_PURPOSE, issuer, now, in, len, out);
}

const char *
session_cookie_name(bool https)
{
	return https ? SESSION_COOKIE_HOST : SESSION_COOKIE;
}

int
session_from_request(const keyring_t *r, const char *issuer, bool https, int64_t now, const http_req_t *req,
    session_t *out)
{
	const char *v;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (req->cookie == NULL || cookie_get(req->cookie, strlen(req->cookie), session_cookie_name(https), &v, &n) != PO_OK)
		return PO_ERR_NOTFOUND;
	return session_open(r, issuer, now, v, n, out);
}

/* A cookie's Max-Age: what is left of the session, within the longest
 * lifetime; 0 for no value (Max-Age=0 removes it, RFC 6265 §5.2.2). */
static int
cookie_age(const char *value, int64_t expires, int64_t now)
{
	int64_t age = value ? expires - now : 0;

	if (age < 0)
		age = 0;
	if (age > LIM_SESSION_LIFETIME_MAX_S)
		age = LIM_SESSION_LIFETIME_MAX_S;
	return (int)age;
}

int
session_set_cookie(http_resp_t *resp, bool https, const char *value, int64_t expires, int64_t now)
{
	buf_t c;
	int age = cookie_age(value, expires, now);
	int rc;

	buf_init(&c, LIM_SEALED_MAX + LIM_COOKIE_HEADER_MAX);
	/* Max-Age=0 removes it (RFC 6265 §5.2.2). */
	if ((rc = cookie_format(&c, session_cookie_name(https), value ? value : "", "/", age, https)) == PO_OK)
		rc = http_resp_header(resp, "Set-Cookie", buf_str(&c));
	buf_free(&c);
	return rc;
}

const char *
session_gate_cookie_name(bool https)
{
	return https ? SESSION_GATE_COOKIE_SECURE : SESSION_GATE_COOKIE;
}

int
session_set_gate_cookie(http_resp_t *resp, bool https, const char *domain, const char *value, int64_t expires,
    int64_t now)
{
	buf_t c;
	int age = cookie_age(value, expires, now);
	int rc;

	buf_init(&c, LIM_SEALED_MAX + LIM_COOKIE_HEADER_MAX);
	if ((rc = cookie_format_domain(&c, session_gate_cookie_name(https), value ? value : "", domain, "/", age,
	         https)) == PO_OK)
		rc = http_resp_header(resp, "Set-Cookie", buf_str(&c));
	buf_free(&c);
	return rc;
}

int
session_check_revoked(store_t *st, const char *sid)
{
	buf_t b;
	int rc;

	buf_init(&b, sizeof(SESSION_REVOKED_MARK));
	rc = store_get(st, STORE_REVOKED, sid, &b);
	buf_free(&b);
	if (rc == PO_ERR_NOTFOUND)
		return PO_OK;
	return rc == PO_OK ? PO_ERR_INVALID : rc;
}

int
session_revoke(store_t *st, const char *sid)
{
	return store_put(st, STORE_REVOKED, sid, SESSION_REVOKED_MARK, strlen(SESSION_REVOKED_MARK));
}
