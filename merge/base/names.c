/* Function names and paths in one spelling (names.h). */
#include "names.h"

#include <stdbool.h>
#include <string.h>

static bool ends_with(const char *s, size_t len, const char *tail) {
  size_t n = strlen(tail);
  return len >= n && memcmp(s + len - n, tail, n) == 0;
}

/* The length of the operator's symbol at s ("<<=", "()", "+"...; 0 when none), so that
 * "operator<" and "operator()" are not read as brackets. */
static size_t operator_symbol(const char *s) {
  static const char *const symbols[] = {
      "()", "[]", "->*", "->", "<=>", "<<=", ">>=", "<<", ">>", "<=", ">=", "==", "!=", "&&",
      "||", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "+", "-", "*", "/",
      "%", "^", "&", "|", "~", "!", "=", "<", ">", ","};
  for (size_t i = 0; i < sizeof symbols / sizeof *symbols; i++)
    if (strncmp(s, symbols[i], strlen(symbols[i])) == 0)
      return strlen(symbols[i]);
  return 0;
}
static bool is_identifier_char(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* "> >" -> ">>" (clang's debug info writes the first, the demangler the second). */
static size_t join_angles(char *s) {
  size_t out = 0;
  for (size_t i = 0; s[i]; i++) {
    if (s[i] == ' ' && out > 0 && s[out - 1] == '>' && s[i + 1] == '>')
      continue;
    s[out++] = s[i];
  }
  s[out] = '\0';
  return out;
}

/* Length without trailing qualifiers (" const", " &", ...) when a ')' precedes them. */
static size_t without_qualifiers(const char *s, size_t len) {
  static const char *const words[] = {"const", "volatile", "noexcept", "&&", "&"};
  size_t n = len;
  for (bool again = true; again;) {
    again = false;
    while (n > 0 && s[n - 1] == ' ')
      n--;
    for (size_t w = 0; w < sizeof words / sizeof *words; w++)
      if (ends_with(s, n, words[w])) {
        size_t before = n - strlen(words[w]);
        bool word = words[w][0] != '&';
        if (word && before > 0 && s[before - 1] != ' ' && s[before - 1] != ')')
          continue;
        n = before;
        again = true;
        break;
      }
  }
  return n > 0 && s[n - 1] == ')' ? n : len;
}

/* Where the parameter list that ends at s[len - 1] == ')' begins, or len when none can
 * be removed (unbalanced, the whole name, or "operator" with no parameters after it). */
static size_t parameters_start(const char *s, size_t len) {
  if (len == 0 || s[len - 1] != ')')
    return len;
  int depth = 0;
  for (size_t i = len; i-- > 0;) {
    if (s[i] == ')')
      depth++;
    else if (s[i] == '(' && --depth == 0)
      return i == 0 || ends_with(s, i, "operator") ? len : i;
  }
  return len;
}

/* Where the name begins after a return type ("void ns::f<int>"), or 0: the last
 * space outside brackets that is not part of "operator new" and its like.  -1 when the
 * brackets do not balance. */
static long name_start(const char *s, size_t len) {
  int depth = 0;
  long start = 0;
  for (size_t i = 0; i < len; i++) {
    if (ends_with(s, i, "operator") && (i == 8 || !is_identifier_char(s[i - 9]))) {
      if (s[i] == ' ')
        continue; /* "operator new", "operator bool": the space is part of the name */
      i += operator_symbol(s + i);
    }
    if (i >= len)
      break;
    char c = s[i];
    if (c == '<' || c == '(' || c == '[' || c == '{')
      depth++;
    else if (c == '>' || c == ')' || c == ']' || c == '}')
      depth--;
    else if (c == ' ' && depth == 0)
      start = (long)i + 1;
    if (depth < 0)
      return -1;
  }
  return depth == 0 ? start : -1;
}

char *mg_name_function(char *name) {
  if (!name)
    return name;
  size_t len = join_angles(name);
  /* An allocation wrapper's twin is the wrapper to the user (docs/pass.md, "Allocation
   * wrappers"): "xmalloc.memscope" (its symbol: a C function's debug info names it no
   * other way) is "xmalloc". */
  static const char twin[] = ".memscope";
  if (len > sizeof twin - 1 && strcmp(name + len - (sizeof twin - 1), twin) == 0)
    name[len -= sizeof twin - 1] = '\0';
  size_t q = without_qualifiers(name, len);
  size_t p = parameters_start(name, q);
  if (p == q)
    return name;
  long start = name_start(name, p);
  if (start < 0)
    return name;
  memmove(name, name + start, p - (size_t)start);
  name[p - (size_t)start] = '\0';
  return name;
}

char *mg_name_path(char *path) {
  if (!path || !*path)
    return path;
  bool absolute = path[0] == '/';
  size_t out = absolute ? 1 : 0, kept = 0; /* kept: components that ".." may remove */
  const char *c = path;
  while (*c) {
    while (*c == '/')
      c++;
    const char *end = strchr(c, '/');
    size_t n = end ? (size_t)(end - c) : strlen(c);
    if (n == 0)
      break;
    if (n == 1 && c[0] == '.') {
      /* nothing */
    } else if (n == 2 && c[0] == '.' && c[1] == '.') {
      if (kept > 0) { /* back to the slash before the last component */
        while (out > (absolute ? 1u : 0u) && path[out - 1] != '/')
          out--;
        if (out > (absolute ? 1u : 0u))
          out--;
        kept--;
      } else if (!absolute) {
        if (out > 0)
          path[out++] = '/';
        memcpy(path + out, "..", 2);
        out += 2;
      }
    } else {
      if (out > (absolute ? 1u : 0u))
        path[out++] = '/';
      memmove(path + out, c, n);
      out += n;
      kept++;
    }
    c += n;
  }
  if (out == 0)
    path[out++] = '.';
  path[out] = '\0';
  return path;
}
