/*
 * config_store.c - the [store] section (config.h): the Redis or Valkey that
 * replicas share (store_redis.h). Without a url the memory store is used,
 * and the section may not be there at all.
 *
 *   url           = redis://HOST[:PORT][/DB] | unix:/PATH/TO/SOCKET[?db=N]
 *   password_file = PATH  (the password, one trailing newline ignored)
 *   username      = NAME  (an ACL user; default: "default")
 *   prefix        = TEXT  (default: "plex-oidc:" + a hash of the issuer + ":")
 *   tls           = no    (yes is refused: Debian 12's hiredis has no TLS)
 *
 * No password in the url: secrets live in files (config.h). A Redis
 * reached over TCP beyond loopback without a password is allowed, with a
 * warning: whoever reaches it can read and forge sign-ins.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_priv.h"
#include "config/config_value.h"
#include "core/str.h"
#include "po_limits.h"

#define STORE_DEFAULT_PORT 6379
/* Database numbers: Redis has 16 by default; the server says no to a
 * number it does not have. */
#define STORE_DB_MAX 65535
/* A DNS name (RFC 1035 §2.3.4). */
#define STORE_HOST_MAX 253
/* sun_path is 108 bytes on Linux, with the NUL. */
#define STORE_SOCKET_PATH_MAX 107

#define STORE_TLS_WHY                                                                                      \
	"TLS is not available: Debian 12's hiredis (0.14) has no TLS support. Reach Redis over a private " \
	"network, or through a TLS tunnel (stunnel or a sidecar) and set url to the tunnel's local end "   \
	"(docs/OPERATIONS.md, \"Running replicas\")"

struct store_url {
	const char *host; /* TCP; no brackets */
	size_t host_len;
	unsigned port;
	const char *path; /* unix: */
	size_t path_len;
	unsigned db;
};

static bool
digits_u(const char *s, size_t n, uint64_t max, unsigned *out)
{
	uint64_t v;

	if (str_to_u64(s, n, max, &v) != PO_OK)
		return false;
	*out = (unsigned)v;
	return true;
}

static const char *
parse_unix(const char *p, struct store_url *u)
{
	const char *q = strchr(p, '?');

	u->path = p;
	u->path_len = q ? (size_t)(q - p) : strlen(p);
	if (u->path_len == 0)
		return "unix: needs the socket's path, e.g. unix:/run/redis/redis-server.sock";
	if (u->path_len > STORE_SOCKET_PATH_MAX)
		return "has a socket path longer than 107 bytes, the limit of Unix sockets";
	if (q == NULL)
		return NULL;
	if (!str_has_prefix(q + 1, strlen(q + 1), "db=") || !digits_u(q + 4, strlen(q + 4), STORE_DB_MAX, &u->db))
		return "accepts one option after the socket's path: ?db=N (a database number)";
	return NULL;
}

static bool
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* redis://HOST[:PORT][/DB], p after "redis://". */
static const char *
parse_tcp(const char *p, struct store_url *u)
{
	const char *slash = strchr(p, '/'), *end = slash ? slash : p + strlen(p), *h = p, *port = NULL;
	char v6[INET6_ADDRSTRLEN + 1];
	unsigned char a[16];
	size_t i;

	if (memchr(p, '@', (size_t)(end - p)) != NULL)
		return "must not hold a user name or password: put the password in password_file and the user in "
		       "username";
	if (strpbrk(p, "?#") != NULL)
		return "must not have a query (\"?...\") or fragment (\"#...\")";
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		if (close == NULL || (size_t)(close - h - 1) >= sizeof(v6))
			return "has an unterminated IPv6 address (write it as [ADDRESS])";
		memcpy(v6, h + 1, (size_t)(close - h - 1));
		v6[close - h - 1] = '\0';
		if (inet_pton(AF_INET6, v6, a) != 1)
			return "has an invalid IPv6 address";
		u->host = h + 1;
		u->host_len = (size_t)(close - h - 1);
		if (close + 1 < end && close[1] != ':')
			return "has something after the IPv6 address other than :PORT";
		port = close + 1 < end ? close + 2 : NULL;
	} else {
		const char *colon = memchr(h, ':', (size_t)(end - h));
		u->host = h;
		u->host_len = (size_t)((colon ? colon : end) - h);
		if (u->host_len == 0 || u->host_len > STORE_HOST_MAX)
			return "needs a host: redis://HOST[:PORT][/DB]";
		for (i = 0; i < u->host_len; i++)
			if (!host_char(h[i]))
				return "has an invalid host (a name, an IPv4 address or [an IPv6 address])";
		port = colon ? colon + 1 : NULL;
	}
	u->port = STORE_DEFAULT_PORT;
	if (port && (!digits_u(port, (size_t)(end - port), 65535, &u->port) || u->port == 0))
		return "has an invalid port (use 1-65535)";
	if (slash && slash[1] != '\0' && !digits_u(slash + 1, strlen(slash + 1), STORE_DB_MAX, &u->db))
		return "has an invalid database number after the host (redis://HOST:PORT/DB, DB a number)";
	return NULL;
}

