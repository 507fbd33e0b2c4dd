/* plot_json.h - a small, tolerant reader of one JSON text (one trace line):
 * parsed in place into a flat array of values, no allocation. */
#ifndef TERN_TOOLS_PLOT_JSON_H
#define TERN_TOOLS_PLOT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A trace line holds about 30 values; a long SACK list a few more. */
#define TERN_JSON_MAX_VALS  512
#define TERN_JSON_MAX_DEPTH 16

typedef enum tern_json_type {
	TERN_JSON_NULL,
	TERN_JSON_BOOL,
	TERN_JSON_NUM,
	TERN_JSON_STR,
	TERN_JSON_ARR,
	TERN_JSON_OBJ,
} tern_json_type;

typedef struct tern_json_val {
	tern_json_type type;
	bool b;         /* BOOL */
	bool is_int;    /* NUM without fraction or exponent that fits int64 */
	int64_t i;      /* NUM, when is_int */
	double d;       /* NUM */
	const char *s;  /* STR (unescaped, NUL-terminated in the line) */
	const char *key; /* member name when inside an object, else NULL */
	int first;      /* ARR/OBJ: index of the first element, -1 if empty */
	int next;       /* index of the next sibling, -1 at the end */
} tern_json_val;

typedef struct tern_json_doc {
	tern_json_val v[TERN_JSON_MAX_VALS];
	int n;
	size_t err_col; /* 1-based column of the error */
	const char *err;
} tern_json_doc;

/* Parses `line` (NUL-terminated, modified in place: strings are unescaped
 * where they stand). Returns 0, or -1 with d->err and d->err_col set. The
 * root is d->v[0]. */
int tern_json_parse(char *line, tern_json_doc *d);

/* The member `key` of object `obj`, or NULL. */
const tern_json_val *tern_json_get(const tern_json_doc *d, const tern_json_val *obj,
				   const char *key);
/* Element `idx` of array `arr`, or NULL. */
const tern_json_val *tern_json_at(const tern_json_doc *d, const tern_json_val *arr, int idx);

#endif
