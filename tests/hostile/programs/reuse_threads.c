/* Ended threads' records, tables and buffers are reused by the next threads (thread.c):
 * WAVES waves of WIDTH short-lived threads, each making PAIRS malloc/free pairs (a
 * stack-deep helper in every 64th, so that samples take stacks too), then WIDTH more
 * that make their pairs and block.  With "kill" the process then kills itself with
 * SIGKILL: the ended threads' counts are in their COUNTERS records, the blocked ones'
 * in tables an ended thread had (retagged); without, it exits normally.  Either way the
 * file holds exactly (WAVES + 1) x WIDTH x PAIRS pairs.
 * Usage: reuse_threads [kill] */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAVES 200
#define WIDTH 8
#define PAIRS 1000

static pthread_barrier_t done;
static __thread void *volatile sink;

static __attribute__((noinline)) void pairs(long n) {
  for (long i = 0; i < n; i++) {
    sink = malloc(16 + (size_t)(i & 1023) * 16);
    free(sink);
  }
}

static void *short_lived(void *arg) {
  (void)arg;
  pairs(PAIRS);
  return NULL;
}

static void *last(void *arg) {
  (void)arg;
  pairs(PAIRS);
  pthread_barrier_wait(&done);
  for (;;) pause();
  return NULL;
}

int main(int argc, char **argv) {
  int kill_it = argc > 1 && strcmp(argv[1], "kill") == 0;
  pthread_t th[WIDTH];
  for (int w = 0; w < WAVES; w++) {
    for (int i = 0; i < WIDTH; i++) pthread_create(&th[i], NULL, short_lived, NULL);
    for (int i = 0; i < WIDTH; i++) pthread_join(th[i], NULL);
  }
  if (!kill_it) {
    for (int i = 0; i < WIDTH; i++) pthread_create(&th[i], NULL, short_lived, NULL);
    for (int i = 0; i < WIDTH; i++) pthread_join(th[i], NULL);
    printf("reuse_threads: %d threads done\n", (WAVES + 1) * WIDTH);
    return 0;
  }
  pthread_barrier_init(&done, NULL, WIDTH + 1);
  for (int i = 0; i < WIDTH; i++) pthread_create(&th[i], NULL, last, NULL);
  pthread_barrier_wait(&done);
  printf("reuse_threads: %d threads done\n", (WAVES + 1) * WIDTH);
  fflush(stdout);
  kill(getpid(), SIGKILL);
  return 3;
}
