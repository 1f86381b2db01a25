/* Parallel reading (parallel.h): a pool of threads reads inputs (or a file's chunks)
 * ahead, and the calling thread hands the results over strictly in order as they become
 * ready. */
#include "parallel.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct pool {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  const struct mg_parallel_work *w;
  size_t n, next, delivered;
  size_t ahead; /* how far past `delivered` workers may start */
  void **results;
  _Atomic uint64_t bytes;
};

/* Reads the next input (the lock held on entry and on return). */
static void read_next(struct pool *pl) {
  size_t i = pl->next++;
  pthread_mutex_unlock(&pl->lock);
  void *result = pl->w->read(pl->w->ctx, i, &pl->bytes);
  pthread_mutex_lock(&pl->lock);
  pl->results[i] = result;
  pthread_cond_broadcast(&pl->changed);
}

static void *worker(void *arg) {
  struct pool *pl = arg;
  pthread_mutex_lock(&pl->lock);
  for (;;) {
    while (pl->next < pl->n && pl->next >= pl->delivered + pl->ahead)
      pthread_cond_wait(&pl->changed, &pl->lock);
    if (pl->next >= pl->n)
      break;
    read_next(pl);
  }
  pthread_mutex_unlock(&pl->lock);
  return NULL;
}

unsigned mg_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}

static void wait_a_fifth_of_a_second(struct pool *pl) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += 200 * 1000 * 1000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  pthread_cond_timedwait(&pl->changed, &pl->lock, &until);
}

void mg_run_in_order(size_t n, unsigned jobs, size_t ahead, uint64_t total,
                     const struct mg_parallel_work *w) {
  if (!jobs)
    jobs = mg_cores();
  if (jobs > n)
    jobs = n ? (unsigned)n : 1;
  if (!ahead)
    ahead = 2 * (size_t)jobs;
  struct pool pl = {.w = w, .n = n, .ahead = ahead};
  pthread_mutex_init(&pl.lock, NULL);
  pthread_cond_init(&pl.changed, NULL);
  pl.results = mg_xcalloc(n ? n : 1, sizeof *pl.results);
  pthread_t *threads = mg_xcalloc(jobs, sizeof *threads);
  unsigned started = 0;
  for (unsigned j = 0; j < jobs; j++)
    if (pthread_create(&threads[j], NULL, worker, &pl) == 0)
      started++;
    else
      break;
  pthread_mutex_lock(&pl.lock);
  for (size_t i = 0; i < n; i++) {
    while (!pl.results[i]) {
      if (started == 0) { /* no thread: read it here */
        read_next(&pl);
        continue;
      }
      wait_a_fifth_of_a_second(&pl);
      if (w->progress && !pl.results[i]) {
        pthread_mutex_unlock(&pl.lock);
        w->progress(w->ctx, atomic_load(&pl.bytes), total);
        pthread_mutex_lock(&pl.lock);
      }
    }
    void *result = pl.results[i];
    pl.results[i] = NULL;
    pl.delivered = i + 1;
    pthread_cond_broadcast(&pl.changed);
    pthread_mutex_unlock(&pl.lock);
    w->deliver(w->ctx, i, result);
    pthread_mutex_lock(&pl.lock);
  }
  pthread_mutex_unlock(&pl.lock);
  for (unsigned j = 0; j < started; j++)
    pthread_join(threads[j], NULL);
  if (w->progress)
    w->progress(w->ctx, total, total);
  free(threads);
  free(pl.results);
  pthread_mutex_destroy(&pl.lock);
  pthread_cond_destroy(&pl.changed);
}

void mg_read_in_parallel(char *const *paths, size_t n, unsigned jobs, unsigned bytes_per_file,
                         const struct mg_parallel_work *w) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISREG(st.st_mode))
      total += bytes_per_file * (uint64_t)st.st_size;
  }
  mg_run_in_order(n, jobs, 0, total, w);
}
