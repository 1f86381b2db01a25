/* Issue 18's workload: every allocation API a C program uses most, and frees across
 * threads.  Each of THREADS threads runs ITERS iterations of
 *   p = malloc(a); q = calloc(n, 16); p = realloc(p, b); touch both; free(q);
 * and hands p on: every 4th iteration to the next thread's mailbox (that thread frees
 * it: a cross-thread free), else it frees p itself.  Sizes vary (16..1008 bytes) and the
 * blocks escape, so the optimizer keeps every call.  Built plain, with the plugin (inline
 * fast paths) and with -fPIC (the runtime's entry points); bench/cost compares them.
 * Usage: mixed_loop THREADS ITERS [WAVES]
 * WAVES (default 1): run the THREADS threads that many times over, one wave after the
 * other, so that WAVES x THREADS short-lived threads start and end (thread start and exit
 * cost). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define MAILBOX 64 /* slots per thread; a slot still full when refilled is freed by its sender */

static long iters;
static int threads;
static _Atomic(void *) (*mailbox)[MAILBOX];
static void *volatile sink;

static void *loop(void *arg) {
  long me = (long)(size_t)arg;
  _Atomic(void *) *mine = mailbox[me], *next = mailbox[(me + 1) % threads];
  unsigned long sum = 0, seed = (unsigned long)me * 2654435761u + 1;
  for (long i = 0; i < iters; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    size_t a = 16 + ((seed >> 33) & 63) * 16, n = 1 + ((seed >> 40) & 7);
    size_t b = a + ((seed >> 44) & 15) * 16;
    char *p = malloc(a);
    char *q = calloc(n, 16);
    if (!p || !q) abort();
    sink = q; /* escapes: else the optimizer drops a calloc that is only read as zeros */
    p[0] = (char)i;
    char *r = realloc(p, b);
    if (!r) abort();
    r[b - 1] = q[0];
    sink = r;
    sum += (unsigned char)r[0];
    free(q);
    if ((i & 3) == 0) {
      void *old = atomic_exchange_explicit(&next[(i >> 2) % MAILBOX], r, memory_order_acq_rel);
      free(old); /* not taken yet: back to its sender (NULL: nothing) */
      void *in = atomic_exchange_explicit(&mine[(i >> 2) % MAILBOX], NULL, memory_order_acq_rel);
      free(in); /* from the previous thread */
    } else {
      free(r);
    }
  }
  return (void *)sum;
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s THREADS ITERS [WAVES]\n", argv[0]);
    return 2;
  }
  threads = atoi(argv[1]);
  iters = atol(argv[2]);
  int waves = argc == 4 ? atoi(argv[3]) : 1;
  if (threads < 1 || iters < 0 || waves < 1) {
    fprintf(stderr, "%s: THREADS and WAVES must be at least 1\n", argv[0]);
    return 2;
  }
  mailbox = calloc((size_t)threads, sizeof *mailbox);
  pthread_t *t = calloc((size_t)threads, sizeof *t);
  if (!mailbox || !t) abort();
  unsigned long total = 0;
  for (int w = 0; w < waves; w++) {
    for (long i = 0; i < threads; i++)
      if (pthread_create(&t[i], NULL, loop, (void *)i) != 0) abort();
    for (int i = 0; i < threads; i++) {
      void *r;
      pthread_join(t[i], &r);
      total += (unsigned long)r;
    }
  }
  for (int i = 0; i < threads; i++) /* what is still in the mailboxes */
    for (int k = 0; k < MAILBOX; k++)
      free(atomic_load(&mailbox[i][k]));
  free(t);
  free(mailbox);
  return total == 0xdeadbeef; /* use the result so nothing is optimised away */
}
