/*
 * config_read.c - the reading half of the config module (config_priv.h):
 * sections, keys and environment variables into raw values, and the
 * messages of both halves.
 *
 * Pass 1: ini.c tokenizes the text and the callbacks here accept a section
 * header only if it is known ([server], [plex], [ui], [client.ID] with a
 * valid and new ID) and a key only if its section has it and it is not set
 * yet; the keys of a rejected section are skipped, so one mistake gives one
 * message. Pass 2: PLEX_OIDC_<SECTION>_<KEY> variables replace raw values
 * (config.h). Each raw value remembers its line or variable, so that the
 * checks of config.c can say where a bad value came from.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_priv.h"
#include "config/config_value.h"
#include "config/ini.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "po_limits.h"

#define CFG_ENV_PREFIX "PLEX_OIDC_"
/* Longest variable name we build: prefix + "CLIENT_" + a 64-byte id + "_" +
 * the longest key, with room to spare. */
#define CFG_ENV_NAME_MAX 128
/* Ceiling of one message; the file name is the caller's and may be long. */
#define CFG_MSG_LEN_MAX 8192
/* Sort keys of messages without a line: file-level ones, then the
 * environment's, after everything with a line. */
#define CFG_ORDER_FILE (SIZE_MAX - 1)
#define CFG_ORDER_ENV SIZE_MAX

static const char *const cfg_sect_names[SECT_KINDS] = { "server", "plex", "ui", "store", "client", "group", "app" };

/* The named section kinds: what their header looks like, how many a file
 * may have, and an example for messages. */
static const struct {
	const char *what; /* "client", as in the messages */
	const char *id;   /* what its name is called: "id", "name" */
	const char *ID;   /* ...as a placeholder */
	const char *a;    /* its article */
	size_t max;
	const char *example;
} cfg_named[SECT_KINDS] = {
	[SECT_CLIENT] = { "client", "id", "ID", "an", LIM_CLIENTS_MAX, "[client.grafana]" },
	[SECT_GROUP] = { "group", "name", "NAME", "a", LIM_GROUPS_MAX, "[group.family]" },
	[SECT_APP] = { "app", "name", "NAME", "a", LIM_APPS_MAX, "[app.sonarr]" },
};

const char *
cfg_sect_name(const raw_sect_t *s)
{
	const char *dot = strchr(s->label, '.');

	return dot ? dot + 1 : s->label;
}
const char *const cfg_keys[SECT_KINDS][KEYS_MAX + 1] = {
	[SECT_SERVER] = { "listen", "issuer", "data_dir", "log_level", "trusted_proxies", "session_lifetime",
	    "access_recheck", "access_grace", "refresh_lifetime", "key_rotation", "webfinger",
	    "cookie_domain", NULL },
	[SECT_PLEX] = { "server_id", "owner_id", "product", "api_url", "auth_url", NULL },
	[SECT_UI] = { "title", "message", "logo", "background", "custom_css", "assets_dir",
	    "accent_color", NULL },
	[SECT_STORE] = { "url", "password_file", "username", "prefix", "tls", NULL },
	[SECT_CLIENT] = { "secret", "secret_file", "redirect_uris", "name", "id_token_signed_response_alg",
	    "refresh_tokens", "post_logout_redirect_uris", "allow", "secret_hash", "preset", "public",
	    "token_endpoint_auth_method", "require_pkce", "id_token_claims", "always_send_groups", "require_email",
	    NULL },
	[SECT_GROUP] = { "users", NULL },
	[SECT_APP] = { "hosts", "allow", "name", NULL },
};

/* ---- messages ---- */

/* The text of a message: "ORIGIN: [SECT] KEY: text", where ORIGIN is
 * "environment NAME", "FILE:LINE" or "FILE", then "warning: " for a
 * warning, and "[SECT] KEY: " is left out when sect is NULL. */
static int __attribute__((format(printf, 8, 0)))
cfg_vformat(const cfg_parse_t *x, buf_t *b, bool warn, size_t line, const char *env, const char *sect,
    const char *key, const char *fmt, va_list ap)
{
	int rc;

	if (env != NULL)
		rc = buf_appendf(b, "environment %s: ", env);
	else if (line != 0)
		rc = buf_appendf(b, "%s:%zu: ", x->file, line);
	else
		rc = buf_appendf(b, "%s: ", x->file);
	if (rc == PO_OK && warn)
		rc = buf_puts(b, "warning: ");
	if (rc == PO_OK && sect != NULL)
		rc = buf_appendf(b, "[%s] %s: ", sect, key);
	if (rc == PO_OK)
		rc = buf_vappendf(b, fmt, ap);
	return rc;
}

