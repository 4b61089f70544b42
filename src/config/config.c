/*
 * config.c - loads the INI configuration into an immutable config_t (see
 * config.h for the format and the rules).
 *
 * Three passes over one parse state (cfg_parse_t, config_priv.h), so that a
 * single run reports every problem and each message says where the value
 * came from: config_read.c reads sections, keys (pass 1) and environment
 * variables (pass 2) into raw values; this file checks each value
 * (config_value.c holds the single-value rules) and builds the config_t
 * (pass 3). Messages are collected as they are found, then written to the
 * caller's errmsg sorted by line.
 *
 * Memory: raw values are owned by the parse state until a pass-3 function
 * takes one over ("transferred"). Any raw value may be a secret, so all are
 * wiped when freed; so are the config's client secrets. Files are read into
 * one buffer sized up front, never grown by realloc(), so no copy of a
 * secret is left behind in freed memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_priv.h"
#include "config/config_value.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "po_limits.h"

/* What old versions took as "setup mode": refused, so that no value in a
 * file or the environment can turn authorization off. */
#define CFG_RESERVED_SERVER_ID "setup-mode"

/* A message about the file as a whole, when the caller wants messages. One
 * that does not fit errmsg is cut short: the load fails either way and the
 * return code says why. */
static void cfg_file_msg(buf_t *errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
cfg_file_msg(buf_t *errmsg, const char *fmt, ...)
{
	va_list ap;

	if (errmsg == NULL)
		return;
	va_start(ap, fmt);
	if (buf_vappendf(errmsg, fmt, ap) != PO_OK) {
		/* cut short, see above */
	}
	va_end(ap);
}

/* ---- pass 3: values ---- */

/* config_priv.h */
const char *
cfg_get(cfg_parse_t *x, raw_sect_t *s, int k, const char *example)
{
	const raw_val_t *rv = &s->val[k];

	if (rv->v == NULL) {
		if (example != NULL)
			cfg_key_err(x, s, k, "missing; this key is required, e.g. \"%s\"", example);
		return NULL;
	}
	if (rv->v[0] == '\0') {
		if (example != NULL)
			cfg_key_err(x, s, k, "has an empty value");
		else
			cfg_key_err(x, s, k, "has an empty value; remove the line to use the default");
		return NULL;
	}
	return rv->v;
}

/* Takes over the raw value of key k (NULL if unset). */
char *
cfg_take(raw_sect_t *s, int k)
{
	char *v = s->val[k].v;

	s->val[k].v = NULL; /* transferred */
	return v;
}

/* A path from the file: relative ones are relative to the file's
 * directory, so the config works whatever the current directory is. */
char *
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
int
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

int
cfg_read_secret_file(cfg_parse_t *x, raw_sect_t *s, int k, const char *path, size_t max, const char *what,
    char **out, size_t *out_len)
{
	char *data = NULL;
	size_t len = 0;
	int rc, e;

	*out = NULL;
	*out_len = 0;
	/* + 2: the "\r\n" an editor may add. */
	rc = cfg_read_file(path, max + 2, &data, &len, &e);
	if (rc == PO_ERR_IO) {
		cfg_key_err(x, s, k, "cannot read %s: %s", path, strerror(e));
		return PO_OK;
	}
	if (rc == PO_ERR_LIMIT) {
		cfg_key_err(x, s, k, "%s is larger than %zu bytes; it must hold only the %s", path, max, what);
		return PO_OK;
	}
	if (rc != PO_OK)
		return rc;
	/* One trailing newline, as `echo` and editors write it. */
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	data[len] = '\0';
	*out = data;
	*out_len = len;
	return PO_OK;
}

static bool
cfg_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* config_priv.h */
bool
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

void
cfg_free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; list != NULL && i < n; i++)
		free(list[i]);
	free(list);
}

/* Splits the space-separated list of key k (config_priv.h). */
int
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
const char *
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
		                            "exactly and append /.well-known/openid-configuration to it; write \"%.*s\"",
		    (int)n, v);
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
	if (cfg_get(x, s, K_TRUSTED_PROXIES, NULL) != NULL &&
	    (rc = cfg_words(x, s, K_TRUSTED_PROXIES, SIZE_MAX, cfg_check_proxy, &c->trusted_proxies,
	         &c->n_trusted_proxies)) != PO_OK)
		return rc;
	if ((v = cfg_get(x, s, K_WEBFINGER, NULL)) != NULL) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			cfg_key_err(x, s, K_WEBFINGER, "must be yes or no");
		c->webfinger = strcmp(v, "yes") == 0;
	}
	return cfg_build_durations(x, c);
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

_Static_assert(CV_PLEX_SERVER_ID_MAX == 128, "the message below says 128");

