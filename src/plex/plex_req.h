/*
 * plex_req.h - one call to plex.tv as the client's worker carries it: the
 * libcurl easy handle with its URL and headers, the answer's body, the
 * callback. Internal to src/plex/ (plex.c is its only user).
 *
 * Ownership: a request owns its easy handle, its header list (which may
 * hold the user's token, wiped on free) and its body buffer (which may
 * hold a token too, wiped on free). The fields below `--- set by plex.c`
 * are the client's to manage.
 */
#ifndef PO_PLEX_PLEX_REQ_H
#define PO_PLEX_PLEX_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "core/buf.h"
#include "plex/plex.h"

struct plex_req {
	struct plex_req *next, *prev; /* the list the request is on */
	enum plex_endpoint ep;
	CURL *easy;
	struct curl_slist *headers; /* may hold the token: wiped on free */
	buf_t body;                 /* bounded by LIM_PLEX_BODY_MAX */
	bool body_over;             /* the write callback hit the bound */
	char errbuf[CURL_ERROR_SIZE];
	/* --- set by plex.c */
	int64_t start_us;    /* accepted (for the observer's latency) */
	int64_t queued_ms;   /* entered the wait queue */
	int64_t deadline_ms; /* all hops together: 0 until first sent */
	unsigned hops;       /* redirects followed */
	plex_observer_fn obs;
	void *obs_arg;
	plex_pin_cb pin_cb;
	plex_user_cb user_cb;
	plex_resources_cb res_cb;
	void *arg;
};

/* Builds a request for api_url + path; token (NULL for the PIN calls)
 * goes into an X-Plex-Token header, never into the URL. The other headers
 * follow docs/PLEX-API.md "Headers on every call". PO_OK, PO_ERR_NOMEM or
 * PO_ERR_INTERNAL (curl refused an option). */
int plex_req_new(enum plex_endpoint ep, const char *api_url, const char *path, const char *token,
    const char *client_identifier, const char *product, const char *version, long connect_timeout_ms,
    struct plex_req **out);
/* Aims the request at the next hop of a redirect: the new absolute url;
 * with as_get (a 303), a GET without a body from now on. Clears the body
 * read so far. PO_OK or PO_ERR_INTERNAL. */
int plex_req_redirect(struct plex_req *r, const char *url, bool as_get);
/* A finished transfer answered http (3xx): if it is a redirect
 * (301/302/303/307/308) with a Location that plex_rules_redirect_ok()
 * allows from api_url, and fewer than LIM_PLEX_REDIRECTS_MAX hops were
 * followed, aims the request at it (plex_req_redirect) and returns true;
 * the caller sends it again. Otherwise false (logged, never the URL): the
 * answer is final. */
bool plex_req_follow(struct plex_req *r, const char *api_url, long http);
/* Sets the total timeout of the next transfer (what is left of the call's). */
int plex_req_timeout(struct plex_req *r, long ms);
/* Frees everything, wiping the header list and the body. Accepts NULL. */
void plex_req_free(struct plex_req *r);

/* A FIFO of requests, linked through next/prev (a request is on one list
 * at a time). */
struct plex_req_list {
	struct plex_req *head, *tail;
};
void plex_req_list_push(struct plex_req_list *l, struct plex_req *r);
void plex_req_list_push_front(struct plex_req_list *l, struct plex_req *r);
void plex_req_list_unlink(struct plex_req_list *l, struct plex_req *r);

/* true if s is non-empty, at most max bytes and has no control character:
 * it becomes (part of) a header line or URL, where CR or LF would inject. */
bool plex_req_header_value_ok(const char *s, size_t max);

#endif
