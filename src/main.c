/*
 * main.c - the command line. Parses arguments and hands over to app.c.
 *
 *   plex-oidc --config FILE     run in the foreground, logging to stderr
 *   plex-oidc check-config FILE validate a configuration and exit
 *   plex-oidc rotate-keys --config FILE [--force]
 *                               rotate the key ring of data_dir one step
 *   plex-oidc hash-secret       read a client secret on stdin, print its secret_hash
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
#include "config/secret_tool.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "jose/jwk.h"
#include "keys/keytool.h"

extern char **environ;

static void
usage(FILE *f)
{
	fprintf(f, "usage: plex-oidc [--port N]         setup mode: a setup page on http://127.0.0.1:N/ (8080)\n"
	           "       plex-oidc --config FILE     run the provider (foreground, logs to stderr)\n"
	           "       plex-oidc check-config FILE validate a configuration file and exit\n"
	           "       plex-oidc rotate-keys --config FILE [--force]\n"
	           "                                   rotate the signing and sealing keys one step\n"
	           "       plex-oidc hash-secret       read a client secret on standard input and print\n"
	           "                                   the secret_hash to put in its [client.ID]\n"
	           "       plex-oidc --help | --version\n"
	           "\n"
	           "Configuration keys can be overridden with PLEX_OIDC_<SECTION>_<KEY> environment\n"
	           "variables; see docs/CONFIGURATION.md.\n");
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

/* plex-oidc rotate-keys --config FILE [--force] (args after the command):
 * one rotation step of the key ring in the configuration's data_dir
 * (keys/keytool.h). Exit 0 done, 1 refused or failed, 2 bad arguments. */
static int
rotate_keys(int argc, char **argv)
{
	const char *path = NULL;
	config_t *cfg = NULL;
	unsigned algs = JOSE_ALG_BIT(JOSE_RS256);
	bool force = false;
	enum jose_alg a;
	int i, status;

	for (i = 0; i < argc; i++) {
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "--force") == 0) {
			force = true;
		} else {
			fprintf(stderr, "plex-oidc rotate-keys: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL) {
		fprintf(stderr, "plex-oidc rotate-keys: --config FILE is required (the data_dir and the lifetimes "
		                "come from it)\n");
		return 2;
	}
	if (load(path, &cfg) != PO_OK)
		return 1;
	for (size_t w = 0; w < cfg->n_warnings; w++)
		fprintf(stderr, "%s\n", cfg->warnings[w]);
	/* Only problems (an unreadable key, a file readable by others) are
	 * logged; what was done is the report on stdout. */
	log_set_level(LOG_WARN);
	for (size_t c = 0; c < cfg->n_clients; c++)
		if (jose_alg_parse(cfg->clients[c].id_token_alg, strlen(cfg->clients[c].id_token_alg), &a) == PO_OK)
			algs |= JOSE_ALG_BIT(a);
	status = keytool_rotate(cfg->data_dir, algs,
	    cfg->session_lifetime_s > cfg->refresh_lifetime_s ? cfg->session_lifetime_s : cfg->refresh_lifetime_s,
	    force, clock_now_s(), stdout, stderr);
	config_free(cfg);
	return status;
}

int
main(int argc, char **argv)
{
	config_t *cfg = NULL;
	app_t *app = NULL;
	app_opts_t opts = { 0 };
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
			printf("%s: OK (%zu client%s", argv[i + 1], cfg->n_clients, cfg->n_clients == 1 ? "" : "s");
			if (cfg->n_apps > 0) /* guarded by forward auth */
				printf(", %zu app%s", cfg->n_apps, cfg->n_apps == 1 ? "" : "s");
			printf(")\n");
			for (size_t w = 0; w < cfg->n_warnings; w++)
				fprintf(stderr, "%s\n", cfg->warnings[w]);
			config_free(cfg);
			return 0;
		} else if (strcmp(argv[i], "rotate-keys") == 0 && i == 1) {
			return rotate_keys(argc - 2, argv + 2);
		} else if (strcmp(argv[i], "hash-secret") == 0 && i == 1) {
			if (argc > 2) {
				/* Not echoed: it may well be the secret. */
				fprintf(stderr, "plex-oidc hash-secret takes no arguments: it reads the secret on standard "
				                "input, which keeps it out of the shell history and the process list\n");
				return 2;
			}
			return secret_tool_hash(STDIN_FILENO, stdout, stderr);
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
		if (app_setup_config((unsigned)port, setup_dir, environ, &cfg) != PO_OK)
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
	opts.setup_mode = setup;
	rc = app_start(cfg, &opts, &app);
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
		app_setup_cleanup(setup_dir);
	return rc == PO_OK ? 0 : 1;
}
