/*
 * prompt.h - what an authorization request asks of the sign-on session
 * (OpenID Connect Core §3.1.2.1): prompt, max_age and id_token_hint, read
 * and checked, and the one decision that follows from them and the
 * browser's session: send the code silently, show the login page, or
 * answer login_required. Pure: the caller opens the session and verifies
 * the hint's signature.
 */
#ifndef PO_OIDC_PROMPT_H
#define PO_OIDC_PROMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/form.h"
#include "keys/keyring.h"
#include "session/session.h"

/* An id_token_hint's subject: a Plex uuid (LIM_PLEX_UUID_MAX) and a NUL. */
#define PROMPT_SUB_SIZE 256

typedef struct prompt {
	bool none;           /* prompt=none: never show a page (§3.1.2.1) */
	bool login;          /* prompt=login: a fresh sign-in even with a session */
	bool select_account; /* prompt=select_account: let the user pick: a fresh sign-in */
	int64_t max_age;     /* seconds; -1: not given */
	bool hint;           /* id_token_hint was given */
	bool hint_ok;        /* ...and is an ID token of ours (expired ones too) */
	char hint_sub[PROMPT_SUB_SIZE];
} prompt_t;

enum prompt_way {
	PROMPT_SILENT = 0,     /* the session answers: a code, no page */
	PROMPT_LOGIN,          /* the login page (a fresh Plex sign-in) */
	PROMPT_LOGIN_REQUIRED, /* prompt=none and no fitting session: login_required */
};

/* Reads prompt and max_age from f into *out; NULL when they are valid, else
 * the RFC 6749 / OIDC error code with *desc. prompt values are a
 * space-separated list of whole words (none, login, consent,
 * select_account; unknown ones are ignored); none cannot be combined;
 * max_age is a non-negative decimal number. */
const char *prompt_parse(const form_t *f, prompt_t *out, const char **desc);
/* Checks id_token_hint (in f, if any) against the key ring: an ID token
 * this provider signed (with any published key; expiry not checked) whose
 * iss is issuer; its sub goes to out->hint_sub. */
void prompt_hint(const form_t *f, const keyring_t *r, const char *issuer, int64_t now, prompt_t *out);
/* The way to answer, given the browser's session s (NULL: none, or not
 * usable) at now. */
enum prompt_way prompt_decide(const prompt_t *p, const session_t *s, int64_t now);

#endif
