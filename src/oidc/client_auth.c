/*
 * client_auth.c - who is calling the token endpoint (RFC 6749 §2.3, §3.2.1):
 * the credentials of the request, the client's token_endpoint_auth_method,
 * and its secret, kept in the configuration as it is or as a scrypt hash.
 *
 * Methods (config.h): client_secret_basic and client_secret_post (either,
 * unless the client names one), exactly one per request; none for a public
 * client, which sends its client_id alone and is refused when it sends a
 * secret (RFC 6749 §5.2 invalid_client: an authentication method it does
 * not have). Every refusal is a 401 invalid_client, with a Basic challenge
 * when Basic was tried.
 *
 * Hashed secrets (docs/SECURITY.md, "Hashed client secrets"): scrypt costs
 * milliseconds of CPU and megabytes per try, and a wrong secret is never
 * cheaper to refuse, so
 *   - at most LIM_SECRET_HASH_CONCURRENT run at once; a request that finds
 *     them busy gets 503 temporarily_unavailable with Retry-After, instead
 *     of taking another HTTP thread (there are two);
 *   - a secret that matched is remembered, per client, as an HMAC-SHA256
 *     under a key drawn at start and never stored: the same secret again is
 *     checked with one HMAC and a constant-time compare, so an app's token
 *     requests cost scrypt once per process. A wrong secret is never
 *     remembered, so it always pays scrypt (within the limit above and the
 *     token endpoint's rate limit).
 */
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/b64url.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/secret_hash.h"
#include "core/str.h"
#include "oidc/errors.h"
#include "oidc/internal.h"
#include "po_limits.h"

/* Decoded Basic credentials: a client id (LIM_CLIENT_ID_MAX) and secret
 * (LIM_CLIENT_SECRET_MAX), each possibly percent-encoded (x3), fit. */
#define CA_BASIC_MAX ((LIM_CLIENT_ID_MAX + LIM_CLIENT_SECRET_MAX) * 3 + 2)
/* HMAC-SHA256: its key and its output. */
#define CA_MAC_LEN 32
/* Blocks from this size up are mmapped, and unmapped when freed (glibc's
 * M_MMAP_THRESHOLD): well below scrypt's 8 MiB at hash-secret's
 * parameters (1 MiB at the least accepted with r = 8), well above what
 * anything else allocates per request. bench/run measures the difference:
 * an idle RSS back to its start after scrypt, for ~4 ms more per scrypt
 * (fresh pages each time). */
#define CA_MMAP_THRESHOLD (512 * 1024)
/* "1" to "9" and the NUL: LIM_SECRET_HASH_RETRY_AFTER_S as text. */
#define CA_RETRY_TEXT 4

/* A secret that matched its client's hash, as an HMAC. */
struct ca_verified {
	uint8_t mac[CA_MAC_LEN];
	bool set;
};

struct client_auth {
	const config_t *cfg;
	uint8_t key[CA_MAC_LEN];      /* drawn at start, never stored */
	pthread_mutex_t mu;           /* guards verified[] */
	struct ca_verified *verified; /* one per client, by its index in cfg */
	atomic_int running;           /* scrypt computations in progress */
};

/* The client's credentials as presented. */
struct creds {
	char *id;
	char *secret;
	bool basic;
};

static void
creds_clear(struct creds *c)
{
	free(c->id);
	str_free_secret(c->secret);
	memset(c, 0, sizeof(*c));
}

int
client_auth_new(const config_t *cfg, client_auth_t **out)
{
	client_auth_t *a = NULL;
	int rc = PO_ERR_NOMEM;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->verified = calloc(cfg->n_clients ? cfg->n_clients : 1, sizeof(*a->verified))) == NULL)
		goto out;
	a->cfg = cfg;
	/* scrypt takes 8 MiB (128 * N * r) per check. glibc serves the first
	 * allocation that large with mmap, then raises its mmap threshold past
	 * it, and from then on each HTTP thread's arena keeps its own 8 MiB for
	 * good. A fixed threshold below it keeps such blocks mapped and gives
	 * them back on free. At start, before any HTTP thread, and only when a
	 * client has a hashed secret; nothing else allocates that much. */
	for (size_t i = 0; i < cfg->n_clients; i++)
		if (cfg->clients[i].secret_hash != NULL) {
			(void)mallopt(M_MMAP_THRESHOLD, CA_MMAP_THRESHOLD);
			break;
		}
	pthread_mutex_init(&a->mu, NULL);
	atomic_init(&a->running, 0);
	if ((rc = rnd_bytes(a->key, sizeof(a->key))) != PO_OK)
		goto out;
	*out = a;
	a = NULL; /* transferred */