/* Records one problem (or, with warn, one warning). */
static void __attribute__((format(printf, 7, 0)))
cfg_vmsg(cfg_parse_t *x, bool warn, size_t line, const char *env, const char *sect, const char *key,
    const char *fmt, va_list ap)
{
	cfg_msg_t *m;
	buf_t b;
	int rc;

	if (!warn)
		x->n_problems++;
	if (warn ? x->n_warns == CFG_WARNS_MAX : x->n_msgs == CFG_MSGS_MAX)
		return;
	buf_init(&b, CFG_MSG_LEN_MAX);
	rc = cfg_vformat(x, &b, warn, line, env, sect, key, fmt, ap);
	/* PO_ERR_LIMIT leaves a clipped message, still worth showing. */
	m = warn ? &x->warns[x->n_warns] : &x->msgs[x->n_msgs];
	if (rc == PO_ERR_NOMEM || (m->text = buf_steal(&b, NULL)) == NULL) {
		x->fatal = PO_ERR_NOMEM;
		buf_free(&b);
		return;
	}
	m->order = env != NULL ? CFG_ORDER_ENV : line != 0 ? line
	                                                   : CFG_ORDER_FILE;
	m->seq = warn ? x->n_warns++ : x->n_msgs++;
}

void
cfg_err(cfg_parse_t *x, size_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vmsg(x, false, line, NULL, NULL, NULL, fmt, ap);
	va_end(ap);
}

/* A problem with an environment variable as such. */
static void __attribute__((format(printf, 3, 4)))
cfg_env_err(cfg_parse_t *x, const char *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vmsg(x, false, 0, env, NULL, NULL, fmt, ap);
	va_end(ap);
}

void
cfg_key_err(cfg_parse_t *x, const raw_sect_t *s, int k, const char *fmt, ...)
{
	const raw_val_t *rv = &s->val[k];
	va_list ap;

	va_start(ap, fmt);
	cfg_vmsg(x, false, rv->v != NULL ? rv->line : s->line, rv->env, s->label, cfg_keys[s->kind][k], fmt, ap);
	va_end(ap);
}

void
cfg_key_warn(cfg_parse_t *x, const raw_sect_t *s, int k, const char *fmt, ...)
{
	const raw_val_t *rv = &s->val[k];
	va_list ap;

	va_start(ap, fmt);
	cfg_vmsg(x, true, rv->v != NULL ? rv->line : s->line, rv->env, s->label, cfg_keys[s->kind][k], fmt, ap);
	va_end(ap);
}

void
cfg_warn(cfg_parse_t *x, size_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vmsg(x, true, line, NULL, NULL, NULL, fmt, ap);
	va_end(ap);
}

static int
cfg_msg_cmp(const void *a, const void *b)
{
	const cfg_msg_t *ma = a, *mb = b;

	if (ma->order != mb->order)
		return ma->order < mb->order ? -1 : 1;
	return ma->seq < mb->seq ? -1 : ma->seq > mb->seq;
}

int
cfg_take_warnings(cfg_parse_t *x, char ***out, size_t *n)
{
	size_t i;

	*out = NULL;
	*n = 0;
	if (x->n_warns == 0)
		return PO_OK;
	if ((*out = calloc(x->n_warns, sizeof(**out))) == NULL)
		return PO_ERR_NOMEM;
	qsort(x->warns, x->n_warns, sizeof(x->warns[0]), cfg_msg_cmp);
	for (i = 0; i < x->n_warns; i++) {
		(*out)[i] = x->warns[i].text;
		x->warns[i].text = NULL; /* transferred */
	}
	*n = x->n_warns;
	x->n_warns = 0;
	return PO_OK;
}

/* errmsg's own ceiling may cut the report short; that is its owner's
 * choice. */
void
cfg_flush(cfg_parse_t *x, buf_t *errmsg)
{
	size_t i;

	if (errmsg == NULL)
		return;
	qsort(x->msgs, x->n_msgs, sizeof(x->msgs[0]), cfg_msg_cmp);
	/* Messages that do not fit errmsg are cut off: the load fails anyway. */
	for (i = 0; i < x->n_msgs; i++)
		if (buf_appendf(errmsg, "%s\n", x->msgs[i].text) != PO_OK)
			return;
	if (x->n_problems > x->n_msgs &&
	    buf_appendf(errmsg, "%s: ... and %zu more problems not shown\n", x->file, x->n_problems - x->n_msgs) != PO_OK)
		return;
}

