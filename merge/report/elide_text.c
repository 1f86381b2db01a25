/* Long names made to fit the text report's 100 columns (report_parts.h): a C++ name loses
 * its template arguments and parameter lists first ("foo<...>::bar(...)"), then its outer
 * scopes ("...::bar(...)"); anything still too wide loses its middle, keeping its start
 * and (the larger part) its end: a path's file name and line stay.  The JSON report keeps
 * every name whole. */
#include <string.h>

#include "report_parts.h"

/* Columns are as wide as the characters shown: a UTF-8 continuation byte adds none. */
static bool continuation(char c) { return ((unsigned char)c & 0xc0) == 0x80; }

int mg_text_width(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += !continuation(*s);
  return n;
}

/* The bytes of s's first `cols` columns (never half a character). */
static size_t head_bytes(const char *s, int cols) {
  size_t i = 0;
  for (int c = 0; s[i] && c < cols; c++)
    for (i++; s[i] && continuation(s[i]); i++)
      ;
  return i;
}

/* "<...>" for every outermost <...> group, "(...)" for every non-empty outermost (...)
 * group.  An "operator<" or a lone bracket leaves the rest as it was. */
static void collapse_groups(char *out, size_t size, const char *s) {
  size_t o = 0;
  int angle = 0, paren = 0;
  static const char anon[] = "(anonymous namespace)";
  for (const char *c = s; *c && o + 6 < size; c++) {
    if (angle == 0 && paren == 0 && strncmp(c, anon, sizeof anon - 1) == 0 &&
        o + sizeof anon + 6 < size) { /* a scope, not parameters: kept */
      memcpy(out + o, anon, sizeof anon - 1);
      o += sizeof anon - 1;
      c += sizeof anon - 2;
      continue;
    }
    bool inside = angle > 0 || paren > 0;
    if (*c == '<' && paren == 0) {
      if (angle++ == 0) {
        memcpy(out + o, "<...", 4);
        o += 4;
      }
    } else if (*c == '>' && angle > 0 && paren == 0) {
      if (--angle == 0)
        out[o++] = '>';
    } else if (*c == '(' && angle == 0) {
      if (paren++ == 0) {
        bool empty = c[1] == ')';
        memcpy(out + o, empty ? "(" : "(...", empty ? 1 : 4);
        o += empty ? 1 : 4;
      }
    } else if (*c == ')' && paren > 0 && angle == 0) {
      if (--paren == 0)
        out[o++] = ')';
    } else if (!inside) {
      out[o++] = *c;
    }
  }
  if (angle > 0 || paren > 0) { /* unbalanced: not a name this knows how to shorten */
    snprintf(out, size, "%s", s);
    return;
  }
  out[o] = '\0';
}

void mg_text_elide(char *out, size_t size, const char *s, int width) {
  if (width < 8)
    width = 8;
  if (mg_text_width(s) <= width) {
    snprintf(out, size, "%s", s);
    return;
  }
  char shorter[4096], scoped[4096];
  collapse_groups(shorter, sizeof shorter, s);
  if (mg_text_width(shorter) <= width) {
    snprintf(out, size, "%s", shorter);
    return;
  }
  /* Then its outer scopes ("...::registry<...>::insert"), as few as will do; the
   * innermost name at least. */
  const char *t = shorter;
  for (const char *c = strstr(shorter, "::"); c; c = strstr(c + 2, "::")) {
    snprintf(scoped, sizeof scoped, "...%s", c);
    t = scoped;
    if (mg_text_width(scoped) <= width) {
      snprintf(out, size, "%s", scoped);
      return;
    }
  }
  /* The middle out: a third of the room for the start, the rest for the end. */
  int total = mg_text_width(t), keep = width - 3, head = keep / 3, tail = keep - head;
  size_t hb = head_bytes(t, head), tb = head_bytes(t, total - tail);
  snprintf(out, size, "%.*s...%s", (int)hb, t, t + tb);
}