static const char *
cfg_check_server_id(const char *w)
{
	if (strcasecmp(w, CFG_RESERVED_SERVER_ID) == 0)
		return "is not a server id: setup mode starts when plex-oidc runs without --config, never from a "
		       "configuration; put your server's machine identifier here";
	if (!cv_plex_server_id_ok(w, strlen(w)))
		return "is not a server id: use 1 to 128 letters, digits or '-': your Plex "
		       "server's machine identifier, as machineIdentifier at http://YOUR-SERVER:32400/identity";
	return NULL;
}

static int
cfg_build_plex(cfg_parse_t *x, config_t *c)
{
	raw_sect_t *s = &x->fixed[SECT_PLEX];
	const char *v;
	int rc;

	if (cfg_get(x, s, K_SERVER_ID, "server_id = 0123456789abcdef0123456789abcdef01234567") != NULL) {
		if ((rc = cfg_words(x, s, K_SERVER_ID, LIM_PLEX_SERVERS_MAX, cfg_check_server_id, &c->plex_server_ids,
		         &c->n_plex_server_ids)) != PO_OK)
			return rc;
		if (c->n_plex_server_ids == 0)
			cfg_key_err(x, s, K_SERVER_ID, "lists no server");
	}
	if ((v = cfg_get(x, s, K_OWNER_ID, NULL)) != NULL) {
		uint64_t id;
		if (str_to_u64(v, strlen(v), INT64_MAX, &id) != PO_OK || id == 0)
			cfg_key_err(x, s, K_OWNER_ID, "must be the numeric Plex account id of the server's owner "
			                              "(setup mode fills it in)");
		else
			c->plex_owner_id = (int64_t)id;
	} else if (s->val[K_OWNER_ID].v == NULL) {
		/* docs/SECURITY.md "owner_id": the machine identifier is chosen by
		 * the device, so without the owner's id a look-alike counts. */
		cfg_key_warn(x, s, K_OWNER_ID, "not set: a Plex device in another account that claims your server's "
		                               "identifier would be let in as its owner. Set owner_id to your Plex account id: setup mode shows it, "
		                               "or see \"id\" at https://plex.tv/api/v2/user (docs/CONFIGURATION.md)");
	}
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

/* ---- public ---- */

int
config_parse(const char *buf, size_t len, const char *filename, char *const *env, config_t **out,
    buf_t *errmsg)
{
	cfg_parse_t *x = NULL;
	config_t *c = NULL;
	int rc;

	*out = NULL;
	if (len > LIM_CONFIG_FILE_MAX) {
		cfg_file_msg(errmsg, "%s: larger than %d bytes; is this the configuration file?\n",
		    filename != NULL ? filename : "(config)", LIM_CONFIG_FILE_MAX);
		return PO_ERR_LIMIT;
	}
	/* On the heap: the state holds the message table. */
	if ((x = malloc(sizeof(*x))) == NULL)
		return PO_ERR_NOMEM;
	if ((rc = cfg_parse_init(x, filename)) != PO_OK ||
	    (rc = cfg_read_raw(x, buf, len, env)) != PO_OK)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		rc = PO_ERR_NOMEM;
		goto out;
	}
	if ((rc = cfg_build_server(x, c)) != PO_OK || (rc = cfg_build_plex(x, c)) != PO_OK ||
	    (rc = cfg_build_ui(x, c)) != PO_OK || (rc = cfg_build_store(x, c)) != PO_OK ||
	    (rc = cfg_build_groups(x, c)) != PO_OK || (rc = cfg_build_clients(x, c)) != PO_OK ||
	    (rc = cfg_build_apps(x, c)) != PO_OK || (rc = cfg_build_cookie_domain(x, c)) != PO_OK)
		goto out;
	cfg_unused_groups(x, c);
	if (x->fatal != PO_OK) {
		rc = x->fatal;
		goto out;
	}
	if (x->n_problems > 0) {
		rc = PO_ERR_INVALID;
		goto out;
	}
	if ((rc = cfg_take_warnings(x, &c->warnings, &c->n_warnings)) != PO_OK)
		goto out;
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
	if (rc == PO_ERR_IO)
		cfg_file_msg(errmsg, "%s: cannot read the configuration file: %s\n", path, strerror(e));
	else if (rc == PO_ERR_LIMIT)
		cfg_file_msg(errmsg, "%s: larger than %d bytes; is this the configuration file?\n", path,
		    LIM_CONFIG_FILE_MAX);
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

void
config_free(config_t *c)
{
	if (c == NULL)
		return;
	free(c->listen_host);
	free(c->issuer);
	free(c->issuer_path);
	free(c->data_dir);
	free(c->log_level);
	free(c->cookie_domain);
	cfg_free_list(c->trusted_proxies, c->n_trusted_proxies);
	cfg_free_list(c->plex_server_ids, c->n_plex_server_ids);
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
	free(c->store_url);
	free(c->store_host);
	free(c->store_socket);
	free(c->store_username);
	str_free_secret(c->store_password);
	free(c->store_prefix);
	cfg_free_clients(c);
	cfg_free_access(c);
	cfg_free_list(c->warnings, c->n_warnings);
	free(c);
}
