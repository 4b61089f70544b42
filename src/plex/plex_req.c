/*
 * plex_req.c - one plex.tv call's libcurl handle (see plex_req.h).
 *
 * Tokens: copied into one header line, never into a URL or a log line; the
 * header list is wiped before it is freed, as is the response body (a PIN
 * answer carries the token).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "plex/plex_req.h"
#include "plex/plex_rules.h"
#include "po_limits.h"

/* A request URL is api_url (at most LIM_URL_MAX) plus one of our paths. */
#define PLEX_REQ_URL_MAX (LIM_URL_MAX + 128)
/* One header line: our own values, or a token (LIM_PLEX_TOKEN_MAX). */
#define PLEX_HEADER_MAX (LIM_PLEX_TOKEN_MAX + LIM_URL_MAX)

void
plex_req_free(struct plex_req *r)
{
	struct curl_slist *h;

	if (r == NULL)
		return;
	/* The easy handle refers to the header list: clean it up first. */
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	for (h = r->headers; h != NULL; h = h->next)
		str_wipe(h->data, strlen(h->data));
	curl_slist_free_all(r->headers);
	buf_free(&r->body);
	free(r);
}

/* curl write callback: keeps at most LIM_PLEX_BODY_MAX bytes. Returning
 * less than it was given makes curl abort the transfer (CURLE_WRITE_ERROR),
 * so an endless answer costs at most the bound. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct plex_req *r = arg;
	size_t n = size * nmemb; /* size is always 1 (curl docs) */

	if (buf_append(&r->body, data, n) != PO_OK) {
		r->body_over = true;
		return 0;
	}
	return n;
}

/* Appends one formatted header line to *list. The scratch buffer is the
 * caller's, so a line holding the token is wiped with it. */
static int
header_add(struct curl_slist **list, buf_t *line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
header_add(struct curl_slist **list, buf_t *line, const char *fmt, ...)
{
	struct curl_slist *n = NULL;
	va_list ap;
	int rc;

	buf_reset(line);
	va_start(ap, fmt);
	rc = buf_vappendf(line, fmt, ap);
	va_end(ap);
	if (rc != PO_OK)
		return rc;
	/* curl_slist_append copies; on failure the old list is unchanged. */
	if ((n = curl_slist_append(*list, buf_str(line))) == NULL)
		return PO_ERR_NOMEM;
	*list = n;
	return PO_OK;
}

int
plex_req_new(enum plex_endpoint ep, const char *api_url, const char *path, const char *token,
    const char *client_identifier, const char *product, const char *version, long connect_timeout_ms,
    struct plex_req **out)
{
	struct plex_req *r = NULL;
	buf_t url, line;
	CURLcode cc = CURLE_OK;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	buf_init(&url, PLEX_REQ_URL_MAX);
	buf_init(&line, PLEX_HEADER_MAX);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto out;
	r->ep = ep;
	buf_init(&r->body, LIM_PLEX_BODY_MAX);
	if ((rc = buf_appendf(&url, "%s%s", api_url, path)) != PO_OK)
		goto out;

	/* docs/PLEX-API.md "Headers on every call". */
	if ((rc = header_add(&r->headers, &line, "Accept: application/json")) != PO_OK ||
	    (rc = header_add(&r->headers, &line, "X-Plex-Client-Identifier: %s", client_identifier)) != PO_OK ||
	    (rc = header_add(&r->headers, &line, "X-Plex-Product: %s", product)) != PO_OK ||
	    (rc = header_add(&r->headers, &line, "X-Plex-Platform: Linux")) != PO_OK ||
	    (rc = header_add(&r->headers, &line, "X-Plex-Device: plex-oidc")) != PO_OK)
		goto out;
	if (version != NULL && (rc = header_add(&r->headers, &line, "X-Plex-Version: %s", version)) != PO_OK)
		goto out;
	/* The token only ever travels in this header (never the query string,
	 * which ends up in access logs). */
	if (token != NULL && (rc = header_add(&r->headers, &line, "X-Plex-Token: %s", token)) != PO_OK)
		goto out;

	rc = PO_ERR_NOMEM;
	if ((r->easy = curl_easy_init()) == NULL)
		goto out;

#define SETOPT(opt, val)                                          \
	do {                                                      \
		if (cc == CURLE_OK)                               \
			cc = curl_easy_setopt(r->easy, opt, val); \
	} while (0)
	SETOPT(CURLOPT_URL, buf_str(&url)); /* copied by curl */
	SETOPT(CURLOPT_PRIVATE, (void *)r);
	SETOPT(CURLOPT_HTTPHEADER, r->headers);
	SETOPT(CURLOPT_ERRORBUFFER, r->errbuf);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, (void *)r);
	/* No signals from curl (we are one thread among many; timeouts do not
	 * use SIGALRM with the threaded resolver). */
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	/* curl never follows a redirect itself: plex.c checks each hop first
	 * (plex_rules_redirect_ok), so the token header goes to no other host. */
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	/* Refuses a declared Content-Length over the bound before reading;
	 * on_body enforces it for chunked or undeclared answers. */
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)LIM_PLEX_BODY_MAX);
	SETOPT(CURLOPT_USERAGENT, "plex-oidc");
	if (ep == PLEX_EP_PIN_CREATE) {
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDS, "");
		SETOPT(CURLOPT_POSTFIELDSIZE, 0L);
	}
