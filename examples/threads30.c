/* 30 worker threads allocate and free, the seeds' first scenario.
 *
 * Every allocation is deterministic so a profile can be checked against the counts the
 * program keeps itself (printed at the end): each worker makes ITERATIONS buffers of
 * varying size, grows every tenth with realloc, makes a small calloc'd table per
 * iteration, frees both, and keeps one block until exit (a deliberate leak).
 *
 * Build: clang-19 -O2 -g -fpass-plugin=MemscopePass.so threads30.c -lmemscope -lpthread
 * Run:   MEMSCOPE_OUT=out ./threads30 && memscope-merge out/memscope.threads30.*.msgpack */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 30
#define ITERATIONS 1000

struct worker_counts {
  unsigned long allocations, frees, bytes;
};

static struct worker_counts counts[THREADS];
static void *kept[THREADS];
/* Where each worker publishes its latest table: a block that escapes is one the
 * optimizer may not delete, so -O2 keeps every calloc/free pair of the source. */
static int *published[THREADS];

static size_t buffer_size(int i) { return 32 + (size_t)(i % 16) * 64; }

static void *worker(void *arg) {
  int id = (int)(long)arg;
  struct worker_counts *c = &counts[id];
  char name[16];
  snprintf(name, sizeof name, "worker-%02d", id);
  pthread_setname_np(pthread_self(), name);

  for (int i = 0; i < ITERATIONS; i++) {
    size_t size = buffer_size(i);
    char *buffer = malloc(size); /* site:buffer */
    if (!buffer) abort();
    memset(buffer, id, size);
    c->allocations++, c->bytes += size;
    if (i % 10 == 0) {
      char *grown = realloc(buffer, size * 2); /* site:grow */
      if (!grown) abort();
      buffer = grown;
      c->allocations++, c->frees++, c->bytes += size * 2;
    }
    int *table = calloc(8, sizeof *table); /* site:table */
    if (!table) abort();
    table[i % 8] = buffer[0];
    published[id] = table;
    c->allocations++, c->bytes += 8 * sizeof *table;
    free(table); /* site:free-table */
    free(buffer); /* site:free-buffer */
    c->frees += 2;
  }
  kept[id] = malloc(64); /* site:kept */
  c->allocations++, c->bytes += 64;
  return NULL;
}

int main(void) {
  pthread_t threads[THREADS];
  for (long t = 0; t < THREADS; t++)
    if (pthread_create(&threads[t], NULL, worker, (void *)t) != 0) return 1;
  for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);

  struct worker_counts total = {0, 0, 0};
  for (int t = 0; t < THREADS; t++) {
    total.allocations += counts[t].allocations;
    total.frees += counts[t].frees;
    total.bytes += counts[t].bytes;
  }
  printf("threads30: %d threads, %lu allocations, %lu frees, %lu bytes, %d blocks kept\n",
         THREADS, total.allocations, total.frees, total.bytes, THREADS);
  return 0;
}
