/* Threads that start, allocate a few times and end, one after another on 4 spawners,
 * while the session ends (argv[1]: "stop" calls memscope_stop(), "exit" returns from
 * main).  Each new thread joins the session on its first call, so the end keeps
 * meeting threads in the middle of joining: in full mode their counts and events must
 * still end at the same call. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memscope.h"

#define SPAWNERS 4

static atomic_int quit;
static atomic_int finished; /* short-lived threads that made their calls */

static void *short_lived(void *arg) {
  (void)arg;
  for (int i = 0; i < 4; i++) {
    void *volatile p = malloc(32 + (size_t)i);
    free(p);
  }
  atomic_fetch_add(&finished, 1);
  return NULL;
}

static void *spawner(void *arg) {
  (void)arg;
  while (!atomic_load(&quit)) {
    pthread_t t;
    if (pthread_create(&t, NULL, short_lived, NULL) == 0) pthread_join(t, NULL);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int stop = argc > 1 && strcmp(argv[1], "stop") == 0;
  pthread_t th[SPAWNERS];
  for (int i = 0; i < SPAWNERS; i++) pthread_create(&th[i], NULL, spawner, NULL);
  /* 30 ms, and at least 8 threads done (a loaded machine may run none in 30 ms; the
   * test asserts that the file has some) */
  usleep(30 * 1000);
  while (atomic_load(&finished) < 8) usleep(1000);
  if (!stop) {
    printf("churn_threads: exiting\n");
    fflush(stdout);
    exit(3); /* the spawners still run */
  }
  int stopped = memscope_stop();
  atomic_store(&quit, 1);
  for (int i = 0; i < SPAWNERS; i++) pthread_join(th[i], NULL);
  printf("churn_threads: stopped %d\n", stopped);
  return 0;
}
