/* A consumer of the installed package: the API header, the plugin and the runtime.
 * 100 malloc + 20 calloc (counter.c) + 3 strdup kept: 123 allocations, 120 frees. */
#include <memscope.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"

void *volatile app_sink;

int main(void) {
  memscope_set_thread_name("consumer-main");
  for (int i = 0; i < 100; i++) {
    char *p = malloc(64);
    memset(p, i, 64);
    app_sink = p;
    free(p);
  }
  char *kept[3];
  for (int i = 0; i < 3; i++)
    kept[i] = strdup("kept");
  app_sink = kept;
  printf("consumer: tracing %d, %d\n", memscope_is_tracing(), counter_fill(20));
  return 0;
}
