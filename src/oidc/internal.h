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
#include "session/session.h"

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

/* client_auth.c: the token endpoint's client authentication and what it
 * remembers (secrets that matched their hash). One per provider; its
 * functions are safe from every HTTP thread. */
typedef struct client_auth client_auth_t;
/* PO_OK, PO_ERR_NOMEM or PO_ERR_CRYPTO. cfg must outlive it. */
int client_auth_new(const config_t *cfg, client_auth_t **out) PO_WUR;
void client_auth_free(client_auth_t *a);

struct oidc {
	oidc_opts_t o;
	client_auth_t *auth;  /* the token endpoint's client authentication */
	char *logout_url;     /* "{issuer path}/logout", for pages */
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

/* sso.c: the browser's sign-on session, opened and not revoked: PO_OK,
 * PO_ERR_NOTFOUND (no cookie), PO_ERR_INVALID (not a usable session), or
 * the store's error. */
int oidc_session_of(const oidc_t *o, const keyring_t *ring, const http_req_t *req, int64_t now, session_t *out) PO_WUR;
/* Ends a session (logout, a share removed, a token plex.tv refused): its id
 * is remembered as revoked until it would have expired, and the answer
 * removes the cookie. */
void oidc_end_session(oidc_t *o, const session_t *s, http_resp_t *resp);
/* The answer removes the sign-on session cookie, and forward auth's copy of
 * it on [server] cookie_domain when there is one. */
void oidc_clear_session_cookies(const oidc_t *o, http_resp_t *resp);
/* Forward auth's copy of the session (the cookie on cookie_domain, which
 * the issuer's host receives too), opened and not revoked; as
 * oidc_session_of. */
int oidc_gate_session_of(const oidc_t *o, const keyring_t *ring, const http_req_t *req, int64_t now, session_t *out)
    PO_WUR;
/* The no-access page (403): the account that signed in, and the app's
 * name when the app is what refuses them (NULL: the server is not shared);
 * it offers "Sign out". */
void oidc_no_access_page(const oidc_t *o, http_resp_t *resp, const char *account, const char *app);
/* true if the client's allow list admits the user (policy.h); when not,
 * it is logged and counted (sso.c). */
bool oidc_client_admits(const oidc_t *o, const config_client_t *cl, const identity_t *who);
/* Whether client cl takes the user: its allow list, then its
 * require_email (an account without email, a managed Plex Home user, is
 * refused up front rather than by the app with an error of its own). A
 * refusal is logged and counted (sso.c). */
enum oidc_refusal {
	OIDC_ADMITTED,
	OIDC_REFUSED_GROUPS,
	OIDC_REFUSED_NO_EMAIL
};
enum oidc_refusal oidc_client_refusal(const oidc_t *o, const config_client_t *cl, const identity_t *who);
/* The page of a refusal (403, naming the app and the account), and the
 * error_description of the access_denied a silent request gets instead. */
void oidc_refusal_page(const oidc_t *o, http_resp_t *resp, const char *account, const config_client_t *cl,
    enum oidc_refusal why);
const char *oidc_refusal_text(enum oidc_refusal why);
/* The name of a client for people: its name, else its id. */
const char *oidc_client_label(const config_client_t *cl);
/* "Plex is not answering" (503 with Retry-After). */
void oidc_unavailable_page(const oidc_t *o, http_resp_t *resp);
/* The logout page's path below the issuer's host ("/auth/logout"). */
const char *oidc_logout_url(const oidc_t *o);
/* "Plex is not answering": when to come back (seconds, as text). */
#define OIDC_UNAVAILABLE_RETRY_AFTER "30"

/* code.c: issues a code for the request r (the client and redirect URI
 * validated) and the user who (sess: the sealed sign-on session, kept with
 * the code when offline_access asks for a refresh token; may be NULL), and
 * answers with the redirect back to the app (302). PO_OK, or an error and nothing answered (PO_ERR_UPSTREAM: the
 * store is out of reach). */
int oidc_code_redirect(oidc_t *o, const authz_req_t *r, const identity_t *who, const char *sess, http_resp_t *resp)
    PO_WUR;
/* client_auth.c: authenticates the caller of the token endpoint from the
 * request's Authorization header and form f. PO_OK and *cl (borrowed from
 * the config) with nothing answered; otherwise an error other than PO_OK,
 * *cl NULL, and the answer written to resp (400 invalid_request, 401
 * invalid_client, 503 while hashed secrets are busy, 500). */
int oidc_client_authenticate(oidc_t *o, const http_req_t *req, const form_t *f, const config_client_t **cl,
    http_resp_t *resp);
/* token.c: what an answer of the token endpoint carries. */
typedef struct oidc_issue {
	const config_client_t *cl;
	const identity_t *who;
	unsigned scopes;
	const char *nonce;         /* the authorization request's (code grant only) */
	const char *code;          /* the code redeemed: it remembers the access token,
	                            * to revoke it on a replay; NULL on a refresh */
	const char *refresh_token; /* the (new) refresh token, or NULL */
} oidc_issue_t;
/* Issues an access token and an ID token and answers with them (RFC 6749
 * §5.1, OIDC Core §3.1.3.3 and §12.2), or with the error. */
void oidc_issue_tokens(oidc_t *o, const oidc_issue_t *in, http_resp_t *resp);
/* refresh.c: the first refresh token of a chain, from the sealed sign-on
 * session kept with the code (its Plex token and check times) and the
 * granted scopes. *out: malloc'd. PO_OK or an error (no refresh token). */
int oidc_refresh_first(oidc_t *o, const config_client_t *cl, const char *sess, unsigned scopes, char **out) PO_WUR;
/* refresh.c: grant_type=refresh_token (RFC 6749 §6) for client cl. */
void oidc_refresh_grant(oidc_t *o, const config_client_t *cl, const form_t *f, http_req_t *req, http_resp_t *resp);

/* code.c: the OIDC door of the login pages. */
extern const login_door_ops_t oidc_door;

/* authorize.c: the endpoint. setup.c: setup mode's endpoints. */
void oidc_authorize(void *o, http_req_t *req, http_resp_t *resp);
void oidc_token(void *o, http_req_t *req, http_resp_t *resp);
void oidc_userinfo(void *o, http_req_t *req, http_resp_t *resp);
void oidc_discovery(void *o, http_req_t *req, http_resp_t *resp);
void oidc_logout(void *o, http_req_t *req, http_resp_t *resp);
void oidc_jwks(void *o, http_req_t *req, http_resp_t *resp);
/* webfinger.c: issuer discovery by WebFinger ([server] webfinger). */
void oidc_webfinger(void *o, http_req_t *req, http_resp_t *resp);
int oidc_setup_routes(oidc_t *o, router_t *r, int begin_guard) PO_WUR;

#endif
