/*
 * fuzz_plex.c - libFuzzer target for the plex.tv answer parsers
 * (src/plex/plex_parse.h): plex_parse_pin(), plex_parse_user() with
 * plex_user_display_name()/plex_user_login_name(), and
 * plex_parse_resources() with policy_server_access().
 *
 * plex.tv (or whoever answers in its place) is untrusted: every input goes
 * through all three parsers. Properties, from the contract: a parsed PIN has
 * id > 0 and a 1..64 alphanumeric code, and a token, if any, that
 * plex_token_ok() accepts; a parsed user has a uuid of visible ASCII and
 * both names are never NULL; a failed parse leaves the struct cleared; the
 * access of a server id is "none" unless a server entry carries that id;
 * everything is freed.
 *
 * The same bytes also go to the error-answer rules (src/plex/plex_rules.h)
 * as a body, a Retry-After value and a redirect target: a 429 is always
 * "rate limited" and a 401 on a user call always "unauthorized" whatever
 * the body; a 422 is "unauthorized" exactly when the body says "Invalid
 * token" or carries code 1001; a Retry-After wait is -1 or >= 0; a
 * redirect target that is allowed is an http(s) URL.
 */
#include <stdbool.h>
#include <strings.h>

#include <curl/curl.h>

#include "fuzz.h"

#include "core/err.h"
#include "plex/plex_parse.h"
#include "policy/policy.h"
#include "plex/plex_rules.h"

/* The machine identifier the seeds use (docs/PLEX-API.md). */
#define FUZZ_SERVER_ID "0123456789abcdef0123456789abcdef01234567"

