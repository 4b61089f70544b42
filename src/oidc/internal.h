/*
 * internal.h - the provider's state and the helpers its endpoint files
 * share (not a public interface: oidc.h is).
 */
#ifndef PO_OIDC_INTERNAL_H
#define PO_OIDC_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/form.h"
#include "login/login.h"
#include "oidc/grant.h"
#include "oidc/oidc.h"

/* Replaced JWKS answers kept until they are LIM_ANSWER_GRACE_MS old: key
 * changes are rare (a rotation a day at most). */
#define OIDC_OLD_ANSWERS_MAX 8

/* The built-in client and its server id of setup mode (setup.c). */
#define OIDC_SETUP_CLIENT_ID "setup"

/* A replaced JWKS answer, freed once no request can still be sending it. */
struct oidc_old_answer {
	void *resp;
	char *doc;
	int64_t since_ms; /* monotonic */
};

struct oidc {
	oidc_opts_t o;
	char *discovery;      /* the discovery document, built once */
	void *discovery_resp; /* as a whole answer (http_shared_new) */
	pthread_mutex_t mu;   /* guards the JWKS answer and the old ones */
	char *jwks;           /* the JWKS document, built at start and on a key change */
	void *jwks_resp;
	struct oidc_old_answer old[OIDC_OLD_ANSWERS_MAX];
	size_t n_old;
};

/* discovery.c: builds the discovery answer (once), and a JWKS answer from
 * the current key ring (*doc and *resp: the caller's). */
int oidc_build_discovery(oidc_t *o) PO_WUR;
int oidc_build_jwks(oidc_t *o, char **doc, void **resp) PO_WUR;
/* The JWS algorithm a client's ID tokens are signed with. */
enum jose_alg oidc_client_alg(const config_client_t *cl);

/* The request's parameters: the query for GET, the urlencoded body for
 * POST (OIDC Core §3.1.2.1 allows both at the authorization endpoint).
 * PO_OK, PO_ERR_INVALID, PO_ERR_LIMIT. */
int oidc_request_params(const http_req_t *req, form_t *out) PO_WUR;
/* true if the request's body is application/x-www-form-urlencoded. */
bool oidc_form_body(const http_req_t *req);

/* Appends "{issuer}{path}". */
int oidc_url(const oidc_t *o, buf_t *out, const char *path) PO_WUR;

/* code.c: the OIDC door of the login pages. */
extern const login_door_ops_t oidc_door;

/* authorize.c: the endpoint. setup.c: setup mode's endpoints. */
void oidc_authorize(void *o, http_req_t *req, http_resp_t *resp);
void oidc_token(void *o, http_req_t *req, http_resp_t *resp);
void oidc_userinfo(void *o, http_req_t *req, http_resp_t *resp);
void oidc_discovery(void *o, http_req_t *req, http_resp_t *resp);
void oidc_jwks(void *o, http_req_t *req, http_resp_t *resp);
int oidc_setup_routes(oidc_t *o, router_t *r, int begin_guard) PO_WUR;

#endif
