/* libshlib_b.so, dlopen'ed, dlclose'd and dlopen'ed again by shlib_main: a fresh copy
 * (loads() is 1 each time) registers its site table again. */
#include <stdlib.h>
#include <string.h>

#include "shlib.h"

static int loads;
void *volatile libb_sink; /* blocks escape through it: -O2 keeps the allocations */
__attribute__((constructor)) static void loaded(void) { loads++; }
int libb_loads(void) { return loads; }

void *libb_make(size_t n) {
  return malloc(n); /* site:libb-make */
}

void libb_release(void *p) {
  free(p); /* site:libb-release */
}

/* strdup: an entry point nothing else in the program uses, so a static runtime must
 * export all of them, not only those the executable references. */
void libb_churn(int n) {
  for (int i = 0; i < n; i++) {
    char *s = strdup("from libshlib_b"); /* site:libb-churn */
    libb_sink = s;
    free(s); /* site:libb-churn-free */
  }
}
