/*
 * plex_parse.c - pure parsers for plex.tv's JSON answers (see plex_parse.h).
 *
 * Everything goes through jansson (json_loadb on a bounded (buf, len), with
 * duplicate keys rejected so that {"owned":false,"owned":true} cannot mean
 * two things to two readers). Then each field is read once:
 *
 *   - required fields (PIN id and code, user uuid) must have the right type
 *     and shape, or the whole answer is PO_ERR_INVALID, which plex.c turns
 *     into "Plex is not answering" rather than a guess;
 *   - every other field is optional: null, missing, of another type, empty
 *     or absurdly long all read as "absent" (docs/PLEX-API.md: "accessToken: null
 *     has broken strict parsers"). Booleans are true only when they are the
 *     JSON literal true, so a malformed "owned" fails closed.
 *
 * A Plex token is a secret and ends up in an HTTP header: it is checked here
 * (plex_token_ok) and wiped when cleared.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "core/str.h"
#include "po_limits.h"
#include "plex/plex_parse.h"

#define PLEX_PARSE_FIELD_MAX LIM_PLEX_FIELD_MAX         /* po_limits.h */
#define PLEX_PARSE_UUID_MAX LIM_PLEX_UUID_MAX           /* po_limits.h */
#define PLEX_PARSE_CODE_MAX LIM_PLEX_CODE_MAX           /* po_limits.h */
#define PLEX_PARSE_RESOURCES_MAX LIM_PLEX_RESOURCES_MAX /* po_limits.h */

/* Parses (buf, len) as one JSON object or array with nothing after it.
 * PO_OK, PO_ERR_INVALID or PO_ERR_NOMEM. */
static int
load(const char *buf, size_t len, json_t **out)
{
	json_error_t jerr;

	*out = NULL;
	if (buf == NULL || len == 0 || len > LIM_PLEX_BODY_MAX)
		return PO_ERR_INVALID;
	/* No JSON_DECODE_ANY (the root must be an object or array); trailing
	 * data is an error unless JSON_DISABLE_EOF_CHECK, which we do not set;
	 * "\u0000" inside strings is refused unless JSON_ALLOW_NUL. */
	*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*out == NULL)
		return json_error_code(&jerr) == json_error_out_of_memory ? PO_ERR_NOMEM : PO_ERR_INVALID;
	return PO_OK;
}