/* "listen, issuer, ..." for messages. */
static void
cfg_keys_text(enum sect_kind kind, buf_t *b)
{
	int k;

	for (k = 0; cfg_keys[kind][k] != NULL; k++)
		if (buf_appendf(b, "%s%s", k ? ", " : "", cfg_keys[kind][k]) != PO_OK)
			break; /* a message cut short */
}

/* ---- pass 1: sections and keys ---- */

static void
cfg_val_clear(raw_val_t *rv)
{
	str_free_secret(rv->v);
	free(rv->env);
	rv->v = rv->env = NULL;
	rv->line = 0;
}

static int
cfg_on_section(void *ctx, size_t line, const char *name, size_t len)
{
	cfg_parse_t *x = ctx;
	const char *id;
	size_t idlen, i;
	raw_sect_t *s;
	int k;

	x->in_section = true;
	x->cur = NULL; /* until the header is accepted: keys of a rejected section are skipped */
	for (k = 0; k < SECT_FIXED; k++) {
		if (len != strlen(cfg_sect_names[k]) || memcmp(name, cfg_sect_names[k], len) != 0)
			continue;
		s = &x->fixed[k];
		if (s->line != 0) {
			cfg_err(x, line, "[%s]: section repeated (first at line %zu); keep its keys in one section",
			    s->label, s->line);
			return x->fatal;
		}
		s->line = line;
		x->cur = s;
		return PO_OK;
	}
	for (k = SECT_FIXED; k < SECT_KINDS; k++) {
		size_t pl = strlen(cfg_sect_names[k]);
		if (len > pl && name[pl] == '.' && memcmp(name, cfg_sect_names[k], pl) == 0)
			break;
		if (len == pl && memcmp(name, cfg_sect_names[k], pl) == 0) {
			cfg_err(x, line, "[%s]: a %s section needs %s %s: [%s.%s], e.g. %s", cfg_sect_names[k],
			    cfg_named[k].what, cfg_named[k].a, cfg_named[k].id, cfg_sect_names[k], cfg_named[k].ID, cfg_named[k].example);
			return x->fatal;
		}
	}
	if (k == SECT_KINDS) {
		cfg_err(x, line, "unknown section [%.*s]; the sections are [server], [plex], [ui], [store], "
		                 "[client.ID], [group.NAME] and [app.NAME]",
		    CFG_CLIP(len), name);
		return x->fatal;
	}
	id = name + strlen(cfg_sect_names[k]) + 1;
	idlen = len - strlen(cfg_sect_names[k]) - 1;
	if (!cv_client_id_ok(id, idlen)) {
		cfg_err(x, line, "[%.*s]: invalid %s %s \"%.*s\": use 1 to %d characters among A-Z a-z 0-9 . _ -",
		    CFG_CLIP(len), name, cfg_named[k].what, cfg_named[k].id, CFG_CLIP(idlen), id, CV_CLIENT_ID_MAX);
		return x->fatal;
	}
	for (i = 0; i < x->n_named; i++) {
		s = &x->named[i];
		if (strlen(s->label) == len && memcmp(s->label, name, len) == 0) {
			cfg_err(x, line, "[%s]: duplicate %s %s (first defined at line %zu)", s->label, cfg_named[k].what,
			    cfg_named[k].id, s->line);
			return x->fatal;
		}
	}
	if (x->n_kind[k] == cfg_named[k].max) {
		cfg_err(x, line, "[%.*s]: too many %ss (at most %zu)", CFG_CLIP(len), name, cfg_named[k].what,
		    cfg_named[k].max);
		return x->fatal;
	}
	if (x->named == NULL && (x->named = calloc(CFG_NAMED_MAX, sizeof(*x->named))) == NULL)
		return x->fatal = PO_ERR_NOMEM;
	s = &x->named[x->n_named++];
	x->n_kind[k]++;
	s->kind = (enum sect_kind)k;
	memcpy(s->label, name, len); /* fits: the name was checked above */
	s->label[len] = '\0';
	s->line = line;
	x->cur = s;
	return PO_OK;
}

