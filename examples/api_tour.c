/* Every call of include/memscope.h in one program: a loader phase and a worker phase,
 * a thread left out of the profile, a named thread, a snapshot printed as the program
 * runs, and a second session written to its own file.
 *
 * Build: clang-19 -O2 -g -fpass-plugin=MemscopePass.so api_tour.c -lmemscope -lpthread -lm
 * Run:   MEMSCOPE_OUT=out ./api_tour && memscope-merge out/memscope.api_tour.*.msgpack */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memscope.h"

#define WORKERS 8
#define ITEMS 20000

/* Blocks are published here so that -O2 cannot delete a malloc/free pair it sees through. */
static void *volatile sink;

static void *worker(void *arg) {
  long id = (long)arg;
  char name[64];
  snprintf(name, sizeof name, "request-worker-%ld", id);
  memscope_set_thread_name(name); /* kept whole in the profile, not cut to 15 bytes */
  if (id == 0) memscope_thread_tracing(0); /* e.g. a housekeeping thread: left out */
  for (int i = 0; i < ITEMS; i++) {
    char *request = malloc(256 + (size_t)(i % 7) * 64);
    snprintf(request, 64, "GET /item/%d", i);
    char *copy = strdup(request);
    sink = copy;
    free(request);
    free(copy);
  }
  memscope_flush(); /* this thread's events and counts are in the file now */
  return NULL;
}

int main(void) {
  const char *out = getenv("MEMSCOPE_OUT");
  memscope_phase("load");
  void **table = calloc(1 << 16, sizeof *table);
  for (int i = 0; i < 1 << 16; i++) table[i] = malloc(48);

  memscope_phase("serve");
  pthread_t threads[WORKERS];
  for (long t = 0; t < WORKERS; t++) pthread_create(&threads[t], NULL, worker, (void *)t);
  for (int t = 0; t < WORKERS; t++) pthread_join(threads[t], NULL);

  struct memscope_snapshot snap;
  memscope_snapshot(&snap, NULL, 0);
  printf("api_tour: %llu allocations so far, about %.1f MiB live\n",
         (unsigned long long)snap.allocations, snap.live_bytes_estimate / (1 << 20));
  memscope_dump(); /* everything so far, while the program goes on */

  memscope_phase("shutdown");
  for (int i = 0; i < 1 << 16; i++) free(table[i]);
  free(table);
  memscope_stop(); /* session 1 ends: memscope.api_tour.<pid>.msgpack */

  if (memscope_start(out) == 0) { /* session 2: memscope.api_tour.<pid>.2.msgpack */
    for (int i = 0; i < 1000; i++) {
      sink = malloc(1024);
      free(sink);
    }
    memscope_stop();
  }
  printf("api_tour: tracing is %s\n", memscope_is_tracing() ? "on" : "off");
  return 0;
}
