/*
 * config_access.c - pass 3 of who may use what: the groups ([group.NAME]
 * and the three built-in ones), the allow lists of clients and apps, and
 * the [app.NAME] sections guarded by forward auth (config.h).
 *
 * Group names share the character rules of client ids; the built-in names
 * cannot be redefined, so "plex-owner" always means the Plex relationship.
 *
 * [server] cookie_domain belongs here too: it is where the forward-auth
 * cookie is set, so the browser sends it to every guarded host, and the
 * sign-in page on the issuer's host must be allowed to set it there (a
 * host sets cookies for itself and its parent domains only, RFC 6265
 * §5.3 step 6).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "config/config_priv.h"
#include "config/config_value.h"
#include "core/err.h"
#include "core/str.h"
#include "po_limits.h"

static const char *const cfg_builtin[CONFIG_GROUPS_BUILTIN] = {
	[CONFIG_GROUP_OWNER] = "plex-owner",
	[CONFIG_GROUP_HOME] = "plex-home",
	[CONFIG_GROUP_FRIEND] = "plex-friend",
};

int
config_group_find(const config_t *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_groups; i++)
		if (str_eq(c->groups[i].name, name))
			return (int)i;
	return -1;
}

/* A Plex username, email or uuid: printable, no spaces (the list is
 * space-separated), at most an email's length (RFC 5321 §4.5.3.1.3). */
static const char *
cfg_check_user(const char *w)
{
	size_t len = strlen(w);

	if (len > 254)
		return "is longer than 254 characters: list a Plex username, email or uuid";
	if (cv_has_control(w, len))
		return "has a control character";
	return NULL;
}

int
cfg_build_groups(cfg_parse_t *x, config_t *c)
{
	size_t i, k;
	raw_sect_t *s;
	config_group_t *g;
	int rc;

	if ((c->groups = calloc(CONFIG_GROUPS_BUILTIN + x->n_kind[SECT_GROUP], sizeof(*c->groups))) == NULL)
		return PO_ERR_NOMEM;
	for (k = 0; k < CONFIG_GROUPS_BUILTIN; k++) {
		if ((c->groups[k].name = str_dup(cfg_builtin[k])) == NULL)
			return PO_ERR_NOMEM;
		c->n_groups++;
	}
	for (i = 0; i < x->n_named; i++) {
		s = &x->named[i];
		if (s->kind != SECT_GROUP)
			continue;
		g = &c->groups[c->n_groups++];
		g->line = s->line;
		if ((g->name = str_dup(cfg_sect_name(s))) == NULL)
			return PO_ERR_NOMEM;
		for (k = 0; k < CONFIG_GROUPS_BUILTIN; k++)
			if (strcasecmp(g->name, cfg_builtin[k]) == 0)
				cfg_err(x, s->line, "[%s]: \"%s\" is a built-in group (the Plex relationship with your server); "
				                    "name yours differently",
				    s->label, cfg_builtin[k]);
		if (cfg_get(x, s, K_GROUP_USERS, "users = alice bob@example.com") == NULL)
			continue;
		if ((rc = cfg_words(x, s, K_GROUP_USERS, LIM_GROUP_USERS_MAX, cfg_check_user, &g->users, &g->n_users)) !=
		    PO_OK)
			return rc;
		if (g->n_users == 0)
			cfg_key_err(x, s, K_GROUP_USERS, "lists nobody; list Plex usernames, emails or uuids");
	}
	return PO_OK;
}

/* Appends the group names, space-separated, for a message. */
static void
cfg_group_names(const config_t *c, buf_t *b)
{
	size_t i;

	for (i = 0; i < c->n_groups; i++)
		if (buf_appendf(b, "%s%s", i ? " " : "", c->groups[i].name) != PO_OK)
			return; /* cut short: the message still says what is wrong */
}

