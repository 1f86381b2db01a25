/* The benchmark workload: THREADS threads each make PAIRS malloc+free pairs of small,
 * varying sizes (16..1008 bytes) and touch each block once.  Built three times by bench/:
 * plain, and with MemscopePass (inline fast paths, and -fPIC: calls to the runtime);
 * bench/run compares them in one run.
 * Usage: alloc_loop THREADS PAIRS [FRAMES]
 * FRAMES: each thread first recurses that many frames deep and allocates from there
 * (default 0), so that a sample's call stack is as deep as in a real program's
 * (bench/run's stack lines). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long pairs;
static int frames;
/* Publishing each block makes it escape, so the optimizer must keep every malloc/free. */
static void *volatile sink;

static void *loop(void *arg) {
  unsigned long sum = 0, seed = (unsigned long)(size_t)arg * 2654435761u + 1;
  for (long i = 0; i < pairs; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    size_t size = 16 + ((seed >> 33) & 63) * 16;
    char *p = malloc(size);
    if (!p) abort();
    p[0] = (char)i;
    sink = p;
    sum += (unsigned char)p[0];
    free(p);
  }
  return (void *)sum;
}

__attribute__((noinline)) static void *descend(void *arg, int n) {
  void *r = n > 0 ? descend(arg, n - 1) : loop(arg);
  __asm__ volatile("" ::: "memory"); /* not a tail call: every frame stays */
  return r;
}

static void *worker(void *arg) { return frames ? descend(arg, frames) : loop(arg); }

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s THREADS PAIRS_PER_THREAD [FRAMES]\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[1]);
  pairs = atol(argv[2]);
  if (argc == 4) frames = atoi(argv[3]);
  pthread_t *t = calloc((size_t)threads, sizeof *t);
  for (long i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  unsigned long total = 0;
  for (int i = 0; i < threads; i++) {
    void *r;
    pthread_join(t[i], &r);
    total += (unsigned long)r;
  }
  free(t);
  return total == 0xdeadbeef; /* use the result so nothing is optimised away */
}
