/* Calls the wrappers of wrap_lib.c (and one of its own): each call site is a site,
 * and the allocations inside a wrapper count there, once. */
#include <stdio.h>
#include <stdlib.h>

#include "wrap.h"

/* A wrapper in the same file, kept out of line. */
__attribute__((malloc, noinline)) static void *local_wrap(size_t n) {
  return calloc(1, n);
}

int main(void) {
  for (int i = 0; i < 10; i++)
    free(xmalloc(32)); /* site:call-xmalloc-a */
  for (int i = 0; i < 20; i++)
    free(xmalloc(16)); /* site:call-xmalloc-b */
  for (int i = 0; i < 5; i++)
    free(xmalloc2(8)); /* site:call-xmalloc2 */
  for (int i = 0; i < 7; i++)
    free(xstrdup("wrapped")); /* site:call-xstrdup */
  for (int i = 0; i < 3; i++)
    free(local_wrap(24)); /* site:call-local */
  for (int i = 0; i < 4; i++)
    free(plain_alloc(100)); /* site:call-plain */
  puts("wrappers: done");
  return 0;
}
