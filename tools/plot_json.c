/* plot_json.c - one JSON text parsed in place into a flat value array.
 * Recursive descent with a depth limit; every loop advances the cursor over
 * a NUL-terminated buffer, so it ends. Tolerant where it costs nothing
 * (control characters in strings); strict where a mistake would change a
 * figure (numbers, structure). */
#include <stdlib.h>
#include <string.h>

#include "plot_json.h"

typedef struct jp {
	char *p, *base;
	tern_json_doc *d;
} jp;

static int fail(jp *j, const char *why)
{
	if (!j->d->err) {
		j->d->err = why;
		j->d->err_col = (size_t)(j->p - j->base) + 1;
	}
	return -1;
}

static void skip_ws(jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n')
		j->p++;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int h = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (h < 0)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return 0;
}

static char *put_utf8(char *w, unsigned cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xc0 | cp >> 6);
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*w++ = (char)(0xe0 | cp >> 12);
		*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*w++ = (char)(0xf0 | cp >> 18);
		*w++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	}
	return w;
}

/* \uXXXX at j->p (after the backslash-u); a surrogate pair takes two. The
 * UTF-8 form is never longer than the escape, so writing in place is safe. */
static int unicode_escape(jp *j, char **w)
{
	unsigned cp, lo;
	if (hex4(j->p, &cp) < 0)
		return fail(j, "bad \\u escape");
	j->p += 4;
	if (cp >= 0xd800 && cp < 0xdc00 && j->p[0] == '\\' && j->p[1] == 'u' &&
	    hex4(j->p + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		j->p += 6;
	} else if (cp >= 0xd800 && cp < 0xe000) {
		cp = 0xfffd;
	}
	*w = put_utf8(*w, cp);
	return 0;
}

static int escape(jp *j, char **w)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char c = *j->p++;
	if (c == 'u')
		return unicode_escape(j, w);
	const char *k = c ? strchr(from, c) : NULL;
	if (!k) {
		j->p--;
		return fail(j, "bad escape in string");
	}
	*(*w)++ = to[k - from];
	return 0;
}

/* At the opening quote; returns the unescaped string, NUL-terminated. */
static char *string(jp *j)
{
	char *start = ++j->p, *w = start;
	for (;;) {
		char c = *j->p;
		if (c == '\0') {
			fail(j, "unterminated string");
			return NULL;
		}
		j->p++;
		if (c == '"')
			break;
		if (c != '\\')
			*w++ = c;
		else if (escape(j, &w) < 0)
			return NULL;
	}
	*w = '\0';
	return start;
}

static int digits(jp *j)
{
	if (*j->p < '0' || *j->p > '9')
		return fail(j, "bad number");
	while (*j->p >= '0' && *j->p <= '9')
		j->p++;
	return 0;
}

static int number(jp *j, tern_json_val *v)
{
	char *start = j->p, buf[64];
	bool frac = false;
	if (*j->p == '-')
		j->p++;
	if (digits(j) < 0)
		return -1;
	if (*j->p == '.') {
		j->p++;
		frac = true;
		if (digits(j) < 0)
			return -1;
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		frac = true;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (digits(j) < 0)
			return -1;
	}
	size_t n = (size_t)(j->p - start);
	if (n >= sizeof buf)
		return fail(j, "number too long");
	memcpy(buf, start, n);
	buf[n] = '\0';
	v->type = TERN_JSON_NUM;
	v->d = strtod(buf, NULL);
	if (!frac) {
		char *end;
		long long ll = strtoll(buf, &end, 10);
		v->is_int = *end == '\0' && v->d > -9.2e18 && v->d < 9.2e18;
		v->i = ll;
	}
	return 0;
}

static int value(jp *j, int depth, const char *key);

static int new_val(jp *j, const char *key)
{
	if (j->d->n >= TERN_JSON_MAX_VALS)
		return fail(j, "too many values in one line");
	int idx = j->d->n++;
	tern_json_val *v = &j->d->v[idx];
	memset(v, 0, sizeof *v);
	v->key = key;
	v->first = v->next = -1;
	return idx;
}

/* Parses the elements of an array or the members of an object (at the
 * opening bracket), linking them as children of `parent`. */
static int container(jp *j, int parent, int depth, char close)
{
	int prev = -1;
	j->p++;
	skip_ws(j);
	if (*j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		skip_ws(j);
		if (close == '}') {
			if (*j->p != '"')
				return fail(j, "expected a member name");
			if (!(key = string(j)))
				return -1;
			skip_ws(j);
			if (*j->p++ != ':')
				return j->p--, fail(j, "expected ':'");
		}
		int idx = value(j, depth + 1, key);
		if (idx < 0)
			return -1;
		if (prev < 0)
			j->d->v[parent].first = idx;
		else
			j->d->v[prev].next = idx;
		prev = idx;
		skip_ws(j);
		if (*j->p == close)
			return j->p++, 0;
		if (*j->p++ != ',')
			return j->p--, fail(j, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int literal(jp *j, const char *word)
{
	size_t n = strlen(word);
	if (strncmp(j->p, word, n) != 0)
		return fail(j, "unexpected character");
	j->p += n;
	return 0;
}

static int value(jp *j, int depth, const char *key)
{
	if (depth > TERN_JSON_MAX_DEPTH)
		return fail(j, "nested too deeply");
	skip_ws(j);
	int idx = new_val(j, key);
	if (idx < 0)
		return -1;
	tern_json_val *v = &j->d->v[idx];
	int rc = 0;
	char c = *j->p;
	if (c == '{' || c == '[') {
		v->type = c == '{' ? TERN_JSON_OBJ : TERN_JSON_ARR;
		rc = container(j, idx, depth, c == '{' ? '}' : ']');
	} else if (c == '"') {
		v->type = TERN_JSON_STR;
		rc = (v->s = string(j)) ? 0 : -1;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		rc = number(j, v);
	} else if (c == 't' || c == 'f') {
		v->type = TERN_JSON_BOOL;
		v->b = c == 't';
		rc = literal(j, v->b ? "true" : "false");
	} else if (c == 'n') {
		rc = literal(j, "null");
	} else {
		rc = fail(j, c ? "unexpected character" : "unexpected end of line");
	}
	return rc < 0 ? -1 : idx;
}

int tern_json_parse(char *line, tern_json_doc *d)
{
	jp j = {.p = line, .base = line, .d = d};
	d->n = 0;
	d->err = NULL;
	d->err_col = 0;
	if (value(&j, 0, NULL) < 0)
		return -1;
	skip_ws(&j);
	if (*j.p)
		return fail(&j, "text after the value");
	return 0;
}

const tern_json_val *tern_json_get(const tern_json_doc *d, const tern_json_val *obj,
				   const char *key)
{
	if (!obj || obj->type != TERN_JSON_OBJ)
		return NULL;
	for (int i = obj->first; i >= 0; i = d->v[i].next)
		if (d->v[i].key && !strcmp(d->v[i].key, key))
			return &d->v[i];
	return NULL;
}

const tern_json_val *tern_json_at(const tern_json_doc *d, const tern_json_val *arr, int idx)
{
	if (!arr || arr->type != TERN_JSON_ARR)
		return NULL;
	int k = 0;
	for (int i = arr->first; i >= 0; i = d->v[i].next, k++)
		if (k == idx)
			return &d->v[i];
	return NULL;
}
