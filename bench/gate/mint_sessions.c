/*
 * mint_sessions.c - the forward-auth benchmark's sessions (bench/bench.py,
 * "forward auth"): N distinct sign-on sessions of one Plex user, each with
 * its own random id, sealed into forward-auth cookies by plex-oidc's own
 * code (session_new, session_seal_gate) with the key ring of a data_dir,
 * exactly as a Plex sign-in would seal them. Logging in N times through
 * plex.tv is not possible at benchmark speed (plex-oidc paces its plex.tv
 * calls to 10 a second), so the sessions are made here; what the server
 * does with them (open, cache, answer) is what is measured.
 *
 *   mint_sessions DATA_DIR ISSUER N > cookies.txt     one cookie value a line
 *
 * Built by bench/run against the benchmark build's libplexoidc.a.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "keys/keyring.h"
#include "plex/plex_parse.h"
#include "policy/identity.h"
#include "session/session.h"

int
main(int argc, char **argv)
{
	plex_user_t u = { .id = 22526914, .uuid = "dae343c1f45beb4f", .username = "alice", .title = "Alice Liddell", .email = "alice@example.com", .confirmed = true };
	keyring_t *ring = NULL;
	identity_t *who = NULL;
	session_t s;
	char *sealed = NULL;
	long n, i;
	int64_t now = clock_now_s();
	buf_t why;
	int rc = 1;

	if (argc != 4 || (n = strtol(argv[3], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: mint_sessions DATA_DIR ISSUER N\n");
		return 2;
	}
	buf_init(&why, 1024);
	if (keyring_load(argv[1], &ring, NULL, &why) != PO_OK) {
		fprintf(stderr, "mint_sessions: %s\n", buf_str(&why));
		goto out;
	}
	if ((who = identity_from_plex(&u, now)) == NULL)
		goto out;
	who->access = PLEX_ACCESS_OWNER;
	for (i = 0; i < n; i++) {
		if (session_new(who, "bench-plex-token-not-used-before-a-recheck", now, 7 * 86400, &s) != PO_OK ||
		    session_seal_gate(ring, argv[2], &s, &sealed) != PO_OK) {
			fprintf(stderr, "mint_sessions: sealing failed\n");
			session_clear(&s);
			goto out;
		}
		printf("%s\n", sealed);
		free(sealed);
		sealed = NULL;
		session_clear(&s);
	}
	rc = 0;
out:
	identity_free(who);
	keyring_free(ring);
	buf_free(&why);
	return rc;
}
