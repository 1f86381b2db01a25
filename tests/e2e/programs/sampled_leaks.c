/* A program that leaks known blocks among much churn, for the repeated-run check of the
 * sampled mode's estimates (tests/e2e/estimates_cover.sh).  Deterministic: the same
 * allocations, in the same order, on every run.
 *   main:    a small leak (25 blocks of 3,500 bytes: 87,500 bytes, about a sixth of the
 *            default interval), a large one (4,000 blocks of 4 KiB: 16 MB), then a
 *            transient 32 MB (8,000 blocks of 4 KiB) allocated and freed: the peak;
 *   workers: 4 threads churning 50,000 short-lived blocks of 16-1,024 bytes each. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *volatile escape;

static void *worker(void *arg) {
  uint64_t x = (uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
  for (int i = 0; i < 50000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    char *p = malloc(16 + x % 1009); /* site:churn */
    p[0] = 1;
    escape = p;
    free(p);
  }
  return NULL;
}

int main(void) {
  static char *small[25], *large[4000], *transient[8000];
  for (int i = 0; i < 25; i++) {
    small[i] = malloc(3500); /* site:small_leak */
    memset(small[i], i, 16);
  }
  for (int i = 0; i < 4000; i++) {
    large[i] = malloc(4096); /* site:large_leak */
    large[i][0] = 1;
  }
  for (int i = 0; i < 8000; i++) {
    transient[i] = malloc(4096); /* site:transient */
    transient[i][0] = 1;
  }
  for (int i = 0; i < 8000; i++)
    free(transient[i]);
  pthread_t t[4];
  for (long i = 0; i < 4; i++)
    pthread_create(&t[i], NULL, worker, (void *)(i + 1));
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  escape = small[0];
  escape = large[0];
  return 0;
}
