/* A full disk (issue #17, item 1): 4 threads make 300,000 pairs each in full mode, far
 * more events than the small filesystem under the output holds.  The program must run
 * to its end, print its line and exit with its own status: no SIGBUS, no SIGXFSZ. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4
#define PAIRS 300000

static __thread void *volatile sink;

static void *worker(void *arg) {
  (void)arg;
  for (long i = 0; i < PAIRS; i++) {
    sink = malloc(16 + (size_t)(i & 255));
    free(sink);
  }
  return NULL;
}

int main(void) {
  pthread_t th[THREADS];
  for (long i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  printf("disk_full: %d x %d pairs done\n", THREADS, PAIRS);
  return 7;
}
