/*
 * config_preset.c - what a relying party needs from plex-oidc, for
 * [client.ID]: the presets (one row per application) and the keys that
 * say the same things one by one (part of the config module; config.h has
 * the contract, config_priv.h what the files share):
 *
 *   preset                      a row of cfg_presets below (default generic)
 *   public                      yes: no secret, PKCE required (RFC 8252 §8.1)
 *   token_endpoint_auth_method  client_secret_basic | client_secret_post | none
 *   require_pkce                yes: S256 PKCE in every authorization request
 *   id_token_claims             all | none | claim names: what the ID token carries
 *   always_send_groups          yes: groups without the groups scope
 *   require_email               yes: an account without email is refused
 *
 * A key the section gives always wins over its preset. public and
 * token_endpoint_auth_method say one thing together (public = yes is
 * token_endpoint_auth_method = none), so giving either drops both of the
 * preset's; giving both must agree.
 *
 * Each row's values come from the application's own documentation or
 * source; docs/INTEGRATIONS.md ("Presets") has the same table with the
 * citations, and the application's settings next to it. Keep them in step.
 */
#include <string.h>

#include "config/config.h"
#include "config/config_priv.h"
#include "core/buf.h"
#include "core/err.h"
#include "po_limits.h"

typedef struct cfg_preset {
	const char *name;
	enum config_auth auth;
	bool require_pkce;
	unsigned id_token_claims;
	bool always_send_groups;
	bool require_email;
} cfg_preset_t;

#define ALL CONFIG_CLAIMS_ALL
/* In the order the messages list them; generic, the default, last. */
static const cfg_preset_t cfg_presets[] = {
	/* name             token endpoint auth        PKCE   ID token  groups  email */
	/* Access reads every claim from the ID token and cannot ask for a scope;
	 * it identifies users by email. */
	{ "cloudflare", CONFIG_AUTH_SECRET, false, ALL, true, true },
	/* Grafana refuses a sign-in without email ("required attribute email
	 * was not provided"). */
	{ "grafana", CONFIG_AUTH_SECRET, false, ALL, false, true },
	/* "neither the id_token nor the profileURL set an email". */
	{ "oauth2-proxy", CONFIG_AUTH_SECRET, false, ALL, false, true },
	/* Duende IdentityModel.OidcClient: secret in the body, always PKCE. */
	{ "jellyfin", CONFIG_AUTH_SECRET_POST, true, ALL, false, false },
	/* hass-oidc-auth: a public client with PKCE by default. */
	{ "home-assistant", CONFIG_AUTH_NONE, true, ALL, false, false },
	/* proxmox-openid (openidconnect crate): HTTP Basic, always PKCE. */
	{ "proxmox", CONFIG_AUTH_SECRET_BASIC, true, ALL, false, false },
	/* Plain OAuth 2.0: the user comes from UserInfo, the ID token unread. */
	{ "portainer", CONFIG_AUTH_SECRET, false, 0, false, false },
	/* client_secret_post by default, PKCE when discovery lists S256; no
	 * account without email. */
	{ "immich", CONFIG_AUTH_SECRET_POST, true, ALL, false, true },
	/* user_oidc: post and PKCE when discovery lists them; reads the ID
	 * token only; asks for groups with the claims parameter. */
	{ "nextcloud", CONFIG_AUTH_SECRET_POST, true, ALL, true, false },
	{ "generic", CONFIG_AUTH_SECRET, false, ALL, false, false },
};
#undef ALL

#define CFG_PRESET_GENERIC (sizeof(cfg_presets) / sizeof(cfg_presets[0]) - 1)

/* The claim names of id_token_claims, with their bits. */
static const struct {
	const char *name;
	unsigned bit;
} cfg_claims[] = {
	{ "name", CONFIG_CLAIM_NAME },
	{ "preferred_username", CONFIG_CLAIM_PREFERRED_USERNAME },
	{ "picture", CONFIG_CLAIM_PICTURE },
	{ "email", CONFIG_CLAIM_EMAIL },
	{ "email_verified", CONFIG_CLAIM_EMAIL_VERIFIED },
	{ "groups", CONFIG_CLAIM_GROUPS },
};

