#include <stdlib.h>

#include "counter.h"

void *volatile counter_sink; /* keeps the compiler from dropping the blocks */

/* n blocks of 16 bytes, each freed. */
int counter_fill(int n) {
  int sum = 0;
  for (int i = 0; i < n; i++) {
    int *p = calloc(4, sizeof *p); /* site:fill */
    counter_sink = p;
    sum += p[i % 4];
    free(p);
  }
  return sum;
}
