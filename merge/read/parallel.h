/* Reading many inputs, or one file's EVENTS chunks, on a pool of threads, handed over in
 * order (parallel.c).
 * What reading one input means is the caller's (the model reads a file into a profile of
 * its own: model/load.c); this layer only schedules, bounds and reports progress. */
#ifndef MEMSCOPE_MERGE_PARALLEL_H
#define MEMSCOPE_MERGE_PARALLEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct mg_parallel_work {
  /* On a worker thread: reads input i and returns what the caller gets back (must not be
   * NULL); adds the bytes it has read to *bytes as it goes. */
  void *(*read)(void *ctx, size_t i, _Atomic uint64_t *bytes);
  /* On the calling thread, strictly in input order, as each becomes ready. */
  void (*deliver)(void *ctx, size_t i, void *result);
  /* On the calling thread about five times a second while reading, and once at the end:
   * bytes read so far and the total expected (NULL: none). */
  void (*progress)(void *ctx, uint64_t done, uint64_t total);
  void *ctx;
};

/* The cores online (1 when unknown). */
unsigned mg_cores(void);

/* Runs w->read for 0..n-1 on `jobs` threads (0: one per core) and w->deliver for each strictly in order, with at most `ahead` (0: 2 x jobs)
 * read and not yet delivered; total is what w->progress is told to expect. */
void mg_run_in_order(size_t n, unsigned jobs, size_t ahead, uint64_t total,
                     const struct mg_parallel_work *w);

/* Reads paths[0..n) with `jobs` threads (0: one per core, never more than n); workers run
 * at most 2 x jobs inputs ahead of delivery, so a bounded number of results wait at once.
 * bytes_per_file: how many times each regular file is expected to be read (for the
 * progress total).  Without any thread, reads on the calling thread. */
void mg_read_in_parallel(char *const *paths, size_t n, unsigned jobs, unsigned bytes_per_file,
                         const struct mg_parallel_work *w);

#endif