static const char *const cfg_auth_names[] = {
	[CONFIG_AUTH_SECRET] = "client_secret_basic or client_secret_post",
	[CONFIG_AUTH_SECRET_BASIC] = "client_secret_basic",
	[CONFIG_AUTH_SECRET_POST] = "client_secret_post",
	[CONFIG_AUTH_NONE] = "none",
};

const char *
cfg_client_preset_named(const raw_sect_t *s)
{
	return s->val[K_PRESET].v != NULL && s->val[K_PRESET].v[0] != '\0' ? s->val[K_PRESET].v : NULL;
}

/* An optional yes/no key: *out keeps its value when unset. Returns true
 * when the section gives it (even wrongly: reported). */
static bool
cfg_yes_no(cfg_parse_t *x, raw_sect_t *s, int k, bool *out)
{
	const char *v = cfg_get(x, s, k, NULL);

	if (v == NULL)
		return s->val[k].v != NULL;
	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else
		cfg_key_err(x, s, k, "must be yes or no");
	return true;
}

static void
cfg_preset_list(buf_t *b)
{
	size_t i;

	for (i = 0; i < sizeof(cfg_presets) / sizeof(cfg_presets[0]); i++)
		if (buf_appendf(b, "%s%s", i ? ", " : "", cfg_presets[i].name) != PO_OK)
			return; /* cut short: the message still says what is wrong */
}

static const cfg_preset_t *
cfg_preset(cfg_parse_t *x, raw_sect_t *s)
{
	const char *v = cfg_get(x, s, K_PRESET, NULL);
	size_t i;
	buf_t known;

	if (v == NULL)
		return &cfg_presets[CFG_PRESET_GENERIC];
	for (i = 0; i < sizeof(cfg_presets) / sizeof(cfg_presets[0]); i++)
		if (strcmp(v, cfg_presets[i].name) == 0)
			return &cfg_presets[i];
	buf_init(&known, 512);
	cfg_preset_list(&known);
	cfg_key_err(x, s, K_PRESET, "\"%.*s\" is not a preset; the presets are: %s (docs/INTEGRATIONS.md, "
	                            "\"Presets\")",
	    CFG_CLIP(strlen(v)), v, buf_str(&known));
	buf_free(&known);
	return &cfg_presets[CFG_PRESET_GENERIC];
}

/* token_endpoint_auth_method: true and *out set when given and valid. */
static bool
cfg_auth_method(cfg_parse_t *x, raw_sect_t *s, enum config_auth *out)
{
	static const struct {
		const char *name;
		enum config_auth auth;
	} known[] = {
		{ "client_secret_basic", CONFIG_AUTH_SECRET_BASIC },
		{ "client_secret_post", CONFIG_AUTH_SECRET_POST },
		{ "none", CONFIG_AUTH_NONE },
	};
	static const char *const unsupported[] = { "client_secret_jwt", "private_key_jwt", "tls_client_auth",
		"self_signed_tls_client_auth" };
	const char *v = cfg_get(x, s, K_AUTH_METHOD, NULL);
	size_t i;

	if (v == NULL)
		return false;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(v, known[i].name) == 0) {
			*out = known[i].auth;
			return true;
		}
	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (strcmp(v, unsupported[i]) == 0) {
			cfg_key_err(x, s, K_AUTH_METHOD, "%s is not supported: plex-oidc accepts client_secret_basic, "
			                                 "client_secret_post and none (a public client)",
			    v);
			return false;
		}
	cfg_key_err(x, s, K_AUTH_METHOD, "\"%.*s\" is not one of client_secret_basic, client_secret_post or none (a "
	                                 "public client), written exactly so",
	    CFG_CLIP(strlen(v)), v);
	return false;
}

