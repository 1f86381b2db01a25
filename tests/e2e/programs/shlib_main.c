/* A program of two object files and two instrumented shared libraries, one linked and
 * one dlopen'ed twice (argv[1] is its path): blocks made in each library are freed
 * in the program.  tests/e2e/shlib.sh checks every site's counts. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "shlib.h"

void release_all(void **blocks, int n); /* shlib_util.c */

static void *symbol(void *lib, const char *name) {
  void *f = dlsym(lib, name);
  if (!f) {
    fprintf(stderr, "dlsym %s: %s\n", name, dlerror());
    exit(1);
  }
  return f;
}

int main(int argc, char **argv) {
  void *blocks[16];
  if (argc != 2)
    return 2;
  for (int i = 0; i < 12; i++)
    blocks[i] = malloc(40); /* site:main-malloc */
  release_all(blocks, 12);

  for (int i = 0; i < 10; i++)
    blocks[i] = liba_make(24);
  for (int i = 0; i < 10; i++)
    free(blocks[i]); /* site:main-free */
  liba_churn(5);

  /* Load, use, unload; then again: 7 and 4 blocks, 3 and 2 strdups. */
  int loads[2];
  for (int round = 0; round < 2; round++) {
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      fprintf(stderr, "dlopen: %s\n", dlerror());
      return 1;
    }
    libb_make_fn *make = (libb_make_fn *)symbol(lib, "libb_make");
    int n = round == 0 ? 7 : 4;
    for (int i = 0; i < n; i++)
      blocks[i] = make(100);
    release_all(blocks, n);
    ((libb_churn_fn *)symbol(lib, "libb_churn"))(round == 0 ? 3 : 2);
    loads[round] = ((libb_loads_fn *)symbol(lib, "libb_loads"))();
    dlclose(lib);
  }
  printf("shlib: done, loads %d %d\n", loads[0], loads[1]);
  return 0;
}
