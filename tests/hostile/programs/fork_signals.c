/* Signals, fork and leaks mode's table updates at once, for SECONDS:
 *   - WORKERS threads allocate 64 blocks of 2-34 KiB and free them, in a loop: sizes
 *     above glibc's tcache, so that most of their time is inside malloc and free with an
 *     arena lock held;
 *   - a thread sends SIGUSR1 to each worker as fast as it can; the handler maps and
 *     unmaps a page (instrumented mmap and munmap: in leaks mode each one takes a table
 *     shard's lock and, for its stack, the stack store's);
 *   - a thread forks in a loop; each child leaks CHILD_LEAKS blocks of 48 bytes and
 *     calls exit(), so that its own profile lists them; the parent waits up to 10 s for
 *     it (more: hung, killed).
 * The runtime used to hold the table's locks across fork, and glibc's fork then waits for
 * the arena locks: a worker interrupted inside malloc, its handler waiting for a shard,
 * and the fork waiting for that worker hung the program.
 * Before the threads start, main leaks PARENT_LEAKS blocks of 333 bytes; everything else
 * is freed.  It runs SECONDS, and on until MIN_FORKS forks and MIN_SIGNALS signals are
 * done (the test's "enough happened"; a loaded machine made 1 fork in 2 s), at most
 * MAX_SECONDS (then the test fails on the counts: the program stalled).
 * Prints "fork_signals: H children hung, B bad" and writes the counts.
 * Usage: fork_signals SECONDS COUNTS */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 3
#define PARENT_LEAKS 5
#define CHILD_LEAKS 3
#define MIN_FORKS 2
#define MIN_SIGNALS 100
#define MAX_SECONDS 40

static atomic_int stop;
static atomic_long n_forks, n_hung, n_bad, n_signals, n_rounds;
static void *volatile sink;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_us(long us) {
  struct timespec ts = {us / 1000000, us % 1000000 * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void on_signal(int sig) {
  (void)sig;
  int saved = errno;
  char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m != MAP_FAILED) {
    m[0] = 1;
    munmap(m, 4096);
  }
  atomic_fetch_add_explicit(&n_signals, 1, memory_order_relaxed);
  errno = saved;
}

static void *worker(void *arg) {
  unsigned x = (unsigned)(uintptr_t)arg;
  void *blocks[64];
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    for (int i = 0; i < 64; i++) {
      x = x * 1103515245u + 12345u;
      blocks[i] = malloc(2048 + (x >> 16) % 32768);
      if (!blocks[i]) atomic_fetch_add(&n_bad, 1);
    }
    for (int i = 0; i < 64; i++) free(blocks[i]);
    atomic_fetch_add_explicit(&n_rounds, 1, memory_order_relaxed);
  }
  return NULL;
}

static pthread_t workers[WORKERS];

static void *signaller(void *arg) {
  (void)arg;
  while (!atomic_load_explicit(&stop, memory_order_relaxed))
    for (int i = 0; i < WORKERS; i++) pthread_kill(workers[i], SIGUSR1);
  return NULL;
}

__attribute__((noinline)) static void child_leaks(void) {
  for (int i = 0; i < CHILD_LEAKS; i++) {
    char *p = malloc(48);
    if (p) p[0] = 1;
    sink = p;
  }
}

static void *forker(void *arg) {
  (void)arg;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    pid_t pid = fork();
    if (pid == 0) {
      child_leaks();
      exit(0);
    }
    if (pid < 0) {
      atomic_fetch_add(&n_bad, 1);
      break;
    }
    int status = 0, waited;
    double until = now_s() + 10;
    while ((waited = waitpid(pid, &status, WNOHANG)) == 0 && now_s() < until) nap_us(100);
    if (waited == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      atomic_fetch_add(&n_hung, 1);
    } else if (waited < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      atomic_fetch_add(&n_bad, 1);
    }
    atomic_fetch_add(&n_forks, 1);
  }
  return NULL;
}

__attribute__((noinline)) static void parent_leaks(void) {
  for (int i = 0; i < PARENT_LEAKS; i++) {
    char *p = malloc(333);
    if (p) p[0] = 1;
    sink = p;
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SECONDS COUNTS\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  parent_leaks();

  pthread_t sig, fk;
  for (int i = 0; i < WORKERS; i++)
    pthread_create(&workers[i], NULL, worker, (void *)(uintptr_t)(i + 1));
  pthread_create(&sig, NULL, signaller, NULL);
  pthread_create(&fk, NULL, forker, NULL);
  double start = now_s();
  nap_us((long)(seconds * 1e6));
  while ((atomic_load(&n_forks) < MIN_FORKS || atomic_load(&n_signals) < MIN_SIGNALS) &&
         now_s() - start < MAX_SECONDS)
    nap_us(10000);
  atomic_store(&stop, 1);
  pthread_join(sig, NULL);
  pthread_join(fk, NULL);
  for (int i = 0; i < WORKERS; i++) pthread_join(workers[i], NULL);

  FILE *f = fopen(argv[2], "w");
  if (!f) return 3;
  fprintf(f, "forks %ld\nsignals %ld\nrounds %ld\n", atomic_load(&n_forks),
          atomic_load(&n_signals), atomic_load(&n_rounds));
  fclose(f);
  printf("fork_signals: %ld children hung, %ld bad\n", atomic_load(&n_hung),
         atomic_load(&n_bad));
  return atomic_load(&n_hung) || atomic_load(&n_bad) ? 1 : 0;
}
