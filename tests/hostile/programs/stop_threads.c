/* memscope_stop() from another thread while workers allocate (issue #17, item 1): the
 * workers go on after the stop and are joined; counts and events of the session must
 * end at the same call. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "memscope.h"

#define THREADS 8

static __thread void *volatile sink;
static atomic_int quit, started;

static void *worker(void *arg) {
  (void)arg;
  for (long i = 0; !atomic_load(&quit); i++) {
    sink = malloc(16 + (size_t)(i & 255));
    free(sink);
    if (i == 0) atomic_fetch_add(&started, 1);
  }
  return NULL;
}

int main(void) {
  pthread_t th[THREADS];
  for (long i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, NULL);
  /* Every worker has recorded (a loaded machine may start one late), then a moment more. */
  while (atomic_load(&started) < THREADS) usleep(1000);
  usleep(50 * 1000);
  int stopped = memscope_stop();
  usleep(50 * 1000); /* the workers allocate on, untraced */
  atomic_store(&quit, 1);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  printf("stop_threads: stopped %d\n", stopped);
  return 0;
}