void
cfg_allow(cfg_parse_t *x, const config_t *c, raw_sect_t *s, int k, config_groupset_t *out)
{
	const char *p, *w;
	size_t wl, n = 0;
	char name[CV_CLIENT_ID_MAX + 1];
	int g;
	buf_t known;

	memset(out, 0, sizeof(*out));
	if (s->val[k].v == NULL)
		return;
	for (p = s->val[k].v; cfg_next_word(&p, &w, &wl); n++) {
		if (wl >= sizeof(name) || (memcpy(name, w, wl), name[wl] = '\0', (g = config_group_find(c, name)) < 0)) {
			buf_init(&known, 1024);
			cfg_group_names(c, &known);
			cfg_key_err(x, s, k, "\"%.*s\" is not a group; the groups are: %s (add a [group.%.*s] section to "
			                     "define it)",
			    CFG_CLIP(wl), w, buf_str(&known), CFG_CLIP(wl), w);
			buf_free(&known);
			continue;
		}
		config_groupset_add(out, (size_t)g);
	}
	if (n == 0)
		cfg_key_err(x, s, k, "is empty: list the groups that may sign in, e.g. \"allow = plex-owner\" (an empty "
		                     "list means neither nobody nor everybody: remove the line for the default)");
}

/* A guarded host: a DNS name, lower-case letters, digits, '-' and '.',
 * or "*." and such a name with at least one dot (one wildcard label). */
static const char *
cfg_check_host(const char *w)
{
	const char *h = w;
	size_t len, i, dots = 0;

	if (str_has_prefix(w, strlen(w), "*."))
		h = w + 2;
	len = strlen(h);
	if (len == 0 || len > 253 || h[0] == '.' || h[0] == '-' || h[len - 1] == '.' || h[len - 1] == '-')
		return "is not a host name (e.g. sonarr.example.com or *.example.com; no scheme, port or path)";
	for (i = 0; i < len; i++) {
		if (h[i] == '.') {
			if (h[i + 1] == '.')
				return "has an empty label";
			dots++;
		} else if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
		               (h[i] >= '0' && h[i] <= '9') || h[i] == '-')) {
			return "is not a host name (e.g. sonarr.example.com or *.example.com; no scheme, port or path; "
			       "a wildcard is one leading \"*.\")";
		}
	}
	if (h != w && dots == 0)
		return "is a wildcard over a top-level domain; use *.example.com";
	return NULL;
}

/* The app and host index of the first app before `upto` listing host h. */
static bool
cfg_host_taken(const config_t *c, size_t upto, const char *h, size_t *app)
{
	size_t i, j;

	for (i = 0; i < upto; i++)
		for (j = 0; j < c->apps[i].n_hosts; j++)
			if (strcasecmp(c->apps[i].hosts[j], h) == 0) {
				*app = i;
				return true;
			}
	return false;
}

static int
cfg_build_app(cfg_parse_t *x, config_t *c, raw_sect_t *s, config_app_t *a)
{
	size_t j, other;
	int rc;

	if ((a->id = str_dup(cfg_sect_name(s))) == NULL)
		return PO_ERR_NOMEM;
	if (cfg_get(x, s, K_APP_NAME, NULL) != NULL)
		a->name = cfg_take(s, K_APP_NAME);
	else if ((a->name = str_dup(a->id)) == NULL)
		return PO_ERR_NOMEM;
	if (cfg_get(x, s, K_APP_HOSTS, "hosts = sonarr.example.com") != NULL) {
		if ((rc = cfg_words(x, s, K_APP_HOSTS, LIM_APP_HOSTS_MAX, cfg_check_host, &a->hosts, &a->n_hosts)) !=
		    PO_OK)
			return rc;
		if (a->n_hosts == 0)
			cfg_key_err(x, s, K_APP_HOSTS, "lists no host");
	}
	for (j = 0; j < a->n_hosts; j++) {
		for (char *q = a->hosts[j]; *q != '\0'; q++) /* DNS names are case-insensitive (RFC 4343) */
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		if (cfg_host_taken(c, c->n_apps - 1, a->hosts[j], &other))
			cfg_key_err(x, s, K_APP_HOSTS, "\"%s\" is also a host of [app.%s]; a host belongs to one app",
			    a->hosts[j], c->apps[other].id);
	}
	/* Guarded apps are mostly admin tools: the owner alone unless allow
	 * says otherwise. */
	if (s->val[K_APP_ALLOW].v != NULL)
		cfg_allow(x, c, s, K_APP_ALLOW, &a->allow);
	else
		config_groupset_add(&a->allow, CONFIG_GROUP_OWNER);
	return PO_OK;
}

