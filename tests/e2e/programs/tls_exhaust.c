/* Uses up glibc's static TLS surplus by dlopen'ing copies of a library with initial-exec
 * TLS of its own (argv[1]/fill-N.so) until one fails, then dlopens an instrumented -fPIC
 * library (argv[2]) and runs its threads (argv[3] x argv[4] iterations): it must load,
 * since it has no TLS of its own (it counts through the runtime's header, whose TLS was
 * taken when the runtime was loaded with the program).  Linked with libmemscope.so. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 5) return 2;
  int fillers = 0;
  for (; fillers < 256; fillers++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/fill-%d.so", argv[1], fillers);
    if (!dlopen(path, RTLD_NOW | RTLD_LOCAL)) break;
  }
  if (fillers == 256) {
    fputs("tls_exhaust: static TLS never ran out\n", stderr);
    return 1;
  }
  void *lib = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "tls_exhaust: after %d fillers: %s\n", fillers, dlerror());
    return 1;
  }
  int (*run)(int, int) = (int (*)(int, int))dlsym(lib, "shlib_threads_run");
  if (!run || run(atoi(argv[3]), atoi(argv[4]))) {
    fputs("tls_exhaust: shlib_threads_run missing or failed\n", stderr);
    return 1;
  }
  printf("tls_exhaust: static TLS used up after %d fillers, library loaded\n", fillers);
  return 0;
}
