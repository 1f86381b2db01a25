/* A small streaming JSON writer (json.c): nesting, commas and string escaping, so the
 * report code says only what it writes.  No dependency: the merge must build anywhere
 * msgpack-c does. */
#ifndef MEMSCOPE_MERGE_JSON_H
#define MEMSCOPE_MERGE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MS_JSON_MAX_DEPTH 32

struct ms_json {
  FILE *out;
  int depth;
  bool first[MS_JSON_MAX_DEPTH]; /* nothing written yet at this level */
  char closer[MS_JSON_MAX_DEPTH]; /* '}' or ']' */
  bool flat[MS_JSON_MAX_DEPTH];   /* elements on one line */
  bool after_key;                /* a key was written: the value needs no comma */
  bool compact;                  /* no line breaks or indentation */
  bool script_safe;              /* may be embedded in an HTML <script> element */
};

void ms_json_init(struct ms_json *j, FILE *out);
/* Compact JSON that can sit inside <script type="application/json"> as is: '<', '>' and
 * '&' are written as \u003c, \u003e, \u0026 (so no "</script" or "<!--" can end or
 * change the element), U+2028 and U+2029 as \u2028, \u2029. */
void ms_json_init_script(struct ms_json *j, FILE *out);
/* A string value escaped as the writer escapes it (for tests and one-off values). */
void ms_json_write_string(FILE *out, const char *s, bool script_safe);
void ms_json_object(struct ms_json *j); /* { */
void ms_json_array(struct ms_json *j);  /* [ */
void ms_json_flat_array(struct ms_json *j); /* [ with its (scalar) elements on one line */
void ms_json_end(struct ms_json *j);    /* } or ] */
void ms_json_key(struct ms_json *j, const char *key);
void ms_json_string(struct ms_json *j, const char *s); /* NULL writes null */
void ms_json_uint(struct ms_json *j, uint64_t v);
void ms_json_double(struct ms_json *j, double v); /* non-finite writes null */
void ms_json_bool(struct ms_json *j, bool v);
void ms_json_null(struct ms_json *j);

/* Key and value in one call. */
void ms_json_kstring(struct ms_json *j, const char *key, const char *s);
void ms_json_kuint(struct ms_json *j, const char *key, uint64_t v);
void ms_json_kdouble(struct ms_json *j, const char *key, double v);
void ms_json_kbool(struct ms_json *j, const char *key, bool v);

#endif
