/* The JSON writer.  One thread writes a report, so single characters go out with
 * putc_unlocked: fputc's lock per character was a third of the time of the JSON report
 * of 20,000 sites (89 MB; docs/merge.md, "Memory per site"). */
#include "json.h"

#include <inttypes.h>
#include <math.h>

void mg_json_init(struct mg_json *j, FILE *out) {
  j->out = out;
  j->depth = 0;
  j->first[0] = true;
  j->flat[0] = false;
  j->after_key = false;
  j->compact = false;
  j->script_safe = false;
}

void mg_json_init_script(struct mg_json *j, FILE *out) {
  mg_json_init(j, out);
  j->compact = true;
  j->script_safe = true;
}

/* Before any value: the comma and newline that separate it from the previous one. */
static void value_start(struct mg_json *j) {
  if (j->after_key) {
    j->after_key = false;
    return;
  }
  if (!j->first[j->depth])
    fputs(j->flat[j->depth] && !j->compact ? ", " : ",", j->out);
  j->first[j->depth] = false;
  if (j->depth > 0 && !j->flat[j->depth] && !j->compact)
    fprintf(j->out, "\n%*s", 2 * j->depth, "");
}

static void begin(struct mg_json *j, char open, char close, bool flat) {
  value_start(j);
  putc_unlocked(open, j->out);
  if (j->depth + 1 < MG_JSON_MAX_DEPTH)
    j->depth++;
  j->first[j->depth] = true;
  j->closer[j->depth] = close;
  j->flat[j->depth] = flat;
}

void mg_json_object(struct mg_json *j) { begin(j, '{', '}', false); }
void mg_json_array(struct mg_json *j) { begin(j, '[', ']', false); }
void mg_json_flat_array(struct mg_json *j) { begin(j, '[', ']', true); }

void mg_json_end(struct mg_json *j) {
  bool empty = j->first[j->depth], flat = j->flat[j->depth];
  char close = j->closer[j->depth];
  if (j->depth > 0)
    j->depth--;
  if (!empty && !flat && !j->compact)
    fprintf(j->out, "\n%*s", 2 * j->depth, "");
  putc_unlocked(close, j->out);
  if (j->depth == 0 && !j->compact)
    putc_unlocked('\n', j->out);
}

/* The length of the well-formed UTF-8 sequence at p (1 to 4), or 0 when it is not one
 * (a stray continuation byte, a cut sequence, an overlong form, a surrogate, past
 * U+10FFFF).  Names and arguments are bytes: JSON must be UTF-8. */
static int utf8_length(const unsigned char *p) {
  if (p[0] < 0x80)
    return 1;
  int n = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
          : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
  for (int i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
      (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
    return 0;
  return n;
}

static void escaped(FILE *out, const char *s, bool script_safe) {
  putc_unlocked('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (script_safe) {
      if (*p == '<' || *p == '>' || *p == '&') {
        fprintf(out, "\\u%04x", *p);
        continue;
      }
      /* U+2028, U+2029 (E2 80 A8/A9): line terminators to older JavaScript */
      if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
        fputs(p[2] == 0xa8 ? "\\u2028" : "\\u2029", out);
        p += 2;
        continue;
      }
    }
    if (*p >= 0x80) {
      int n = utf8_length(p);
      if (n == 0) {
        fputs("\\ufffd", out); /* one replacement character per byte not understood */
      } else {
        fwrite(p, 1, (size_t)n, out);
        p += n - 1;
      }
      continue;
    }
    switch (*p) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    case '\b': fputs("\\b", out); break;
    case '\f': fputs("\\f", out); break;
    default:
      if (*p < 0x20 || *p == 0x7f)
        fprintf(out, "\\u%04x", *p);
      else
        putc_unlocked(*p, out);
    }
  }
  putc_unlocked('"', out);
}

void mg_json_key(struct mg_json *j, const char *key) {
  value_start(j);
  escaped(j->out, key, j->script_safe);
  fputs(j->compact ? ":" : ": ", j->out);
  j->after_key = true;
}

void mg_json_string(struct mg_json *j, const char *s) {
  value_start(j);
  if (s)
    escaped(j->out, s, j->script_safe);
  else
    fputs("null", j->out);
}

void mg_json_uint(struct mg_json *j, uint64_t v) {
  value_start(j);
  fprintf(j->out, "%" PRIu64, v);
}

void mg_json_double(struct mg_json *j, double v) {
  value_start(j);
  if (!isfinite(v))
    fputs("null", j->out);
  else if (v == floor(v) && fabs(v) < 9e15)
    fprintf(j->out, "%.0f", v); /* integral values print as integers */
  else
    fprintf(j->out, "%.6g", v);
}

void mg_json_bool(struct mg_json *j, bool v) {
  value_start(j);
  fputs(v ? "true" : "false", j->out);
}

void mg_json_null(struct mg_json *j) {
  value_start(j);
  fputs("null", j->out);
}

void mg_json_kstring(struct mg_json *j, const char *key, const char *s) {
  mg_json_key(j, key);
  mg_json_string(j, s);
}
void mg_json_kuint(struct mg_json *j, const char *key, uint64_t v) {
  mg_json_key(j, key);
  mg_json_uint(j, v);
}
void mg_json_kdouble(struct mg_json *j, const char *key, double v) {
  mg_json_key(j, key);
  mg_json_double(j, v);
}
void mg_json_kbool(struct mg_json *j, const char *key, bool v) {
  mg_json_key(j, key);
  mg_json_bool(j, v);
}

void mg_json_write_string(FILE *out, const char *s, bool script_safe) {
  escaped(out, s, script_safe);
}
