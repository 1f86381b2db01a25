/* Runs bench/alloc_loop.c built as a shared library (its main renamed bench_alloc_main):
 * the benchmark's loop in -fPIC code, as in a library.  Loaded with dlopen so that one
 * driver runs the plain and the instrumented builds alike (bench/run).
 * Usage: alloc_dl LIBRARY THREADS PAIRS */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s LIBRARY THREADS PAIRS_PER_THREAD\n", argv[0]);
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  int (*run)(int, char **) = lib ? (int (*)(int, char **))dlsym(lib, "bench_alloc_main") : NULL;
  if (!run) {
    fprintf(stderr, "alloc_dl: %s\n", dlerror());
    return 1;
  }
  return run(3, argv + 1); /* argv[1] stands for the program's name */
}
