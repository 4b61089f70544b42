/*
 * main.c - the command line. Parses arguments and hands over to app.c.
 *
 *   plex-oidc --config FILE     run in the foreground, logging to stderr
 *   plex-oidc check-config FILE validate a configuration and exit
 *   plex-oidc --help | --version
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <curl/curl.h>

#include "app.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/str.h"
#include "oidc/oidc.h"

extern char **environ;

static void
usage(FILE *f)
{
	fprintf(f, "usage: plex-oidc [--port N]         setup mode: a setup page on http://127.0.0.1:N/ (8080)\n"
	           "       plex-oidc --config FILE     run the provider (foreground, logs to stderr)\n"
	           "       plex-oidc check-config FILE validate a configuration file and exit\n"
	           "       plex-oidc --help | --version\n"
	           "\n"
	           "Configuration keys can be overridden with PLEX_OIDC_<SECTION>_<KEY> environment\n"
	           "variables; see docs/CONFIGURATION.md.\n");
}

/* The environment entries setup mode honours: PLEX_OIDC_PLEX_* and
 * PLEX_OIDC_UI_*. A new NULL-terminated array of borrowed strings (free
 * the array only); NULL on allocation failure, which means "none". */
static char **
setup_env(void)
{
	size_t n = 0, i, k = 0;
	char **out;

	while (environ[n])
		n++;
	if ((out = calloc(n + 1, sizeof(*out))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "PLEX_OIDC_PLEX_", 15) == 0 || strncmp(environ[i], "PLEX_OIDC_UI_", 13) == 0)
			out[k++] = environ[i];
	return out;
}

/* Setup mode: a configuration built here, listening on loopback only, with
 * the built-in "setup" client and a throw-away data directory. */
static int
setup_config(unsigned port, char *dir, config_t **cfg)
{
	char secret[64], **env = NULL;
	buf_t ini, err;
	int rc = PO_ERR_INVALID;

	buf_init(&ini, 4096);
	buf_init(&err, 64 * 1024);
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "plex-oidc: cannot create a temporary directory: %s\n", strerror(errno));
		goto out;
	}
	if (rnd_token(secret, sizeof(secret), 32) != PO_OK)
		goto out;
	buf_appendf(&ini,
	    "[server]\nlisten = 127.0.0.1:%u\nissuer = http://127.0.0.1:%u\ndata_dir = %s\n"
	    "[plex]\nserver_id = " OIDC_SETUP_SERVER_ID "\n"
	    "[client." OIDC_SETUP_CLIENT_ID "]\nsecret = %s\nredirect_uris = http://127.0.0.1:%u/setup/callback\n"
	    "name = plex-oidc setup\n",
	    port, port, dir, secret, port);
	/* Only [plex] and [ui] overrides apply: setup mode stays on loopback
	 * with a throw-away data directory whatever the environment says
	 * (a container's PLEX_OIDC_SERVER_LISTEN=0.0.0.0:8080 must not open
	 * the setup page to the network). */
	env = setup_env();
	if ((rc = config_parse(ini.data, ini.len, "(setup mode)", env, cfg, &err)) != PO_OK)
		fprintf(stderr, "%s", buf_str(&err));
out:
	free(env);
	buf_free(&ini);
	buf_free(&err);
	return rc;
}

/* Removes what setup mode wrote into its temporary directory. */
static void
setup_cleanup(const char *dir)
{
	static const char *const files[] = { "signing-key.pem", "plex-client-id" };
	char path[4200];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static int
load(const char *path, config_t **cfg)
{
	buf_t err;
	int rc;

	buf_init(&err, 64 * 1024);
	rc = config_load(path, environ, cfg, &err);
	if (rc != PO_OK)
		fprintf(stderr, "%s", buf_str(&err));
	buf_free(&err);
	return rc;
}

int
main(int argc, char **argv)
{
	config_t *cfg = NULL;
	app_t *app = NULL;
	const char *config_path = NULL;
	char setup_dir[] = "/tmp/plex-oidc-setup-XXXXXX";
	bool setup = false;
	uint64_t port = 8080;
	sigset_t set;
	int i, lvl, rc;

	/* No core dumps, first thing: one would write the signing key, client
	 * secrets and Plex tokens to disk. Not dumpable also keeps other
	 * processes of the same user out of /proc/PID/mem. setrlimit may be
	 * refused by a syscall filter (the systemd unit's ~@resources); the
	 * unit sets LimitCORE=0 for that case. */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L);

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("plex-oidc %s\n", PO_VERSION);
			return 0;
		} else if (strcmp(argv[i], "check-config") == 0 && i + 1 < argc) {
			if (load(argv[i + 1], &cfg) != PO_OK)
				return 1;
			printf("%s: OK (%zu client%s)\n", argv[i + 1], cfg->n_clients, cfg->n_clients == 1 ? "" : "s");
			config_free(cfg);
			return 0;
		} else if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			if (str_to_u64(argv[i + 1], strlen(argv[i + 1]), 65535, &port) != PO_OK || port == 0) {
				fprintf(stderr, "plex-oidc: --port needs a number from 1 to 65535\n");
				return 2;
			}
			i++;
		} else {
			fprintf(stderr, "plex-oidc: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (config_path == NULL) {
		setup = true;
		if (setup_config((unsigned)port, setup_dir, &cfg) != PO_OK)
			return 1;
	} else if (load(config_path, &cfg) != PO_OK) {
		return 1;
	}
	if ((lvl = log_level_parse(cfg->log_level ? cfg->log_level : "info")) >= 0)
		log_set_level((enum log_level)lvl);
	/* Block the stop signals in every thread; app_wait_signal takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("cannot initialise libcurl");
		config_free(cfg);
		return 1;
	}
	rc = app_start(cfg, &app);
	if (rc == PO_OK) {
		if (setup)
			log_info("SETUP MODE (no --config given): open http://127.0.0.1:%u/ in a browser on this machine, "
			         "sign in with Plex, pick your server and get a ready configuration",
			    (unsigned)port);
		app_wait_signal();
		app_stop(app);
		log_info("stopped");
	}
	curl_global_cleanup();
	config_free(cfg);
	if (setup)
		setup_cleanup(setup_dir);
	return rc == PO_OK ? 0 : 1;
}
