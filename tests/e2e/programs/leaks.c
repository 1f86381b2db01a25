/* MEMSCOPE_MODE=leaks: a known set of blocks left live at exit among 1.6 million that
 * are not.  Four threads each allocate 400,000 blocks (all 1.6 million live at once, so
 * the live-block table grows), then each frees another thread's; each also leaks a few
 * blocks at sites A and B and hands 10 more from site A to its neighbour to free.  main
 * leaks one realloc'ed block, then forks a child that leaks 3 blocks of its own at site
 * F.  The script knows every count (tests/e2e/leaks.sh).  Usage: leaks [PER_THREAD]. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4
#define PER_THREAD 400000
#define HANDED 10

static long per_thread = PER_THREAD; /* argv[1], at most PER_THREAD */
static char *blocks[THREADS][PER_THREAD];
static char *handed[THREADS][HANDED];
static char *leaked[64];
static pthread_barrier_t all_allocated, all_handed;

static void *keep(void *p) {
  if (!p) abort();
  *(volatile char *)p = 1;
  return p;
}

__attribute__((noinline)) static char *fill(size_t size) { return keep(malloc(size)); /* SITE_FILL */ }
__attribute__((noinline)) static char *site_a(size_t size) { return keep(malloc(size)); /* SITE_A */ }
__attribute__((noinline)) static char *site_b(size_t size) { return keep(calloc(1, size)); /* SITE_B */ }
__attribute__((noinline)) static void release(void *p) { free(p); /* SITE_FREE */ }

static void *worker(void *arg) {
  long id = (long)arg, other = (id + 1) % THREADS;
  for (long i = 0; i < per_thread; i++) blocks[id][i] = fill(16 + (size_t)(i % 64) * 8);
  for (long i = 0; i < HANDED; i++) handed[id][i] = site_a(1000 + (size_t)i); /* CALL_HANDED */
  /* Site A leaks 7 blocks on thread 0 and 6 on the others (25), of sizes 100 + 7k + id;
   * site B leaks 2 on threads 0-2 and 1 on thread 3 (7), of sizes 3000 + 100k + id. */
  long a = id == 0 ? 7 : 6, b = id == 3 ? 1 : 2;
  for (long k = 0; k < a; k++) leaked[id * 16 + k] = site_a(100 + (size_t)(7 * k + id)); /* CALL_LEAKED */
  for (long k = 0; k < b; k++) leaked[id * 16 + 8 + k] = site_b(3000 + (size_t)(100 * k + id));
  pthread_barrier_wait(&all_allocated);
  for (long i = 0; i < per_thread; i++) release(blocks[other][i]); /* another thread's */
  pthread_barrier_wait(&all_handed);
  for (long i = 0; i < HANDED; i++) release(handed[other][i]);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1 && atol(argv[1]) > 0 && atol(argv[1]) < PER_THREAD) per_thread = atol(argv[1]);
  pthread_t t[THREADS];
  pthread_barrier_init(&all_allocated, NULL, THREADS);
  pthread_barrier_init(&all_handed, NULL, THREADS);
  for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  for (long i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  char *r = keep(malloc(50)); /* SITE_GROW_FROM */
  r = keep(realloc(r, 5000)); /* SITE_GROW */
  leaked[63] = r;
  pid_t child = fork();
  if (child == 0) {
    for (int k = 0; k < 3; k++) leaked[40 + k] = keep(malloc(77)); /* SITE_CHILD */
    exit(0);
  }
  int status;
  if (child < 0 || waitpid(child, &status, 0) != child || status != 0) return 1;
  return 0;
}
