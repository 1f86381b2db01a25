/* A multi-threaded program with exact, known allocation counts (tests/hostile/
 * malloc_wrappers.sh): THREADS threads, each ROUNDS rounds of malloc, calloc, realloc
 * and two frees.  Sizes are in bands the test's shim recognises (malloc 7000-7099,
 * calloc 8000-8049 bytes, realloc 9000-9099), and every block is stamped with WRAP_MAGIC
 * just before it is freed, so that the shim can count this program's calls apart from
 * everybody else's.  Prints a checksum that does not depend on addresses. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define ROUNDS 1000
#define WRAP_MAGIC 0x57524150u /* "WRAP" */

static uint64_t sums[THREADS];

/* The compiler must not see through the blocks (it could drop a calloc whose zeros it
 * knows, or a store just before a free): each one escapes. */
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static void stamp_and_free(void *p) {
  uint32_t m = WRAP_MAGIC;
  memcpy(p, &m, sizeof m);
  ESCAPE(p);
  free(p);
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  uint64_t sum = 0;
  for (int i = 0; i < ROUNDS; i++) {
    size_t n = 7000 + (size_t)(i % 100);
    unsigned char *p = malloc(n);
    if (!p) abort();
    memset(p, (id + i) & 0xff, n);
    ESCAPE(p);
    unsigned char *q = calloc(1, 8000 + (size_t)(i % 50));
    if (!q) abort();
    ESCAPE(q);
    sum += q[i % 50];
    unsigned char *r = realloc(p, 9000 + (size_t)(i % 100));
    if (!r) abort();
    sum += r[n - 1] + r[0];
    stamp_and_free(r);
    stamp_and_free(q);
  }
  sums[id] = sum;
  return NULL;
}

int main(void) {
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++)
    if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i)) return 2;
  uint64_t total = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], NULL);
    total += sums[i];
  }
  printf("wrap: threads %d rounds %d checksum %llu\n", THREADS, ROUNDS,
         (unsigned long long)total);
  return 0;
}
