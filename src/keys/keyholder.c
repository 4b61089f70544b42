/*
 * keyholder.c - the swappable key ring of a running server (keyholder.h).
 *
 * The mutex guards only the pointer and the stamps; the ring's reference
 * count (atomic) does the rest. Reading the file happens outside the lock,
 * so request threads never wait on disk I/O; two refreshes at once may
 * both read the file, and the later swap wins, which is harmless (same
 * file, or the newer one).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "jose/jwk.h"
#include "keys/keyholder.h"
#include "keys/keyring_int.h"

struct keyholder {
	pthread_mutex_t mu;
	keyring_t *ring;
	keyring_stamp_t stamp;     /* of the file ring came from; zero if unknown */
	keyring_stamp_t bad_stamp; /* the last file state that failed to load */
	bool have_bad;
};

int
keyholder_new(keyring_t *ring, const keyring_stamp_t *stamp, keyholder_t **out)
{
	keyholder_t *h;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return PO_ERR_NOMEM;
	if (pthread_mutex_init(&h->mu, NULL) != 0) {
		free(h);
		return PO_ERR_NOMEM;
	}
	h->ring = ring;
	if (stamp != NULL)
		h->stamp = *stamp;
	*out = h;
	return PO_OK;
}

void
keyholder_free(keyholder_t *h)
{
	if (h == NULL)
		return;
	keyring_free(h->ring);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

keyring_t *
keyholder_get(keyholder_t *h)
{
	keyring_t *r;

	pthread_mutex_lock(&h->mu);
	r = keyring_ref(h->ring);
	pthread_mutex_unlock(&h->mu);
	return r;
}

void
keyholder_put(keyring_t *r)
{
	keyring_free(r);
}

void
keyholder_set(keyholder_t *h, keyring_t *ring, const keyring_stamp_t *stamp)
{
	keyring_t *old;

	pthread_mutex_lock(&h->mu);
	old = h->ring;
	h->ring = ring;
	if (stamp != NULL)
		h->stamp = *stamp;
	else
		memset(&h->stamp, 0, sizeof(h->stamp));
	h->have_bad = false;
	pthread_mutex_unlock(&h->mu);
	keyring_free(old); /* freed now, or by the last request still using it */
}

int
keyholder_refresh(keyholder_t *h, const char *data_dir, unsigned algs, bool *changed, buf_t *why)
{
	keyring_stamp_t now, held, got;
	keyring_t *r = NULL;
	bool known_bad;
	int rc;

	if (changed != NULL)
		*changed = false;
	/* A missing or unreadable file has the all-zero stamp: reported once
	 * like any other bad state. */
	rc = keyring_stamp(data_dir, &now);
	pthread_mutex_lock(&h->mu);
	held = h->stamp;
	known_bad = h->have_bad && keyring_stamp_eq(&now, &h->bad_stamp);
	pthread_mutex_unlock(&h->mu);
	if ((rc == PO_OK && keyring_stamp_eq(&now, &held)) || known_bad)
		return PO_OK;
	if (rc == PO_OK)
		rc = keyring_load(data_dir, &r, &got, why);
	else
		kr_why(why, "%s/%s: %s; the keys in use are kept", data_dir, KEYRING_FILE,
		    rc == PO_ERR_NOTFOUND ? "missing" : "cannot stat it");
	if (rc == PO_OK && (keyring_algs(r) & algs) != (algs & JOSE_ALGS_ALL)) {
		kr_why(why, "%s/%s has no keys for an algorithm a client uses; the keys in use are kept (restart "
		            "plex-oidc to add them)",
		    data_dir, KEYRING_FILE);
		rc = PO_ERR_INVALID;
	}
	if (rc != PO_OK) {
		keyring_free(r);
		pthread_mutex_lock(&h->mu);
		h->bad_stamp = now;
		h->have_bad = true;
		pthread_mutex_unlock(&h->mu);
		return rc;
	}
	keyholder_set(h, r, &got);
	if (changed != NULL)
		*changed = true;
	return PO_OK;
}
