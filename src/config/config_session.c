/*
 * config_session.c - the settings of sign-on sessions, access re-checks,
 * refresh tokens and the key ring (part of the config module; config.h has
 * the contract, config_priv.h what the files share):
 *   [server] session_lifetime, access_recheck, access_grace,
 *            refresh_lifetime, key_rotation (durations: "90s" ... "7d");
 *   [client.ID] id_token_signed_response_alg, refresh_tokens.
 *
 * Each duration has bounds in po_limits.h, and a value outside them is an
 * error that says the bound, in the file's own syntax. One setting depends
 * on others: sealing keys that a rotation retires keep opening sessions and
 * refresh tokens until the longest of them expires, so key_rotation may
 * not be so short that more previous keys pile up than the key ring keeps
 * (LIM_KEYRING_PREVIOUS_MAX).
 */
#include <string.h>

#include "config/config.h"
#include "config/config_priv.h"
#include "config/config_value.h"
#include "core/err.h"
#include "po_limits.h"

/* Room for a duration written back ("400d"). */
#define CFG_DUR_TEXT 24

/* One duration key: *out gets the default when unset, the value when it
 * parses and is within [min, max]; otherwise a problem is recorded. */
static void
cfg_duration(cfg_parse_t *x, raw_sect_t *s, int k, int64_t def, int64_t min, int64_t max, const char *why_min,
    const char *why_max, int64_t *out)
{
	const char *v = cfg_get(x, s, k, NULL), *bad;
	char lo[CFG_DUR_TEXT], hi[CFG_DUR_TEXT];
	int64_t secs = 0;

	*out = def;
	if (v == NULL)
		return;
	if ((bad = cv_duration(v, &secs)) != NULL) {
		cfg_key_err(x, s, k, "\"%.*s\" %s", CFG_CLIP(strlen(v)), v, bad);
		return;
	}
	cv_fmt_duration(min, lo, sizeof(lo));
	cv_fmt_duration(max, hi, sizeof(hi));
	if (secs < min)
		cfg_key_err(x, s, k, "%s is too short: at least %s (%s)", v, lo, why_min);
	else if (secs > max)
		cfg_key_err(x, s, k, "%s is too long: at most %s (%s)", v, hi, why_max);
	else
		*out = secs;
}

int
cfg_build_durations(cfg_parse_t *x, config_t *c)
{
	raw_sect_t *s = &x->fixed[SECT_SERVER];
	int64_t longest, keep, need;
	char p[CFG_DUR_TEXT], l[CFG_DUR_TEXT], m[CFG_DUR_TEXT];

	cfg_duration(x, s, K_SESSION_LIFETIME, CONFIG_SESSION_LIFETIME_DEFAULT_S, LIM_SESSION_LIFETIME_MIN_S,
	    LIM_SESSION_LIFETIME_MAX_S, "a session must outlast a sign-in",
	    "browsers keep a cookie 400 days at most", &c->session_lifetime_s);
	cfg_duration(x, s, K_ACCESS_RECHECK, CONFIG_ACCESS_RECHECK_DEFAULT_S, LIM_ACCESS_RECHECK_MIN_S,
	    LIM_ACCESS_RECHECK_MAX_S, "each check is a call to plex.tv, which limits how often it is asked",
	    "an un-shared friend would keep access longer than a day", &c->access_recheck_s);
	cfg_duration(x, s, K_ACCESS_GRACE, CONFIG_ACCESS_GRACE_DEFAULT_S, 0, LIM_ACCESS_GRACE_MAX_S,
	    "0s turns the grace off", "an un-shared friend would keep access that long while plex.tv is down",
	    &c->access_grace_s);
	cfg_duration(x, s, K_REFRESH_LIFETIME, CONFIG_REFRESH_LIFETIME_DEFAULT_S, LIM_REFRESH_LIFETIME_MIN_S,
	    LIM_REFRESH_LIFETIME_MAX_S, "shorter is an access token's job",
	    "a refresh token is a standing sign-in", &c->refresh_lifetime_s);
	/* Optional: unset means no automatic rotation. */
	cfg_duration(x, s, K_KEY_ROTATION, 0, LIM_KEY_ROTATION_MIN_S, LIM_KEY_ROTATION_MAX_S,
	    "each rotation keeps the previous sealing key until the longest session or refresh token ends",
	    "rotate at least once a year", &c->key_rotation_s);
	if (c->key_rotation_s == 0)
		return PO_OK;
	/* A sealing key retired by a rotation is kept for the longest lifetime
	 * (plus the margin); one is retired per rotation, so
	 * ceil(keep / key_rotation) previous keys are alive at once. */
	longest = c->session_lifetime_s > c->refresh_lifetime_s ? c->session_lifetime_s : c->refresh_lifetime_s;
	keep = longest + LIM_KEY_RETIRE_MARGIN_S;
	if ((keep + c->key_rotation_s - 1) / c->key_rotation_s <= LIM_KEYRING_PREVIOUS_MAX)
		return PO_OK;
	need = (keep + LIM_KEYRING_PREVIOUS_MAX - 1) / LIM_KEYRING_PREVIOUS_MAX;
	need = (need + 86400 - 1) / 86400 * 86400; /* whole days read better */
	cv_fmt_duration(c->key_rotation_s, p, sizeof(p));
	cv_fmt_duration(longest, l, sizeof(l));
	cv_fmt_duration(need, m, sizeof(m));
	cfg_key_err(x, s, K_KEY_ROTATION, "%s is too short for a longest session or refresh lifetime of %s: every "
	                                  "rotation keeps the previous sealing key that long, and at most %d are kept; rotate every %s or "
	                                  "more, or shorten the lifetimes",
	    p, l, LIM_KEYRING_PREVIOUS_MAX, m);
	return PO_OK;
}

int
cfg_build_client_tokens(cfg_parse_t *x, raw_sect_t *s, config_client_t *cl)
{
	/* Static JWA names (RFC 7518 §3.1, RFC 8037 §3.1): the client struct
	 * points at them. */
	static const char *const algs[] = { "RS256", "ES256", "EdDSA" };
	const char *v;
	size_t i;

	cl->id_token_alg = algs[0];
	if ((v = cfg_get(x, s, K_ID_TOKEN_ALG, NULL)) != NULL) {
		for (i = 0; i < sizeof(algs) / sizeof(algs[0]) && strcmp(v, algs[i]) != 0; i++)
			;
		if (i == sizeof(algs) / sizeof(algs[0]))
			cfg_key_err(x, s, K_ID_TOKEN_ALG, "\"%.*s\" is not one of RS256, ES256 or EdDSA (exactly so "
			                                  "written; RS256, the default, is what Cloudflare Access and most applications expect)",
			    CFG_CLIP(strlen(v)), v);
		else
			cl->id_token_alg = algs[i];
	}
	cl->refresh_tokens = true;
	if ((v = cfg_get(x, s, K_REFRESH_TOKENS, NULL)) != NULL) {
		if (strcmp(v, "yes") == 0)
			cl->refresh_tokens = true;
		else if (strcmp(v, "no") == 0)
			cl->refresh_tokens = false;
		else
			cfg_key_err(x, s, K_REFRESH_TOKENS, "must be yes or no");
	}
	return PO_OK;
}
