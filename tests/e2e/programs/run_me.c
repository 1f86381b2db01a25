/* For e2e/memscope_run: N malloc/free pairs on 2 threads (N/2 each) and K blocks left
 * live, then "run_me: done" on stdout and exit with STATUS, or die of SIGNAL.
 * Usage: run_me N K STATUS [SIGNAL] */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

/* Each thread its own: a volatile pointer keeps the compiler from removing the pairs (a
 * shared one let a worker free the other's block: "double free" in about 1 run in 80). */
static __thread void *volatile sink;
static long pairs;

static void *worker(void *arg) {
  (void)arg;
  for (long i = 0; i < pairs / 2; i++) {
    sink = malloc(64);
    free(sink);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 4)
    return 2;
  pairs = atol(argv[1]);
  long kept = atol(argv[2]);
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  for (long i = 0; i < kept; i++) sink = malloc(1000);
  printf("run_me: done\n");
  fflush(stdout);
  if (argc > 4)
    raise(atoi(argv[4]));
  return atoi(argv[3]);
}
