/* exit() while 50 threads allocate (issue #17, item 1): the threads never stop on their
 * own (bursts of 100 pairs, a yield between: 50 of them share the test machine's few
 * cores with the exit); main returns after a moment.  Every call a thread completed must be in the file,
 * and in full mode its counts and its events must end at the same call. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 50

static __thread void *volatile sink;

static void *worker(void *arg) {
  (void)arg;
  for (long i = 0;; i++) {
    sink = malloc(16 + (size_t)(i & 255));
    free(sink);
    if (i % 100 == 99) sched_yield();
  }
  return NULL;
}

int main(void) {
  pthread_t th[THREADS];
  for (long i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, NULL);
  usleep(200 * 1000);
  printf("exit_threads: exiting\n");
  return 5;
}
