/*
 * app.h - the application: builds every module from the configuration,
 * wires the front doors into the router, and shuts down in order. main.c
 * only parses the command line and calls in here.
 */
#ifndef PO_APP_H
#define PO_APP_H

#include <stdbool.h>

#include "config/config.h"

typedef struct app app_t;

typedef struct app_opts {
	/* Setup mode: started without a configuration file (main.c decides;
	 * no configuration value can turn it on). Every Plex account may sign
	 * in, to see the servers it owns. */
	bool setup_mode;
} app_opts_t;

/* Starts everything for cfg (borrowed; must outlive the app): data
 * directory, signing key, Plex client identifier, UI, plex.tv client, login
 * pages, provider, HTTP server. PO_OK or an error (the reason has been
 * logged). */
int app_start(const config_t *cfg, const app_opts_t *opts, app_t **out);
/* Waits for SIGINT or SIGTERM (which the caller has blocked in every
 * thread before app_start). */
void app_wait_signal(void);
/* Stops in order: no new plex.tv calls, plex client (its callbacks resume
 * waiting requests), HTTP server (requests in flight finish), then frees.
 * Accepts NULL. */
void app_stop(app_t *a);

/* Setup mode's configuration and its clean-up (oidc.h), for main.c. */
int app_setup_config(unsigned port, char *dir_template, char *const *env, config_t **out);
void app_setup_cleanup(const char *dir);

#endif
