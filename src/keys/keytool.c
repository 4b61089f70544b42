/*
 * keytool.c - `plex-oidc rotate-keys` (keytool.h): one rotation step and
 * what the operator needs to know about it.
 *
 * The report lists every key of the ring after the step, per algorithm:
 * the current key (it signs from now on), the next one (published now,
 * signs after the next rotation) and the previous ones (still published,
 * so tokens they signed verify, until their retire time); then the sealing
 * keys likewise. Times are UTC.
 */
#include <stdio.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "jose/jwk.h"
#include "keys/keyring.h"
#include "keys/keytool.h"
#include "po_limits.h"

/* What a key does now, for the report. */
static void
kt_line(FILE *out, const keyring_info_t *in, bool first_of_set, bool rotated, int64_t now)
{
	char when[CLOCK_TEXT_SIZE], wait[CLOCK_TEXT_SIZE];
	const char *set = in->sealing ? "sealing" : jose_alg_name(in->alg);

	fprintf(out, "  %-8s %-9s %s %s", first_of_set ? set : "", keyring_role_name(in->role),
	    in->sealing ? "id " : "kid", in->id);
	switch (in->role) {
	case KEYRING_CURRENT:
		fprintf(out, in->sealing ? "  (seals from now on)\n" : "  (signs from now on)\n");
		break;
	case KEYRING_NEXT:
		clock_fmt_duration(LIM_KEY_PREPUBLISH_S - (now - in->created), wait, sizeof(wait));
		if (in->sealing)
			fprintf(out, "  (%sopens now, seals after the next rotation)\n", rotated ? "new: " : "");
		else if (now - in->created < LIM_KEY_PREPUBLISH_S)
			fprintf(out, "  (%spublished now; signs after the next rotation, in %s at the earliest)\n",
			    rotated ? "new: " : "", wait);
		else
			fprintf(out, "  (published; signs after the next rotation)\n");
		break;
	case KEYRING_PREVIOUS:
		clock_fmt_utc(in->retire, when, sizeof(when));
		fprintf(out, in->sealing ? "  (still opens until %s)\n" : "  (still published until %s)\n", when);
		break;
	}
}

static void
kt_report(FILE *out, const keyring_t *r, bool rotated, int64_t now)
{
	keyring_info_t in, prev = { 0 };
	size_t i;

	for (i = 0; keyring_info(r, i, &in) == PO_OK; i++) {
		bool first = i == 0 || in.sealing != prev.sealing || (!in.sealing && in.alg != prev.alg);

		if (in.role == KEYRING_PREVIOUS && in.retire <= now)
			continue; /* kept until the next rotation, but retired */
		kt_line(out, &in, first, rotated, now);
		prev = in;
	}
}

int
keytool_rotate(const char *data_dir, unsigned algs, int64_t sealed_lifetime_s, bool force, int64_t now,
    FILE *out, FILE *err)
{
	keyring_t *before = NULL, *after = NULL;
	unsigned done = 0;
	buf_t why;
	int rc, status = 1;

	buf_init(&why, 4096);
	rc = keyring_rotate_file(data_dir, algs, now, sealed_lifetime_s, force, &before, &after, &done, &why);
	if (done & KEYRING_DID_MIGRATE)
		fprintf(out, "took over %s/%s as the current RS256 key of the new key ring %s/%s: its kid is "
		             "unchanged, so tokens it signed stay valid (the old file is left in place)\n",
		    data_dir,
		    KEYRING_LEGACY_KEY_FILE, data_dir, KEYRING_FILE);
	if (done & KEYRING_DID_ADD)
		fprintf(out, "added keys for an algorithm a client uses\n");
	if (rc == PO_ERR_DENIED) {
		fprintf(err, "plex-oidc: %s.\nRun it again then, or add --force to rotate now: a relying party "
		             "whose cached key set does not have the new key yet then fails to verify new ID tokens until "
		             "it fetches /jwks again.\n",
		    buf_str(&why));
		goto out;
	}
	if (rc != PO_OK) {
		fprintf(err, "plex-oidc: %s\n", why.len > 0 ? buf_str(&why) : po_strerror(rc));
		goto out;
	}
	if (done & KEYRING_DID_CREATE)
		fprintf(out, "there were no keys in %s yet: created the key ring %s/%s; nothing to rotate\n",
		    data_dir, data_dir, KEYRING_FILE);
	else if (done & KEYRING_DID_RECREATE)
		fprintf(out, "created new keys in %s/%s, as --force asks: sessions and refresh tokens sealed with the "
		             "lost keys no longer open, and everyone signs in again\n",
		    data_dir, KEYRING_FILE);
	else
		fprintf(out, "rotated the key ring %s/%s:\n", data_dir, KEYRING_FILE);
	kt_report(out, after, before != NULL, now);
	fprintf(out, "/jwks publishes every current, next and previous signing key listed. A running plex-oidc "
	             "reads %s again within %d seconds; no restart is needed.\n",
	    KEYRING_FILE, LIM_KEYRING_RELOAD_S);
	status = 0;
out:
	keyring_free(before);
	keyring_free(after);
	buf_free(&why);
	return status;
}
