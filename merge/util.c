#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size) {
  fprintf(stderr, "memscope-merge: out of memory (asked for %zu bytes)\n", size);
  exit(1);
}

void *ms_xmalloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (!p)
    out_of_memory(size);
  return p;
}

void *ms_xcalloc(size_t nmemb, size_t size) {
  void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
  if (!p)
    out_of_memory(nmemb * size);
  return p;
}

void *ms_xrealloc(void *ptr, size_t size) {
  void *p = realloc(ptr, size ? size : 1);
  if (!p)
    out_of_memory(size);
  return p;
}

char *ms_xstrndup(const char *s, size_t len) {
  char *p = ms_xmalloc(len + 1);
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

char *ms_xstrdup(const char *s) {
  return ms_xstrndup(s, strlen(s));
}

void ms_grow(void **array, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return;
  size_t n = *cap ? *cap : 8;
  while (n < need) {
    if (n > ((size_t)-1) / 2 / elem)
      out_of_memory((size_t)-1);
    n *= 2;
  }
  *array = ms_xrealloc(*array, n * elem);
  *cap = n;
}
