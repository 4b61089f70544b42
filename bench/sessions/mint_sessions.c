/*
 * mint_sessions.c - sign-on sessions for the benchmark (bench/run; see
 * docs/PERFORMANCE.md, "Sessions").
 *
 * Reads the session cookies of real Plex sign-ins (the sealed values, one
 * a line, on stdin), opens each with the key ring of DATA_DIR as the
 * provider does, and prints N sessions of those same sign-ins: each a new
 * session (session_new: its own random session id, a fresh access check,
 * LIFETIME_S to live) of the same Plex account, Plex token and auth_time,
 * sealed by the provider's own code (session_seal) with the ring's current
 * sealing key. That is what N browsers that signed in would hold, and the
 * binary accepts them as it accepts any of its sessions.
 *
 * Why not N real sign-ins: every sign-in makes four or five plex.tv calls
 * and the provider keeps to LIM_PLEX_BUDGET_PER_S of them; 10,000 would
 * take hours against the fake plex.tv as against the real one.
 *
 * usage: mint_sessions DATA_DIR ISSUER N LIFETIME_S < real.txt > minted.txt
 * Exits 0, or 1 with a message on stderr (no key ring, no valid input
 * session, a session that does not open).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "keys/keyring.h"
#include "po_limits.h"
#include "session/session.h"

/* Real sessions read from stdin: a handful of sign-ins is enough. */
#define MINT_REAL_MAX 64
/* A line of stdin: one sealed session (a cookie value). */
#define MINT_LINE_MAX (LIM_SEALED_MAX + 2)
/* N at most: far above what the benchmark uses. */
#define MINT_N_MAX 10000000L

/* Reads and opens the real sessions; returns how many. */
static size_t
read_real(const keyring_t *r, const char *issuer, int64_t now, session_t *real)
{
	static char line[MINT_LINE_MAX];
	size_t n = 0, len;

	while (n < MINT_REAL_MAX && fgets(line, sizeof(line), stdin) != NULL) {
		len = strcspn(line, "\r\n");
		if (len == 0)
			continue;
		line[len] = '\0';
		if (session_open(r, issuer, now, line, len, &real[n]) != PO_OK) {
			fprintf(stderr, "mint_sessions: input line %zu is not a session of %s\n", n + 1, issuer);
			continue;
		}
		n++;
	}
	return n;
}

int
main(int argc, char **argv)
{
	keyring_t *r = NULL;
	session_t real[MINT_REAL_MAX];
	session_t s = { 0 };
	char *sealed = NULL, *end = NULL;
	buf_t why;
	long n, lifetime;
	size_t k = 0, i;
	int64_t now = clock_now_s();
	int rc, status = 1;

	memset(real, 0, sizeof(real));
	buf_init(&why, 4096);
	if (argc != 5) {
		fprintf(stderr, "usage: mint_sessions DATA_DIR ISSUER N LIFETIME_S < real > minted\n");
		goto out;
	}
	n = strtol(argv[3], &end, 10);
	if (*end != '\0' || n < 1 || n > MINT_N_MAX) {
		fprintf(stderr, "mint_sessions: N must be 1..%ld\n", MINT_N_MAX);
		goto out;
	}
	lifetime = strtol(argv[4], &end, 10);
	if (*end != '\0' || lifetime < 60) {
		fprintf(stderr, "mint_sessions: LIFETIME_S must be a number of seconds, at least 60\n");
		goto out;
	}
	if ((rc = keyring_load(argv[1], &r, NULL, &why)) != PO_OK) {
		fprintf(stderr, "mint_sessions: no key ring in %s: %s (%s)\n", argv[1], po_strerror(rc), buf_str(&why));
		goto out;
	}
	if ((k = read_real(r, argv[2], now, real)) == 0) {
		fprintf(stderr, "mint_sessions: no real session on stdin\n");
		goto out;
	}
	for (long j = 0; j < n; j++) {
		const session_t *from = &real[(size_t)j % k];

		if ((rc = session_new(from->who, from->plex_token, now, lifetime, &s)) != PO_OK ||
		    (rc = session_seal(r, argv[2], &s, &sealed)) != PO_OK) {
			fprintf(stderr, "mint_sessions: %s\n", po_strerror(rc));
			goto out;
		}
		puts(sealed);
		free(sealed);
		sealed = NULL;
		session_clear(&s);
	}
	if (fflush(stdout) != 0) {
		perror("mint_sessions: stdout");
		goto out;
	}
	fprintf(stderr, "mint_sessions: %ld sessions of %zu sign-ins\n", n, k);
	status = 0;
out:
	free(sealed);
	session_clear(&s);
	for (i = 0; i < k; i++)
		session_clear(&real[i]);
	keyring_free(r);
	buf_free(&why);
	return status;
}
