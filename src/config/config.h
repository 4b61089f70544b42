/*
 * config.h - the INI configuration file: parsing, validation, environment
 * overrides and secret files.
 *
 * Format (docs/CONFIGURATION.md, etc/plex-oidc.example.ini): "[section]"
 * headers, "key = value" lines, full-line comments starting with ';' or '#',
 * and inline comments introduced by " ;" or " #" (whitespace then ; or #)
 * anywhere but at the start of a value ("accent_color = #fa0" is a colour).
 * Sections: [server], [plex], [ui], [store] (optional: the shared store of
 * replicas), and any number of [client.ID] (OpenID Connect clients),
 * [group.NAME] (named groups of Plex users) and [app.NAME] (apps guarded by
 * forward auth).
 * Tokenizing is config/ini.h's; the text is at most LIM_CONFIG_FILE_MAX.
 *
 * Every problem (unknown section or key, missing required key, bad value,
 * duplicate key) stops the load with a message naming file, line and key:
 *   "plex-oidc.ini:12: [server] issuer: must be https unless the host is a loopback address"
 * All problems found are reported, one per line, not just the first
 * (sorted by line; after 50 the rest are only counted).
 *
 * Environment overrides: PLEX_OIDC_<SECTION>_<KEY>, with SECTION and KEY
 * upper-cased, '.' and '-' turned into '_' (PLEX_OIDC_SERVER_ISSUER,
 * PLEX_OIDC_CLIENT_GRAFANA_SECRET). They override keys of the known sections
 * and of client sections present in the file; an error in one names the
 * variable instead of file:line. A variable set to "" counts as unset. An
 * unknown name under PLEX_OIDC_SERVER_, _PLEX_, _UI_, _STORE_ or _CLIENT_ is an
 * error; other PLEX_OIDC_* names are left to the rest of the program.
 *
 * Secrets: every "secret" key has a "secret_file" twin (path relative to the
 * config file's directory); the file's content with one trailing newline
 * stripped is the value. Exactly one of the two may be given; a variable
 * for either replaces whichever of the two the file gives. A client's
 * secret may instead be given as its scrypt hash (secret_hash, made by
 * plex-oidc hash-secret); exactly one of the three, none for a public
 * client.
 * All relative paths (data_dir, secret_file, the [ui] files) are relative
 * to the config file's directory.
 *
 * A config_t is immutable after load and shared read-only by all threads.
 * Strings it holds are owned by it; secrets are wiped on config_free().
 */
#ifndef PO_CONFIG_CONFIG_H
#define PO_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "po_limits.h"

/* Defaults of the [server] durations (docs/CONFIGURATION.md); the bounds
 * are in po_limits.h (LIM_SESSION_LIFETIME_MIN_S ...). */
#define CONFIG_SESSION_LIFETIME_DEFAULT_S (7 * 86400)
#define CONFIG_ACCESS_RECHECK_DEFAULT_S (10 * 60)
#define CONFIG_ACCESS_GRACE_DEFAULT_S (60 * 60)
#define CONFIG_REFRESH_LIFETIME_DEFAULT_S (30 * 86400)

/* Groups are numbered: the three built-in ones (one per Plex relationship,
 * policy.h) first, then the [group.NAME] sections in file order. */
enum {
	CONFIG_GROUP_OWNER,
	CONFIG_GROUP_HOME,
	CONFIG_GROUP_FRIEND,
	CONFIG_GROUPS_BUILTIN
};
#define CONFIG_GROUPS_MAX (CONFIG_GROUPS_BUILTIN + LIM_GROUPS_MAX)

/* A set of groups, by number: what an allow list admits, what a user is in. */
typedef struct config_groupset {
	uint64_t w[(CONFIG_GROUPS_MAX + 63) / 64];
} config_groupset_t;

