/*
 * fuzz_config.c - libFuzzer target for config_parse() (src/config/config.h):
 * the whole configuration pipeline, INI tokenizer, section and key checks,
 * value validators (URLs, listen addresses, CIDR ranges, secrets, colours)
 * and the error report.
 *
 * The input is the text of a config file named "fuzz.ini", without any
 * environment. A secret_file key makes the parser open the named path;
 * `make fuzz` (scripts/fuzz-run) runs the target from a scratch directory
 * with stdin at EOF and no controlling terminal, so such reads end.
 *
 * Properties: success and a config go together; a failure leaves *out NULL
 * and says why in errmsg; every client of a loaded config can be found by
 * its id and accepts its own redirect URIs; nothing leaks.
 */
#include "fuzz.h"

#include "config/config.h"
#include "core/err.h"

/* Generous: a hostile file yields at most CFG_MSGS_MAX clipped messages. */
#define FUZZ_ERRMSG_MAX (256 * 1024)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	config_t *cfg = NULL;
	buf_t errmsg;
	size_t i, j;
	int rc;

	buf_init(&errmsg, FUZZ_ERRMSG_MAX);
	rc = config_parse((const char *)data, size, "fuzz.ini", NULL, &cfg, &errmsg);
	FUZZ_CHECK((rc == PO_OK) == (cfg != NULL));
	if (rc == PO_ERR_INVALID)
		FUZZ_CHECK(errmsg.len > 0 && errmsg.data[errmsg.len - 1] == '\n');
	if (cfg != NULL) {
		FUZZ_CHECK(cfg->issuer != NULL && cfg->issuer_path != NULL && cfg->listen_host != NULL);
		FUZZ_CHECK(cfg->n_plex_server_ids > 0 && cfg->plex_server_ids[0] != NULL &&
		    cfg->n_clients + cfg->n_apps > 0);
		for (i = 0; i < cfg->n_clients; i++) {
			const config_client_t *cl = &cfg->clients[i];

			FUZZ_CHECK(config_client_find(cfg, cl->id) != NULL);
			/* one of a secret and its hash; neither for a public client,
			 * which must use PKCE */
			FUZZ_CHECK(config_client_public(cl) ? cl->secret == NULL && cl->secret_hash == NULL && cl->require_pkce
			                                    : (cl->secret != NULL) != (cl->secret_hash != NULL));
			FUZZ_CHECK(cl->n_redirect_uris > 0 && cl->preset != NULL);
			FUZZ_CHECK((cl->id_token_claims & ~(unsigned)CONFIG_CLAIMS_ALL) == 0);
			for (j = 0; j < cl->n_redirect_uris; j++)
				FUZZ_CHECK(config_client_redirect_ok(cl, cl->redirect_uris[j]));
			FUZZ_CHECK(!config_client_redirect_ok(cl, ""));
		}
		FUZZ_CHECK(config_client_find(cfg, "") == NULL);
		/* [store]: a url is a host or a socket, never both */
		if (cfg->store_url != NULL)
			FUZZ_CHECK((cfg->store_host != NULL) != (cfg->store_socket != NULL));
		else
			FUZZ_CHECK(cfg->store_host == NULL && cfg->store_socket == NULL && cfg->store_password == NULL);
	}
	config_free(cfg);
	buf_free(&errmsg);
	return 0;
}
