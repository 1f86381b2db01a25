/* 100 threads inside one profiling session whose result comes back in-process (the
 * merge library's session API: a session's analysis returned to the program itself).
 *
 * The program starts its own session in a directory of its own (memscope_start), runs
 * 100 workers, stops the session (memscope_stop writes and closes the file) and reads
 * the result back with the merge library's session API (merge/model/analysis.h, linked
 * from memscope_merge_model and the layers under it).  Counts are deterministic: each
 * worker makes ITERATIONS buffers of BUFFER bytes and frees them, 100,000 allocations in
 * all.
 *
 * Build: see examples/CMakeLists.txt (the plugin, libmemscope, the merge's model libraries, msgpack)
 * Run:   MEMSCOPE_OUT=out ./session100   (the session's file: out/session100.<pid>/) */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis.h"
#include "memscope.h"

#define THREADS 100
#define ITERATIONS 1000
#define BUFFER 10000

/* Blocks are published here so that -O2 cannot delete a malloc/free pair it sees through. */
static void *volatile sink;

static void *worker(void *arg) {
  long id = (long)arg;
  for (int i = 0; i < ITERATIONS; i++) {
    unsigned char *data = malloc(BUFFER); /* site:data (the seed's vec![thread_id; 10000]) */
    if (!data) abort();
    memset(data, (int)id, BUFFER);
    sink = data;
    free(data);
  }
  return NULL;
}

int main(void) {
  const char *base = getenv("MEMSCOPE_OUT");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/session100.%ld", base && *base ? base : ".", (long)getpid());
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    perror(dir);
    return 1;
  }
  if (memscope_start(dir) != 0) {
    perror("memscope_start");
    return 1;
  }
  pthread_t threads[THREADS];
  for (long t = 0; t < THREADS; t++)
    if (pthread_create(&threads[t], NULL, worker, (void *)t) != 0) return 1;
  for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
  memscope_stop();
  printf("session100: %d threads, %d allocations of %d bytes\n", THREADS,
         THREADS * ITERATIONS, BUFFER);

  struct mg_session_result r;
  char *paths[] = {dir};
  int status = mg_session_from_files(paths, 1, 0, &r);
  if (status < 0) {
    fprintf(stderr, "session100: no profile in %s\n", dir);
    return 1;
  }
  printf("session100: analysis_result: threads %zu, total allocations %llu, "
         "peak %.2f MB, bottlenecks %zu%s\n",
         r.nthreads, (unsigned long long)r.total_allocations, r.peak_live_bytes / 1e6,
         r.nbottlenecks, status == 0 ? "" : " (input incomplete)");
  mg_session_result_free(&r);
  return status == 0 ? 0 : 1;
}