static inline void
config_groupset_add(config_groupset_t *g, size_t i)
{
	g->w[i / 64] |= (uint64_t)1 << (i % 64);
}
static inline bool
config_groupset_has(const config_groupset_t *g, size_t i)
{
	return (g->w[i / 64] >> (i % 64)) & 1;
}
/* true if a and b share a group. */
static inline bool
config_groupset_meets(const config_groupset_t *a, const config_groupset_t *b)
{
	size_t i;

	for (i = 0; i < sizeof(a->w) / sizeof(a->w[0]); i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}

typedef struct config_group {
	char *name;   /* "plex-owner", "plex-home", "plex-friend", or NAME of [group.NAME] */
	char **users; /* [group.NAME] users: Plex usernames, emails or uuids, as written (compared
	               * case-insensitively); none for the built-in groups */
	size_t n_users;
	size_t line; /* of the section header; 0 for the built-in groups */
} config_group_t;

/* An app guarded by forward auth ([app.NAME]). */
typedef struct config_app {
	char *id;     /* NAME */
	char *name;   /* display name; default the id */
	char **hosts; /* lower-cased exact host names, or "*.example.com" (one leading wildcard label) */
	size_t n_hosts;
	config_groupset_t allow; /* default: plex-owner */
} config_app_t;

/* How a client authenticates at the token endpoint: the values of
 * token_endpoint_auth_method (OpenID Connect Dynamic Client Registration
 * §2, RFC 7591 §2). */
enum config_auth {
	CONFIG_AUTH_SECRET,       /* client_secret_basic or client_secret_post, either (the default) */
	CONFIG_AUTH_SECRET_BASIC, /* client_secret_basic only (RFC 6749 §2.3.1) */
	CONFIG_AUTH_SECRET_POST,  /* client_secret_post only */
	CONFIG_AUTH_NONE,         /* a public client: no secret; PKCE S256 required (RFC 8252 §8.1) */
};

/* The user claims beyond sub that an ID token may carry (id_token_claims);
 * the scopes decide which are released at all (oidc/claims.h). */
enum {
	CONFIG_CLAIM_NAME = 1 << 0,
	CONFIG_CLAIM_PREFERRED_USERNAME = 1 << 1,
	CONFIG_CLAIM_PICTURE = 1 << 2,
	CONFIG_CLAIM_EMAIL = 1 << 3,
	CONFIG_CLAIM_EMAIL_VERIFIED = 1 << 4,
	CONFIG_CLAIM_GROUPS = 1 << 5,
	CONFIG_CLAIMS_ALL = (1 << 6) - 1,
};

struct secret_hash;

typedef struct config_client {
	char *id;                        /* from "[client.ID]": [A-Za-z0-9._-]{1,64} */
	char *secret;                    /* URL-safe chars only (A-Z a-z 0-9 - . _ ~), >= LIM_CLIENT_SECRET_MIN;
	                                  * NULL for a public client and with secret_hash */
	struct secret_hash *secret_hash; /* secret_hash, parsed (core/secret_hash.h); NULL otherwise */
	char **redirect_uris;            /* absolute http(s) URLs without fragment; a public client's may also be
	                                  * private-use URIs (RFC 8252 §7.1), and its loopback ones match any port */
	size_t n_redirect_uris;
	char *name;                       /* optional display name ("name = Grafana"); NULL if unset */
	const char *id_token_alg;         /* static: "RS256" (default), "ES256" or "EdDSA" (JWA names,
	                                   * id_token_signed_response_alg) */
	bool refresh_tokens;              /* may get refresh tokens (offline_access); default true */
	char **post_logout_redirect_uris; /* where logout may send the browser back to (RP-Initiated
	                                   * Logout 1.0 §2); absolute http(s) URLs; may be empty */
	size_t n_post_logout_redirect_uris;
	config_groupset_t allow; /* who may sign in; default: the three built-in groups */
	/* What the application needs (docs/INTEGRATIONS.md, "Presets"): the
	 * preset's values, each replaced by its key when the section has it. */
	const char *preset;       /* static: "generic" (default), "grafana", ... (config_preset.c) */
	enum config_auth auth;    /* token_endpoint_auth_method; public = yes is CONFIG_AUTH_NONE */
	bool require_pkce;        /* authorization requests without S256 PKCE are refused; always for a
	                           * public client */
	unsigned id_token_claims; /* CONFIG_CLAIM_* an ID token may carry; UserInfo has them all */
	bool always_send_groups;  /* groups released without the groups scope */
	bool require_email;       /* an account without email is refused, with a page naming the app */
} config_client_t;

/* true for a public client (public = yes, token_endpoint_auth_method = none). */
static inline bool
config_client_public(const config_client_t *cl)
{
	return cl->auth == CONFIG_AUTH_NONE;
}

typedef struct config {
	/* [server] */
	char *listen_host; /* "127.0.0.1", "::1", "0.0.0.0", "::" (no brackets) */
	uint16_t listen_port;
	char *issuer;           /* verbatim; https, or http with a loopback host; no
	                         * trailing slash, query or fragment */
	char *issuer_path;      /* path part of issuer ("" or "/auth"), derived */
	bool issuer_https;      /* derived */
	char *data_dir;         /* relative ones resolved from the config file's directory */
	char *log_level;        /* "debug" | "info" | "warn" | "error"; default "info" */
	char **trusted_proxies; /* "trusted_proxies = 127.0.0.1 10.0.0.0/8 ::1"; may be empty */
	size_t n_trusted_proxies;
	/* Durations in seconds ("90s", "10m", "12h", "7d" in the file), each
	 * within its bounds in po_limits.h. */
	int64_t session_lifetime_s; /* absolute lifetime of a sign-on session */
	int64_t access_recheck_s;   /* re-check Plex access when the last check is older */
	int64_t access_grace_s;     /* the last good answer holds this long while plex.tv is down */
	int64_t refresh_lifetime_s; /* absolute lifetime of a refresh token chain */
	int64_t key_rotation_s;     /* rotate the key ring this often; 0: never (manual) */
	bool webfinger;             /* answer /.well-known/webfinger with the issuer (OpenID Connect
	                             * Discovery 1.0 §2, for Tailscale); default false */
	char *cookie_domain;        /* where the forward-auth cookie is set (lower-case, no leading dot): the
	                             * issuer's host and every [app.NAME] host are under it; by default the
	                             * issuer's host without its first label. NULL without [app.NAME] */

	/* [plex] */
	char **plex_server_ids; /* required, at least one: [A-Za-z0-9-]{1,128} each; a user is let in
	                         * when any of them is owned by or shared with them */
	size_t n_plex_server_ids;
	int64_t plex_owner_id; /* optional: the owner's Plex account id (of every server); 0 = unset */
	char *plex_product;    /* default "Plex Login" */
	char *plex_api_url;    /* default "https://plex.tv"; no trailing slash */
	char *plex_auth_url;   /* default "https://app.plex.tv/auth" */

	/* [ui]: all optional; NULL when unset; paths resolved like data_dir */
	char *ui_title;        /* page <title> and heading; default set by ui */
	char *ui_message;      /* text under the heading */
	char *ui_logo;         /* path to an image file */
	char *ui_background;   /* path to an image file */
	char *ui_accent_color; /* "#rgb" or "#rrggbb" */
	char *ui_custom_css;   /* path to a CSS file loaded after the built-in one */
	char *ui_assets_dir;   /* directory whose files override built-in assets by name */

	/* [store]: all NULL/0 without a url (the memory store) */
	char *store_url;      /* as written, for logs: "redis://HOST[:PORT][/DB]" or "unix:/PATH[?db=N]" */
	char *store_host;     /* redis://: the host (no brackets); NULL for a socket */
	uint16_t store_port;  /* redis://: default 6379 */
	char *store_socket;   /* unix:: the socket's path (relative ones resolved) */
	unsigned store_db;    /* default 0 */
	char *store_username; /* optional ACL user */
	char *store_password; /* from password_file (a secret, wiped); NULL: none */
	char *store_prefix;   /* NULL: derived from the issuer (store_redis.h) */

	config_client_t *clients;
	size_t n_clients;
	config_group_t *groups; /* CONFIG_GROUPS_BUILTIN + the named ones (numbering above) */
	size_t n_groups;
	config_app_t *apps;
	size_t n_apps;

	/* Settings that load but deserve a look ("FILE:LINE: warning: [plex]
	 * owner_id: not set; ..."), sorted by line: check-config prints them
	 * and the server logs them at start. */
	char **warnings;
	size_t n_warnings;
} config_t;

/* Parses and validates config text (buf, len). `filename` is used in
 * messages and to resolve relative *_file paths (its directory). `env` is an
 * environ-style NULL-terminated array (pass NULL for none, `environ` in
 * main). On failure returns PO_ERR_INVALID (or PO_ERR_NOMEM, or
 * PO_ERR_LIMIT when len > LIM_CONFIG_FILE_MAX) with every message appended
 * to errmsg (may be NULL), one per line, each ending in '\n'; *out is NULL.
 * On success *out is a new config owned by the caller. */
int config_parse(const char *buf, size_t len, const char *filename, char *const *env, config_t **out,
    buf_t *errmsg);
/* Reads the file (at most LIM_CONFIG_FILE_MAX bytes) and calls config_parse.
 * PO_ERR_IO with a message if the file cannot be read (PO_ERR_LIMIT if it
 * is too large). */
int config_load(const char *path, char *const *env, config_t **out, buf_t *errmsg);
/* Finds a client by id (exact match). Borrowed; NULL if none. */
const config_client_t *config_client_find(const config_t *c, const char *id);
/* true if uri is one of the client's redirect_uris (exact string match,
 * RFC 6749 §3.1.2.3 / OIDC Core §3.1.2.1); for a public client, a loopback
 * one (http://127.0.0.1 or http://[::1]) also matches with any port (RFC
 * 8252 §7.3). */
bool config_client_redirect_ok(const config_client_t *cl, const char *uri);
/* The same for post_logout_redirect_uris (RP-Initiated Logout 1.0 §3). */
bool config_client_post_logout_ok(const config_client_t *cl, const char *uri);
/* The number of the group called name, or -1 (exact match). */
int config_group_find(const config_t *c, const char *name);
/* Frees the config, wiping secrets. Accepts NULL. */
void config_free(config_t *c);

#endif
