/* A fatal signal while other threads allocate (issue #13, item 6): 8 threads allocate
 * and free in a loop (in full mode they flush often, holding the runtime's locks), and
 * one of them dereferences NULL after a moment.  The program must die of SIGSEGV as it
 * would without memscope, never hang in the handler, and leave a readable file. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static __thread void *volatile sink; /* keeps the compiler from removing the pairs */
static int *volatile nowhere;

static void *worker(void *arg) {
  long id = (long)arg;
  for (long i = 0;; i++) {
    sink = malloc(16 + (size_t)(i & 255));
    free(sink);
    if (id == 0 && i == 50000) *nowhere = 1;
  }
  return NULL;
}

int main(void) {
  pthread_t th[8];
  for (long i = 0; i < 8; i++) pthread_create(&th[i], NULL, worker, (void *)i);
  sleep(30); /* the crash ends it long before */
  return 3;
}
