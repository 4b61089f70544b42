/*
 * app_keys.c - the key ring of a running server (see app_priv.h): loaded
 * or created at start, rotated when [server] key_rotation says so, and
 * read again by the housekeeping thread when its file changes (rotate-keys,
 * another replica), after which the provider rebuilds its JWKS bytes and
 * forward auth empties its cache of opened cookies.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "app_priv.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "gate/gate.h"
#include "keys/keyholder.h"
#include "keys/keyring.h"
#include "oidc/oidc.h"
#include "po_limits.h"

/* The key ring of data_dir: loaded, migrated from signing-key.pem, or
 * created on the very first start; never silently replaced (keyring.h). */
int
app_keys_start(struct app *a)
{
	keyring_t *ring = NULL;
	keyring_stamp_t stamp;
	unsigned done = 0;
	buf_t why;
	int rc;

	buf_init(&why, LIM_KEYRING_WHY_MAX);
	a->algs = oidc_algs_in_use(a->cfg);
	if ((rc = keyring_load_or_create(a->cfg->data_dir, a->algs, 0, clock_now_s(), &ring, &done, &why)) != PO_OK) {
		log_error_fr(rc, "the key ring: %s", buf_str(&why));
		goto out;
	}
	if (done & KEYRING_DID_CREATE)
		log_info("created the key ring in %s/%s", a->cfg->data_dir, KEYRING_FILE);
	if (done & KEYRING_DID_MIGRATE)
		log_info("took %s/%s over into the key ring (same kid)", a->cfg->data_dir, KEYRING_LEGACY_KEY_FILE);
	if (done & KEYRING_DID_ADD)
		log_info("added keys for the algorithms a client now uses to the key ring");
	if (keyring_stamp(a->cfg->data_dir, &stamp) != PO_OK)
		memset(&stamp, 0, sizeof(stamp));
	if ((rc = keyholder_new(ring, &stamp, &a->keys)) != PO_OK)
		goto out;
	ring = NULL; /* transferred */
out:
	keyring_free(ring);
	buf_free(&why);
	return rc;
}

/* Rotates the key ring when [server] key_rotation says it is time: the
 * current RS256 key is older than the period. Replicas sharing data_dir may
 * all try: the first rotates; for the others the new next key is too young
 * (keyring_rotate refuses), which is what we want. */
static void
maybe_rotate(struct app *a, int64_t now)
{
	keyring_t *ring = keyholder_get(a->keys), *next = NULL;
	const jose_key_t *cur = keyring_signer(ring, JOSE_RS256);
	keyring_info_t ki;
	int64_t created = 0, sealed = a->cfg->session_lifetime_s;
	buf_t why;
	int rc;

	for (size_t i = 0; cur && keyring_info(ring, i, &ki) == PO_OK; i++)
		if (!ki.sealing && ki.alg == JOSE_RS256 && ki.role == KEYRING_CURRENT)
			created = ki.created;
	keyholder_put(ring);
	if (created == 0 || now - created < a->cfg->key_rotation_s)
		return;
	if (a->cfg->refresh_lifetime_s > sealed)
		sealed = a->cfg->refresh_lifetime_s;
	buf_init(&why, LIM_KEYRING_WHY_MAX);
	rc = keyring_rotate_file(a->cfg->data_dir, a->algs, now, sealed, false, NULL, &next, NULL, &why);
	if (rc == PO_OK)
		log_info("key_rotation: rotated the key ring");
	else if (rc != PO_ERR_DENIED)
		log_warn_fr(rc, "key_rotation: %s", buf_str(&why));
	keyring_free(next);
	buf_free(&why);
}

/* Housekeeping, every LIM_KEYRING_RELOAD_S: the key ring is read again when
 * its file changed (rotate-keys, another replica, key_rotation), and the
 * JWKS answer rebuilt. */
static void *
maintenance(void *arg)
{
	struct app *a = arg;
	struct timespec until;
	bool changed;
	buf_t why;
	int rc;

	pthread_mutex_lock(&a->maint_mu);
	while (!a->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += LIM_KEYRING_RELOAD_S;
		pthread_cond_timedwait(&a->maint_cv, &a->maint_mu, &until);
		if (a->stopping)
			break;
		pthread_mutex_unlock(&a->maint_mu);
		if (a->cfg->key_rotation_s > 0 && !a->opts.setup_mode)
			maybe_rotate(a, clock_now_s());
		buf_init(&why, LIM_KEYRING_WHY_MAX);
		changed = false;
		if ((rc = keyholder_refresh(a->keys, a->cfg->data_dir, a->algs, &changed, &why)) != PO_OK)
			log_warn_fr(rc, "the key ring was not reloaded: %s", buf_str(&why));
		if (changed) {
			log_info("the key ring changed: reloaded");
			if ((rc = oidc_keys_changed(a->oidc)) != PO_OK)
				log_error_fr(rc, "the new keys are in use but not yet in /jwks");
			gate_keys_changed(a->gate);
		}
		oidc_tick(a->oidc);
		buf_free(&why);
		pthread_mutex_lock(&a->maint_mu);
	}
	pthread_mutex_unlock(&a->maint_mu);
	return NULL;
}

int
app_maintenance_start(struct app *a)
{
	sigset_t all, old;

	/* Like the plex worker: no process signal lands on this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	a->maint_started = pthread_create(&a->maint, NULL, maintenance, a) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return a->maint_started ? PO_OK : PO_ERR_INTERNAL;
}

void
app_maintenance_stop(struct app *a)
{
	if (!a->maint_started)
		return;
	pthread_mutex_lock(&a->maint_mu);
	a->stopping = true;
	pthread_cond_signal(&a->maint_cv);
	pthread_mutex_unlock(&a->maint_mu);
	pthread_join(a->maint, NULL);
	a->maint_started = false;
}
