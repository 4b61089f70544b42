/* test_secret_hash.c - scrypt PHC strings (core/secret_hash.h): the RFC 7914
 * §12 test vector through the parser and OpenSSL, round trips of
 * secret_hash_make(), and a table of malformed or out-of-bounds values. */
#include <string.h>

#include "core/err.h"
#include "core/secret_hash.h"
#include "t.h"

/* RFC 7914 §12: scrypt(P = "pleaseletmein", S = "SodiumChloride", N = 16384,
 * r = 8, p = 1, dkLen = 64), salt and key in PHC base64. */
#define RFC7914_V3 "$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw"

static void
test_rfc7914_vector(void)
{
	secret_hash_t h;
	bool match = true;

	T_CHECK(secret_hash_parse(RFC7914_V3, strlen(RFC7914_V3), &h) == NULL);
	T_EQ_INT(h.ln, 14);
	T_EQ_INT(h.r, 8);
	T_EQ_INT(h.p, 1);
	T_EQ_INT(h.salt_len, 14);
	T_EQ_INT(h.hash_len, 64);
	T_EQ_INT(secret_hash_verify(&h, "pleaseletmein", 13, &match), PO_OK);
	T_CHECK(match);
	T_EQ_INT(secret_hash_verify(&h, "pleaseletmeim", 13, &match), PO_OK);
	T_CHECK(!match);
	T_EQ_INT(secret_hash_verify(&h, "pleaseletmein!", 14, &match), PO_OK);
	T_CHECK(!match);
	T_EQ_INT(secret_hash_verify(&h, "", 0, &match), PO_OK);
	T_CHECK(!match);
	secret_hash_clear(&h);
	T_EQ_INT(h.ln, 0);
}

static void
test_make_round_trip(void)
{
	const char *secret = "a-secret-of-forty-characters-0123456789ab";
	char a[LIM_SECRET_HASH_STR_MAX], b[LIM_SECRET_HASH_STR_MAX], small[64];
	secret_hash_t h;
	bool match = false;

	T_EQ_INT(secret_hash_make(secret, strlen(secret), a, sizeof(a)), PO_OK);
	T_EQ_INT(secret_hash_make(secret, strlen(secret), b, sizeof(b)), PO_OK);
	T_CHECK(strncmp(a, "$scrypt$ln=13,r=8,p=1$", 22) == 0);
	T_CHECK(strcmp(a, b) != 0);           /* a fresh salt each time */
	T_CHECK(strstr(a + 22, "=") == NULL); /* no padding */
	T_CHECK(secret_hash_parse(a, strlen(a), &h) == NULL);
	T_EQ_INT(h.salt_len, LIM_SECRET_HASH_SALT_LEN);
	T_EQ_INT(h.hash_len, LIM_SECRET_HASH_LEN);
	T_EQ_INT(secret_hash_verify(&h, secret, strlen(secret), &match), PO_OK);
	T_CHECK(match);
	T_EQ_INT(secret_hash_verify(&h, secret, strlen(secret) - 1, &match), PO_OK);
	T_CHECK(!match);
	secret_hash_clear(&h);
	T_EQ_INT(secret_hash_make(secret, strlen(secret), small, sizeof(small)), PO_ERR_LIMIT);
}

static void
test_refused(void)
{
	static const struct {
		const char *in;
		const char *why; /* a word of the phrase */
	} bad[] = {
		{ "", "must start with" },
		{ "pleaseletmein", "must start with" },
		{ "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo", "must start with" },
		{ "$scrypt$", "malformed parameters" },
		{ "$scrypt$ln=13,r=8$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "malformed parameters" },
		{ "$scrypt$r=8,ln=13,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "malformed parameters" },
		{ "$scrypt$ln=013,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "malformed parameters" },
		{ "$scrypt$ln=13,r=8,p=1,x=2$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "malformed parameters" },
		{ "$scrypt$ln=1300000,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "malformed parameters" },
		{ "$scrypt$ln=9,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "too little work" },
		{ "$scrypt$ln=15,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "more work" },
		{ "$scrypt$ln=31,r=1,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "more work" },
		{ "$scrypt$ln=14,r=8,p=2$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "more work" },
		{ "$scrypt$ln=10,r=4000,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "more work" },
		{ "$scrypt$ln=13,r=0,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "r or p" },
		{ "$scrypt$ln=13,r=8,p=1$U29kaXVtQ2hsb3JpZGU", "malformed salt" },
		{ "$scrypt$ln=13,r=8,p=1$U29ka*VtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "malformed salt" },
		{ "$scrypt$ln=13,r=8,p=1$U29kaXVtQ2hsb3JpZGU=$cCO9yzr9c0hGHAbNgf046w", "malformed salt" },
		{ "$scrypt$ln=13,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w$", "malformed salt" },
		{ "$scrypt$ln=13,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9y", "malformed salt" },
		/* RFC 7914's second vector: within the work bound, but "NaCl" is
		 * a 4-byte salt */
		{ "$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA",
		    "salt shorter" },
		{ "$scrypt$ln=10,r=8,p=17$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046w", "more work" },
		{ "$scrypt$ln=10,r=8,p=1$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA",
		    "salt shorter" },
		{ "$scrypt$ln=10,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHA", "hash shorter" },
	};
	char huge[LIM_SECRET_HASH_STR_MAX + 8];
	secret_hash_t h;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = secret_hash_parse(bad[i].in, strlen(bad[i].in), &h);
		if (why == NULL || strstr(why, bad[i].why) == NULL) {
			fprintf(stderr, "  case %zu (%s): %s\n", i, bad[i].in, why ? why : "accepted");
			T_CHECK(0);
		}
	}
	memset(huge, 'A', sizeof(huge));
	memcpy(huge, "$scrypt$ln=13,r=8,p=1$", 22);
	T_CHECK(strstr(secret_hash_parse(huge, sizeof(huge), &h), "too long") != NULL);
	/* (buf, len): a value is read only up to len */
	T_CHECK(secret_hash_parse(RFC7914_V3 "junk", strlen(RFC7914_V3), &h) == NULL);
}

int
main(void)
{
	T_RUN(test_rfc7914_vector);
	T_RUN(test_make_round_trip);
	T_RUN(test_refused);
	return T_DONE();
}
