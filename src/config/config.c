/*
 * config.c - loads the INI configuration into an immutable config_t (see
 * config.h for the format and the rules).
 *
 * Three passes over one parse state (cfg_parse_t), so that a single run
 * reports every problem and each message says where the value came from:
 *   1. ini.c tokenizes the text; the callbacks here check section names and
 *      keys, catch duplicates, and keep each raw value with its line number;
 *   2. PLEX_OIDC_* environment variables replace raw values, remembering the
 *      variable's name for messages;
 *   3. each section is validated (config_value.c holds the single-value
 *      rules) and converted into the config_t.
 * Messages are collected as they are found, then sorted by line and written
 * to the caller's errmsg.
 *
 * Memory: raw values are owned by the parse state until a pass-3 function
 * takes one over ("x = NULL; transferred"). Any raw value may be a secret, so
 * all are wiped when freed; so are the config's client secrets. Files are
 * read into one buffer sized up front, never grown by realloc(), so no copy
 * of a secret is left behind in freed memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_value.h"
#include "config/ini.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "limits.h"

#define CFG_ENV_PREFIX "PLEX_OIDC_"
/* Longest variable name we build: prefix + "CLIENT_" + a 64-byte id + "_" +
 * the longest key, with room to spare. */
#define CFG_ENV_NAME_MAX 128
/* Problems kept for the report: a wrong file (a binary, a log) would
 * otherwise give one per line. The rest are counted. */
#define CFG_MSGS_MAX 50
/* One message. Quoted user text is clipped (CFG_QUOTE_MAX) so a message
 * stays readable; the file name is the caller's. */
#define CFG_MSG_LEN_MAX 8192
#define CFG_QUOTE_MAX 80
#define CFG_CLIP(n) ((int)((n) > CFG_QUOTE_MAX ? CFG_QUOTE_MAX : (n)))
/* Sort keys of messages without a line: file-level ones, then the
 * environment's, after everything with a line. */
#define CFG_ORDER_FILE (SIZE_MAX - 1)
#define CFG_ORDER_ENV SIZE_MAX

#define CFG_SECRET_HINT "generate one with: openssl rand -base64 48 | tr '+/' '-_' | tr -d '='"

enum sect_kind { SECT_SERVER, SECT_PLEX, SECT_UI, SECT_CLIENT, SECT_KINDS };
/* Key indexes, per section kind, in the order of cfg_keys. */
enum { K_LISTEN, K_ISSUER, K_DATA_DIR, K_LOG_LEVEL, K_TRUSTED_PROXIES };
enum { K_SERVER_ID, K_PRODUCT, K_API_URL, K_AUTH_URL };
enum { K_TITLE, K_MESSAGE, K_LOGO, K_BACKGROUND, K_CUSTOM_CSS, K_ASSETS_DIR, K_ACCENT_COLOR };
enum { K_SECRET, K_SECRET_FILE, K_REDIRECT_URIS, K_NAME };
#define KEYS_MAX 7

static const char *const cfg_sect_names[SECT_KINDS] = { "server", "plex", "ui", "client" };
static const char *const cfg_keys[SECT_KINDS][KEYS_MAX + 1] = {
	[SECT_SERVER] = { "listen", "issuer", "data_dir", "log_level", "trusted_proxies", NULL },
	[SECT_PLEX] = { "server_id", "product", "api_url", "auth_url", NULL },
	[SECT_UI] = { "title", "message", "logo", "background", "custom_css", "assets_dir",
	    "accent_color", NULL },
	[SECT_CLIENT] = { "secret", "secret_file", "redirect_uris", "name", NULL },
};

typedef struct raw_val {
	char *v;     /* owned, wiped on free; NULL: unset */
	size_t line; /* where the file sets it; 0 when unset or from the environment */
	char *env;   /* the variable that set it; NULL when from the file */
} raw_val_t;

typedef struct raw_sect {
	enum sect_kind kind;
	char label[sizeof("client.") + CV_CLIENT_ID_MAX]; /* "server", "client.grafana" */
	size_t line;                                      /* of the header; 0: not in the file */
	raw_val_t val[KEYS_MAX];
} raw_sect_t;

typedef struct cfg_msg {
	size_t order; /* line, CFG_ORDER_FILE or CFG_ORDER_ENV */
	size_t seq;   /* keeps the order of discovery among equals */
	char *text;
} cfg_msg_t;

