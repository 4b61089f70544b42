/*
 * bench_keys.c - what the key ring's operations cost, one by one, on this
 * machine: signing with each algorithm, verifying an ID token by its kid
 * against the ring, sealing and opening a 1 KiB record, reading a
 * keyring.json of three algorithms, and taking a ring from the holder.
 * Each figure is the best of 5 rounds (the least disturbed by other load).
 * Not a test: run it with bench/keys/run (docs/PERFORMANCE.md, "Keys").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "keys/keyholder.h"
#include "keys/keyring.h"
#include "session/seal.h"

#define NOW ((int64_t)1700000000)
#define ISS "https://auth.example.com"

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Best of 5 rounds of n runs of body, in microseconds per run. */
#define BEST(label, n, body)                                                       \
	do {                                                                       \
		double best_ = 1e9;                                                \
		for (int r_ = 0; r_ < 5; r_++) {                                   \
			double t0_ = now_s();                                      \
			for (int i_ = 0; i_ < (n); i_++) {                         \
				body                                               \
			}                                                          \
			double dt_ = (now_s() - t0_) / (n);                        \
			if (dt_ < best_)                                           \
				best_ = dt_;                                       \
		}                                                                  \
		printf("%-40s %9.2f us\n", label, best_ * 1e6);                    \
	} while (0)

int
main(void)
{
	keyring_t *r = NULL;
	keyholder_t *h = NULL;
	char claims[700], label[64], *tok = NULL, *doc = NULL, *sealed = NULL, rec[1024];
	size_t doclen = 0;
	double t0;

	memset(claims, 'a', sizeof(claims));
	claims[0] = '{';
	claims[sizeof(claims) - 1] = '}';
	memset(rec, 'x', sizeof(rec));
	t0 = now_s();
	if (keyring_create(JOSE_ALGS_ALL, NOW, &r) != PO_OK)
		return 1;
	printf("%-40s %9.2f ms\n", "new ring, 3 algorithms (2 RSA keys)", (now_s() - t0) * 1e3);
	for (int a = 0; a < JOSE_ALG_COUNT; a++) {
		const jose_key_t *k = keyring_signer(r, (enum jose_alg)a);

		snprintf(label, sizeof(label), "%s: sign a 700-byte ID token", jose_alg_name((enum jose_alg)a));
		BEST(label, 300, {
			char *t = NULL;
			if (jose_jws_sign(k, claims, sizeof(claims), &t) != PO_OK)
				return 2;
			free(t);
		});
		if (jose_jws_sign(k, claims, sizeof(claims), &tok) != PO_OK)
			return 2;
		snprintf(label, sizeof(label), "%s: verify it by kid (ring)", jose_alg_name((enum jose_alg)a));
		BEST(label, 300, {
			if (keyring_verify_jws(r, tok, strlen(tok), NOW, NULL) != PO_OK)
				return 3;
		});
		free(tok);
	}
	BEST("seal 1 KiB (AES-256-GCM)", 20000, {
		char *o = NULL;
		if (seal_seal(r, "session", ISS, rec, sizeof(rec), &o) != PO_OK)
			return 4;
		free(o);
	});
	if (seal_seal(r, "session", ISS, rec, sizeof(rec), &sealed) != PO_OK)
		return 4;
	BEST("open 1 KiB", 20000, {
		uint8_t *o = NULL;
		size_t n = 0;
		if (seal_open(r, NOW, "session", ISS, sealed, strlen(sealed), &o, &n) != PO_OK)
			return 5;
		seal_free(o, n);
	});
	if (keyring_serialize(r, &doc, &doclen) != PO_OK)
		return 6;
	snprintf(label, sizeof(label), "read keyring.json (%zu bytes)", doclen);
	BEST(label, 50, {
		keyring_t *x = NULL;
		if (keyring_parse(doc, doclen, &x, NULL) != PO_OK)
			return 6;
		keyring_free(x);
	});
	if (keyholder_new(keyring_ref(r), NULL, &h) != PO_OK)
		return 7;
	BEST("keyholder_get + keyholder_put", 1000000, { keyholder_put(keyholder_get(h)); });
	keyholder_free(h);
	free(sealed);
	free(doc); /* a throw-away ring: nothing to wipe */
	keyring_free(r);
	return 0;
}