#undef SETOPT
	if (cc != CURLE_OK) {
		log_error("plex: curl_easy_setopt: %s", curl_easy_strerror(cc));
		rc = PO_ERR_INTERNAL;
		goto out;
	}

	*out = r;
	r = NULL; /* transferred */
	rc = PO_OK;
out:
	plex_req_free(r);
	buf_free(&url);
	buf_free(&line); /* wipes the token line */
	return rc;
}

int
plex_req_redirect(struct plex_req *r, const char *url, bool as_get)
{
	CURLcode cc = curl_easy_setopt(r->easy, CURLOPT_URL, url);

	/* RFC 9110 §15.4.4: after a 303 the client retrieves the target with
	 * GET. For the other codes the method is kept (§15.4.2-3 allow POST to
	 * become GET for 301/302 only as a historical accident; plex.tv
	 * moving an endpoint must not turn "create a PIN" into a lookup). */
	if (cc == CURLE_OK && as_get)
		cc = curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L);
	buf_reset(&r->body);
	r->body_over = false;
	r->errbuf[0] = '\0';
	return cc == CURLE_OK ? PO_OK : PO_ERR_INTERNAL;
}

bool
plex_req_follow(struct plex_req *r, const char *api_url, long http)
{
	const char *what = plex_endpoint_name(r->ep);
	char *loc = NULL;

	if (http != 301 && http != 302 && http != 303 && http != 307 && http != 308)
		return false;
	if (curl_easy_getinfo(r->easy, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || loc == NULL) {
		log_warn("plex: %s: HTTP %ld without a usable Location", what, http);
		return false;
	}
	/* The target is not logged: a URL may carry more than belongs there. */
	if (!plex_rules_redirect_ok(api_url, loc)) {
		log_warn("plex: %s: HTTP %ld to a host that is not plex.tv (or api_url's): not followed", what, http);
		return false;
	}
	if (r->hops >= LIM_PLEX_REDIRECTS_MAX) {
		log_warn("plex: %s: more than %d redirects: not followed", what, LIM_PLEX_REDIRECTS_MAX);
		return false;
	}
	if (plex_req_redirect(r, loc, http == 303) != PO_OK)
		return false;
	r->hops++;
	log_info("plex: %s: HTTP %ld, following the redirect (hop %u)", what, http, r->hops);
	return true;
}

int
plex_req_timeout(struct plex_req *r, long ms)
{
	return curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L) == CURLE_OK ? PO_OK : PO_ERR_INTERNAL;
}

void
plex_req_list_push(struct plex_req_list *l, struct plex_req *r)
{
	r->next = NULL;
	r->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
}

void
plex_req_list_push_front(struct plex_req_list *l, struct plex_req *r)
{
	r->prev = NULL;
	r->next = l->head;
	if (l->head != NULL)
		l->head->prev = r;
	else
		l->tail = r;
	l->head = r;
}

void
plex_req_list_unlink(struct plex_req_list *l, struct plex_req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->next = r->prev = NULL;
}

bool
plex_req_header_value_ok(const char *s, size_t max)
{
	size_t i, n;

	if (s == NULL || (n = strnlen(s, max + 1)) == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}
