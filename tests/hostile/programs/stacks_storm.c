/* Everything that could make an unwind hang, at once (stacks are on by default on every
 * sampled event): for SECONDS,
 *   - a thread starts and joins threads in a loop, each allocating at its start, before
 *     its exit and in a pthread key destructor (libunwind's TLS block and trace cache
 *     are made on new threads, and freed at their exit);
 *   - a thread dlopens and dlcloses a library whose constructor and destructor allocate
 *     (the loader's locks are held meanwhile, and unwinding reads the loader's list);
 *   - a thread forks; the child allocates (so it unwinds) and exits: fork while other
 *     threads are inside the unwinder must leave no lock taken in the child;
 *   - signals at a high rate: SIGUSR1 to the long-lived threads every ~50 us, and
 *     ITIMER_PROF's SIGPROF to whichever thread runs (the short-lived ones too).
 * The handler reaches the runtime from wherever the thread was, the runtime's own
 * sampled path and libunwind included: it maps and unmaps 64 KiB with mmap (instrumented,
 * always sampled at the test's interval, so it unwinds), a system call that is safe in a
 * handler.  It calls malloc only when the interrupted thread says it is in its own plain
 * code (in_plain_code): glibc's malloc is not async-signal-safe (a handler that interrupts
 * it and calls it again waits for ever on the arena lock its own thread holds), with or
 * without memscope, so a malloc there would test glibc, not memscope.  Flagged this way,
 * the handler's sampled mallocs unwind through the signal frame into spin_compute.
 * It runs SECONDS, and on until the test has enough to check (MIN_SHORT threads,
 * MIN_DLOPENS loads, MIN_HANDLER_MALLOCS mallocs in handlers: at the test's 256-byte
 * interval about 1 in 6 of the 48-byte ones is sampled, so 64 leave no sampled one about
 * once in 10^5), at most MAX_SECONDS: a loaded machine may run a thread little for seconds.
 * Prints a fixed line (the same with and without memscope) and writes the counts the
 * merged profile must show to COUNTS.
 * Usage: stacks_storm SECONDS COUNTS LIBRARY */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIN_SHORT 8
#define MIN_DLOPENS 8
#define MIN_HANDLER_MALLOCS 64
#define MAX_SECONDS 60

static atomic_int stop;
static atomic_long n_short, n_dlopens, n_forks, n_hung, n_signals, n_handler_mallocs;
static atomic_long n_bad;
static __thread volatile sig_atomic_t in_plain_code;
static char *volatile sink;
static const char *lib_path;
static pthread_key_t exit_key;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_us(long us) {
  struct timespec ts = {0, us * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* One block, checked and freed: written out where it is used, so that each function has
 * its own allocation site.  The empty asm keeps the caller's frame (no tail call). */
#define USE_BLOCK(n)                                                                         \
  do {                                                                                       \
    char *p_ = malloc(n);                                                                    \
    if (!p_) abort();                                                                        \
    memset(p_, 7, (n));                                                                      \
    sink = p_;                                                                               \
    if (p_[(n) - 1] != 7) atomic_fetch_add(&n_bad, 1);                                       \
    free(p_);                                                                                \
    __asm__ volatile("" ::: "memory");                                                       \
  } while (0)

__attribute__((noinline)) static void storm_handler(int sig) {
  (void)sig;
  int saved = errno;
  /* A handler nested in this one (SIGPROF during SIGUSR1's) must not call malloc: this
   * one may be inside it (the main thread hung so, on glibc's arena lock). */
  int plain = in_plain_code;
  in_plain_code = 0;
  atomic_fetch_add(&n_signals, 1);
  char *m = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m != MAP_FAILED) {
    m[0] = 1;
    munmap(m, 65536);
  }
  if (plain) {
    char *p = malloc(48);
    if (p) {
      p[0] = 1;
      sink = p;
      free(p);
      atomic_fetch_add(&n_handler_mallocs, 1);
    }
  }
  in_plain_code = plain;
  errno = saved;
}

/* ---- threads started and joined -------------------------------------------------- */
__attribute__((noinline)) static void short_thread_begin(void) { USE_BLOCK(64); }
__attribute__((noinline)) static void short_thread_end(void) { USE_BLOCK(72); }
__attribute__((noinline)) static void short_thread_key_dtor(void *v) {
  (void)v;
  USE_BLOCK(88);
}

__attribute__((noinline)) static void *short_thread_main(void *arg) {
  short_thread_begin();
  pthread_setspecific(exit_key, arg);
  volatile unsigned x = 0;
  for (int i = 0; i < 2000; i++) x += (unsigned)i;
  short_thread_end();
  __asm__ volatile("" ::: "memory");
  return NULL;
}

static void *churn_loop(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    pthread_t t[4];
    int made = 0;
    for (int i = 0; i < 4; i++)
      if (pthread_create(&t[made], NULL, short_thread_main, (void *)1) == 0) made++;
    for (int i = 0; i < made; i++) pthread_join(t[i], NULL);
    atomic_fetch_add(&n_short, made);
  }
  return NULL;
}

