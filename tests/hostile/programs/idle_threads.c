/* Threads that never allocate (issue #13, item 1): started and joined, they used to be
 * set up by glibc's own free(NULL) after their destructors ran, and the exit then read
 * their unmapped stacks.  main makes a known number of allocations.
 * Usage: idle_threads THREADS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Each thread its own: a volatile pointer keeps the compiler from removing the pairs. */
static __thread void *volatile sink;

static void *idle(void *arg) { return arg; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 8;
  pthread_t *th = calloc((size_t)n, sizeof *th); /* 1 allocation */
  for (int i = 0; i < n; i++)
    if (pthread_create(&th[i], NULL, idle, NULL) != 0) return 2;
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
  free(th);
  for (int i = 0; i < 9; i++) { /* 9 more */
    sink = malloc(32);
    free(sink);
  }
  printf("idle_threads: %d threads joined\n", n);
  return 0;
}