static int
cfg_on_pair(void *ctx, size_t line, const char *key, size_t klen, const char *val, size_t vlen)
{
	cfg_parse_t *x = ctx;
	raw_sect_t *s = x->cur;
	raw_val_t *rv;
	buf_t kt;
	int k;

	if (!x->in_section) {
		cfg_err(x, line, "%.*s: key outside any section; put it under [server], [plex], [ui], [store] or "
		                 "[client.ID]",
		    CFG_CLIP(klen), key);
		return x->fatal;
	}
	if (s == NULL)
		return PO_OK; /* in a rejected section, already reported */
	for (k = 0; cfg_keys[s->kind][k] != NULL; k++)
		if (strlen(cfg_keys[s->kind][k]) == klen && memcmp(cfg_keys[s->kind][k], key, klen) == 0)
			break;
	if (cfg_keys[s->kind][k] == NULL) {
		buf_init(&kt, CFG_MSG_LEN_MAX);
		cfg_keys_text(s->kind, &kt);
		cfg_err(x, line, "[%s] %.*s: unknown key; the keys of [%s] are: %s", s->label, CFG_CLIP(klen),
		    key, s->kind == SECT_CLIENT ? "client.ID" : s->kind == SECT_GROUP ? "group.NAME"
		        : s->kind == SECT_APP                                         ? "app.NAME"
		                                                                      : s->label,
		    buf_str(&kt));
		buf_free(&kt);
		return x->fatal;
	}
	rv = &s->val[k];
	if (rv->v != NULL) {
		cfg_err(x, line, "[%s] %s: duplicate key (first set at line %zu)", s->label,
		    cfg_keys[s->kind][k], rv->line);
		return x->fatal;
	}
	if ((rv->v = str_dupn(val, vlen)) == NULL)
		return x->fatal = PO_ERR_NOMEM;
	rv->line = line;
	return PO_OK;
}

static int
cfg_on_error(void *ctx, size_t line, const char *why)
{
	cfg_parse_t *x = ctx;

	cfg_err(x, line, "%s", why);
	return x->fatal;
}

/* ---- pass 2: the environment ---- */

/* Writes PLEX_OIDC_<LABEL>_<KEY> into out: upper-cased, '.' and '-' as '_'
 * (config.h). Returns its length, 0 if it does not fit. */
static size_t
cfg_env_name(char *out, size_t outsz, const char *label, const char *key)
{
	const char *parts[] = { CFG_ENV_PREFIX, label, "_", key };
	size_t n = 0, i;
	const char *p;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		for (p = parts[i]; *p != '\0'; p++) {
			if (n + 1 >= outsz)
				return 0;
			out[n++] = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A')
			    : (*p == '.' || *p == '-')      ? '_'
			                                    : *p;
		}
	}
	out[n] = '\0';
	return n;
}