/* true if every byte of (s, n) is visible ASCII (no space, no control). */
static bool
all_visible(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

bool
plex_token_ok(const char *tok, size_t len)
{
	/* It becomes "X-Plex-Token: <tok>": a CR or LF would inject headers. */
	return tok != NULL && len > 0 && len <= LIM_PLEX_TOKEN_MAX && all_visible(tok, len);
}

static bool
code_ok(const char *s, size_t n)
{
	size_t i;

	/* The code is put into the sign-in app's URL and shown on our page:
	 * alphanumeric is all Plex has ever issued, anything else is refused. */
	if (n == 0 || n > PLEX_PARSE_CODE_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
			return false;
	}
	return true;
}

/* Copies an optional string member into *out: NULL when absent, null, not a
 * string, "" or longer than PLEX_PARSE_FIELD_MAX. PO_OK or PO_ERR_NOMEM. */
static int
opt_str(const json_t *obj, const char *key, char **out)
{
	const json_t *v = json_object_get(obj, key);
	size_t n;

	*out = NULL;
	if (!json_is_string(v))
		return PO_OK;
	n = json_string_length(v);
	if (n == 0 || n > PLEX_PARSE_FIELD_MAX)
		return PO_OK;
	if ((*out = str_dupn(json_string_value(v), n)) == NULL)
		return PO_ERR_NOMEM;
	return PO_OK;
}

static int64_t
opt_int(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static bool
opt_true(const json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

/* Best effort: overwrites the token inside jansson's tree before it is
 * freed. (jansson's lexer frees its own scratch copy unwiped; only a wiping
 * json_set_alloc_funcs() in the application would cover that.) The value is
 * malloc'd by jansson, so writing through it is defined. */
static void
wipe_json_string(json_t *v)
{
	if (json_is_string(v))
		str_wipe((void *)(uintptr_t)json_string_value(v), json_string_length(v));
}

/* ---- PIN ---- */

void
plex_pin_clear(plex_pin_t *p)
{
	if (p == NULL)
		return;
	free(p->code);
	str_free_secret(p->auth_token);
	memset(p, 0, sizeof(*p));
}

int
plex_parse_pin(const char *buf, size_t len, plex_pin_t *out)
{
	plex_pin_t pin = { 0 };
	json_t *root = NULL, *v = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = load(buf, len, &root)) != PO_OK)
		goto out;
	rc = PO_ERR_INVALID;
	if (!json_is_object(root))
		goto out;

	/* Required: a positive id (past 2^31 in practice; jansson integers are
	 * long long, so it survives) and an alphanumeric code. */
	v = json_object_get(root, "id");
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		goto out;
	pin.id = (int64_t)json_integer_value(v);
	v = json_object_get(root, "code");
	if (!json_is_string(v) || !code_ok(json_string_value(v), json_string_length(v)))
		goto out;
	if ((pin.code = str_dupn(json_string_value(v), json_string_length(v))) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}

	/* authToken: null (or "") until approved. A present token that could
	 * not be sent back as a header is nonsense, not "not yet approved":
	 * reading it as absent would make the login wait for nothing. */
	v = json_object_get(root, "authToken");
	if (json_is_string(v) && json_string_length(v) > 0) {
		if (!plex_token_ok(json_string_value(v), json_string_length(v)))
			goto out;
		if ((pin.auth_token = str_dupn(json_string_value(v), json_string_length(v))) == NULL) {
			rc = PO_ERR_NOMEM;
			goto out;
		}
	}

	pin.expires_in = opt_int(root, "expiresIn");
	if (pin.expires_in < 0)
		pin.expires_in = 0;

	*out = pin;
	memset(&pin, 0, sizeof(pin)); /* transferred */
	rc = PO_OK;
out:
	plex_pin_clear(&pin);
	if (root != NULL) {
		wipe_json_string(json_object_get(root, "authToken"));
		json_decref(root);
	}
	return rc;
}

/* ---- User ---- */

void
plex_user_clear(plex_user_t *u)
{
	if (u == NULL)
		return;
	free(u->uuid);
	free(u->username);
	free(u->title);
	free(u->friendly_name);
	free(u->email);
	free(u->thumb);
	memset(u, 0, sizeof(*u));
}

int
plex_parse_user(const char *buf, size_t len, plex_user_t *out)
{
	plex_user_t user = { 0 };
	json_t *root = NULL, *v = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = load(buf, len, &root)) != PO_OK)
		goto out;
	rc = PO_ERR_INVALID;
	if (!json_is_object(root))
		goto out;

	/* docs/PLEX-API.md "Who is the user": identity is keyed on uuid, never on
	 * email or username. It becomes "sub" (OIDC Core §2: at most 255 ASCII
	 * characters), so it must be there and be plain visible ASCII. */
	v = json_object_get(root, "uuid");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > PLEX_PARSE_UUID_MAX ||
	    !all_visible(json_string_value(v), json_string_length(v)))
		goto out;
	rc = PO_ERR_NOMEM;
	if ((user.uuid = str_dupn(json_string_value(v), json_string_length(v))) == NULL)
		goto out;

	/* Managed Home users have email and username null or "": both read
	 * as NULL. title is "always present" per the doc, but not trusted. */
	if (opt_str(root, "username", &user.username) != PO_OK ||
	    opt_str(root, "title", &user.title) != PO_OK ||
	    opt_str(root, "friendlyName", &user.friendly_name) != PO_OK ||
	    opt_str(root, "email", &user.email) != PO_OK ||
	    opt_str(root, "thumb", &user.thumb) != PO_OK)
		goto out;
	user.id = opt_int(root, "id");
	user.restricted = opt_true(root, "restricted");
	user.home = opt_true(root, "home");
	user.confirmed = opt_true(root, "confirmed");

	*out = user;
	memset(&user, 0, sizeof(user)); /* transferred */
	rc = PO_OK;
