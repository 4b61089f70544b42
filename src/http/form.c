/*
 * form.c - bounded urlencoded form decoding (see form.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "http/form.h"
#include "po_limits.h"

/* Decodes into a new buffer; *outlen gets the decoded length. */
static char *
decode(const char *in, size_t n, bool plus, size_t *outlen)
{
	char *out = malloc(n + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		char c = in[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				goto bad; /* truncated escape */
			hi = str_hex_val(in[i + 1]);
			lo = str_hex_val(in[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == '\0')
			goto bad;
		out[o++] = c;
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
bad:
	str_wipe(out, n + 1);
	free(out);
	return NULL;
}

char *
form_decode(const char *in, size_t n, bool plus)
{
	return decode(in, n, plus, NULL);
}

int
form_parse(const char *buf, size_t len, form_t *out)
{
	size_t pos = 0;
	int rc = PO_ERR_INVALID;

	out->p = NULL;
	out->n = 0;
	while (pos < len) {
		const char *seg = buf + pos, *amp, *eq;
		size_t slen, nlen, vlen;
		form_param_t *np;
		char *name = NULL, *value = NULL;

		amp = memchr(seg, '&', len - pos);
		slen = amp ? (size_t)(amp - seg) : len - pos;
		pos += slen + 1;
		if (slen == 0)
			continue;
		eq = memchr(seg, '=', slen);
		nlen = eq ? (size_t)(eq - seg) : slen;
		vlen = eq ? slen - nlen - 1 : 0;
		if (nlen > LIM_PARAM_LEN_MAX * 3 || vlen > LIM_PARAM_LEN_MAX * 3 || out->n >= LIM_FORM_PARAMS_MAX) {
			rc = PO_ERR_LIMIT;
			goto out;
		}
		if ((name = decode(seg, nlen, true, &nlen)) == NULL ||
		    (value = decode(eq ? eq + 1 : "", vlen, true, &vlen)) == NULL) {
			free(name);
			rc = PO_ERR_INVALID;
			goto out;
		}
		if (nlen > LIM_PARAM_LEN_MAX || vlen > LIM_PARAM_LEN_MAX) {
			free(name);
			str_free_secret(value);
			rc = PO_ERR_LIMIT;
			goto out;
		}
		if ((np = realloc(out->p, (out->n + 1) * sizeof(*np))) == NULL) {
			free(name);
			str_free_secret(value);
			rc = PO_ERR_NOMEM;
			goto out;
		}
		out->p = np;
		out->p[out->n].name = name;
		out->p[out->n].value = value;
		out->n++;
	}
	return PO_OK;
out:
	form_clear(out);
	return rc;
}

const char *
form_get(const form_t *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->p[i].name, name) == 0)
			return f->p[i].value;
	return NULL;
}

size_t
form_count(const form_t *f, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->p[i].name, name) == 0)
			n++;
	return n;
}

void
form_clear(form_t *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->p[i].name);
		str_free_secret(f->p[i].value);
	}
	free(f->p);
	f->p = NULL;
	f->n = 0;
}

int
form_encode(buf_t *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = PO_OK;

	for (; *s && rc == PO_OK; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~') {
			rc = buf_append(out, s, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			rc = buf_append(out, e, 3);
		}
	}
	return rc;
}
