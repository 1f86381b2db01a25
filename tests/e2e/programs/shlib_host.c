/* A program built WITHOUT memscope that dlopens an instrumented library (argv[1],
 * linked with libmemscope.so) twice: the runtime comes and goes with the library
 * unless it stays loaded, and both rounds must be in the one output file. */
#include <dlfcn.h>
#include <stdio.h>

#include "shlib.h"

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  for (int round = 0; round < 2; round++) {
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      fprintf(stderr, "dlopen: %s\n", dlerror());
      return 1;
    }
    libb_make_fn *make = (libb_make_fn *)dlsym(lib, "libb_make");
    libb_release_fn *release = (libb_release_fn *)dlsym(lib, "libb_release");
    libb_churn_fn *churn = (libb_churn_fn *)dlsym(lib, "libb_churn");
    if (!make || !release || !churn)
      return 1;
    for (int i = 0; i < 6; i++)
      release(make(10));
    churn(3);
    dlclose(lib);
  }
  puts("shlib_host: done");
  return 0;
}