typedef struct cfg_parse {
	const char *file;             /* the file name, for messages */
	char *dir;                    /* its directory; NULL: the current one */
	raw_sect_t fixed[SECT_CLIENT]; /* [server], [plex], [ui] */
	raw_sect_t *clients;          /* LIM_CLIENTS_MAX slots, allocated at the first */
	size_t n_clients;
	raw_sect_t *cur;              /* section being read; NULL in a rejected one */
	bool in_section;              /* a header was seen */
	cfg_msg_t msgs[CFG_MSGS_MAX];
	size_t n_msgs;
	size_t n_problems; /* may exceed n_msgs */
	int fatal;         /* PO_ERR_NOMEM once an allocation failed, else PO_OK */
} cfg_parse_t;

/* ---- messages ---- */

/* Records one problem: "ORIGIN: [SECT] KEY: text", where ORIGIN is
 * "environment NAME", "FILE:LINE" or "FILE" and the SECT/KEY parts are left
 * out when NULL. */
static void __attribute__((format(printf, 6, 0)))
cfg_vmsg(cfg_parse_t *x, size_t line, const char *env, const char *sect, const char *key,
    const char *fmt, va_list ap)
{
	cfg_msg_t *m;
	buf_t b;
	int rc;

	x->n_problems++;
	if (x->n_msgs == CFG_MSGS_MAX)
		return;
	buf_init(&b, CFG_MSG_LEN_MAX);
	if (env != NULL)
		rc = buf_appendf(&b, "environment %s: ", env);
	else if (line != 0)
		rc = buf_appendf(&b, "%s:%zu: ", x->file, line);
	else
		rc = buf_appendf(&b, "%s: ", x->file);
	if (rc == PO_OK && sect != NULL)
		rc = key != NULL ? buf_appendf(&b, "[%s] %s: ", sect, key) : buf_appendf(&b, "[%s]: ", sect);
	if (rc == PO_OK)
		rc = buf_vappendf(&b, fmt, ap);
	/* PO_ERR_LIMIT leaves a clipped message, still worth showing. */
	m = &x->msgs[x->n_msgs];
	if (rc == PO_ERR_NOMEM || (m->text = buf_steal(&b, NULL)) == NULL) {
		x->fatal = PO_ERR_NOMEM;
		buf_free(&b);
		return;
	}
	m->order = env != NULL ? CFG_ORDER_ENV : line != 0 ? line : CFG_ORDER_FILE;
	m->seq = x->n_msgs++;
}

/* A problem with a line of the file (line 0: with the file as a whole). */
static void __attribute__((format(printf, 3, 4)))
cfg_err(cfg_parse_t *x, size_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vmsg(x, line, NULL, NULL, NULL, fmt, ap);
	va_end(ap);
}

/* A problem with an environment variable as such. */
static void __attribute__((format(printf, 3, 4)))
cfg_env_err(cfg_parse_t *x, const char *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vmsg(x, 0, env, NULL, NULL, fmt, ap);
	va_end(ap);
}

/* A problem with key k of section s: located where its value came from, or
 * at the section header when it is unset. */
