/* libshlib_a.so, linked into shlib_main: its own site table, registered before main. */
#include <stdlib.h>
#include <string.h>

#include "shlib.h"

/* Blocks escape through it, so that -O2 keeps every allocation. */
void *volatile liba_sink;

void *liba_make(size_t n) {
  return calloc(1, n); /* site:liba-make */
}

void liba_churn(int n) {
  for (int i = 0; i < n; i++) {
    char *p = malloc(64); /* site:liba-churn */
    memset(p, i, 64);
    liba_sink = p;
    free(p); /* site:liba-churn-free */
  }
}