out:
	plex_user_clear(&user);
	json_decref(root);
	return rc;
}

const char *
plex_user_display_name(const plex_user_t *u)
{
	if (u->friendly_name != NULL)
		return u->friendly_name;
	if (u->title != NULL)
		return u->title;
	if (u->username != NULL)
		return u->username;
	return u->uuid;
}

const char *
plex_user_login_name(const plex_user_t *u)
{
	if (u->username != NULL)
		return u->username;
	if (u->title != NULL)
		return u->title;
	return u->uuid;
}

/* ---- Resources ---- */

/* true if v is a string whose comma-separated list has `want` as a member
 * (spaces around members ignored). docs/PLEX-API.md: "provides" is a list, so
 * "servers" or "media-server" are not "server". */
static bool
provides_has(const json_t *v, const char *want)
{
	const char *s, *end, *a, *b;
	size_t wl = strlen(want);

	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	end = s + json_string_length(v);
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *next = comma ? comma : end;

		a = s;
		b = next;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if ((size_t)(b - a) == wl && memcmp(a, want, wl) == 0)
			return true;
		s = comma ? comma + 1 : end;
	}
	return false;
}

void
plex_resources_clear(plex_resources_t *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->items[i].name);
		free(r->items[i].client_identifier);
		free(r->items[i].source_title);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

int
plex_parse_resources(const char *buf, size_t len, plex_resources_t *out)
{
	plex_resources_t res = { 0 };
	json_t *root = NULL, *e = NULL;
	size_t i, keep = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = load(buf, len, &root)) != PO_OK)
		goto out;
	rc = PO_ERR_INVALID;
	if (!json_is_array(root))
		goto out;

	json_array_foreach(root, i, e) {
		if (json_is_object(e) && keep < PLEX_PARSE_RESOURCES_MAX)
			keep++;
	}
	rc = PO_ERR_NOMEM;
	if (keep > 0 && (res.items = calloc(keep, sizeof(*res.items))) == NULL)
		goto out;

	json_array_foreach(root, i, e) {
		plex_resource_t *it;

		if (!json_is_object(e))
			continue;
		if (res.n == keep)
			break;
		/* Counted before it is filled, so a failure half-way frees it. */
		it = &res.items[res.n++];
		if (opt_str(e, "name", &it->name) != PO_OK ||
		    opt_str(e, "clientIdentifier", &it->client_identifier) != PO_OK ||
		    opt_str(e, "sourceTitle", &it->source_title) != PO_OK)
			goto out;
		it->provides_server = provides_has(json_object_get(e, "provides"), "server");
		it->owned = opt_true(e, "owned");
		it->home = opt_true(e, "home");
		it->owner_id = opt_int(e, "ownerId");
	}

	*out = res;
	memset(&res, 0, sizeof(res)); /* transferred */
	rc = PO_OK;
out:
	plex_resources_clear(&res);
	if (root != NULL) {
		/* The servers' own access tokens are secrets too. */
		json_array_foreach(root, i, e)
			wipe_json_string(json_object_get(e, "accessToken"));
		json_decref(root);
	}
	return rc;
}

/* Higher is more access: an owner entry wins over a Home or a share entry
 * for the same server should both ever appear. */
const char *
plex_access_name(enum plex_access a)
{
	switch (a) {
	case PLEX_ACCESS_NONE: return "none";
	case PLEX_ACCESS_OWNER: return "owner";
	case PLEX_ACCESS_HOME: return "home";
	case PLEX_ACCESS_FRIEND: return "friend";
	}
	return "none";
}
