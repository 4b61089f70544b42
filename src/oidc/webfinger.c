/*
 * webfinger.c - WebFinger (RFC 7033) for issuer discovery (OpenID Connect
 * Discovery 1.0 §2), on when [server] webfinger = yes: asked
 *
 *   GET /.well-known/webfinger?resource=acct:USER@DOMAIN
 *       &rel=http://openid.net/specs/connect/1.0/issuer
 *
 * it answers with the issuer, whoever USER and DOMAIN are (the issuer is
 * the same for everybody, and public: nothing about the user is looked
 * up). Tailscale's custom OIDC sign-up finds its provider this way, on the
 * domain of the admin's email; the reverse proxy of that domain sends
 * /.well-known/webfinger here (docs/INTEGRATIONS.md, "Tailscale").
 *
 * Refused, with a line of text that says why: no resource, several, or
 * one that is not an acct: URI (RFC 7565) with a user and a host (400, RFC
 * 7033 §4.2); a rel other than the issuer's (404: this server publishes
 * nothing else).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "oidc/internal.h"
#include "po_limits.h"

/* OpenID Connect Discovery 1.0 §2. */
#define WEBFINGER_ISSUER_REL "http://openid.net/specs/connect/1.0/issuer"

/* RFC 7565 §7: userpart = unreserved / sub-delims (percent-encoded
 * octets are decoded by the time we see them, so any printable byte but
 * '@' and the characters no URI has). */
static bool
wf_user_char(char c)
{
	return c > 0x20 && c < 0x7f && c != '@' && strchr("\"<>\\^`{|}/?#", c) == NULL;
}

/* RFC 3986 §3.2.2 reg-name as DNS names are written: letters, digits,
 * '-' and '.', no empty label. */
static bool
wf_host_ok(const char *h, size_t len)
{
	size_t i;

	if (len == 0 || len > 253 || h[0] == '.' || h[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') ||
		        h[i] == '-' || (h[i] == '.' && h[i + 1] != '.')))
			return false;
	return true;
}

/* NULL if resource is "acct:USER@HOST", else what is wrong. */
static const char *
wf_check_resource(const char *r)
{
	size_t len = strlen(r), i;
	const char *at;

	if (len > LIM_WEBFINGER_RESOURCE_MAX)
		return "the resource is too long";
	if (strncmp(r, "acct:", 5) != 0)
		return "the resource must be an acct: URI, such as acct:you@example.com (RFC 7565)";
	r += 5;
	if ((at = strchr(r, '@')) == NULL || at == r || strchr(at + 1, '@') != NULL)
		return "the resource must be acct:USER@DOMAIN, with one '@'";
	for (i = 0; r + i < at; i++)
		if (!wf_user_char(r[i]))
			return "the resource's user part has a character an acct: URI cannot have";
	if (!wf_host_ok(at + 1, strlen(at + 1)))
		return "the resource's domain is not a host name";
	return NULL;
}

/* A refusal: status and one line of text. */
static void
wf_refuse(http_resp_t *resp, int status, const char *why)
{
	char body[LIM_WEBFINGER_MESSAGE_MAX];

	snprintf(body, sizeof(body), "%s\n", why);
	(void)http_resp_fail(resp, http_resp_text(resp, status, "text/plain; charset=utf-8", body));
}

void
oidc_webfinger(void *arg, http_req_t *req, http_resp_t *resp)
{
	oidc_t *o = arg;
	form_t f = { 0 };
	const char *resource, *why;
	json_t *doc = NULL, *links, *link;
	char *body = NULL;
	bool issuer_rel = true;
	size_t i;
	int rc;

	if (form_parse(req->query, req->query_len, &f) != PO_OK) {
		wf_refuse(resp, 400, "the query is not valid form data");
		goto out;
	}
	if (form_count(&f, "resource") != 1 || (resource = form_get(&f, "resource"))[0] == '\0') {
		/* RFC 7033 §4.2: absent (or, here, repeated): 400. */
		wf_refuse(resp, 400, "give one resource parameter: resource=acct:USER@DOMAIN (RFC 7033 §4.1)");
		goto out;
	}
	if ((why = wf_check_resource(resource)) != NULL) {
		wf_refuse(resp, 400, why);
		goto out;
	}
	/* RFC 7033 §4.3: rel may repeat and selects links; the issuer's is the
	 * only link here, so a request for others only is refused. */
	if (form_count(&f, "rel") > 0) {
		issuer_rel = false;
		for (i = 0; i < f.n; i++)
			if (strcmp(f.p[i].name, "rel") == 0 && strcmp(f.p[i].value, WEBFINGER_ISSUER_REL) == 0)
				issuer_rel = true;
	}
	if (!issuer_rel) {
		wf_refuse(resp, 404, "plex-oidc answers WebFinger only for rel=" WEBFINGER_ISSUER_REL " (OpenID Connect Discovery 1.0 §2)");
		goto out;
	}
	/* RFC 7033 §4.4: a JRD; the subject is the resource asked about. */
	rc = PO_ERR_NOMEM;
	if ((doc = json_object()) == NULL || (links = json_array()) == NULL ||
	    json_object_set_new(doc, "subject", json_string(resource)) != 0 ||
	    json_object_set_new(doc, "links", links) != 0 || (link = json_object()) == NULL ||
	    json_array_append_new(links, link) != 0 ||
	    json_object_set_new(link, "rel", json_string(WEBFINGER_ISSUER_REL)) != 0 ||
	    json_object_set_new(link, "href", json_string(o->o.cfg->issuer)) != 0 ||
	    (body = json_dumps(doc, JSON_COMPACT)) == NULL ||
	    (rc = http_resp_text(resp, 200, "application/jrd+json", body)) != PO_OK)
		(void)http_resp_fail(resp, rc);
	else
		(void)http_resp_fail(resp, http_resp_header(resp, "Cache-Control", "public, max-age=3600"));
out:
	json_decref(doc);
	free(body);
	form_clear(&f);
}