static void __attribute__((format(printf, 4, 5)))
cfg_key_err(cfg_parse_t *x, const raw_sect_t *s, int k, const char *fmt, ...)
{
	const raw_val_t *rv = &s->val[k];
	va_list ap;

	va_start(ap, fmt);
	cfg_vmsg(x, rv->v != NULL ? rv->line : s->line, rv->env, s->label, cfg_keys[s->kind][k], fmt, ap);
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

/* Writes the messages, sorted, one per line. errmsg's own ceiling may cut
 * the report short; that is its owner's choice. */
static void
cfg_flush(cfg_parse_t *x, buf_t *errmsg)
{
	size_t i;

	if (errmsg == NULL)
		return;
	qsort(x->msgs, x->n_msgs, sizeof(x->msgs[0]), cfg_msg_cmp);
	for (i = 0; i < x->n_msgs; i++)
		(void)buf_appendf(errmsg, "%s\n", x->msgs[i].text);
	if (x->n_problems > x->n_msgs)
		(void)buf_appendf(errmsg, "%s: ... and %zu more problems not shown\n", x->file,
		    x->n_problems - x->n_msgs);
}

/* "listen, issuer, ..." for messages. */
static void
cfg_keys_text(enum sect_kind kind, buf_t *b)
{
	int k;

	for (k = 0; cfg_keys[kind][k] != NULL; k++)
		(void)buf_appendf(b, "%s%s", k ? ", " : "", cfg_keys[kind][k]);
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
	for (k = 0; k < SECT_CLIENT; k++) {
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
	if (!str_has_prefix(name, len, "client.")) {
		if (len == strlen("client") && memcmp(name, "client", len) == 0)
			cfg_err(x, line, "[client]: a client section needs an id: [client.ID], e.g. [client.grafana]");
		else
			cfg_err(x, line, "unknown section [%.*s]; the sections are [server], [plex], [ui] and "
			    "[client.ID]", CFG_CLIP(len), name);
		return x->fatal;
	}
	id = name + strlen("client.");
	idlen = len - strlen("client.");
	if (!cv_client_id_ok(id, idlen)) {
		cfg_err(x, line, "[%.*s]: invalid client id \"%.*s\": use 1 to %d characters among A-Z a-z 0-9 . _ -",
		    CFG_CLIP(len), name, CFG_CLIP(idlen), id, CV_CLIENT_ID_MAX);
		return x->fatal;
	}
	for (i = 0; i < x->n_clients; i++) {
		s = &x->clients[i];
		if (strlen(s->label) == len && memcmp(s->label, name, len) == 0) {
			cfg_err(x, line, "[%s]: duplicate client id (first defined at line %zu)", s->label, s->line);
			return x->fatal;
		}
	}
	if (x->n_clients == LIM_CLIENTS_MAX) {
		cfg_err(x, line, "[%.*s]: too many clients (at most %d)", CFG_CLIP(len), name, LIM_CLIENTS_MAX);
		return x->fatal;
	}
	if (x->clients == NULL && (x->clients = calloc(LIM_CLIENTS_MAX, sizeof(*x->clients))) == NULL)
		return x->fatal = PO_ERR_NOMEM;
	s = &x->clients[x->n_clients++];
	s->kind = SECT_CLIENT;
	memcpy(s->label, name, len); /* fits: the id was checked above */
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
		cfg_err(x, line, "%.*s: key outside any section; put it under [server], [plex], [ui] or "
		    "[client.ID]", CFG_CLIP(klen), key);
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
		    key, s->kind == SECT_CLIENT ? "client.ID" : s->label, buf_str(&kt));
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
			         : (*p == '.' || *p == '-') ? '_'
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
	for (i = 0; i < SECT_CLIENT + x->n_clients; i++) {
		s = i < SECT_CLIENT ? &x->fixed[i] : &x->clients[i - SECT_CLIENT];
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
			if (k == SECT_CLIENT) {
				cfg_env_err(x, name, "matches no key of a [client.ID] section in the file; the "
				    "environment can override the secret, secret_file, redirect_uris or name of a "
				    "client the file defines, not add a client");
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
		    "these clients", hit->label, hit2->label);
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
	/* A secret from the environment replaces whichever of the two twins the
	 * file gives (config.h). Two variables for both twins stay an error. */
	if (hit->kind == SECT_CLIENT && (hit_k == K_SECRET || hit_k == K_SECRET_FILE)) {
		twin = &hit->val[hit_k == K_SECRET ? K_SECRET_FILE : K_SECRET];
		if (twin->env == NULL)
			cfg_val_clear(twin);
	}
	return PO_OK;
}

/* ---- pass 3: values ---- */

/* The value of key k, or NULL if it is unset or empty. An empty value is
 * reported; so is an unset one when `example` is given (a required key). */
static const char *
cfg_get(cfg_parse_t *x, raw_sect_t *s, int k, const char *example)
{
	const raw_val_t *rv = &s->val[k];

	if (rv->v == NULL) {
		if (example != NULL)
			cfg_key_err(x, s, k, "missing; this key is required, e.g. \"%s\"", example);
		return NULL;
	}
	if (rv->v[0] == '\0') {
		cfg_key_err(x, s, k, "%s", example != NULL ? "has an empty value"
		                                           : "has an empty value; remove the line to use the default");
		return NULL;
	}
	return rv->v;
}

/* Takes over the raw value of key k (NULL if unset). */
static char *
cfg_take(raw_sect_t *s, int k)
{
	char *v = s->val[k].v;

	s->val[k].v = NULL; /* transferred */
	return v;
}

/* A path from the file: relative ones are relative to the file's
 * directory, so the config works whatever the current directory is. */
static char *
cfg_path(const cfg_parse_t *x, const char *p)
{
	size_t dl, pl, n;
	char *r;

	if (p[0] == '/' || x->dir == NULL)
		return str_dup(p);
	dl = strlen(x->dir);
	pl = strlen(p);
	if ((r = malloc(dl + 1 + pl + 1)) == NULL)
		return NULL;
	memcpy(r, x->dir, dl);
	n = dl;
	if (n == 0 || r[n - 1] != '/')
		r[n++] = '/';
	memcpy(r + n, p, pl + 1);
	return r;
}

/* Optional path key k: resolved, or NULL if unset. */
static int
cfg_path_key(cfg_parse_t *x, raw_sect_t *s, int k, char **out)
{
	const char *v = cfg_get(x, s, k, NULL);

	if (v != NULL && (*out = cfg_path(x, v)) == NULL)
		return PO_ERR_NOMEM;
	return PO_OK;
}

/* Reads a whole file of at most max bytes into one buffer allocated up
 * front (max + 2 bytes), NUL-terminated. PO_OK, PO_ERR_IO (*err = errno),
 * PO_ERR_LIMIT or PO_ERR_NOMEM. The caller wipes and frees *out. */
static int
cfg_read_file(const char *path, size_t max, char **out, size_t *out_len, int *err)
{
	char *data = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1, rc = PO_ERR_IO;

	*out = NULL;
	*out_len = 0;
	*err = 0;
	if ((data = malloc(max + 2)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*err = errno;
		goto out;
	}
	while (len <= max) { /* reading one byte past max tells "too large" */
		if ((n = read(fd, data + len, max + 1 - len)) < 0) {
			if (errno == EINTR)
				continue;
			*err = errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		rc = PO_ERR_LIMIT;
		goto out;
	}
	data[len] = '\0';
	*out = data;
	*out_len = len;
	data = NULL; /* transferred */
	rc = PO_OK;
out:
	if (fd >= 0)
		close(fd);
	if (data != NULL) {
		str_wipe(data, len);
		free(data);
	}
	return rc;
}

static bool
cfg_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Next blank-separated word of *p: false at the end. */
static bool
cfg_next_word(const char **p, const char **w, size_t *wl)
{
	const char *q = *p;

	while (cfg_blank(*q))
		q++;
	if (*q == '\0')
		return false;
	*w = q;
	while (*q != '\0' && !cfg_blank(*q))
		q++;
	*wl = (size_t)(q - *w);
	*p = q;
	return true;
}

static void
cfg_free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; list != NULL && i < n; i++)
		free(list[i]);
	free(list);
}

/* Splits the space-separated list of key k into a new array of new strings,
 * checking each with `check` (NULL or a phrase). At most max entries.
 * Problems are reported; the return is PO_OK or PO_ERR_NOMEM. */
static int
cfg_words(cfg_parse_t *x, raw_sect_t *s, int k, size_t max, const char *(*check)(const char *),
    char ***out, size_t *n_out)
{
	const char *v = s->val[k].v, *p, *w, *why;
	size_t count = 0, n = 0, wl;
	char **list = NULL;
	int rc = PO_ERR_NOMEM;

	for (p = v; cfg_next_word(&p, &w, &wl);)
		count++;
	if (count > max) {
		cfg_key_err(x, s, k, "lists %zu entries; at most %zu are allowed", count, max);
		rc = PO_OK;
		goto out;
	}
	if ((list = calloc(count ? count : 1, sizeof(*list))) == NULL)
		goto out;
	for (p = v; cfg_next_word(&p, &w, &wl); n++) {
		if ((list[n] = str_dupn(w, wl)) == NULL)
			goto out;
		if (memchr(w, ',', wl) != NULL)
			cfg_key_err(x, s, k, "\"%.*s\" contains a comma; separate entries with spaces",
			    CFG_CLIP(wl), w);
		else if ((why = check(list[n])) != NULL)
			cfg_key_err(x, s, k, "\"%.*s\" %s", CFG_CLIP(wl), w, why);
	}
	*out = list;
	*n_out = n;
	list = NULL; /* transferred */
	rc = PO_OK;
out:
	cfg_free_list(list, n);
	return rc;
}

static const char *
cfg_check_proxy(const char *w)
{
	return cv_ip_or_cidr(w, strlen(w));
}

/* RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment
 * component"; the query is allowed. */
static const char *
cfg_check_redirect(const char *w)
{
	const char *why;
	cv_url_t u;

	if ((why = cv_url(w, &u)) != NULL)
		return why;
	if (u.has_fragment)
		return "must not contain a fragment (\"#...\"), RFC 6749 §3.1.2";
	return NULL;
}

/* plex.tv base URLs: the plex module appends paths and parameters. */
static const char *
cfg_check_base_url(const char *w)
{
	const char *why;
	cv_url_t u;

	if ((why = cv_url(w, &u)) != NULL)
		return why;
	if (u.has_query || u.has_fragment)
		return "must not have a query (\"?...\") or fragment (\"#...\")";
	if (u.path_len > 0 && u.path[u.path_len - 1] == '/')
		return "must not end with \"/\"";
	return NULL;
}

/* OpenID Connect Core §2 ("iss"): a case-sensitive https URL with scheme,
 * host, optional port and path, and no query or fragment. Discovery §4
 * appends "/.well-known/openid-configuration", hence no trailing slash. */
static int
cfg_issuer(cfg_parse_t *x, raw_sect_t *s, config_t *c)
{
	const char *v = cfg_get(x, s, K_ISSUER, "issuer = https://auth.example.com"), *why;
	size_t n, start;
	cv_url_t u;

	if (v == NULL)
		return PO_OK;
	if ((why = cv_url(v, &u)) != NULL) {
		cfg_key_err(x, s, K_ISSUER, "%s", why);
		return PO_OK;
	}
	if (!u.https && !cv_host_is_loopback(u.host, u.host_len))
		cfg_key_err(x, s, K_ISSUER, "must be https unless the host is a loopback address: "
		    "relying parties and browsers need an https issuer (http is accepted only for "
		    "127.0.0.0/8, ::1 and localhost, for testing); put plex-oidc behind a TLS reverse "
		    "proxy and use its https:// address");
	if (u.has_query || u.has_fragment) {
		cfg_key_err(x, s, K_ISSUER, "must not have a query (\"?...\") or fragment (\"#...\"): "
		    "an issuer is scheme, host, port and path only (OpenID Connect Core §2)");
	} else if (u.path_len > 0 && u.path[u.path_len - 1] == '/') {
		start = (size_t)(u.path - v);
		for (n = start + u.path_len; n > start && v[n - 1] == '/'; n--)
			;
		cfg_key_err(x, s, K_ISSUER, "must not end with \"/\": relying parties compare the issuer "
		    "exactly and append /.well-known/openid-configuration to it; write \"%.*s\"", (int)n, v);
	}
	if ((c->issuer_path = str_dupn(u.path, u.path_len)) == NULL)
		return PO_ERR_NOMEM;
	c->issuer_https = u.https;
	c->issuer = cfg_take(s, K_ISSUER);
	return PO_OK;
}

static int
cfg_build_server(cfg_parse_t *x, config_t *c)
{
	raw_sect_t *s = &x->fixed[SECT_SERVER];
	const char *v, *why, *host;
	size_t host_len;
	uint16_t port;
	int rc;

	if ((v = cfg_get(x, s, K_LISTEN, "listen = 127.0.0.1:8080")) != NULL) {
		if ((why = cv_listen(v, &host, &host_len, &port)) != NULL)
			cfg_key_err(x, s, K_LISTEN, "%s", why);
		else if ((c->listen_host = str_dupn(host, host_len)) == NULL)
			return PO_ERR_NOMEM;
		else
			c->listen_port = port;
	}
	if ((rc = cfg_issuer(x, s, c)) != PO_OK)
		return rc;
	if ((v = cfg_get(x, s, K_DATA_DIR, "data_dir = /var/lib/plex-oidc")) != NULL &&
	    (c->data_dir = cfg_path(x, v)) == NULL)
		return PO_ERR_NOMEM;
	if ((v = cfg_get(x, s, K_LOG_LEVEL, NULL)) != NULL && log_level_parse(v) < 0)
		cfg_key_err(x, s, K_LOG_LEVEL, "must be one of debug, info, warn, error");
	if ((c->log_level = str_dup(v != NULL ? v : "info")) == NULL)
		return PO_ERR_NOMEM;
	if (cfg_get(x, s, K_TRUSTED_PROXIES, NULL) != NULL)
		return cfg_words(x, s, K_TRUSTED_PROXIES, SIZE_MAX, cfg_check_proxy, &c->trusted_proxies,
		    &c->n_trusted_proxies);
	return PO_OK;
}

/* Optional URL key k with a default. */
static int
cfg_base_url(cfg_parse_t *x, raw_sect_t *s, int k, const char *def, char **out)
{
	const char *v = cfg_get(x, s, k, NULL), *why;

	if (v != NULL && (why = cfg_check_base_url(v)) != NULL)
		cfg_key_err(x, s, k, "%s", why);
	*out = v != NULL ? cfg_take(s, k) : str_dup(def);
	return *out != NULL ? PO_OK : PO_ERR_NOMEM;
}

static int
cfg_build_plex(cfg_parse_t *x, config_t *c)
{
	raw_sect_t *s = &x->fixed[SECT_PLEX];
	const char *v;
	int rc;

	v = cfg_get(x, s, K_SERVER_ID, "server_id = 0123456789abcdef0123456789abcdef01234567");
	if (v != NULL && !cv_plex_server_id_ok(v, strlen(v)))
		cfg_key_err(x, s, K_SERVER_ID, "must be 1 to %d letters, digits or '-': your Plex server's "
		    "machine identifier, as machineIdentifier at http://YOUR-SERVER:32400/identity",
		    CV_PLEX_SERVER_ID_MAX);
	c->plex_server_id = cfg_take(s, K_SERVER_ID);
	v = cfg_get(x, s, K_PRODUCT, NULL);
	if ((c->plex_product = v != NULL ? cfg_take(s, K_PRODUCT) : str_dup("Plex Login")) == NULL)
		return PO_ERR_NOMEM;
	if ((rc = cfg_base_url(x, s, K_API_URL, "https://plex.tv", &c->plex_api_url)) != PO_OK)
		return rc;
	return cfg_base_url(x, s, K_AUTH_URL, "https://app.plex.tv/auth", &c->plex_auth_url);
}

static int
cfg_build_ui(cfg_parse_t *x, config_t *c)
{
	raw_sect_t *s = &x->fixed[SECT_UI];
	const char *v, *why;
	int rc;

	if (cfg_get(x, s, K_TITLE, NULL) != NULL)
		c->ui_title = cfg_take(s, K_TITLE);
	if (cfg_get(x, s, K_MESSAGE, NULL) != NULL)
		c->ui_message = cfg_take(s, K_MESSAGE);
	if ((v = cfg_get(x, s, K_ACCENT_COLOR, NULL)) != NULL) {
		if ((why = cv_color(v)) != NULL)
			cfg_key_err(x, s, K_ACCENT_COLOR, "%s", why);
		c->ui_accent_color = cfg_take(s, K_ACCENT_COLOR);
	}
	/* Existence is checked by ui_new(), which reads them. */
	if ((rc = cfg_path_key(x, s, K_LOGO, &c->ui_logo)) != PO_OK ||
	    (rc = cfg_path_key(x, s, K_BACKGROUND, &c->ui_background)) != PO_OK ||
	    (rc = cfg_path_key(x, s, K_CUSTOM_CSS, &c->ui_custom_css)) != PO_OK ||
	    (rc = cfg_path_key(x, s, K_ASSETS_DIR, &c->ui_assets_dir)) != PO_OK)
		return rc;
	return PO_OK;
}

/* Checks a client secret (len bytes). `path` names the secret file it came
 * from, NULL if inline. The secret itself never appears in a message. */
static bool
cfg_secret_ok(cfg_parse_t *x, raw_sect_t *s, int k, const char *v, size_t len, const char *path)
{
	const char *in = path != NULL ? " in " : "", *where = path != NULL ? path : "";

	if (len == 0) {
		cfg_key_err(x, s, k, "the secret%s%s is empty; " CFG_SECRET_HINT, in, where);
	} else if (!cv_secret_chars_ok(v, len)) {
		cfg_key_err(x, s, k, "the secret%s%s has characters other than A-Z a-z 0-9 - . _ ~ "
		    "(URL-safe): Cloudflare Access sends client secrets without URL-encoding them, so "
		    "any other character breaks sign-in; " CFG_SECRET_HINT, in, where);
	} else if (len < LIM_CLIENT_SECRET_MIN) {
		cfg_key_err(x, s, k, "the secret%s%s is %zu characters long; at least %d are required; "
		    CFG_SECRET_HINT, in, where, len, LIM_CLIENT_SECRET_MIN);
	} else if (len > LIM_CLIENT_SECRET_MAX) {
		cfg_key_err(x, s, k, "the secret%s%s is %zu characters long; at most %d are allowed", in,
		    where, len, LIM_CLIENT_SECRET_MAX);
	} else {
		return true;
	}
	return false;
}

/* secret or secret_file: exactly one (config.h). */
static int
cfg_client_secret(cfg_parse_t *x, raw_sect_t *s, config_client_t *cl)
{
	const raw_val_t *sv = &s->val[K_SECRET], *fv = &s->val[K_SECRET_FILE];
	char *path = NULL, *data = NULL;
	const char *v;
	size_t len = 0;
	int rc = PO_OK, e;

	if (sv->v != NULL && fv->v != NULL) {
		cfg_key_err(x, s, K_SECRET_FILE, "set together with secret; give only one of secret and "
		    "secret_file");
		goto out;
	}
	if (sv->v == NULL && fv->v == NULL) {
		cfg_key_err(x, s, K_SECRET, "missing; set secret_file = PATH (a file holding the secret) "
		    "or secret = SECRET; " CFG_SECRET_HINT);
		goto out;
	}
	if (sv->v != NULL) {
		if ((v = cfg_get(x, s, K_SECRET, NULL)) != NULL &&
		    cfg_secret_ok(x, s, K_SECRET, v, strlen(v), NULL))
			cl->secret = cfg_take(s, K_SECRET);
		goto out;
	}
	if ((v = cfg_get(x, s, K_SECRET_FILE, NULL)) == NULL)
		goto out;
	if ((path = cfg_path(x, v)) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	/* + 2: the "\r\n" an editor may add. */
	rc = cfg_read_file(path, LIM_CLIENT_SECRET_MAX + 2, &data, &len, &e);
	if (rc == PO_ERR_IO || rc == PO_ERR_LIMIT) {
		if (rc == PO_ERR_IO)
			cfg_key_err(x, s, K_SECRET_FILE, "cannot read %s: %s", path, strerror(e));
		else
			cfg_key_err(x, s, K_SECRET_FILE, "%s is larger than %d bytes; it must hold only the "
			    "secret", path, LIM_CLIENT_SECRET_MAX);
		rc = PO_OK;
		goto out;
	}
	if (rc != PO_OK)
		goto out;
	/* One trailing newline, as `echo` and editors write it (config.h). */
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	data[len] = '\0';
	if (cfg_secret_ok(x, s, K_SECRET_FILE, data, len, path)) {
		cl->secret = data;
		data = NULL; /* transferred */
	}
out:
	free(path);
	str_free_secret(data);
	return rc;
}

static int
cfg_build_client(cfg_parse_t *x, raw_sect_t *s, config_client_t *cl)
{
	int rc;

	if ((cl->id = str_dup(s->label + strlen("client."))) == NULL)
		return PO_ERR_NOMEM;
	if ((rc = cfg_client_secret(x, s, cl)) != PO_OK)
		return rc;
	if (cfg_get(x, s, K_REDIRECT_URIS, "redirect_uris = https://app.example.com/callback") != NULL) {
		if ((rc = cfg_words(x, s, K_REDIRECT_URIS, LIM_REDIRECT_URIS_MAX, cfg_check_redirect,
		    &cl->redirect_uris, &cl->n_redirect_uris)) != PO_OK)
			return rc;
		if (cl->n_redirect_uris == 0)
			cfg_key_err(x, s, K_REDIRECT_URIS, "lists no URI");
	}
	if (cfg_get(x, s, K_NAME, NULL) != NULL)
		cl->name = cfg_take(s, K_NAME);
	return PO_OK;
}

static int
cfg_build_clients(cfg_parse_t *x, config_t *c)
{
	size_t i;
	int rc;

	if (x->n_clients == 0) {
		cfg_err(x, 0, "no [client.ID] section: add one for each application that signs in "
		    "through plex-oidc (see plex-oidc.example.ini)");
		return PO_OK;
	}
	if ((c->clients = calloc(x->n_clients, sizeof(*c->clients))) == NULL)
		return PO_ERR_NOMEM;
	for (i = 0; i < x->n_clients; i++) {
		c->n_clients++; /* counted first, so config_free() frees a partial client */
		if ((rc = cfg_build_client(x, &x->clients[i], &c->clients[i])) != PO_OK)
			return rc;
	}
	return PO_OK;
}

/* ---- the parse state ---- */

static int
cfg_parse_init(cfg_parse_t *x, const char *filename)
{
	const char *slash;
	int k;

	memset(x, 0, sizeof(*x));
	x->file = filename != NULL ? filename : "(config)";
	for (k = 0; k < SECT_CLIENT; k++) {
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

static void
cfg_parse_free(cfg_parse_t *x)
{
	size_t i;

	for (i = 0; i < SECT_CLIENT; i++)
		cfg_sect_clear(&x->fixed[i]);
	for (i = 0; i < x->n_clients; i++)
		cfg_sect_clear(&x->clients[i]);
	free(x->clients);
	for (i = 0; i < x->n_msgs; i++)
		free(x->msgs[i].text);
	free(x->dir);
}

/* ---- public ---- */

int
config_parse(const char *buf, size_t len, const char *filename, char *const *env, config_t **out,
    buf_t *errmsg)
{
	static const ini_handler_t handler = {
		.section = cfg_on_section,
		.pair = cfg_on_pair,
		.error = cfg_on_error,
	};
	cfg_parse_t *x = NULL;
	config_t *c = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if (len > LIM_CONFIG_FILE_MAX) {
		if (errmsg != NULL)
			(void)buf_appendf(errmsg, "%s: larger than %d bytes; is this the configuration file?\n",
			    filename != NULL ? filename : "(config)", LIM_CONFIG_FILE_MAX);
		return PO_ERR_LIMIT;
	}
	/* On the heap: the state holds the message table. */
	if ((x = malloc(sizeof(*x))) == NULL)
		return PO_ERR_NOMEM;
	if ((rc = cfg_parse_init(x, filename)) != PO_OK)
		goto out;
	/* PO_ERR_INVALID from the tokenizer: malformed lines, already reported. */
	if ((rc = ini_parse(buf, len, &handler, x)) != PO_OK && rc != PO_ERR_INVALID)
		goto out;
	for (i = 0; env != NULL && env[i] != NULL && x->fatal == PO_OK; i++)
		(void)cfg_env_one(x, env[i]);
	rc = PO_ERR_NOMEM;
	if (x->fatal != PO_OK || (c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	if ((rc = cfg_build_server(x, c)) != PO_OK || (rc = cfg_build_plex(x, c)) != PO_OK ||
	    (rc = cfg_build_ui(x, c)) != PO_OK || (rc = cfg_build_clients(x, c)) != PO_OK)
		goto out;
	if (x->fatal != PO_OK) {
		rc = x->fatal;
		goto out;
	}
	if (x->n_problems > 0) {
		rc = PO_ERR_INVALID;
		goto out;
	}
	*out = c;
	c = NULL; /* transferred */
	rc = PO_OK;
out:
	if (x != NULL) {
		cfg_flush(x, errmsg);
		cfg_parse_free(x);
		free(x);
	}
	config_free(c);
	return rc;
}

int
config_load(const char *path, char *const *env, config_t **out, buf_t *errmsg)
{
	char *text = NULL;
	size_t len = 0;
	int rc, e;

	*out = NULL;
	rc = cfg_read_file(path, LIM_CONFIG_FILE_MAX, &text, &len, &e);
	if (rc == PO_ERR_IO && errmsg != NULL)
		(void)buf_appendf(errmsg, "%s: cannot read the configuration file: %s\n", path, strerror(e));
	else if (rc == PO_ERR_LIMIT && errmsg != NULL)
		(void)buf_appendf(errmsg, "%s: larger than %d bytes; is this the configuration file?\n",
		    path, LIM_CONFIG_FILE_MAX);
	if (rc != PO_OK)
		goto out;
	rc = config_parse(text, len, path, env, out, errmsg);
out:
	if (text != NULL) {
		str_wipe(text, len); /* the file may hold client secrets */
		free(text);
	}
	return rc;
}

const config_client_t *
config_client_find(const config_t *c, const char *id)
{
	size_t i;

	if (c == NULL || id == NULL)
		return NULL;
	for (i = 0; i < c->n_clients; i++)
		if (str_eq(c->clients[i].id, id))
			return &c->clients[i];
	return NULL;
}

bool
config_client_redirect_ok(const config_client_t *cl, const char *uri)
{
	size_t i;

	if (cl == NULL || uri == NULL)
		return false;
	/* Exact string comparison: no normalisation, no prefix match
	 * (RFC 6749 §3.1.2.3, OpenID Connect Core §3.1.2.1). */
	for (i = 0; i < cl->n_redirect_uris; i++)
		if (str_eq(cl->redirect_uris[i], uri))
			return true;
	return false;
}

void
config_free(config_t *c)
{
	config_client_t *cl;
	size_t i;

	if (c == NULL)
		return;
	free(c->listen_host);
	free(c->issuer);
	free(c->issuer_path);
	free(c->data_dir);
	free(c->log_level);
	cfg_free_list(c->trusted_proxies, c->n_trusted_proxies);
	free(c->plex_server_id);
	free(c->plex_product);
	free(c->plex_api_url);
	free(c->plex_auth_url);
	free(c->ui_title);
	free(c->ui_message);
	free(c->ui_logo);
	free(c->ui_background);
	free(c->ui_accent_color);
	free(c->ui_custom_css);
	free(c->ui_assets_dir);
	for (i = 0; i < c->n_clients; i++) {
		cl = &c->clients[i];
		free(cl->id);
		str_free_secret(cl->secret);
		cfg_free_list(cl->redirect_uris, cl->n_redirect_uris);
		free(cl->name);
	}
	free(c->clients);
	free(c);
}