/* ---- dlopen and dlclose ------------------------------------------------------------ */
__attribute__((noinline)) static void storm_call_work(void (*work)(void)) {
  work();
  __asm__ volatile("" ::: "memory");
}
__attribute__((noinline)) static void *dlopen_loop(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    void *h = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      atomic_fetch_add(&n_bad, 1);
      break;
    }
    void (*work)(void) = (void (*)(void))dlsym(h, "storm_lib_work");
    if (work) storm_call_work(work);
    else atomic_fetch_add(&n_bad, 1);
    dlclose(h);
    atomic_fetch_add(&n_dlopens, 1);
  }
  return NULL;
}

/* ---- fork ---------------------------------------------------------------------------- */
__attribute__((noinline)) static void child_allocates(void) { USE_BLOCK(4096); }

static void *fork_loop(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    pid_t pid = fork();
    if (pid == 0) {
      child_allocates();
      _exit(0);
    }
    if (pid < 0) {
      atomic_fetch_add(&n_bad, 1);
      break;
    }
    int status = 0, waited = 0;
    double until = now_s() + 10;
    while ((waited = waitpid(pid, &status, WNOHANG)) == 0 && now_s() < until) nap_us(200);
    if (waited == 0) { /* hung: a lock inherited taken */
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      atomic_fetch_add(&n_hung, 1);
    } else if (waited < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      atomic_fetch_add(&n_bad, 1);
    }
    atomic_fetch_add(&n_forks, 1);
    nap_us(5000);
  }
  return NULL;
}

/* ---- plain code the handler may allocate in -------------------------------------- */
__attribute__((noinline)) static unsigned spin_compute(unsigned x) {
  in_plain_code = 1;
  for (int i = 0; i < 20000; i++) x = x * 1103515245u + 12345u;
  in_plain_code = 0;
  return x;
}

static void *spin_loop(void *arg) {
  (void)arg;
  unsigned x = 1;
  while (!atomic_load(&stop)) {
    x = spin_compute(x);
    USE_BLOCK(32 + (x & 255));
  }
  return (void *)(uintptr_t)(x | 1);
}

/* ---- the signals ------------------------------------------------------------------- */
static pthread_t targets[5];
static int ntargets;

static void *signal_loop(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    for (int i = 0; i < ntargets; i++) pthread_kill(targets[i], SIGUSR1);
    nap_us(50);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s SECONDS COUNTS LIBRARY\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  lib_path = argv[3];
  pthread_key_create(&exit_key, short_thread_key_dtor);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = storm_handler;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGPROF, &sa, NULL);

  pthread_t churn, dl, fk, spin, sig;
  pthread_create(&churn, NULL, churn_loop, NULL);
  pthread_create(&dl, NULL, dlopen_loop, NULL);
  pthread_create(&fk, NULL, fork_loop, NULL);
  pthread_create(&spin, NULL, spin_loop, NULL);
  targets[ntargets++] = pthread_self();
  targets[ntargets++] = churn;
  targets[ntargets++] = dl;
  targets[ntargets++] = fk;
  targets[ntargets++] = spin;
  pthread_create(&sig, NULL, signal_loop, NULL);
  struct itimerval it = {{0, 500}, {0, 500}};
  setitimer(ITIMER_PROF, &it, NULL);

  double start = now_s(), until = start + seconds;
  unsigned x = 1;
  /* main allocates too, and spins where a handler may */
  while (now_s() < until ||
         ((atomic_load(&n_short) < MIN_SHORT || atomic_load(&n_dlopens) < MIN_DLOPENS ||
           atomic_load(&n_handler_mallocs) < MIN_HANDLER_MALLOCS) &&
          now_s() - start < MAX_SECONDS)) {
    x = spin_compute(x);
    USE_BLOCK(200);
  }
  atomic_store(&stop, 1);
  pthread_join(sig, NULL);
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_PROF, &off, NULL);
  pthread_join(churn, NULL);
  pthread_join(dl, NULL);
  pthread_join(fk, NULL);
  pthread_join(spin, NULL);

  FILE *f = fopen(argv[2], "w");
  if (!f) return 3;
  fprintf(f, "short %ld\ndlopens %ld\nforks %ld\nsignals %ld\nhandler_mallocs %ld\n",
          atomic_load(&n_short), atomic_load(&n_dlopens), atomic_load(&n_forks),
          atomic_load(&n_signals), atomic_load(&n_handler_mallocs));
  fclose(f);
  printf("stacks_storm: %ld children hung, %ld bad results\n", atomic_load(&n_hung),
         atomic_load(&n_bad));
  return atomic_load(&n_hung) || atomic_load(&n_bad) ? 1 : 0;
}