/* NULL when s is a store url (u filled, pointers into s), else why. */
static const char *
store_url_parse(const char *s, struct store_url *u)
{
	size_t n = strlen(s);

	memset(u, 0, sizeof(*u));
	if (n > LIM_STORE_URL_MAX)
		return "is too long";
	if (cv_has_control(s, n) || strpbrk(s, " \t") != NULL)
		return "must not contain spaces or control characters";
	if (str_has_prefix(s, n, "rediss://"))
		return STORE_TLS_WHY;
	if (str_has_prefix(s, n, "unix:"))
		return parse_unix(s + strlen("unix:"), u);
	if (str_has_prefix(s, n, "redis://"))
		return parse_tcp(s + strlen("redis://"), u);
	return "must be redis://HOST[:PORT][/DB] or unix:/PATH/TO/SOCKET[?db=N]";
}

/* Printable ASCII without spaces, 1 to max bytes. */
static bool
token_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* password_file: the password, read now (config.h "Secrets"). */
static int
store_password(cfg_parse_t *x, raw_sect_t *s, config_t *c)
{
	const char *v = cfg_get(x, s, K_STORE_PASSWORD_FILE, NULL);
	char *path = NULL, *data = NULL;
	size_t len = 0;
	int rc;

	if (v == NULL)
		return PO_OK;
	if ((path = cfg_path(x, v)) == NULL)
		return PO_ERR_NOMEM;
	rc = cfg_read_secret_file(x, s, K_STORE_PASSWORD_FILE, path, LIM_STORE_PASSWORD_MAX, "password", &data,
	    &len);
	if (rc != PO_OK || data == NULL)
		goto out;
	if (len == 0)
		cfg_key_err(x, s, K_STORE_PASSWORD_FILE, "the password in %s is empty", path);
	else if (cv_has_control(data, len) || memchr(data, '\0', len) != NULL)
		cfg_key_err(x, s, K_STORE_PASSWORD_FILE, "the password in %s has a control character or more than "
		                                         "one line",
		    path);
	else {
		c->store_password = data;
		data = NULL; /* transferred */
	}
out:
	free(path);
	str_free_secret(data);
	return rc;
}

/* Where the url points, into c. */
static int
store_where(cfg_parse_t *x, raw_sect_t *s, config_t *c, const struct store_url *u)
{
	char *p = NULL;

	c->store_db = u->db;
	if (u->path) {
		if ((p = str_dupn(u->path, u->path_len)) == NULL || (c->store_socket = cfg_path(x, p)) == NULL) {
			free(p);
			return PO_ERR_NOMEM;
		}
		free(p);
		return PO_OK;
	}
	c->store_port = (uint16_t)u->port;
	if ((c->store_host = str_dupn(u->host, u->host_len)) == NULL)
		return PO_ERR_NOMEM;
	if (s->val[K_STORE_PASSWORD_FILE].v == NULL && !cv_host_is_loopback(u->host, u->host_len))
		cfg_key_warn(x, s, K_STORE_URL, "Redis at %s is used without a password: whoever can reach it can read "
		                                "and forge sign-ins. Set password_file (Redis requirepass or an ACL user) and keep it on a "
		                                "private network",
		    c->store_host);
	return PO_OK;
}

int
cfg_build_store(cfg_parse_t *x, config_t *c)
{
	raw_sect_t *s = &x->fixed[SECT_STORE];
	struct store_url u;
	const char *v, *why;
	int k, rc;

	if (s->val[K_STORE_URL].v == NULL) {
		for (k = 0; k < KEYS_MAX && s->val[k].v == NULL; k++)
			;
		if (s->line != 0 || k < KEYS_MAX)
			cfg_key_err(x, s, K_STORE_URL, "missing; [store] needs url = redis://HOST[:PORT][/DB] or "
			                               "unix:/PATH/TO/SOCKET (without a [store] section, plex-oidc keeps its state in memory)");
		return PO_OK;
	}
	/* Every key is checked, even after a bad url: all problems at once. */
	if ((v = cfg_get(x, s, K_STORE_URL, "url = redis://127.0.0.1:6379/0")) != NULL) {
		if ((why = store_url_parse(v, &u)) != NULL)
			cfg_key_err(x, s, K_STORE_URL, "%s", why);
		else if ((rc = store_where(x, s, c, &u)) != PO_OK)
			return rc;
		else
			c->store_url = cfg_take(s, K_STORE_URL);
	}
	if ((v = cfg_get(x, s, K_STORE_TLS, NULL)) != NULL) {
		if (strcmp(v, "yes") == 0)
			cfg_key_err(x, s, K_STORE_TLS, STORE_TLS_WHY);
		else if (strcmp(v, "no") != 0)
			cfg_key_err(x, s, K_STORE_TLS, "must be yes or no");
	}
	if ((v = cfg_get(x, s, K_STORE_USERNAME, NULL)) != NULL) {
		if (!token_ok(v, LIM_STORE_USERNAME_MAX))
			cfg_key_err(x, s, K_STORE_USERNAME, "must be 1 to %d printable characters without spaces",
			    LIM_STORE_USERNAME_MAX);
		else if (s->val[K_STORE_PASSWORD_FILE].v == NULL)
			cfg_key_err(x, s, K_STORE_USERNAME, "is set without password_file: Redis authenticates a user "
			                                    "with its password");
		c->store_username = cfg_take(s, K_STORE_USERNAME);
	}
	if ((v = cfg_get(x, s, K_STORE_PREFIX, NULL)) != NULL) {
		if (!token_ok(v, LIM_STORE_PREFIX_MAX))
			cfg_key_err(x, s, K_STORE_PREFIX, "must be 1 to %d printable characters without spaces",
			    LIM_STORE_PREFIX_MAX);
		c->store_prefix = cfg_take(s, K_STORE_PREFIX);
	}
	return store_password(x, s, c);
}
