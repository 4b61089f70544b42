/*
 * config_priv.h - what the two halves of the config module share; not part
 * of its contract (config.h is).
 *
 * config_read.c reads: it tokenizes the text (ini.c), checks section names
 * and keys, applies PLEX_OIDC_* environment variables, and keeps every raw
 * value with where it came from; it also collects the messages.
 * config.c checks: it validates the raw values, builds the config_t, and
 * holds the public functions.
 */
#ifndef PO_CONFIG_CONFIG_PRIV_H
#define PO_CONFIG_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config_value.h"
#include "core/buf.h"
#include "po_limits.h"

#define CFG_MSGS_MAX LIM_CONFIG_MESSAGES_MAX /* po_limits.h */
/* Warnings kept: each names a setting worth a look; a handful at most. */
#define CFG_WARNS_MAX 16
/* Quoted user text is clipped to this many bytes so a message stays
 * readable. */
#define CFG_QUOTE_MAX 80
#define CFG_CLIP(n) ((int)((n) > CFG_QUOTE_MAX ? CFG_QUOTE_MAX : (n)))

/* Fixed sections come first; from SECT_CLIENT on, sections are named
 * ("[client.ID]", "[group.NAME]", "[app.NAME]"), any number of each. */
/* clang-format off */
enum sect_kind { SECT_SERVER, SECT_PLEX, SECT_UI, SECT_STORE, SECT_CLIENT, SECT_GROUP, SECT_APP, SECT_KINDS };
#define SECT_FIXED SECT_CLIENT /* how many fixed sections */
/* Key indexes, per section kind, in the order of cfg_keys. */
enum {
	K_LISTEN, K_ISSUER, K_DATA_DIR, K_LOG_LEVEL, K_TRUSTED_PROXIES, K_SESSION_LIFETIME, K_ACCESS_RECHECK,
	K_ACCESS_GRACE, K_REFRESH_LIFETIME, K_KEY_ROTATION, K_WEBFINGER, K_COOKIE_DOMAIN
};
enum { K_SERVER_ID, K_OWNER_ID, K_PRODUCT, K_API_URL, K_AUTH_URL };
enum { K_TITLE, K_MESSAGE, K_LOGO, K_BACKGROUND, K_CUSTOM_CSS, K_ASSETS_DIR, K_ACCENT_COLOR };
enum {
	K_SECRET, K_SECRET_FILE, K_REDIRECT_URIS, K_NAME, K_ID_TOKEN_ALG, K_REFRESH_TOKENS, K_POST_LOGOUT_URIS,
	K_CLIENT_ALLOW, K_SECRET_HASH, K_PRESET, K_PUBLIC, K_AUTH_METHOD, K_REQUIRE_PKCE, K_ID_TOKEN_CLAIMS,
	K_ALWAYS_GROUPS, K_REQUIRE_EMAIL
};
enum { K_GROUP_USERS };
enum { K_APP_HOSTS, K_APP_ALLOW, K_APP_NAME };
enum { K_STORE_URL, K_STORE_PASSWORD_FILE, K_STORE_USERNAME, K_STORE_PREFIX, K_STORE_TLS };
/* clang-format on */
#define KEYS_MAX 16
/* Named sections at most: clients, groups and apps. */
#define CFG_NAMED_MAX (LIM_CLIENTS_MAX + LIM_GROUPS_MAX + LIM_APPS_MAX)

/* Key names per section kind, NULL-terminated. */
extern const char *const cfg_keys[SECT_KINDS][KEYS_MAX + 1];

typedef struct raw_val {
	char *v;     /* owned, wiped on free; NULL: unset */
	size_t line; /* where the file sets it; 0 when unset or from the environment */
	char *env;   /* the variable that set it; NULL when from the file */
} raw_val_t;

typedef struct raw_sect {
	enum sect_kind kind;
	char label[sizeof("client.") + CV_CLIENT_ID_MAX]; /* "server", "client.grafana", "group.family" */
	size_t line;                                      /* of the header; 0: not in the file */
	raw_val_t val[KEYS_MAX];
} raw_sect_t;

typedef struct cfg_msg {
	size_t order; /* line; after every line: file-level, then environment */
	size_t seq;   /* keeps the order of discovery among equals */
	char *text;
} cfg_msg_t;

typedef struct cfg_parse {
	const char *file;             /* the file name, for messages */
	char *dir;                    /* its directory; NULL: the current one */
	raw_sect_t fixed[SECT_FIXED]; /* [server], [plex], [ui], [store] */
	raw_sect_t *named;            /* every named section in file order
	                               * (CFG_NAMED_MAX slots, allocated at the first) */
	size_t n_named;
	size_t n_kind[SECT_KINDS]; /* named sections of each kind */
	raw_sect_t *cur;           /* section being read; NULL in a rejected one */
	bool in_section;           /* a header was seen */
	cfg_msg_t msgs[CFG_MSGS_MAX];
	size_t n_msgs;
	cfg_msg_t warns[CFG_WARNS_MAX]; /* not problems: the load succeeds */
	size_t n_warns;
	size_t n_problems; /* may exceed n_msgs */
	int fatal;         /* PO_ERR_NOMEM once an allocation failed, else PO_OK */
} cfg_parse_t;

/* Initializes x for the file `filename` (NULL: "(config)", relative paths
 * from the current directory). PO_OK or PO_ERR_NOMEM; x needs
 * cfg_parse_free() either way. */
int cfg_parse_init(cfg_parse_t *x, const char *filename);
/* Wipes and frees what x holds (not x itself). */
void cfg_parse_free(cfg_parse_t *x);
/* Passes 1 and 2: reads (buf, len) and then the environ-style env (may be
 * NULL) into raw values. Problems are recorded in x; returns PO_OK or
 * PO_ERR_NOMEM. */
