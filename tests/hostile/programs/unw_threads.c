/* Three threads started one after another, each allocating a little and exiting
 * (tests/hostile/unwinder_tls.sh).  Sampled with stacks, each thread's first unwind makes
 * the loader allocate libunwind's TLS block, which glibc frees at the thread's exit: the
 * runtime's own block, which must not show up as a free of the program's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 3
#define BLOCKS 10

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static void *worker(void *arg) {
  (void)arg;
  void *kept[BLOCKS];
  for (int i = 0; i < BLOCKS; i++) {
    kept[i] = malloc(100 + (size_t)i * 16);
    if (!kept[i]) abort();
    memset(kept[i], i + 1, 100);
    ESCAPE(kept[i]);
  }
  for (int i = 0; i < BLOCKS; i++) free(kept[i]);
  return NULL;
}

int main(void) {
  for (int i = 0; i < THREADS; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) || pthread_join(t, NULL)) return 2;
  }
  printf("unw: %d threads, %d blocks each\n", THREADS, BLOCKS);
  return 0;
}
