/* fork() while other threads are inside the runtime (issue #13): every lock the
 * runtime has is held across fork, so a child never inherits one taken.
 *   threads: 6 threads create and join threads; each child creates one thread.
 *   plain:   the main thread alone (run with a 1 ms resource sampler).
 * Prints how many of N children hung (did not finish within 10 s: a child inherits a
 * lock taken for ever, while a loaded 2-core machine took 0.66 s to finish one of 600;
 * the limit was 2 s). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *nothing(void *arg) { return arg; }

static void *spawner(void *arg) {
  for (;;) {
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) == 0) pthread_join(t, NULL);
  }
  return arg;
}

int main(int argc, char **argv) {
  int threads = argc > 1 && strcmp(argv[1], "threads") == 0;
  int n = argc > 2 ? atoi(argv[2]) : 200;
  if (threads)
    for (int i = 0; i < 6; i++) {
      pthread_t t;
      pthread_create(&t, NULL, spawner, NULL);
    }
  void *volatile warm = malloc(100);
  free(warm);
  int hung = 0;
  for (int i = 0; i < n; i++) {
    pid_t c = fork();
    if (c == 0) {
      pthread_t t;
      if (threads && pthread_create(&t, NULL, nothing, NULL) == 0) pthread_join(t, NULL);
      void *volatile q = malloc(64);
      free(q);
      if (threads) _exit(0);
      exit(0);
    }
    int st, done = 0;
    double until = now_s() + 10;
    for (int k = 0; !done; k++) {
      if (waitpid(c, &st, WNOHANG) == c) done = 1;
      else if (now_s() > until) break;
      else usleep(k < 10 ? 100 : 10000);
    }
    if (!done) {
      hung++;
      kill(c, SIGKILL);
      waitpid(c, &st, 0);
    }
  }
  printf("reentry_fork: %d of %d children hung\n", hung, n);
  return 0;
}
