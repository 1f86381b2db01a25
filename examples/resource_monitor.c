/* Resource monitoring of 50 threads, the seeds' third scenario: each thread alternates
 * CPU work over a large buffer, small allocations and sleeps, so that memscope's
 * resource sampler has RSS, CPU time per thread and context switches to record.
 *
 * The sampler is off unless MEMSCOPE_RESOURCE_INTERVAL is set in the environment when
 * the program starts (the runtime reads it before main; setenv in main is too late):
 *
 *   MEMSCOPE_RESOURCE_INTERVAL=50ms MEMSCOPE_OUT=out ./resource_monitor
 *   memscope-merge out/memscope.resource_monitor.*.msgpack
 *
 * Deterministic: per thread and round one 800 KB buffer and one 256-byte record,
 * 50 x 10 x 2 = 1,000 allocations, all freed. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREADS 50
#define ROUNDS 10
#define ELEMENTS 100000 /* the seed's vec![0u64; 100000] */

static uint64_t checksums[THREADS];
static void *volatile sink[THREADS]; /* blocks escape: -O2 keeps every pair */

static void *monitored(void *arg) {
  long id = (long)arg;
  for (int round = 0; round < ROUNDS; round++) {
    uint64_t *data = malloc(ELEMENTS * sizeof *data); /* site:buffer (memory) */
    if (!data) abort();
    for (uint64_t j = 0; j < ELEMENTS; j++) /* CPU */
      data[j] = ((uint64_t)(id * ROUNDS + round) * j) % 1000;
    uint64_t sum = 0;
    for (uint64_t j = 0; j < ELEMENTS; j++) sum += data[j] * data[j];
    char *record = malloc(256); /* site:record */
    if (!record) abort();
    snprintf(record, 256, "thread %ld round %d sum %llu", id, round, (unsigned long long)sum);
    sink[id] = data;
    sink[id] = record;
    checksums[id] += sum;
    free(record);
    free(data);
    struct timespec pause = {0, 10 * 1000 * 1000}; /* sleep: 10 ms */
    nanosleep(&pause, NULL);
  }
  return NULL;
}

int main(void) {
  const char *interval = getenv("MEMSCOPE_RESOURCE_INTERVAL");
  pthread_t threads[THREADS];
  for (long t = 0; t < THREADS; t++)
    if (pthread_create(&threads[t], NULL, monitored, (void *)t) != 0) return 1;
  for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
  uint64_t total = 0;
  for (int t = 0; t < THREADS; t++) total += checksums[t];
  printf("resource_monitor: %d threads x %d rounds, %d allocations, checksum %llu, "
         "resource sampler %s\n", THREADS, ROUNDS, THREADS * ROUNDS * 2,
         (unsigned long long)total, interval && *interval ? interval : "off");
  return 0;
}
