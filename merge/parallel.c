/* Parallel reading: processes are independent, so each input is read into a profile of
 * its own by a pool of threads, and the calling thread combines them strictly in input
 * order (combine.c) as they become ready.  Workers run at most 2 x jobs inputs ahead of
 * the combining, so memory holds a bounded number of partial profiles. */
#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct pool {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  char *const *paths;
  size_t n, next, combined;
  size_t ahead; /* how far past `combined` workers may start */
  struct ms_profile **results;
  size_t window;
  _Atomic uint64_t bytes;
};

static void *worker(void *arg) {
  struct pool *pl = arg;
  pthread_mutex_lock(&pl->lock);
  for (;;) {
    while (pl->next < pl->n && pl->next >= pl->combined + pl->ahead)
      pthread_cond_wait(&pl->changed, &pl->lock);
    if (pl->next >= pl->n)
      break;
    size_t i = pl->next++;
    pthread_mutex_unlock(&pl->lock);
    struct ms_profile *part = ms_profile_read_file(pl->paths[i], pl->window, &pl->bytes);
    pthread_mutex_lock(&pl->lock);
    pl->results[i] = part;
    pthread_cond_broadcast(&pl->changed);
  }
  pthread_mutex_unlock(&pl->lock);
  return NULL;
}

static unsigned cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}

void ms_profile_add_files(struct ms_profile *p, char *const *paths, size_t n,
                          const struct ms_read_options *opt) {
  unsigned jobs = opt && opt->jobs ? opt->jobs : cores();
  if (jobs > n)
    jobs = n ? (unsigned)n : 1;
  struct pool pl = {.paths = paths, .n = n, .ahead = 2 * (size_t)jobs, .window = p->window};
  pthread_mutex_init(&pl.lock, NULL);
  pthread_cond_init(&pl.changed, NULL);
  pl.results = ms_xcalloc(n ? n : 1, sizeof *pl.results);
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISREG(st.st_mode))
      total += 2 * (uint64_t)st.st_size;
  }
  pthread_t *threads = ms_xcalloc(jobs, sizeof *threads);
  unsigned started = 0;
  for (unsigned j = 0; j < jobs; j++)
    if (pthread_create(&threads[j], NULL, worker, &pl) == 0)
      started++;
    else
      break;
  pthread_mutex_lock(&pl.lock);
  for (size_t i = 0; i < n; i++) {
    while (!pl.results[i]) {
      if (started == 0) { /* no thread could start: read it here */
        size_t k = pl.next++;
        pthread_mutex_unlock(&pl.lock);
        struct ms_profile *part = ms_profile_read_file(paths[k], pl.window, &pl.bytes);
        pthread_mutex_lock(&pl.lock);
        pl.results[k] = part;
        continue;
      }
      struct timespec until;
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_nsec += 200 * 1000 * 1000;
      if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
      }
      pthread_cond_timedwait(&pl.changed, &pl.lock, &until);
      if (opt && opt->progress && !pl.results[i]) {
        pthread_mutex_unlock(&pl.lock);
        opt->progress(opt->ctx, atomic_load(&pl.bytes), total);
        pthread_mutex_lock(&pl.lock);
      }
    }
    struct ms_profile *part = pl.results[i];
    pl.results[i] = NULL;
    pl.combined = i + 1;
    pthread_cond_broadcast(&pl.changed);
    pthread_mutex_unlock(&pl.lock);
    ms_profile_absorb(p, part, opt ? opt->pid : NULL);
    if (opt && opt->input_done)
      opt->input_done(opt->ctx, &p->inputs[p->ninputs - 1]);
    pthread_mutex_lock(&pl.lock);
  }
  pthread_mutex_unlock(&pl.lock);
  for (unsigned j = 0; j < started; j++)
    pthread_join(threads[j], NULL);
  if (opt && opt->progress)
    opt->progress(opt->ctx, total, total);
  free(threads);
  free(pl.results);
  pthread_mutex_destroy(&pl.lock);
  pthread_cond_destroy(&pl.changed);
}
