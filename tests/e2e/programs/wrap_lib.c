/* The wrappers of wrap.h, in their own file: their callers are in wrap_main.c. */
#include <stdlib.h>
#include <string.h>

#include "wrap.h"

void *xmalloc(size_t n) {
  void *p = malloc(n); /* site:inner-malloc */
  if (!p) abort();
  return p;
}

void *xmalloc2(size_t n) {
  return xmalloc(n + 8); /* site:inner-xmalloc */
}

char *xstrdup(const char *s) {
  char *p = strdup(s); /* site:inner-strdup */
  if (!p) abort();
  return p;
}

void *plain_alloc(size_t n) {
  return malloc(n); /* site:plain */
}
