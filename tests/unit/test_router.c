/*
 * test_router.c - routing (http/router.c): the base path, exact routes
 * before prefixes, 404, 405 with Allow, CORS answers and preflights, the
 * guard, and the sticky error of a response whose header did not fit.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "http/router.h"
#include "t.h"

static int hits[4];

static void
h0(void *arg, http_req_t *req, http_resp_t *resp)
{
	hits[0]++;
	resp->status = 200;
}

static void
h1(void *arg, http_req_t *req, http_resp_t *resp)
{
	hits[1]++;
	resp->status = 201;
}

static void
h_many_headers(void *arg, http_req_t *req, http_resp_t *resp)
{
	int rc = PO_OK;

	for (int i = 0; i < HTTP_RESP_HEADERS_MAX + 1 && rc == PO_OK; i++)
		rc = http_resp_header(resp, "X-Many", "v");
	T_EQ_INT(rc, PO_ERR_LIMIT);
}

static bool
guard(void *arg, int cls, http_req_t *req, http_resp_t *resp)
{
	hits[3]++;
	if (cls == 7) {
		resp->status = 429;
		return true;
	}
	return false;
}

static const char *
header(const http_resp_t *r, const char *name)
{
	for (size_t i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr[i].name, name) == 0)
			return r->hdr[i].value;
	return NULL;
}

static void
run(router_t *r, const char *method, const char *path, http_resp_t *resp, int reentry)
{
	http_req_t req = { 0 };

	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, 4096);
	req.method = method;
	req.path = path;
	req.query = "";
	req.body = "";
	req.reentry = reentry;
	router_handle(r, &req, resp);
}

static void
test_routing(void)
{
	router_t *r = NULL;
	route_t a = { "/a", false, ROUTE_GET, false, -1, h0, NULL };
	route_t pre = { "/assets/", true, ROUTE_GET, false, -1, h1, NULL };
	route_t tok = { "/token", false, ROUTE_POST, true, 5, h1, NULL };
	route_t lim = { "/limited", false, ROUTE_GET | ROUTE_POST, false, 7, h0, NULL };
	route_t many = { "/many", false, ROUTE_GET, false, -1, h_many_headers, NULL };
	route_t root = { "/", false, ROUTE_GET, false, -1, h1, NULL };
	static const struct {
		const char *method, *path;
		int status;
		const char *allow, *acao;
	} v[] = {
		{ "GET", "/auth/a", 200, NULL, NULL },
		{ "HEAD", "/auth/a", 200, NULL, NULL },
		{ "POST", "/auth/a", 405, "GET, HEAD", NULL },
		{ "GET", "/a", 404, NULL, NULL }, /* outside the base */
		{ "GET", "/authx/a", 404, NULL, NULL },
		{ "GET", "/auth/a/", 404, NULL, NULL },
		{ "GET", "/auth/ab", 404, NULL, NULL },
		{ "GET", "/auth/assets/x.css", 201, NULL, NULL },
		{ "GET", "/auth/assets", 404, NULL, NULL },
		{ "GET", "/auth", 201, NULL, NULL }, /* the base itself is "/" */
		{ "GET", "/auth/", 201, NULL, NULL },
		{ "POST", "/auth/token", 201, NULL, "*" },
		{ "GET", "/auth/token", 405, "POST", "*" },
		{ "OPTIONS", "/auth/token", 204, NULL, "*" },
		{ "OPTIONS", "/auth/a", 405, "GET, HEAD", NULL },
		{ "DELETE", "/auth/limited", 405, "GET, HEAD, POST", NULL },
		{ "GET", "/auth/limited", 429, NULL, NULL },
		{ "GET", "/auth/many", 500, NULL, NULL }, /* sticky error */
	};
	size_t i;

	T_EQ_INT(router_new("/auth", &r), PO_OK);
	router_set_guard(r, guard, NULL);
	T_EQ_INT(router_add(r, &a), PO_OK);
	T_EQ_INT(router_add(r, &a), PO_ERR_INVALID);
	T_EQ_INT(router_add(r, &pre), PO_OK);
	T_EQ_INT(router_add(r, &tok), PO_OK);
	T_EQ_INT(router_add(r, &lim), PO_OK);
	T_EQ_INT(router_add(r, &many), PO_OK);
	T_EQ_INT(router_add(r, &root), PO_OK);
	{
		route_t bad = { "nope", false, ROUTE_GET, false, -1, h0, NULL };
		T_EQ_INT(router_add(r, &bad), PO_ERR_INVALID);
	}
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		http_resp_t resp;
		int status;

		run(r, v[i].method, v[i].path, &resp, 0);
		status = resp.err != PO_OK ? 500 : resp.status;
		if (status != v[i].status)
			fprintf(stderr, "  %s %s: %d\n", v[i].method, v[i].path, status);
		T_EQ_INT(status, v[i].status);
		if (v[i].allow)
			T_EQ_STR(header(&resp, "Allow"), v[i].allow);
		if (v[i].acao)
			T_EQ_STR(header(&resp, "Access-Control-Allow-Origin"), v[i].acao);
		else
			T_CHECK(header(&resp, "Access-Control-Allow-Origin") == NULL);
		http_resp_clear(&resp);
	}
	/* the guard runs for guarded routes only, and not on a re-entry */
	memset(hits, 0, sizeof(hits));
	{
		http_resp_t resp;
		run(r, "GET", "/auth/a", &resp, 0);
		http_resp_clear(&resp);
		run(r, "POST", "/auth/token", &resp, 0);
		http_resp_clear(&resp);
		run(r, "GET", "/auth/limited", &resp, 1);
		T_EQ_INT(resp.status, 200);
		http_resp_clear(&resp);
	}
	T_EQ_INT(hits[3], 1);
	router_free(r);
}

int
main(void)
{
	T_RUN(test_routing);
	return T_DONE();
}
