/*
 * grant.c - freeing and copying the stored records (see grant.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "oidc/grant.h"

void
authz_req_clear(authz_req_t *r)
{
	free(r->client_id);
	free(r->redirect_uri);
	free(r->state);
	free(r->nonce);
	free(r->code_challenge);
	free(r->retry_query);
	memset(r, 0, sizeof(*r));
}

int
authz_req_copy(authz_req_t *dst, const authz_req_t *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->scopes = src->scopes;
	if ((dst->client_id = str_dup(src->client_id)) == NULL ||
	    (dst->redirect_uri = str_dup(src->redirect_uri)) == NULL ||
	    (src->state && (dst->state = str_dup(src->state)) == NULL) ||
	    (src->nonce && (dst->nonce = str_dup(src->nonce)) == NULL) ||
	    (src->code_challenge && (dst->code_challenge = str_dup(src->code_challenge)) == NULL)) {
		authz_req_clear(dst);
		return PO_ERR_NOMEM;
	}
	return PO_OK;
}

void
login_free(void *p)
{
	login_t *l = p;

	if (l == NULL)
		return;
	authz_req_clear(&l->req);
	free(l->pin_code);
	claims_free(l->claims);
	free(l->account);
	str_wipe(l->bid, sizeof(l->bid));
	free(l);
}

void
code_grant_free(void *p)
{
	code_grant_t *g = p;

	if (g == NULL)
		return;
	authz_req_clear(&g->req);
	claims_free(g->claims);
	str_wipe(g->access_token, sizeof(g->access_token));
	free(g);
}

void
token_grant_free(void *p)
{
	token_grant_t *t = p;

	if (t == NULL)
		return;
	free(t->client_id);
	claims_free(t->claims);
	free(t);
}
