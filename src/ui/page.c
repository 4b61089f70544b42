/*
 * page.c - HTML answers (see page.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "po_limits.h"
#include "ui/page.h"

/* No inline script or style anywhere, so the policy can be this strict. */
#define PAGE_CSP_HEAD                                                                     \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; form-action 'self'"
#define PAGE_CSP_TAIL "; frame-ancestors 'none'; base-uri 'none'"
#define PAGE_CSP PAGE_CSP_HEAD PAGE_CSP_TAIL
/* The policy with one more form-action origin. */
#define PAGE_CSP_MAX (sizeof(PAGE_CSP) + LIM_URL_MAX + 2)

static int
headers_csp(http_resp_t *resp, const char *csp)
{
	int rc;

	if ((rc = http_resp_header(resp, "Content-Security-Policy", csp)) != PO_OK ||
	    (rc = http_resp_header(resp, "X-Frame-Options", "DENY")) != PO_OK)
		return rc;
	return http_resp_header(resp, "Cache-Control", "no-store");
}

int
page_headers(http_resp_t *resp)
{
	return headers_csp(resp, PAGE_CSP);
}

static void
render(const ui_t *ui, const char *base, http_resp_t *resp, int status, const char *tpl, const ui_var_t *vars,
    size_t n, const char *csp)
{
	ui_var_t all[PAGE_VARS_MAX + 1];
	size_t i;
	int rc;

	all[0].name = "base";
	all[0].value = base;
	for (i = 0; i < n && i < PAGE_VARS_MAX; i++)
		all[i + 1] = vars[i];
	http_resp_begin(resp, status, "text/html; charset=utf-8");
	if ((rc = ui_render(ui, tpl, all, i + 1, &resp->body)) != PO_OK) {
		log_error_fr(rc, "cannot render %s", tpl);
		(void)http_resp_fail(resp, rc);
		return;
	}
	(void)http_resp_fail(resp, headers_csp(resp, csp));
}

void
page_render(const ui_t *ui, const char *base, http_resp_t *resp, int status, const char *tpl, const ui_var_t *vars,
    size_t n)
{
	render(ui, base, resp, status, tpl, vars, n, PAGE_CSP);
}

void
page_render_form_to(const ui_t *ui, const char *base, http_resp_t *resp, int status, const char *tpl,
    const ui_var_t *vars, size_t n, const char *origin)
{
	char csp[PAGE_CSP_MAX];

	/* An origin is scheme://host[:port]: nothing that could end the
	 * directive. */
	if (origin == NULL || strpbrk(origin, " ;,'\"\r\n") != NULL ||
	    snprintf(csp, sizeof(csp), "%s %s%s", PAGE_CSP_HEAD, origin, PAGE_CSP_TAIL) >= (int)sizeof(csp)) {
		render(ui, base, resp, status, tpl, vars, n, PAGE_CSP);
		return;
	}
	render(ui, base, resp, status, tpl, vars, n, csp);
}

/* A page on another origin than the issuer's: no script, no form; styles
 * and images from the issuer's origin only. */
#define PAGE_CSP_ELSEWHERE_MAX (256 + 2 * LIM_URL_MAX)

void
page_message_elsewhere(const ui_t *ui, const char *base, const char *origin, http_resp_t *resp, int status,
    const ui_var_t *vars, size_t n)
{
	char csp[PAGE_CSP_ELSEWHERE_MAX];

	/* An origin is scheme://host[:port]: nothing that could end the
	 * directive; anything else gets a page without styles. */
	if (origin == NULL || strpbrk(origin, " ;,'\"\r\n") != NULL ||
	    snprintf(csp, sizeof(csp),
	        "default-src 'none'; style-src %s; img-src %s data:; form-action 'none'" PAGE_CSP_TAIL, origin,
	        origin) >= (int)sizeof(csp))
		snprintf(csp, sizeof(csp), "default-src 'none'; form-action 'none'" PAGE_CSP_TAIL);
	render(ui, base, resp, status, "message.html", vars, n, csp);
}

void
page_message(const ui_t *ui, const char *base, http_resp_t *resp, int status, const ui_var_t *vars, size_t n)
{
	page_render(ui, base, resp, status, "message.html", vars, n);
}

void
page_error(const ui_t *ui, const char *base, http_resp_t *resp, int status, const char *kind, const char *heading,
    const char *text, const char *button_url, const char *button_label)
{
	ui_var_t vars[] = {
		{ "kind", kind },
		{ "heading", heading },
		{ "text", text },
		{ "primary_url", button_url },
		{ "primary_label", button_label },
	};

	page_message(ui, base, resp, status, vars, sizeof(vars) / sizeof(vars[0]));
}
