/* A small streaming JSON writer (json.c): nesting, commas and string escaping, so the
 * report code says only what it writes.  No dependency: the merge must build anywhere
 * msgpack-c does. */
#ifndef MEMSCOPE_MERGE_JSON_H
#define MEMSCOPE_MERGE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MG_JSON_MAX_DEPTH 32

struct mg_json {
  FILE *out;
  int depth;
  bool first[MG_JSON_MAX_DEPTH]; /* nothing written yet at this level */
  char closer[MG_JSON_MAX_DEPTH]; /* '}' or ']' */
  bool flat[MG_JSON_MAX_DEPTH];   /* elements on one line */
  bool after_key;                /* a key was written: the value needs no comma */
  bool compact;                  /* no line breaks or indentation */
  bool script_safe;              /* may be embedded in an HTML <script> element */
};

void mg_json_init(struct mg_json *j, FILE *out);
/* Compact JSON that can sit inside <script type="application/json"> as is: '<', '>' and
 * '&' are written as \u003c, \u003e, \u0026 (so no "</script" or "<!--" can end or
 * change the element), U+2028 and U+2029 as \u2028, \u2029. */
void mg_json_init_script(struct mg_json *j, FILE *out);
/* A string value escaped as the writer escapes it (for tests and one-off values). */
void mg_json_write_string(FILE *out, const char *s, bool script_safe);
void mg_json_object(struct mg_json *j); /* { */
void mg_json_array(struct mg_json *j);  /* [ */
void mg_json_flat_array(struct mg_json *j); /* [ with its (scalar) elements on one line */
void mg_json_end(struct mg_json *j);    /* } or ] */
void mg_json_key(struct mg_json *j, const char *key);
void mg_json_string(struct mg_json *j, const char *s); /* NULL writes null */
void mg_json_uint(struct mg_json *j, uint64_t v);
void mg_json_double(struct mg_json *j, double v); /* non-finite writes null */
void mg_json_bool(struct mg_json *j, bool v);
void mg_json_null(struct mg_json *j);

/* Key and value in one call. */
void mg_json_kstring(struct mg_json *j, const char *key, const char *s);
void mg_json_kuint(struct mg_json *j, const char *key, uint64_t v);
void mg_json_kdouble(struct mg_json *j, const char *key, double v);
void mg_json_kbool(struct mg_json *j, const char *key, bool v);

#endif
