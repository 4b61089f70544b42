/*
 * main.c - the command line. Parses arguments and hands over to app.c.
 *
 *   plex-oidc --config FILE     run in the foreground, logging to stderr
 *   plex-oidc check-config FILE validate a configuration and exit
 *   plex-oidc --help | --version
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "app.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

extern char **environ;

static void
usage(FILE *f)
{
	fprintf(f, "usage: plex-oidc --config FILE     run the provider (foreground, logs to stderr)\n"
	           "       plex-oidc check-config FILE validate a configuration file and exit\n"
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

int
main(int argc, char **argv)
{
	config_t *cfg = NULL;
	app_t *app = NULL;
	const char *config_path = NULL;
	sigset_t set;
	int i, lvl;

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
		} else {
			fprintf(stderr, "plex-oidc: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (config_path == NULL) {
		usage(stderr);
		return 2;
	}
	if (load(config_path, &cfg) != PO_OK)
		return 1;
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
	if (app_start(cfg, &app) != PO_OK) {
		curl_global_cleanup();
		config_free(cfg);
		return 1;
	}
	app_wait_signal();
	app_stop(app);
	curl_global_cleanup();
	config_free(cfg);
	log_info("stopped");
	return 0;
}
