/* Nothing lost on SIGKILL (issue #17, item 1): 8 threads each make 100,000 malloc/free
 * pairs and then block; when all are done the process kills itself with SIGKILL, so no
 * exit path, destructor or handler of memscope runs.  The file must hold every pair. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 8
#define PAIRS 100000

static pthread_barrier_t done;
static __thread void *volatile sink; /* keeps the compiler from removing the pairs */

static void *worker(void *arg) {
  (void)arg;
  for (long i = 0; i < PAIRS; i++) {
    sink = malloc(16 + (size_t)(i & 255));
    free(sink);
  }
  pthread_barrier_wait(&done);
  for (;;) pause();
  return NULL;
}

int main(void) {
  pthread_t th[THREADS];
  pthread_barrier_init(&done, NULL, THREADS + 1);
  for (long i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, NULL);
  pthread_barrier_wait(&done);
  printf("kill_threads: %d x %d pairs done\n", THREADS, PAIRS);
  fflush(stdout);
  kill(getpid(), SIGKILL);
  return 3;
}
