/*
 * plex_rules.c - the meaning of plex.tv's answers (see plex_rules.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "plex/plex_rules.h"
#include "po_limits.h"

static bool
has_text(const char *body, size_t len, const char *needle)
{
	return body != NULL && len > 0 && memmem(body, len, needle, strlen(needle)) != NULL;
}

bool
plex_rules_has_code(const char *body, size_t len, long code)
{
	json_t *root = NULL, *errs, *e;
	char attr[32];
	size_t i = 0, skip = 0;
	bool found = false;

	if (body == NULL || len == 0)
		return false;
	while (skip < len && isspace((unsigned char)body[skip]))
		skip++;
	if (skip < len && body[skip] == '{') {
		/* The JSON envelope: {"errors":[{"code":1001,...}]}. */
		if ((root = json_loadb(body, len, 0, NULL)) != NULL &&
		    json_is_array(errs = json_object_get(root, "errors"))) {
			json_array_foreach(errs, i, e) {
				json_t *c = json_object_get(e, "code");
				if (json_is_integer(c) && json_integer_value(c) == code)
					found = true;
			}
		}
		json_decref(root);
		return found;
	}
	/* The XML form: <errors><error code="1001" .../></errors>. Looked for
	 * as text inside an <error element: we do not parse XML. */
	snprintf(attr, sizeof(attr), "code=\"%ld\"", code);
	return has_text(body, len, "<error") && has_text(body, len, attr);
}

enum plex_status
plex_rules_classify(enum plex_endpoint ep, long http, const char *body, size_t len)
{
	bool user_call = ep == PLEX_EP_USER || ep == PLEX_EP_RESOURCES;

	switch (http) {
	case 429:
		return PLEX_RATE_LIMITED;
	case 401:
		if (user_call || plex_rules_has_code(body, len, 1001))
			return PLEX_UNAUTHORIZED;
		return PLEX_UNAVAILABLE;
	case 422:
		if (has_text(body, len, "Invalid token") || plex_rules_has_code(body, len, 1001))
			return PLEX_UNAUTHORIZED;
		return PLEX_UNAVAILABLE;
	case 404:
		return ep == PLEX_EP_PIN_CHECK ? PLEX_NOT_FOUND : PLEX_UNAVAILABLE;
	default:
		return PLEX_UNAVAILABLE;
	}
}

int64_t
plex_rules_retry_after_ms(const char *value, int64_t now_s)
{
	struct tm tm;
	const char *end;
	time_t when;
	size_t n;

	if (value == NULL)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	n = strlen(value);
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t' || value[n - 1] == '\r' || value[n - 1] == '\n'))
		n--;
	if (n == 0)
		return -1;
	/* delay-seconds = 1*DIGIT. A huge value saturates: the caller caps
	 * the wait anyway. */
	if (isdigit((unsigned char)value[0])) {
		int64_t secs = 0;
		size_t i;

		for (i = 0; i < n; i++) {
			if (!isdigit((unsigned char)value[i]))
				return -1;
			if (secs < INT64_C(1000000000000)) /* ~31,700 years */
				secs = secs * 10 + (value[i] - '0');
		}
		return secs * 1000;
	}
	/* HTTP-date, IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". strptime's
	 * %a and %b are the C locale's (we never call setlocale). */
	memset(&tm, 0, sizeof(tm));
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || (size_t)(end - value) != n)
		return -1;
	when = timegm(&tm);
	if (when == (time_t)-1)
		return -1;
	return (int64_t)when <= now_s ? 0 : ((int64_t)when - now_s) * 1000;
}

/* The parts of an absolute URL. false if it does not parse. */
struct url_parts {
	char *scheme, *host, *port, *user, *password;
};

static void
parts_clear(struct url_parts *p)
{
	curl_free(p->scheme);
	curl_free(p->host);
	curl_free(p->port);
	curl_free(p->user);
	curl_free(p->password);
	memset(p, 0, sizeof(*p));
}

static bool
parts_get(const char *url, struct url_parts *p)
{
	CURLU *u = curl_url();
	bool ok = false;

	memset(p, 0, sizeof(*p));
	if (u == NULL)
		return false;
	/* No guessing of schemes; the port filled in when it is the default. */
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &p->scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &p->host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &p->port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		ok = true;
	curl_url_get(u, CURLUPART_USER, &p->user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, &p->password, 0);
	curl_url_cleanup(u);
	if (!ok)
		parts_clear(p);
	return ok;
}

/*
 * host is base, or ends with "." + base (a label boundary). A host with an
 * empty label (".plex.tv", "a..plex.tv", "plex.tv.") is never under
 * anything: it is not a name DNS resolves as written (RFC 1035 2.3.1), and
 * the fuzzer found ".localhost" passing the suffix test alone. Nothing is
 * under an IP address: "x.127.0.0.1" is a name, not that address.
 */
static bool
host_under(const char *host, const char *base)
{
	size_t h = strlen(host), b = strlen(base);
	struct in_addr ip;

	if (b == 0 || h < b || host[0] == '.' || host[h - 1] == '.' || strstr(host, "..") != NULL)
		return false;
	if (h == b)
		return strcasecmp(host, base) == 0;
	if (inet_pton(AF_INET, base, &ip) == 1)
		return false;
	return host[h - b - 1] == '.' && strcasecmp(host + h - b, base) == 0;
}

bool
plex_rules_redirect_ok(const char *api_url, const char *target)
{
	struct url_parts api, to;
	bool ok = false;

	if (api_url == NULL || target == NULL || !parts_get(target, &to))
		return false;
	if (!parts_get(api_url, &api)) {
		parts_clear(&to);
		return false;
	}
	if (to.user != NULL || to.password != NULL || to.host[0] == '[')
		goto out;
	if (strcasecmp(to.scheme, "https") == 0 && strcmp(to.port, "443") == 0 && host_under(to.host, "plex.tv"))
		ok = true;
	else if (strcasecmp(to.scheme, api.scheme) == 0 && strcmp(to.port, api.port) == 0 && host_under(to.host, api.host))
		ok = true;
out:
	parts_clear(&api);
	parts_clear(&to);
	return ok;
}
