/*
 * prompt.c - prompt, max_age, id_token_hint and the decision (see
 * prompt.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/str.h"
#include "oidc/errors.h"
#include "oidc/prompt.h"
#include "po_limits.h"

/* max_age: at most 10 digits (300 years of seconds). */
#define PROMPT_MAX_AGE_DIGITS 10

static bool
word_is(const char *w, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(w, want, n) == 0;
}

const char *
prompt_parse(const form_t *f, prompt_t *out, const char **desc)
{
	const char *p = form_get(f, "prompt"), *ma = form_get(f, "max_age");
	size_t n, words = 0;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	out->max_age = -1;
	for (; p && *p; p += n) {
		while (*p == ' ')
			p++;
		if ((n = strcspn(p, " ")) == 0)
			break;
		words++;
		if (word_is(p, n, "none"))
			out->none = true;
		else if (word_is(p, n, "login"))
			out->login = true;
		else if (word_is(p, n, "select_account"))
			out->select_account = true;
		/* consent: there is no consent screen, the sign-in is the
		 * consent; other values are not ours to refuse. */
	}
	if (out->none && words > 1) {
		*desc = "prompt=none cannot be combined with other values";
		return OE_INVALID_REQUEST;
	}
	if (ma) {
		if (strlen(ma) > PROMPT_MAX_AGE_DIGITS || str_to_u64(ma, strlen(ma), INT64_MAX, &v) != PO_OK) {
			*desc = "max_age must be a number of seconds";
			return OE_INVALID_REQUEST;
		}
		out->max_age = (int64_t)v;
	}
	return NULL;
}

void
prompt_hint(const form_t *f, const keyring_t *r, const char *issuer, int64_t now, prompt_t *out)
{
	const char *h = form_get(f, "id_token_hint");
	char *payload = NULL;
	json_t *c = NULL;
	const json_t *sub;

	out->hint = h != NULL && h[0] != '\0';
	out->hint_ok = false;
	out->hint_sub[0] = '\0';
	if (!out->hint || keyring_verify_jws(r, h, strlen(h), now, &payload) != PO_OK)
		goto out;
	if ((c = json_loads(payload, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_string(json_object_get(c, "iss")) || strcmp(json_string_value(json_object_get(c, "iss")), issuer) != 0)
		goto out;
	sub = json_object_get(c, "sub");
	if (!json_is_string(sub) || json_string_length(sub) == 0 || json_string_length(sub) >= sizeof(out->hint_sub))
		goto out;
	memcpy(out->hint_sub, json_string_value(sub), json_string_length(sub) + 1);
	out->hint_ok = true;
out:
	json_decref(c);
	free(payload);
}

enum prompt_way
prompt_decide(const prompt_t *p, const session_t *s, int64_t now)
{
	bool fresh_needed, other_user;

	if (s == NULL)
		return p->none ? PROMPT_LOGIN_REQUIRED : PROMPT_LOGIN;
	/* §3.1.2.1: login forces a new sign-in; max_age says how old one may
	 * be (0: like login); select_account lets the user choose another
	 * Plex account, which only Plex's sign-in offers. */
	fresh_needed = p->login || p->select_account || (p->max_age >= 0 && now - s->who->auth_time > p->max_age);
	/* An ID token that is not ours, or names someone else, is not this
	 * session's user. */
	other_user = p->hint && (!p->hint_ok || strcmp(p->hint_sub, s->who->sub) != 0);
	if (fresh_needed || other_user)
		return p->none ? PROMPT_LOGIN_REQUIRED : PROMPT_LOGIN;
	return PROMPT_SILENT;
}