int cfg_read_raw(cfg_parse_t *x, const char *buf, size_t len, char *const *env);
/* Appends the recorded messages to errmsg (may be NULL), sorted by line,
 * one per line. */
void cfg_flush(cfg_parse_t *x, buf_t *errmsg);

/* The value of key k of s, or NULL if it is unset or empty. An empty
 * value is reported; so is an unset one when `example` is given (a
 * required key). (config.c) */
const char *cfg_get(cfg_parse_t *x, raw_sect_t *s, int k, const char *example);
/* [server] durations: session_lifetime, access_recheck, access_grace,
 * refresh_lifetime, key_rotation (config_session.c). Problems are
 * reported; PO_OK. */
struct config;
int cfg_build_durations(cfg_parse_t *x, struct config *c);
/* [client.ID] id_token_signed_response_alg and refresh_tokens
 * (config_session.c). */
struct config_client;
int cfg_build_client_tokens(cfg_parse_t *x, raw_sect_t *s, struct config_client *cl);

/* [client.ID] preset and the keys it sets: public,
 * token_endpoint_auth_method, require_pkce, id_token_claims,
 * always_send_groups, require_email (config_preset.c). Run before the
 * secrets and redirect URIs, which depend on whether the client is public.
 * Problems are reported; PO_OK. */
int cfg_build_client_protocol(cfg_parse_t *x, raw_sect_t *s, struct config_client *cl);
/* The preset a client section names, for messages ("preset home-assistant");
 * NULL when the section does not name one. */
const char *cfg_client_preset_named(const raw_sect_t *s);

/* Records a problem with a line of the file (line 0: the file as a whole). */
void cfg_err(cfg_parse_t *x, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Records a problem with key k of section s, located where its value came
 * from (file line or variable), or at the section header when unset. */
void cfg_key_err(cfg_parse_t *x, const raw_sect_t *s, int k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Space-separated lists (config.c): the words of key k of s as a new
 * array of new strings, each checked by `check` (NULL or a phrase saying
 * what is wrong), at most max. Problems are reported; PO_OK or
 * PO_ERR_NOMEM. */
int cfg_words(cfg_parse_t *x, raw_sect_t *s, int k, size_t max, const char *(*check)(const char *), char ***out,
    size_t *n_out);
void cfg_free_list(char **list, size_t n);
/* An absolute http(s) URL without fragment (RFC 6749 §3.1.2); NULL or why not. */
const char *cfg_check_redirect(const char *w);
/* The same, or for a public client also a private-use URI (RFC 8252 §7.1). */
const char *cfg_check_redirect_public(const char *w);
/* [group.NAME], then [client.ID] and [app.NAME] with their allow lists
 * (config_client.c, config_access.c). PO_OK or PO_ERR_NOMEM; problems are
 * recorded. */
int cfg_build_groups(cfg_parse_t *x, struct config *c);
int cfg_build_clients(cfg_parse_t *x, struct config *c);
int cfg_build_apps(cfg_parse_t *x, struct config *c);
/* The groups of the space-separated list of key k of s into *out; unknown
 * names and an empty list are reported (config_access.c). */
struct config_groupset;
void cfg_allow(cfg_parse_t *x, const struct config *c, raw_sect_t *s, int k, struct config_groupset *out);
/* [server] cookie_domain, checked against the issuer's host and every
 * [app.NAME] host, after the apps are built (config_access.c). PO_OK or
 * PO_ERR_NOMEM; problems are recorded. */
int cfg_build_cookie_domain(cfg_parse_t *x, struct config *c);
/* Warns about named groups no client or app allows (config_access.c). */
void cfg_unused_groups(cfg_parse_t *x, const struct config *c);
/* Frees what config_free() must for clients, groups and apps. */
void cfg_free_clients(struct config *c);
void cfg_free_access(struct config *c);

/* The name of a named section: what follows "client.", "group.", "app.". */
const char *cfg_sect_name(const raw_sect_t *s);
/* Shared by config.c, config_session.c and config_store.c (config.c). */
char *cfg_take(raw_sect_t *s, int k);
char *cfg_path(const cfg_parse_t *x, const char *p);
int cfg_read_file(const char *path, size_t max, char **out, size_t *out_len, int *err);
/* A one-line secret file (secret_file, password_file: config.h "Secrets"):
 * at most max bytes after one trailing "\n" or "\r\n" is dropped, what
 * naming it in messages. PO_OK with *out the NUL-terminated value (the
 * caller wipes and frees it), or PO_OK with *out NULL when the file could
 * not be read or is too large (recorded against key k of s); PO_ERR_NOMEM. */
int cfg_read_secret_file(cfg_parse_t *x, raw_sect_t *s, int k, const char *path, size_t max, const char *what,
    char **out, size_t *out_len);
/* Pass 3 of [store] (config_store.c): fills c->store_*. PO_OK or
 * PO_ERR_NOMEM; problems are recorded. */
int cfg_build_store(cfg_parse_t *x, struct config *c);

/* Records a warning about key k of section s (same location rules); the
 * load still succeeds and the config carries it (config.h). */
void cfg_key_warn(cfg_parse_t *x, const raw_sect_t *s, int k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A warning about a line of the file. */
void cfg_warn(cfg_parse_t *x, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Next blank-separated word of *p into (*w, *wl), advancing *p; false at
 * the end (config.c). */
bool cfg_next_word(const char **p, const char **w, size_t *wl);
/* Hands the warnings over, sorted by line, as a new array of strings (free
 * each and the array). PO_OK or PO_ERR_NOMEM. */
int cfg_take_warnings(cfg_parse_t *x, char ***out, size_t *n);

#endif
