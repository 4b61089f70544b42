/*
 * app.h - the application: builds every module from the configuration,
 * routes requests to the endpoint handlers, and shuts down in order.
 * main.c only parses the command line and calls in here.
 */
#ifndef PO_APP_H
#define PO_APP_H

#include "config/config.h"

typedef struct app app_t;

/* Starts everything for cfg (borrowed; must outlive the app): data
 * directory, signing key, Plex client identifier, UI, plex.tv client,
 * provider, HTTP server. PO_OK or an error (the reason has been logged). */
int app_start(const config_t *cfg, app_t **out);
/* Waits for SIGINT or SIGTERM (which the caller has blocked in every
 * thread before app_start). */
void app_wait_signal(void);
/* Stops in order: no new plex.tv calls, plex client (its callbacks resume
 * waiting requests), HTTP server (requests in flight finish), then frees.
 * Accepts NULL. */
void app_stop(app_t *a);

#endif
