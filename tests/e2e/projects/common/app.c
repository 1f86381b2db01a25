/* The program every build-system test builds: 100 malloc + 20 calloc (in libcounter)
 * + 3 strdup kept: 123 allocations, 120 frees, 3 blocks live at exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"

void *volatile app_sink;

int main(void) {
  for (int i = 0; i < 100; i++) {
    char *p = malloc(64); /* site:loop */
    memset(p, i, 64);
    app_sink = p;
    free(p);
  }
  char *kept[3];
  for (int i = 0; i < 3; i++)
    kept[i] = strdup("kept"); /* site:kept */
  app_sink = kept;
  printf("app: %d\n", counter_fill(20));
  return 0;
}
