/* The output file (issue #13, item 4): allocates a known number of blocks, then, with
 * an argument, chdir()s away (as daemon() does) and allocates again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Each thread its own: a volatile pointer keeps the compiler from removing the pairs. */
static __thread void *volatile sink;

static void pairs(int n, size_t size) {
  for (int i = 0; i < n; i++) {
    sink = malloc(size);
    free(sink);
  }
}

int main(int argc, char **argv) {
  pairs(10, 100);
  if (argc > 1 && chdir(argv[1]) != 0) return 2;
  pairs(5, 200);
  puts("secure_out: done");
  return 0;
}
