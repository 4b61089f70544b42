/*
 * router.h - from a request's path and method to the handler that answers
 * it.
 *
 * Every path lives below a base (the issuer's path, "" or "/auth":
 * OpenID Connect Discovery §4.1); anything outside it, or matching no
 * route, gets 404. A route admits GET (HEAD too) and/or POST; another
 * method gets 405 with Allow. A route marked cors is called by browser-based
 * clients: its answers carry Access-Control-Allow-Origin: * and the router
 * answers its CORS preflights (OPTIONS) itself (Fetch standard). A guard,
 * when set, runs before every route's handler (the rate limits) and may
 * answer instead.
 *
 * Routes are added at start, before the server runs; the router is then
 * read-only and shared by every HTTP thread.
 */
#ifndef PO_HTTP_ROUTER_H
#define PO_HTTP_ROUTER_H

#include <stdbool.h>

#include "http/server.h"

enum {
	ROUTE_GET = 1,
	ROUTE_POST = 2
};

typedef void (*route_fn)(void *arg, http_req_t *req, http_resp_t *resp);

typedef struct route {
	const char *path; /* below the base: "/token"; static string */
	bool prefix;      /* path is a prefix ("/assets/"); the rest is the handler's */
	unsigned methods; /* ROUTE_GET | ROUTE_POST */
	bool cors;
	int guard_class; /* passed to the guard; -1: no guard */
	route_fn fn;
	void *arg;
} route_t;

/* Runs before a guarded route's handler: true if it answered (the handler
 * is then not called). */
typedef bool (*router_guard_fn)(void *arg, int guard_class, http_req_t *req, http_resp_t *resp);

typedef struct router router_t;

/* A router for paths below base (copied). PO_OK or PO_ERR_NOMEM. */
int router_new(const char *base, router_t **out) PO_WUR;
/* Adds a route (copied; its strings must be static). Exact routes are
 * matched before prefixes. PO_OK, PO_ERR_LIMIT (ROUTER_ROUTES_MAX) or
 * PO_ERR_INVALID (a path that does not start with '/', or already added). */
int router_add(router_t *r, const route_t *route) PO_WUR;
/* Adds n routes in order, as router_add; stops at the first error. */
int router_add_all(router_t *r, const route_t *routes, size_t n) PO_WUR;
void router_set_guard(router_t *r, router_guard_fn fn, void *arg);
/* The request handler for http_server_opts_t (arg = the router). */
void router_handle(void *router, http_req_t *req, http_resp_t *resp);
/* The path of req below the base, or NULL when it is outside the base. */
const char *router_subpath(const router_t *r, const http_req_t *req);
void router_free(router_t *r);

/* Adds Access-Control-Allow-Origin: * (for answers built ahead of time). */
int http_cors_allow(http_resp_t *resp) PO_WUR;

#endif
