/* Runs PROGRAM with membarrier(2) failing (ENOSYS) from its start: the runtime's
 * asymmetric fences must find out at start and fall back (runtime/os.c).
 * Usage: no_membarrier PROGRAM [ARG...] */
#include <stdio.h>
#include <string.h>

#include "deny_membarrier.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PROGRAM [ARG...]\n", argv[0]);
    return 2;
  }
  if (deny_membarrier() != 0) {
    fprintf(stderr, "no_membarrier: the seccomp filter: %s\n", strerror(errno));
    return 77; /* (the test is skipped: no seccomp here) */
  }
  execv(argv[1], argv + 1);
  fprintf(stderr, "no_membarrier: %s: %s\n", argv[1], strerror(errno));
  return 127;
}