/* public and token_endpoint_auth_method, over the preset's pair. */
static void
cfg_client_auth(cfg_parse_t *x, raw_sect_t *s, const cfg_preset_t *p, config_client_t *cl)
{
	enum config_auth m = CONFIG_AUTH_SECRET;
	bool pub = false, has_pub, has_m;

	has_pub = cfg_yes_no(x, s, K_PUBLIC, &pub);
	has_m = cfg_auth_method(x, s, &m);
	if (!has_pub && s->val[K_AUTH_METHOD].v == NULL) {
		cl->auth = p->auth;
		return;
	}
	if (has_pub && has_m && pub != (m == CONFIG_AUTH_NONE)) {
		cfg_key_err(x, s, K_AUTH_METHOD, "%s contradicts public = %s: a public client authenticates with none, "
		                                 "a confidential one with its secret; keep one of the two keys",
		    cfg_auth_names[m], pub ? "yes" : "no");
		cl->auth = pub ? CONFIG_AUTH_NONE : CONFIG_AUTH_SECRET; /* as public says: one message, not two */
		return;
	}
	if (has_m)
		cl->auth = m;
	else
		cl->auth = pub ? CONFIG_AUTH_NONE : CONFIG_AUTH_SECRET;
}

/* id_token_claims: "all", "none" or claim names. */
static void
cfg_id_token_claims(cfg_parse_t *x, raw_sect_t *s, unsigned *out)
{
	const char *v = cfg_get(x, s, K_ID_TOKEN_CLAIMS, NULL), *p, *w;
	unsigned bits = 0;
	size_t wl, i, n = 0;
	bool keyword = false;

	if (v == NULL)
		return;
	for (p = v; cfg_next_word(&p, &w, &wl); n++) {
		if ((wl == 3 && memcmp(w, "all", 3) == 0) || (wl == 4 && memcmp(w, "none", 4) == 0)) {
			keyword = true;
			bits |= wl == 3 ? CONFIG_CLAIMS_ALL : 0;
			continue;
		}
		for (i = 0; i < sizeof(cfg_claims) / sizeof(cfg_claims[0]); i++)
			if (strlen(cfg_claims[i].name) == wl && memcmp(cfg_claims[i].name, w, wl) == 0)
				break;
		if (i == sizeof(cfg_claims) / sizeof(cfg_claims[0])) {
			cfg_key_err(x, s, K_ID_TOKEN_CLAIMS, "\"%.*s\" is not a claim plex-oidc releases; write all, none, or "
			                                     "some of name preferred_username picture email email_verified groups (sub is always there)",
			    CFG_CLIP(wl), w);
			return;
		}
		bits |= cfg_claims[i].bit;
	}
	if (keyword && n > 1) {
		cfg_key_err(x, s, K_ID_TOKEN_CLAIMS, "all and none stand alone: write all, none, or a list of claims");
		return;
	}
	*out = bits;
}

int
cfg_build_client_protocol(cfg_parse_t *x, raw_sect_t *s, config_client_t *cl)
{
	const cfg_preset_t *p = cfg_preset(x, s);
	bool pkce;

	cl->preset = p->name;
	cfg_client_auth(x, s, p, cl);
	/* RFC 8252 §8.1, RFC 9700 §2.1.1: a public client proves possession of
	 * the code with PKCE, having no secret. */
	pkce = p->require_pkce || config_client_public(cl);
	if (cfg_yes_no(x, s, K_REQUIRE_PKCE, &pkce) && !pkce && config_client_public(cl))
		cfg_key_err(x, s, K_REQUIRE_PKCE, "a public client must use PKCE: it has no secret, and PKCE is what "
		                                  "keeps a stolen code useless (RFC 8252 §8.1, RFC 9700 §2.1.1); remove this line");
	cl->require_pkce = pkce || config_client_public(cl);
	cl->id_token_claims = p->id_token_claims;
	cfg_id_token_claims(x, s, &cl->id_token_claims);
	cl->always_send_groups = p->always_send_groups;
	(void)cfg_yes_no(x, s, K_ALWAYS_GROUPS, &cl->always_send_groups);
	cl->require_email = p->require_email;
	(void)cfg_yes_no(x, s, K_REQUIRE_EMAIL, &cl->require_email);
	return PO_OK;
}