/* Applies one "NAME=value" entry of the environment. */
static int
cfg_env_one(cfg_parse_t *x, const char *e)
{
	const char *eq = strchr(e, '='), *val;
	char name[CFG_ENV_NAME_MAX], want[CFG_ENV_NAME_MAX];
	raw_sect_t *s, *hit = NULL, *hit2 = NULL;
	raw_val_t *rv, *twin;
	size_t nlen, i, wl;
	int k, hit_k = 0;
	buf_t kt;

	if (eq == NULL || !str_has_prefix(e, (size_t)(eq - e), CFG_ENV_PREFIX))
		return PO_OK;
	nlen = (size_t)(eq - e);
	for (i = 0; i < SECT_FIXED + x->n_named; i++) {
		s = i < SECT_FIXED ? &x->fixed[i] : &x->named[i - SECT_FIXED];
		for (k = 0; cfg_keys[s->kind][k] != NULL; k++) {
			wl = cfg_env_name(want, sizeof(want), s->label, cfg_keys[s->kind][k]);
			if (wl != nlen || memcmp(want, e, nlen) != 0)
				continue;
			if (hit == NULL) {
				hit = s;
				hit_k = k;
			} else {
				hit2 = s;
			}
		}
	}
	/* The name, for messages (clipped: a name that long matches nothing). */
	wl = nlen < sizeof(name) ? nlen : sizeof(name) - 1;
	memcpy(name, e, wl);
	name[wl] = '\0';

	if (hit == NULL) {
		/* Only names under a section's prefix are ours to judge; other
		 * PLEX_OIDC_* variables belong to other parts of the program. */
		for (k = 0; k < SECT_KINDS; k++) {
			wl = cfg_env_name(want, sizeof(want), cfg_sect_names[k], "");
			if (!str_has_prefix(e, nlen, want))
				continue;
			if (k >= SECT_FIXED) {
				buf_init(&kt, CFG_MSG_LEN_MAX);
				cfg_keys_text((enum sect_kind)k, &kt);
				cfg_env_err(x, name, "matches no key of a [%s.%s] section in the file; the "
				                     "environment can override a key (%s) of a %s the file defines, not add a "
				                     "%s",
				    cfg_sect_names[k], cfg_named[k].ID, buf_str(&kt), cfg_named[k].what,
				    cfg_named[k].what);
				buf_free(&kt);
			} else {
				buf_init(&kt, CFG_MSG_LEN_MAX);
				cfg_keys_text((enum sect_kind)k, &kt);
				cfg_env_err(x, name, "matches no [%s] key; the keys are: %s (as %sKEY)",
				    cfg_sect_names[k], buf_str(&kt), want);
				buf_free(&kt);
			}
		}
		return x->fatal;
	}
	if (hit2 != NULL) {
		cfg_env_err(x, name, "is ambiguous: it names a key of both [%s] and [%s]; rename one of "
		                     "these sections",
		    hit->label, hit2->label);
		return x->fatal;
	}
	val = eq + 1;
	if (*val == '\0')
		return PO_OK; /* an empty variable counts as unset (config.h) */
	if (cv_has_control(val, strlen(val))) {
		cfg_env_err(x, name, "contains a control character (such as a newline)");
		return x->fatal;
	}
	rv = &hit->val[hit_k];
	cfg_val_clear(rv);
	if ((rv->v = str_dup(val)) == NULL || (rv->env = str_dupn(e, nlen)) == NULL)
		return x->fatal = PO_ERR_NOMEM;
	/* A secret from the environment replaces whichever of secret,
	 * secret_file and secret_hash the file gives (config.h). Two variables
	 * for two of them stay an error. */
	if (hit->kind == SECT_CLIENT && (hit_k == K_SECRET || hit_k == K_SECRET_FILE || hit_k == K_SECRET_HASH)) {
		static const int trio[] = { K_SECRET, K_SECRET_FILE, K_SECRET_HASH };
		for (i = 0; i < sizeof(trio) / sizeof(trio[0]); i++) {
			twin = &hit->val[trio[i]];
			if (trio[i] != hit_k && twin->env == NULL)
				cfg_val_clear(twin);
		}
	}
	return PO_OK;
}

/* ---- the parse state ---- */

int
cfg_parse_init(cfg_parse_t *x, const char *filename)
{
	const char *slash;
	int k;

	memset(x, 0, sizeof(*x));
	x->file = filename != NULL ? filename : "(config)";
	for (k = 0; k < SECT_FIXED; k++) {
		x->fixed[k].kind = (enum sect_kind)k;
		memcpy(x->fixed[k].label, cfg_sect_names[k], strlen(cfg_sect_names[k]) + 1);
	}
	if (filename == NULL || (slash = strrchr(filename, '/')) == NULL)
		return PO_OK; /* relative to the current directory */
	x->dir = slash == filename ? str_dup("/") : str_dupn(filename, (size_t)(slash - filename));
	return x->dir != NULL ? PO_OK : PO_ERR_NOMEM;
}

static void
cfg_sect_clear(raw_sect_t *s)
{
	int k;

	for (k = 0; k < KEYS_MAX; k++)
		cfg_val_clear(&s->val[k]);
}

void
cfg_parse_free(cfg_parse_t *x)
{
	size_t i;

	for (i = 0; i < SECT_FIXED; i++)
		cfg_sect_clear(&x->fixed[i]);
	for (i = 0; i < x->n_named; i++)
		cfg_sect_clear(&x->named[i]);
	free(x->named);
	for (i = 0; i < x->n_msgs; i++)
		free(x->msgs[i].text);
	for (i = 0; i < x->n_warns; i++)
		free(x->warns[i].text);
	free(x->dir);
}

int
cfg_read_raw(cfg_parse_t *x, const char *buf, size_t len, char *const *env)
{
	static const ini_handler_t handler = {
		.section = cfg_on_section,
		.pair = cfg_on_pair,
		.error = cfg_on_error,
	};
	size_t i;
	int rc;

	/* PO_ERR_INVALID from the tokenizer: malformed lines, already recorded. */
	if ((rc = ini_parse(buf, len, &handler, x)) != PO_OK && rc != PO_ERR_INVALID)
		return rc;
	for (i = 0; env != NULL && env[i] != NULL && x->fatal == PO_OK; i++)
		(void)cfg_env_one(x, env[i]);
	return x->fatal;
}