int
cfg_build_apps(cfg_parse_t *x, config_t *c)
{
	size_t i, n = x->n_kind[SECT_APP];
	int rc;

	if (n == 0)
		return PO_OK;
	if ((c->apps = calloc(n, sizeof(*c->apps))) == NULL)
		return PO_ERR_NOMEM;
	for (i = 0; i < x->n_named; i++) {
		if (x->named[i].kind != SECT_APP)
			continue;
		c->n_apps++; /* counted first, so config_free() frees a partial app */
		if ((rc = cfg_build_app(x, c, &x->named[i], &c->apps[c->n_apps - 1])) != PO_OK)
			return rc;
	}
	return PO_OK;
}

void
cfg_unused_groups(cfg_parse_t *x, const config_t *c)
{
	size_t g, i;
	bool used;

	for (g = CONFIG_GROUPS_BUILTIN; g < c->n_groups; g++) {
		used = false;
		for (i = 0; i < c->n_clients && !used; i++)
			used = config_groupset_has(&c->clients[i].allow, g);
		for (i = 0; i < c->n_apps && !used; i++)
			used = config_groupset_has(&c->apps[i].allow, g);
		if (!used)
			cfg_warn(x, c->groups[g].line, "[group.%s] is allowed by no client or app: add it to an allow list, "
			                               "or remove it",
			    c->groups[g].name);
	}
}

void
cfg_free_access(config_t *c)
{
	size_t i;

	for (i = 0; i < c->n_groups; i++) {
		free(c->groups[i].name);
		cfg_free_list(c->groups[i].users, c->groups[i].n_users);
	}
	free(c->groups);
	for (i = 0; i < c->n_apps; i++) {
		free(c->apps[i].id);
		free(c->apps[i].name);
		cfg_free_list(c->apps[i].hosts, c->apps[i].n_hosts);
	}
	free(c->apps);
}

/* ---- [server] cookie_domain ---- */

/* true if host (the part after "*." for a wildcard) is domain or below it:
 * "a.example.com" and "example.com" are under "example.com";
 * "example.com.evil" and "badexample.com" are not. */
static bool
cfg_under(const char *host, const char *domain)
{
	size_t hl = strlen(host), dl = strlen(domain);

	if (hl == dl)
		return strcasecmp(host, domain) == 0;
	return hl > dl && host[hl - dl - 1] == '.' && strcasecmp(host + hl - dl, domain) == 0;
}

/* A domain a cookie may be set on: a DNS name with a dot ("localhost"
 * excepted, for testing on one machine), not an IP address. */
static const char *
cfg_check_cookie_domain(const char *v)
{
	size_t len = strlen(v), i;
	bool dot = false, alpha = false;

	if (v[0] == '.')
		return "has a leading dot: write the domain itself, e.g. \"example.com\" (cookies set on it reach every "
		       "host below it)";
	if (len > 253 || v[len - 1] == '.' || v[0] == '-')
		return "is not a domain name (e.g. example.com; no scheme, port or path)";
	for (i = 0; i < len; i++) {
		if (v[i] == '.') {
			if (v[i + 1] == '.')
				return "has an empty label";
			dot = true;
		} else if ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') || v[i] == '-') {
			alpha = true;
		} else if (!(v[i] >= '0' && v[i] <= '9')) {
			return "is not a domain name (e.g. example.com; no scheme, port or path)";
		}
	}
	if (!alpha)
		return "is an IP address: cookies are shared by domain name only; use the domain of your hosts";
	if (!dot && strcasecmp(v, "localhost") != 0)
		return "is a top-level domain: browsers refuse cookies for it; use your own domain, e.g. example.com";
	return NULL;
}

