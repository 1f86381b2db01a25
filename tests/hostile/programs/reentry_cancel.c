/* pthread_cancel of a thread that only allocates (issue #13): malloc and free are no
 * cancellation points, so the thread runs on, as without memscope, and the runtime's
 * locks are never left held by a cancelled thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile int stop;

static void *worker(void *arg) {
  while (!stop) { /* no cancellation point of the program's own */
    void *volatile p = malloc(32);
    free(p);
  }
  return arg;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  usleep(100000);
  pthread_cancel(t); /* deferred: acts only at a cancellation point */
  usleep(100000);
  stop = 1;
  void *ret;
  pthread_join(t, &ret);
  printf("worker %s\n", ret == PTHREAD_CANCELED ? "was cancelled" : "returned normally");
  return 0;
}