out:
	client_auth_free(a);
	return rc;
}

void
client_auth_free(client_auth_t *a)
{
	if (a == NULL)
		return;
	if (a->verified != NULL) {
		str_wipe(a->verified, sizeof(*a->verified) * (a->cfg && a->cfg->n_clients ? a->cfg->n_clients : 1));
		free(a->verified);
		pthread_mutex_destroy(&a->mu);
	}
	str_wipe(a->key, sizeof(a->key));
	free(a);
}

/* Reads the credentials from Authorization: Basic or the body. Returns NULL
 * when well-formed, else an error description (invalid_request). */
static const char *
read_creds(const http_req_t *req, const form_t *f, struct creds *c)
{
	static const char basic[] = "Basic ";
	const char *auth = req->authorization;

	if (auth && strncasecmp(auth, basic, sizeof(basic) - 1) == 0) {
		uint8_t raw[CA_BASIC_MAX];
		const char *b = auth + sizeof(basic) - 1, *colon;
		long n;

		c->basic = true;
		while (*b == ' ')
			b++;
		if ((n = b64_decode(b, strlen(b), raw, sizeof(raw) - 1)) < 0)
			return "the Authorization header is not valid Basic credentials";
		raw[n] = '\0';
		if ((colon = memchr(raw, ':', (size_t)n)) == NULL) {
			str_wipe(raw, sizeof(raw));
			return "the Authorization header is not valid Basic credentials";
		}
		/* RFC 6749 §2.3.1: both parts are form-urlencoded. */
		c->id = form_decode((const char *)raw, (size_t)(colon - (const char *)raw), true);
		c->secret = form_decode(colon + 1, (size_t)n - (size_t)(colon + 1 - (const char *)raw), true);
		str_wipe(raw, sizeof(raw));
		if (c->id == NULL || c->secret == NULL)
			return "the Authorization header is not valid Basic credentials";
		if (form_get(f, "client_secret"))
			return "use one client authentication method, not two";
		if (form_get(f, "client_id") && strcmp(form_get(f, "client_id"), c->id) != 0)
			return "client_id does not match the Authorization header";
		return NULL;
	}
	if (auth)
		return NULL; /* another scheme: treated as no credentials */
	if (form_get(f, "client_id"))
		c->id = str_dup(form_get(f, "client_id"));
	if (form_get(f, "client_secret"))
		c->secret = str_dup(form_get(f, "client_secret"));
	return NULL;
}

/* HMAC-SHA256(a->key, secret): what a matched secret is remembered as. */
static int
ca_mac(const client_auth_t *a, const char *secret, uint8_t *mac)
{
	size_t len = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, a->key, sizeof(a->key), (const unsigned char *)secret,
	        strlen(secret), mac, CA_MAC_LEN, &len) == NULL ||
	    len != CA_MAC_LEN)
		return PO_ERR_CRYPTO;
	return PO_OK;
}

/* Checks secret against client i's hash: PO_OK and *ok, PO_ERR_LIMIT when
 * scrypt is busy, or PO_ERR_CRYPTO / PO_ERR_NOMEM. */
static int
ca_check_hash(client_auth_t *a, size_t i, const config_client_t *cl, const char *secret, bool *ok)
{
	uint8_t mac[CA_MAC_LEN];
	int rc;

	*ok = false;
	if ((rc = ca_mac(a, secret, mac)) != PO_OK)
		goto out;
	pthread_mutex_lock(&a->mu);
	*ok = a->verified[i].set && str_ct_eq(mac, sizeof(mac), a->verified[i].mac, sizeof(mac));
	pthread_mutex_unlock(&a->mu);
	if (*ok)
		goto out;
	if (atomic_fetch_add(&a->running, 1) >= LIM_SECRET_HASH_CONCURRENT) {
		atomic_fetch_sub(&a->running, 1);
		rc = PO_ERR_LIMIT;
		goto out;
	}
	rc = secret_hash_verify(cl->secret_hash, secret, strlen(secret), ok);
	atomic_fetch_sub(&a->running, 1);
	if (rc == PO_OK && *ok) {
		pthread_mutex_lock(&a->mu);
		memcpy(a->verified[i].mac, mac, sizeof(mac));
		a->verified[i].set = true;
		pthread_mutex_unlock(&a->mu);
	}
out:
	str_wipe(mac, sizeof(mac));
	return rc;
}

