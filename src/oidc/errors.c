/*
 * errors.c - protocol errors to HTTP answers, in one place (see errors.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "http/form.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "po_limits.h"
#include "ui/page.h"

void
oidc_error_json(http_resp_t *resp, int status, const char *error, const char *description)
{
	json_t *o = json_object();
	char *s = NULL;
	int rc = PO_ERR_NOMEM;

	if (o == NULL || json_object_set_new(o, "error", json_string(error)) != 0 ||
	    (description && json_object_set_new(o, "error_description", json_string(description)) != 0) ||
	    (s = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	/* RFC 6749 §5.1/§5.2: token answers are never cached. */
	if ((rc = http_resp_text(resp, status, "application/json", s)) != PO_OK ||
	    (rc = http_resp_header(resp, "Cache-Control", "no-store")) != PO_OK)
		goto out;
	rc = http_resp_header(resp, "Pragma", "no-cache");
out:
	(void)http_resp_fail(resp, rc);
	json_decref(o);
	free(s);
}

/* The error redirect's Location: the registered URI plus the parameters. */
static int
error_location(const oidc_t *o, buf_t *loc, const char *redirect_uri, const char *error, const char *description,
    const char *state)
{
	int rc;

	if ((rc = buf_puts(loc, redirect_uri)) != PO_OK ||
	    (rc = buf_puts(loc, strchr(redirect_uri, '?') ? "&error=" : "?error=")) != PO_OK ||
	    (rc = form_encode(loc, error)) != PO_OK)
		return rc;
	if (description &&
	    ((rc = buf_puts(loc, "&error_description=")) != PO_OK || (rc = form_encode(loc, description)) != PO_OK))
		return rc;
	if (state && ((rc = buf_puts(loc, "&state=")) != PO_OK || (rc = form_encode(loc, state)) != PO_OK))
		return rc;
	/* RFC 9207: the issuer identifies who answered (mix-up defence). */
	if ((rc = buf_puts(loc, "&iss=")) != PO_OK)
		return rc;
	return form_encode(loc, o->o.cfg->issuer);
}

void
oidc_error_redirect(const oidc_t *o, http_resp_t *resp, const char *redirect_uri, const char *error,
    const char *description, const char *state)
{
	buf_t loc;
	int rc;

	/* Sized from its inputs: every parameter may triple when encoded. */
	size_t params = strlen(error) + strlen(o->o.cfg->issuer);
	params += (description ? strlen(description) : 0) + (state ? strlen(state) : 0);
	buf_init(&loc, strlen(redirect_uri) + LIM_URL_MAX + 3 * params);
	if ((rc = error_location(o, &loc, redirect_uri, error, description, state)) != PO_OK)
		goto out;
	resp->status = 302;
	if ((rc = http_resp_header(resp, "Location", buf_str(&loc))) != PO_OK)
		goto out;
	rc = http_resp_header(resp, "Cache-Control", "no-store");
out:
	(void)http_resp_fail(resp, rc);
	buf_free(&loc);
}

void
oidc_page(const oidc_t *o, http_resp_t *resp, int status, const ui_var_t *vars, size_t n)
{
	page_message(o->o.ui, o->o.cfg->issuer_path, resp, status, vars, n);
}

void
oidc_error_page(const oidc_t *o, http_resp_t *resp, int status, const char *kind, const char *heading,
    const char *text, const char *button_url, const char *button_label)
{
	page_error(o->o.ui, o->o.cfg->issuer_path, resp, status, kind, heading, text, button_url, button_label);
}