static bool
visible(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* The stronger of two relationships (PLEX_ACCESS_NONE is the weakest). */
static enum plex_access
strongest(enum plex_access a, enum plex_access b)
{
	if (a == PLEX_ACCESS_NONE)
		return b;
	if (b == PLEX_ACCESS_NONE)
		return a;
	return a < b ? a : b;
}

static void
fuzz_pin(const char *buf, size_t len)
{
	plex_pin_t pin;
	size_t n, i;
	int rc;

	rc = plex_parse_pin(buf, len, &pin);
	if (rc != PO_OK) {
		FUZZ_CHECK(rc == PO_ERR_INVALID || rc == PO_ERR_NOMEM);
		FUZZ_CHECK(all_zero(&pin, sizeof(pin)));
		return;
	}
	FUZZ_CHECK(pin.id > 0 && pin.code != NULL && pin.expires_in >= 0);
	n = strlen(pin.code);
	FUZZ_CHECK(n >= 1 && n <= 64);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((pin.code[i] >= 'a' && pin.code[i] <= 'z') || (pin.code[i] >= 'A' && pin.code[i] <= 'Z') ||
		    (pin.code[i] >= '0' && pin.code[i] <= '9'));
	if (pin.auth_token != NULL)
		FUZZ_CHECK(plex_token_ok(pin.auth_token, strlen(pin.auth_token)));
	plex_pin_clear(&pin);
	FUZZ_CHECK(pin.code == NULL && pin.auth_token == NULL);
	plex_pin_clear(&pin);
	plex_pin_clear(NULL);
}

static void
fuzz_user(const char *buf, size_t len)
{
	plex_user_t user;
	const char *dn, *ln;
	int rc;

	rc = plex_parse_user(buf, len, &user);
	if (rc != PO_OK) {
		FUZZ_CHECK(rc == PO_ERR_INVALID || rc == PO_ERR_NOMEM);
		FUZZ_CHECK(all_zero(&user, sizeof(user)));
		return;
	}
	FUZZ_CHECK(user.uuid != NULL && user.uuid[0] != '\0' && strlen(user.uuid) <= 255 && visible(user.uuid));
	FUZZ_CHECK(user.username == NULL || user.username[0] != '\0');
	FUZZ_CHECK(user.email == NULL || user.email[0] != '\0');
	FUZZ_CHECK(user.friendly_name == NULL || user.friendly_name[0] != '\0');
	dn = plex_user_display_name(&user);
	ln = plex_user_login_name(&user);
	FUZZ_CHECK(dn != NULL && ln != NULL);
	/* Both end up in pages and ID tokens: read them to the end. */
	FUZZ_CHECK(strlen(dn) <= 2048 && strlen(ln) <= 2048);
	plex_user_clear(&user);
	plex_user_clear(NULL);
}

static void
fuzz_resources(const char *buf, size_t len)
{
	plex_resources_t res;
	char sid[] = FUZZ_SERVER_ID, empty[] = "";
	char *ids[] = { sid }, *none[] = { empty }, *two[] = { sid, NULL };
	enum plex_access a;
	size_t i;
	int rc;

	rc = plex_parse_resources(buf, len, &res);
	if (rc != PO_OK) {
		FUZZ_CHECK(rc == PO_ERR_INVALID || rc == PO_ERR_NOMEM);
		FUZZ_CHECK(res.items == NULL && res.n == 0);
		return;
	}
	FUZZ_CHECK(res.n <= 10000 && (res.n == 0 || res.items != NULL));
	a = policy_server_access(&res, ids, 1, 0, 0, NULL);
	FUZZ_CHECK(plex_access_name(a) != NULL);
	FUZZ_CHECK(policy_server_access(&res, none, 1, 0, 0, NULL) == PLEX_ACCESS_NONE);
	FUZZ_CHECK(policy_server_access(&res, ids, 0, 0, 0, NULL) == PLEX_ACCESS_NONE);
	FUZZ_CHECK(policy_server_access(NULL, ids, 1, 0, 0, NULL) == PLEX_ACCESS_NONE);
	for (i = 0; i < res.n && i < 16; i++) {
		const plex_resource_t *it = &res.items[i];
		enum plex_access b;

		if (it->client_identifier == NULL)
			continue;
		two[1] = it->client_identifier;
		b = policy_server_access(&res, &two[1], 1, 0, 0, NULL);
		/* A server entry grants some access; a non-server one alone none. */
		if (it->provides_server)
			FUZZ_CHECK(b != PLEX_ACCESS_NONE);
		if (it->provides_server && it->owned)
			FUZZ_CHECK(b == PLEX_ACCESS_OWNER);
		/* Several servers: the strongest relationship found with any
		 * of them (owner, then home, then friend; none only if both). */
		FUZZ_CHECK(policy_server_access(&res, two, 2, 0, 0, NULL) == strongest(a, b));
	}
	plex_resources_clear(&res);
	FUZZ_CHECK(res.items == NULL && res.n == 0);
	plex_resources_clear(NULL);
}

static void
fuzz_rules(const char *buf, size_t size)
{
	static const enum plex_endpoint eps[] = { PLEX_EP_PIN_CREATE, PLEX_EP_PIN_CHECK, PLEX_EP_USER, PLEX_EP_RESOURCES };
	static const long codes[] = { 400, 401, 403, 404, 422, 429, 500 };
	bool token = memmem(buf, size, "Invalid token", 13) != NULL || plex_rules_has_code(buf, size, 1001);
	char *s;
	size_t i, j;

	for (i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
		for (j = 0; j < sizeof(codes) / sizeof(codes[0]); j++) {
			enum plex_status st = plex_rules_classify(eps[i], codes[j], buf, size);

			FUZZ_CHECK(st == PLEX_RATE_LIMITED || st == PLEX_UNAUTHORIZED || st == PLEX_NOT_FOUND ||
			    st == PLEX_UNAVAILABLE);
			FUZZ_CHECK((codes[j] == 429) == (st == PLEX_RATE_LIMITED));
			if (codes[j] == 401 && (eps[i] == PLEX_EP_USER || eps[i] == PLEX_EP_RESOURCES))
				FUZZ_CHECK(st == PLEX_UNAUTHORIZED);
			if (codes[j] == 422)
				FUZZ_CHECK((st == PLEX_UNAUTHORIZED) == token);
			if (st == PLEX_NOT_FOUND)
				FUZZ_CHECK(codes[j] == 404 && eps[i] == PLEX_EP_PIN_CHECK);
		}
	}
	s = fuzz_cstr(buf, size);
	FUZZ_CHECK(plex_rules_retry_after_ms(s, 1700000000) >= -1);
	if (plex_rules_redirect_ok("https://plex.tv", s) || plex_rules_redirect_ok("http://localhost:8080", s)) {
		/* What curl will connect to: a host under plex.tv or localhost. */
		CURLU *u = curl_url();
		char *host = NULL, *scheme = NULL;
		size_t n;

		FUZZ_CHECK(u != NULL && curl_url_set(u, CURLUPART_URL, s, 0) == CURLUE_OK);
		FUZZ_CHECK(curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK);
		FUZZ_CHECK(curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK);
		FUZZ_CHECK(strcasecmp(scheme, "https") == 0 || strcasecmp(scheme, "http") == 0);
		n = strlen(host);
		FUZZ_CHECK(strcasecmp(host, "plex.tv") == 0 || strcasecmp(host, "localhost") == 0 ||
		    (n > 8 && strcasecmp(host + n - 8, ".plex.tv") == 0) ||
		    (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0));
		curl_free(host);
		curl_free(scheme);
		curl_url_cleanup(u);
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;

	fuzz_pin(buf, size);
	fuzz_user(buf, size);
	fuzz_resources(buf, size);
	fuzz_rules(buf, size);
	return 0;
}
