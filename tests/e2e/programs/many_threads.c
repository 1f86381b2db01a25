/* Thread scale: 1,000 threads alive at once, then 20,000 short-lived ones (100 at a
 * time).  Every thread allocates and frees a fixed number of blocks; the program prints
 * its peak RSS and the number of open descriptors while the 1,000 threads are alive, so a
 * test can compare a profiled run with an unprofiled one (MEMSCOPE_MODE=off). */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#define CONCURRENT 1000
#define CONCURRENT_PAIRS 100
#define SHORT_LIVED 20000
#define BATCH 100
#define SHORT_PAIRS 10

static pthread_barrier_t all_alive, counted;
static int open_fds;

/* The block goes through a volatile local so that -O2 must keep each malloc/free pair. */
static void pairs(int n) {
  for (int i = 0; i < n; i++) {
    void *volatile block = malloc(64 + (size_t)(i % 8) * 32);
    free(block);
  }
}

static int count_fds(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
  if (d) closedir(d);
  return n - 1; /* the directory's own descriptor */
}

static void *concurrent(void *arg) {
  pairs(CONCURRENT_PAIRS);
  if (pthread_barrier_wait(&all_alive) == PTHREAD_BARRIER_SERIAL_THREAD) open_fds = count_fds();
  pthread_barrier_wait(&counted);
  return arg;
}

static void *short_lived(void *arg) {
  pairs(SHORT_PAIRS);
  return arg;
}

int main(void) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 << 10);
  static pthread_t th[CONCURRENT];
  pthread_barrier_init(&all_alive, NULL, CONCURRENT);
  pthread_barrier_init(&counted, NULL, CONCURRENT);
  for (int i = 0; i < CONCURRENT; i++)
    if (pthread_create(&th[i], &attr, concurrent, NULL)) return 1;
  for (int i = 0; i < CONCURRENT; i++) pthread_join(th[i], NULL);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  long rss_concurrent = ru.ru_maxrss;

  for (int done = 0; done < SHORT_LIVED; done += BATCH) {
    for (int i = 0; i < BATCH; i++)
      if (pthread_create(&th[i], &attr, short_lived, NULL)) return 1;
    for (int i = 0; i < BATCH; i++) pthread_join(th[i], NULL);
  }
  getrusage(RUSAGE_SELF, &ru);
  printf("many_threads: %d threads, %d allocations, peak rss %ld KiB after the concurrent "
         "phase, %ld KiB at the end, %d open descriptors\n",
         CONCURRENT + SHORT_LIVED, CONCURRENT * CONCURRENT_PAIRS + SHORT_LIVED * SHORT_PAIRS,
         rss_concurrent, ru.ru_maxrss, open_fds);
  return 0;
}
