/*
 * router.c - routing, 404/405 and CORS (see router.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "http/router.h"

/* Routes of the whole program: a few dozen. */
#define ROUTER_ROUTES_MAX 64

struct router {
	char *base;
	size_t base_len;
	route_t routes[ROUTER_ROUTES_MAX];
	size_t n;
	router_guard_fn guard;
	void *guard_arg;
};

int
router_new(const char *base, router_t **out)
{
	router_t *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL || (r->base = str_dup(base ? base : "")) == NULL) {
		free(r);
		return PO_ERR_NOMEM;
	}
	r->base_len = strlen(r->base);
	*out = r;
	return PO_OK;
}

void
router_free(router_t *r)
{
	if (r == NULL)
		return;
	free(r->base);
	free(r);
}

int
router_add(router_t *r, const route_t *route)
{
	size_t i;

	if (route->path == NULL || route->path[0] != '/' || route->fn == NULL || route->methods == 0)
		return PO_ERR_INVALID;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->routes[i].path, route->path) == 0 && r->routes[i].prefix == route->prefix)
			return PO_ERR_INVALID;
	if (r->n >= ROUTER_ROUTES_MAX)
		return PO_ERR_LIMIT;
	r->routes[r->n++] = *route;
	return PO_OK;
}

int
router_add_all(router_t *r, const route_t *routes, size_t n)
{
	int rc;

	for (size_t i = 0; i < n; i++)
		if ((rc = router_add(r, &routes[i])) != PO_OK)
			return rc;
	return PO_OK;
}

void
router_set_guard(router_t *r, router_guard_fn fn, void *arg)
{
	r->guard = fn;
	r->guard_arg = arg;
}

const char *
router_subpath(const router_t *r, const http_req_t *req)
{
	const char *p = req->path;

	if (r->base_len && (strncmp(p, r->base, r->base_len) != 0 || (p[r->base_len] != '/' && p[r->base_len] != '\0')))
		return NULL;
	return p + r->base_len;
}

int
http_cors_allow(http_resp_t *resp)
{
	return http_resp_header(resp, "Access-Control-Allow-Origin", "*");
}

static const route_t *
find(const router_t *r, const char *p)
{
	size_t i;

	/* "/" and "" (the base itself) are the same page. */
	if (p[0] == '\0')
		p = "/";
	for (i = 0; i < r->n; i++)
		if (!r->routes[i].prefix && strcmp(p, r->routes[i].path) == 0)
			return &r->routes[i];
	for (i = 0; i < r->n; i++)
		if (r->routes[i].prefix && strncmp(p, r->routes[i].path, strlen(r->routes[i].path)) == 0)
			return &r->routes[i];
	return NULL;
}

static const char *
allow_header(unsigned methods)
{
	if (methods == (ROUTE_GET | ROUTE_POST))
		return "GET, HEAD, POST";
	return methods == ROUTE_POST ? "POST" : "GET, HEAD";
}

/* Failures below are recorded in the response (sticky error: a 500). */
static int
not_found(http_resp_t *resp)
{
	int rc;

	if ((rc = http_resp_text(resp, 404, "text/plain; charset=utf-8", "Not found\n")) != PO_OK)
		return rc;
	return http_resp_header(resp, "Cache-Control", "no-store");
}

static int
preflight(const route_t *rt, http_resp_t *resp)
{
	int rc;

	resp->status = 204;
	if ((rc = http_cors_allow(resp)) != PO_OK ||
	    (rc = http_resp_header(resp, "Access-Control-Allow-Methods",
	         rt->methods & ROUTE_POST ? (rt->methods & ROUTE_GET ? "GET, POST, OPTIONS" : "POST, OPTIONS")
	                                  : "GET, OPTIONS")) != PO_OK ||
	    (rc = http_resp_header(resp, "Access-Control-Allow-Headers", "Authorization, Content-Type")) != PO_OK)
		return rc;
	return http_resp_header(resp, "Access-Control-Max-Age", "86400");
}

static int
method_not_allowed(const route_t *rt, http_resp_t *resp)
{
	int rc;

	if ((rc = http_resp_text(resp, 405, "text/plain; charset=utf-8", "Method not allowed\n")) != PO_OK ||
	    (rc = http_resp_header(resp, "Allow", allow_header(rt->methods))) != PO_OK)
		return rc;
	return rt->cors ? http_cors_allow(resp) : PO_OK;
}

void
router_handle(void *arg, http_req_t *req, http_resp_t *resp)
{
	router_t *r = arg;
	const route_t *rt;
	const char *p;
	unsigned m = 0;
	int rc = PO_OK;

	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
		m = ROUTE_GET;
	else if (strcmp(req->method, "POST") == 0)
		m = ROUTE_POST;
	if ((p = router_subpath(r, req)) == NULL || (rt = find(r, p)) == NULL)
		rc = not_found(resp);
	else if (strcmp(req->method, "OPTIONS") == 0 && rt->cors)
		rc = preflight(rt, resp); /* credentials protect these, not origins */
	else if ((rt->methods & m) == 0)
		rc = method_not_allowed(rt, resp);
	else if (rt->cors && (rc = http_cors_allow(resp)) != PO_OK)
		;
	else if (rt->guard_class < 0 || r->guard == NULL || req->reentry ||
	    !r->guard(r->guard_arg, rt->guard_class, req, resp))
		rt->fn(rt->arg, req, resp);
	/* A failure above is the response's sticky error: it goes out as 500. */
	(void)http_resp_fail(resp, rc);
}
