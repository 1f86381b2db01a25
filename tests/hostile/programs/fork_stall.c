/* Full mode's events while a fork stalls: glibc's part of fork (after the atfork
 * handlers, which hold the runtime's locks) waits for stdio's list lock, held here by a
 * thread whose fflush(NULL) is blocked writing into a full pipe.  Meanwhile WORKERS
 * threads malloc and free 64-byte blocks in a loop: each that needs a new EVENTS chunk
 * waits for the output lock, gives up after 500 ms (init.c) and drops its event.  After
 * STALL_MS a thread drains the pipe; the fork completes; the child mallocs CHILD_BLOCKS
 * blocks, frees them and exits.  Prints the workers' calls (mallocs and frees, each
 * exact), whether the fork took about STALL_MS and the child's exit status, as
 * "fork_stall: calls N stalled 1 child 0". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 2
#define STALL_MS 1800
#define PIPE_BYTES (512 * 1024)
#define CHILD_BLOCKS 7

static atomic_int stop, forking;
static atomic_long calls[WORKERS];
static int pipe_fd[2];
static FILE *pipe_file;
static void *volatile sink;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
  nanosleep(&ts, NULL);
}

static void *worker(void *arg) {
  long i = (long)arg, n = 0;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    void *p = malloc(64);
    sink = p;
    free(p);
    n += 2;
  }
  atomic_store(&calls[i], n);
  return NULL;
}

/* Holds stdio's list lock until the pipe is drained: fflush(NULL) writes this FILE's
 * buffer (larger than the pipe) with the lock held. */
static void *flusher(void *arg) {
  static char block[PIPE_BYTES];
  memset(block, 'x', sizeof block);
  fwrite(block, 1, sizeof block, pipe_file);
  fflush(NULL);
  return arg;
}

/* The stall is timed from the fork's start, however late a loaded machine runs this. */
static void *drainer(void *arg) {
  static char buf[65536];
  while (!atomic_load(&forking)) nap_ms(1);
  nap_ms(STALL_MS);
  size_t got = 0;
  while (got < PIPE_BYTES) {
    ssize_t n = read(pipe_fd[0], buf, sizeof buf);
    if (n <= 0) break;
    got += (size_t)n;
  }
  return arg;
}

int main(void) {
  if (pipe(pipe_fd) != 0) return 2;
  pipe_file = fdopen(pipe_fd[1], "w");
  static char file_buf[2 * PIPE_BYTES];
  setvbuf(pipe_file, file_buf, _IOFBF, sizeof file_buf);
  pthread_t w[WORKERS], f, d;
  for (long i = 0; i < WORKERS; i++) pthread_create(&w[i], NULL, worker, (void *)i);
  nap_ms(100);
  pthread_create(&f, NULL, flusher, NULL);
  pthread_create(&d, NULL, drainer, NULL);
  /* The flusher holds the lock once the pipe is full (its write blocked): waited for,
   * not guessed with a fixed nap (a loaded machine took longer than 100 ms). */
  int full = fcntl(pipe_fd[0], F_GETPIPE_SZ), queued = 0;
  while (full > 0 && ioctl(pipe_fd[0], FIONREAD, &queued) == 0 && queued < full) nap_ms(1);
  nap_ms(20);
  double t0 = now_ms();
  atomic_store(&forking, 1);
  pid_t c = fork();
  if (c == 0) {
    void *volatile b[CHILD_BLOCKS]; /* (volatile: kept, not optimised away) */
    for (int i = 0; i < CHILD_BLOCKS; i++) b[i] = malloc(48);
    for (int i = 0; i < CHILD_BLOCKS; i++) free(b[i]);
    exit(0);
  }
  double fork_ms = now_ms() - t0;
  nap_ms(100);
  atomic_store(&stop, 1);
  for (int i = 0; i < WORKERS; i++) pthread_join(w[i], NULL);
  pthread_join(f, NULL);
  pthread_join(d, NULL);
  int st = 0;
  waitpid(c, &st, 0);
  long total = 0;
  for (int i = 0; i < WORKERS; i++) total += calls[i];
  printf("fork_stall: calls %ld stalled %d child %d\n", total, fork_ms >= STALL_MS - 100,
         WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  return 0;
}
