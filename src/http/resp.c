/*
 * resp.c - building a response (server.h): headers, body, the sticky
 * error, and the shared pre-built answers. No I/O: server.c sends them.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <microhttpd.h>

#include "core/err.h"
#include "core/str.h"
#include "http/server.h"

int
http_resp_fail(http_resp_t *r, int rc)
{
	if (rc != PO_OK && r->err == PO_OK)
		r->err = rc;
	return rc;
}

int
http_resp_header(http_resp_t *r, const char *name, const char *value)
{
	char *n = NULL, *v = NULL;

	if (r->nhdr >= HTTP_RESP_HEADERS_MAX)
		return http_resp_fail(r, PO_ERR_LIMIT);
	if ((n = str_dup(name)) == NULL || (v = str_dup(value)) == NULL) {
		free(n);
		return http_resp_fail(r, PO_ERR_NOMEM);
	}
	r->hdr[r->nhdr].name = n;
	r->hdr[r->nhdr].value = v;
	r->nhdr++;
	return PO_OK;
}

void
http_resp_begin(http_resp_t *r, int status, const char *ctype)
{
	r->status = status;
	r->content_type = ctype;
	buf_reset(&r->body);
}

int
http_resp_text(http_resp_t *r, int status, const char *ctype, const char *body)
{
	http_resp_begin(r, status, ctype);
	return http_resp_fail(r, buf_puts(&r->body, body));
}

void
http_resp_clear(http_resp_t *r)
{
	size_t i;

	for (i = 0; i < r->nhdr; i++) {
		free(r->hdr[i].name);
		str_free_secret(r->hdr[i].value); /* Set-Cookie, Location carry secrets */
	}
	r->nhdr = 0;
	buf_free(&r->body);
	http_held_unref(r->held);
	r->held = NULL;
}

void *
http_shared_new(const http_resp_t *t)
{
	struct MHD_Response *r;
	size_t i;

	if ((r = MHD_create_response_from_buffer(t->static_len, (void *)(uintptr_t)t->static_body,
	         MHD_RESPMEM_PERSISTENT)) == NULL)
		return NULL;
	if ((t->content_type && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, t->content_type) != MHD_YES) ||
	    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    MHD_add_response_header(r, "Referrer-Policy", "no-referrer") != MHD_YES)
		goto fail;
	for (i = 0; i < t->nhdr; i++)
		if (MHD_add_response_header(r, t->hdr[i].name, t->hdr[i].value) != MHD_YES)
			goto fail;
	return r;
fail:
	MHD_destroy_response(r);
	return NULL;
}

void
http_shared_free(void *shared)
{
	if (shared)
		MHD_destroy_response(shared);
}

struct http_held {
	atomic_int refs;
	struct MHD_Response *r; /* one libmicrohttpd reference, ours */
};

http_held_t *
http_held_new(const http_resp_t *tmpl)
{
	http_held_t *h = malloc(sizeof(*h));

	if (h == NULL)
		return NULL;
	if ((h->r = http_shared_new(tmpl)) == NULL) {
		free(h);
		return NULL;
	}
	atomic_init(&h->refs, 1);
	return h;
}

void
http_held_ref(http_held_t *h)
{
	atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
}

void
http_held_unref(http_held_t *h)
{
	/* libmicrohttpd counts the connections it is queued on itself: the
	 * last of ours may go while one is still being sent. */
	if (h != NULL && atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) == 1) {
		MHD_destroy_response(h->r);
		free(h);
	}
}

void
http_resp_held(http_resp_t *r, int status, http_held_t *h)
{
	http_held_unref(r->held);
	r->held = h;
	r->status = status;
}

void *
http_held_response(const http_held_t *h)
{
	return h->r;
}