/* The issuer's host, lower-cased, into out; false if there is none. */
static bool
cfg_issuer_host(const config_t *c, char *out, size_t outsz)
{
	cv_url_t u;
	size_t i;

	if (c->issuer == NULL || cv_url(c->issuer, &u) != NULL || u.host_len == 0 || u.host_len >= outsz)
		return false;
	for (i = 0; i < u.host_len; i++)
		out[i] = (u.host[i] >= 'A' && u.host[i] <= 'Z') ? (char)(u.host[i] - 'A' + 'a') : u.host[i];
	out[u.host_len] = '\0';
	return true;
}

int
cfg_build_cookie_domain(cfg_parse_t *x, config_t *c)
{
	raw_sect_t *s = &x->fixed[SECT_SERVER];
	const char *v = cfg_get(x, s, K_COOKIE_DOMAIN, NULL), *why, *dot, *h;
	char ih[LIM_URL_MAX];
	bool derived = false, have_issuer = cfg_issuer_host(c, ih, sizeof(ih));
	size_t i, j, a;

	if (c->n_apps == 0) {
		if (v != NULL)
			cfg_key_warn(x, s, K_COOKIE_DOMAIN, "is set, but no [app.NAME] section guards an app with forward "
			                                    "auth: it has no effect");
		return PO_OK;
	}
	if (v != NULL) {
		if ((why = cfg_check_cookie_domain(v)) != NULL) {
			cfg_key_err(x, s, K_COOKIE_DOMAIN, "\"%.*s\" %s", CFG_CLIP(strlen(v)), v, why);
			return PO_OK;
		}
		if ((c->cookie_domain = str_dup(v)) == NULL)
			return PO_ERR_NOMEM;
	} else if (s->val[K_COOKIE_DOMAIN].v != NULL) {
		return PO_OK; /* empty: reported */
	} else if (have_issuer && (dot = strchr(ih, '.')) != NULL && strchr(dot + 1, '.') != NULL &&
	    cfg_check_cookie_domain(dot + 1) == NULL) {
		/* auth.example.com: example.com, as tinyauth does. */
		if ((c->cookie_domain = str_dup(dot + 1)) == NULL)
			return PO_ERR_NOMEM;
		derived = true;
	} else {
		if (have_issuer)
			cfg_key_err(x, s, K_COOKIE_DOMAIN, "missing: forward auth ([app.%s]) sets its cookie on the parent "
			                                   "domain of the issuer's host and the guarded hosts, and none follows from the issuer's host "
			                                   "\"%s\"; set it, e.g. \"cookie_domain = example.com\"",
			    c->apps[0].id, ih);
		return PO_OK;
	}
	for (char *q = c->cookie_domain; *q != '\0'; q++) /* DNS names are case-insensitive (RFC 4343) */
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	if (have_issuer && !cfg_under(ih, c->cookie_domain))
		cfg_key_err(x, s, K_COOKIE_DOMAIN, "%s\"%s\" is not the issuer's host \"%s\" or a parent domain of it: "
		                                   "the sign-in page, on the issuer's host, sets the forward-auth cookie, and a host can only set "
		                                   "cookies for itself and its parent domains",
		    derived ? "the default, " : "", c->cookie_domain, ih);
	for (i = 0, a = 0; i < x->n_named && a < c->n_apps; i++) {
		if (x->named[i].kind != SECT_APP)
			continue;
		for (j = 0; j < c->apps[a].n_hosts; j++) {
			h = c->apps[a].hosts[j];
			if (str_has_prefix(h, strlen(h), "*."))
				h += 2;
			if (!cfg_under(h, c->cookie_domain))
				cfg_key_err(x, &x->named[i], K_APP_HOSTS, "\"%s\" is not under [server] cookie_domain \"%s\"%s: "
				                                          "the browser would never send it the forward-auth cookie",
				    c->apps[a].hosts[j],
				    c->cookie_domain, derived ? " (the default: the issuer's host without its first label)" : "");
		}
		a++;
	}
	return PO_OK;
}
