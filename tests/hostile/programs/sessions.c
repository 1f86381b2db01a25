/* Counts through fork, sessions and signals (issue #13, item 6).
 *   fork:          10 blocks in the parent, then a fork; the child makes 1 pair and
 *                  exits; the parent frees its 10.
 *   rotate K:      8 threads make PAIRS pairs each (halfway they wait for main's first
 *                  new session) while main calls memscope_start() K
 *                  times (each ends the running session and begins the next at once).
 *   cycle K:       the same with memscope_stop(); memscope_start() (calls between the
 *                  two are in no session).
 *   quiet K:       cycle K, the threads paused while no session runs.
 *   signal:        a timer's handler allocates and frees while main allocates in a loop
 *                  (malloc in a handler is the program's business; memscope must keep
 *                  its records whole); prints the pairs each made.
 * Usage: sessions MODE [K] [DIR] */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memscope.h"

enum { THREADS = 8, PAIRS = 200000 };
/* Each thread its own: a volatile pointer keeps the compiler from removing the pairs. */
static __thread void *volatile sink;
static atomic_int pause_wanted, paused, running, rotations;

static void pause_if_wanted(void) {
  if (atomic_load(&pause_wanted)) {
    atomic_fetch_add(&paused, 1);
    while (atomic_load(&pause_wanted)) sched_yield();
    atomic_fetch_sub(&paused, 1);
  }
}

static void *worker(void *arg) {
  for (int i = 0; i < PAIRS; i++) {
    pause_if_wanted();
    /* Halfway, until main has begun a second session: on a loaded machine the threads
     * could otherwise finish before main's first rotation, in one session. */
    if (i == PAIRS / 2)
      while (atomic_load(&rotations) == 0) {
        pause_if_wanted();
        sched_yield();
      }
    sink = malloc(16 + (size_t)(i & 63));
    free(sink);
  }
  atomic_fetch_sub(&running, 1);
  return arg;
}

static int sessions(const char *mode, int k, const char *dir) {
  pthread_t th[THREADS];
  atomic_store(&running, THREADS);
  for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, NULL);
  int quiet = strcmp(mode, "quiet") == 0;
  for (int i = 0; i < k && atomic_load(&running) > 0; i++) {
    usleep(200);
    if (strcmp(mode, "rotate") == 0) {
      if (memscope_start(dir) != 0) return 3;
      atomic_fetch_add(&rotations, 1);
      continue;
    }
    if (quiet) {
      atomic_store(&pause_wanted, 1);
      while (atomic_load(&paused) < atomic_load(&running)) sched_yield();
    }
    if (memscope_stop() != 0) return 4;
    if (memscope_start(dir) != 0) return 5;
    atomic_fetch_add(&rotations, 1);
    atomic_store(&pause_wanted, 0);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  printf("sessions: %s done\n", mode);
  return 0;
}

static volatile sig_atomic_t in_handler_pairs;
static void on_timer(int sig) {
  (void)sig;
  void *volatile own = malloc(48); /* not sink: the handler interrupts main's use of it */
  free(own);
  in_handler_pairs++;
}

static int signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_timer;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 50}, {0, 50}};
  setitimer(ITIMER_REAL, &it, NULL);
  long pairs = 0;
  struct timeval start, now;
  gettimeofday(&start, NULL);
  do {
    for (int i = 0; i < 1000; i++, pairs++) {
      sink = malloc(32);
      free(sink);
    }
    gettimeofday(&now, NULL);
  } while ((now.tv_sec - start.tv_sec) * 1000000 + (now.tv_usec - start.tv_usec) < 500000);
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  printf("sessions: main %ld pairs, handler %d pairs\n", pairs, (int)in_handler_pairs);
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "fork";
  int k = argc > 2 ? atoi(argv[2]) : 10;
  const char *dir = argc > 3 ? argv[3] : NULL;
  if (strcmp(mode, "signal") == 0) return signals();
  if (strcmp(mode, "fork") != 0) return sessions(mode, k, dir);
  static void *volatile blocks[10];
  for (int i = 0; i < 10; i++) blocks[i] = malloc(100);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    sink = malloc(7);
    free(sink);
    exit(0);
  }
  int status;
  waitpid(child, &status, 0);
  for (int i = 0; i < 10; i++) free(blocks[i]);
  printf("sessions: fork child %s\n", WIFEXITED(status) && !WEXITSTATUS(status) ? "ok" : "failed");
  return 0;
}
