/* Uninstrumented realloc-like calls for realloc_releases.c (built without the plugin, as
 * a shared library): 7 releases per call, nothing left live. */
#define _GNU_SOURCE
#include <stdlib.h>

static void *opaque(void *p) {
  __asm__ volatile("" : "+r"(p));
  return p;
}

void lib_churn(void) {
  void *p = opaque(realloc(opaque(NULL), 16)); /* a malloc: releases nothing */
  for (int k = 1; k <= 5; k++) p = opaque(realloc(p, (size_t)16 << k)); /* 5 */
  if (opaque(realloc(p, 0))) abort(); /* 1: frees p */
  void *q = opaque(malloc(100));
  q = opaque(reallocarray(q, 3, 100)); /* 1 */
  free(q);
}
