/* Dies on purpose, in the way named by argv[1] (segv, abort, _exit), after three threads
 * and main made a known number of allocations: a profile must keep what happened. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t ready, die;

static void pairs(int n) {
  for (int i = 0; i < n; i++) {
    void *volatile block = malloc(100);
    free(block);
  }
}

static void *worker(void *arg) {
  pairs(1000);
  pthread_barrier_wait(&ready);
  pthread_barrier_wait(&die); /* never passes: the process dies first */
  return arg;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  pthread_barrier_init(&ready, NULL, 4);
  pthread_barrier_init(&die, NULL, 4);
  pthread_t th[3];
  for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, worker, NULL);
  pairs(500);
  pthread_barrier_wait(&ready);
  if (!strcmp(argv[1], "segv")) {
    volatile int *nothing = NULL;
    return *nothing;
  }
  if (!strcmp(argv[1], "abort")) abort();
  if (!strcmp(argv[1], "_exit")) _exit(7);
  return 3;
}
