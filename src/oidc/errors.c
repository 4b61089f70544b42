/*
 * errors.c - protocol errors to HTTP answers, in one place (see errors.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "http/form.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "po_limits.h"

/* No inline script or style anywhere, so the policy can be this strict. */
#define CSP                                                                                      \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

void
oidc_html_headers(http_resp_t *resp)
{
	http_resp_header(resp, "Content-Security-Policy", CSP);
	http_resp_header(resp, "X-Frame-Options", "DENY");
	http_resp_header(resp, "Cache-Control", "no-store");
}

void
oidc_cors_headers(http_resp_t *resp)
{
	http_resp_header(resp, "Access-Control-Allow-Origin", "*");
}

void
oidc_error_json(http_resp_t *resp, int status, const char *error, const char *description)
{
	json_t *o = json_object();
	char *s = NULL;

	if (o) {
		json_object_set_new(o, "error", json_string(error));
		if (description)
			json_object_set_new(o, "error_description", json_string(description));
		s = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	if (s == NULL) {
		http_resp_text(resp, 500, "application/json", "{\"error\":\"server_error\"}", 24);
	} else {
		http_resp_text(resp, status, "application/json", s, strlen(s));
		free(s);
	}
	/* RFC 6749 §5.1/§5.2: token responses are never cached. */
	http_resp_header(resp, "Cache-Control", "no-store");
	http_resp_header(resp, "Pragma", "no-cache");
}

void
oidc_error_redirect(oidc_t *o, http_resp_t *resp, const char *redirect_uri, const char *error,
    const char *description, const char *state)
{
	buf_t loc;
	int rc;

	buf_init(&loc, LIM_URL_MAX * 4);
	rc = buf_puts(&loc, redirect_uri);
	if (rc == PO_OK)
		rc = buf_puts(&loc, strchr(redirect_uri, '?') ? "&error=" : "?error=");
	if (rc == PO_OK)
		rc = form_encode(&loc, error);
	if (rc == PO_OK && description) {
		rc = buf_puts(&loc, "&error_description=");
		if (rc == PO_OK)
			rc = form_encode(&loc, description);
	}
	if (rc == PO_OK && state) {
		rc = buf_puts(&loc, "&state=");
		if (rc == PO_OK)
			rc = form_encode(&loc, state);
	}
	/* RFC 9207: the issuer identifies who answered (mix-up defence). */
	if (rc == PO_OK)
		rc = buf_puts(&loc, "&iss=");
	if (rc == PO_OK)
		rc = form_encode(&loc, o->cfg->issuer);
	if (rc != PO_OK) {
		oidc_error_page(o, resp, 500, "error", "Something went wrong", "The sign-in request could not be answered.",
		    NULL, NULL);
	} else {
		resp->status = 302;
		http_resp_header(resp, "Location", buf_str(&loc));
		http_resp_header(resp, "Cache-Control", "no-store");
	}
	buf_free(&loc);
}

void
oidc_page(oidc_t *o, http_resp_t *resp, int status, const ui_var_t *vars, size_t n)
{
	ui_var_t all[16];
	size_t i;

	all[0].name = "base";
	all[0].value = o->cfg->issuer_path;
	for (i = 0; i < n && i + 1 < sizeof(all) / sizeof(all[0]); i++)
		all[i + 1] = vars[i];
	buf_reset(&resp->body);
	resp->status = status;
	resp->content_type = "text/html; charset=utf-8";
	if (ui_render(o->ui, "message.html", all, i + 1, &resp->body) != PO_OK) {
		log_error("cannot render message.html");
		buf_reset(&resp->body);
		buf_puts(&resp->body, "Error\n");
		resp->content_type = "text/plain; charset=utf-8";
	}
	oidc_html_headers(resp);
}

void
oidc_error_page(oidc_t *o, http_resp_t *resp, int status, const char *kind, const char *heading,
    const char *text, const char *button_url, const char *button_label)
{
	ui_var_t vars[] = {
		{ "kind", kind },
		{ "heading", heading },
		{ "text", text },
		{ "primary_url", button_url },
		{ "primary_label", button_label },
	};

	oidc_page(o, resp, status, vars, sizeof(vars) / sizeof(vars[0]));
}
