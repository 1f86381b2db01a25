/* A library built WITHOUT the plugin (e2e/uninstrumented): it allocates, grows and frees
 * blocks that the instrumented program frees or allocates. */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) char *ul_make(size_t n) {
  char *p = malloc(n);
  if (p) memset(p, 1, n);
  return p;
}

/* Not a tail call, so that ul_grow is on the stack of its realloc. */
__attribute__((noinline)) char *ul_grow(char *p, size_t n) {
  char *q = realloc(p, n);
  __asm__ volatile("" ::: "memory");
  return q;
}

__attribute__((noinline)) void ul_release(void *p) { free(p); }
