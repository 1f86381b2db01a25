/* The -fPIC library of tests/e2e/shlib_threads.sh: built twice (linked into the program,
 * and dlopen'ed), its malloc, calloc, realloc and free counted by the inline fast paths
 * through the runtime's header (docs/pass.md, "Which modules").  Each of THREADS threads
 * makes PAIRS iterations of: malloc (16..128 bytes), calloc (2 x 24), realloc to 200,
 * two frees; the blocks are published so that nothing is optimised away. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

static int pairs;
static void *volatile sink;

static void *work(void *arg) {
  (void)arg;
  for (int i = 0; i < pairs; i++) {
    char *p = malloc(16 + (size_t)(i % 8) * 16); /* site:t-malloc */
    char *q = calloc(2, 24);                     /* site:t-calloc */
    if (!p || !q) abort();
    p[0] = 1;
    sink = q;
    p = realloc(p, 200); /* site:t-realloc */
    if (!p) abort();
    sink = p;
    free(q); /* site:t-free-q */
    free(p); /* site:t-free-p */
  }
  return NULL;
}

/* Runs THREADS threads of PAIRS iterations each; 0 when they all ran. */
__attribute__((visibility("default"))) int shlib_threads_run(int threads, int n) {
  pthread_t t[64];
  if (threads < 1 || threads > 64) return 1;
  pairs = n;
  for (int i = 0; i < threads; i++)
    if (pthread_create(&t[i], NULL, work, NULL)) return 1;
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  return 0;
}
