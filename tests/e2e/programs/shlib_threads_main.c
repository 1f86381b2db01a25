/* The program of tests/e2e/shlib_threads.sh: runs the threads of the library it is
 * linked with, then those of a second copy it dlopens (argv[1]) twice, dlclose'ing it
 * in between: three rounds of THREADS x PAIRS iterations (argv[2], argv[3]). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int shlib_threads_run(int threads, int pairs);

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int threads = atoi(argv[2]), pairs = atoi(argv[3]);
  if (shlib_threads_run(threads, pairs)) return 1;
  for (int round = 0; round < 2; round++) {
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      fprintf(stderr, "dlopen: %s\n", dlerror());
      return 1;
    }
    int (*run)(int, int) = (int (*)(int, int))dlsym(lib, "shlib_threads_run");
    if (!run || run(threads, pairs)) return 1;
    dlclose(lib);
  }
  puts("shlib_threads: done");
  return 0;
}
