/* realloc(p, 0) (issue #13, item 7): glibc frees p and returns NULL.  100 times, then
 * 50 ordinary reallocs that return a block. */
#include <stdio.h>
#include <stdlib.h>

static void *volatile sink; /* one thread: keeps the compiler from removing the calls */

int main(void) {
  int nulls = 0;
  for (int i = 0; i < 100; i++) {
    sink = malloc(10);
    sink = realloc(sink, 0);
    nulls += sink == NULL;
    free(sink);
  }
  for (int i = 0; i < 50; i++) {
    sink = malloc(10);
    sink = realloc(sink, 100);
    free(sink);
  }
  printf("realloc_zero: %d of 100 returned NULL\n", nulls);
  return 0;
}