/* 401 invalid_client (RFC 6749 §5.2), with a challenge when Basic was
 * tried. */
static void
ca_refuse(http_resp_t *resp, const struct creds *cr, const char *desc)
{
	oidc_error_json(resp, 401, OE_INVALID_CLIENT, desc);
	if (cr->basic)
		(void)http_resp_fail(resp,
		    http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"plex-oidc\", charset=\"UTF-8\""));
}

int
oidc_client_authenticate(oidc_t *o, const http_req_t *req, const form_t *f, const config_client_t **out,
    http_resp_t *resp)
{
	client_auth_t *a = o->auth;
	struct creds cr = { 0 };
	const config_client_t *cl = NULL;
	const char *err;
	char retry[CA_RETRY_TEXT];
	bool ok = false;
	size_t i;
	int rc = PO_ERR_DENIED;

	*out = NULL;
	if ((err = read_creds(req, f, &cr)) != NULL) {
		oidc_error_json(resp, 400, OE_INVALID_REQUEST, err);
		goto out;
	}
	if (cr.id == NULL || (cl = config_client_find(o->o.cfg, cr.id)) == NULL) {
		ca_refuse(resp, &cr, "client authentication failed");
		goto out;
	}
	i = (size_t)(cl - o->o.cfg->clients);
	switch (cl->auth) {
	case CONFIG_AUTH_NONE:
		/* RFC 6749 §2.1, §3.2.1: a public client identifies itself with
		 * client_id and has no secret to send; a secret means the app
		 * thinks it is another client, so nothing it sent is trusted. */
		if (cr.basic || cr.secret != NULL) {
			ca_refuse(resp, &cr, "this is a public client: it authenticates with token_endpoint_auth_method "
			                     "none, without a secret");
			goto out;
		}
		ok = true;
		break;
	case CONFIG_AUTH_SECRET_BASIC:
	case CONFIG_AUTH_SECRET_POST:
		if (cr.secret != NULL && cr.basic != (cl->auth == CONFIG_AUTH_SECRET_BASIC)) {
			ca_refuse(resp, &cr, cl->auth == CONFIG_AUTH_SECRET_BASIC ? "this client authenticates with "
			                                                            "client_secret_basic"
			                                                          : "this client authenticates with "
			                                                            "client_secret_post");
			goto out;
		}
		/* FALLTHROUGH */
	case CONFIG_AUTH_SECRET:
		if (cr.secret == NULL)
			break;
		if (cl->secret_hash == NULL) {
			ok = cl->secret != NULL && str_ct_eq(cr.secret, strlen(cr.secret), cl->secret, strlen(cl->secret));
			break;
		}
		if ((rc = ca_check_hash(a, i, cl, cr.secret, &ok)) == PO_ERR_LIMIT) {
			snprintf(retry, sizeof(retry), "%d", LIM_SECRET_HASH_RETRY_AFTER_S);
			oidc_error_json(resp, 503, OE_TEMPORARILY_UNAVAILABLE, "the server is busy; retry in a moment");
			(void)http_resp_fail(resp, http_resp_header(resp, "Retry-After", retry));
			rc = PO_ERR_DENIED;
			goto out;
		}
		if (rc != PO_OK) {
			log_error_fr(rc, "token: the secret of client %s could not be checked", cl->id);
			oidc_error_json(resp, 500, OE_SERVER_ERROR, NULL);
			rc = PO_ERR_DENIED;
			goto out;
		}
		rc = PO_ERR_DENIED;
		break;
	}
	if (!ok) {
		ca_refuse(resp, &cr, "client authentication failed");
		goto out;
	}
	*out = cl;
	rc = PO_OK;
out:
	creds_clear(&cr);
	return rc;
}
