/* The first allocations of a thread made inside a signal handler: the main thread's
 * (raise, before main allocated anything) and a new thread's (pthread_kill while it
 * waits, before it allocated anything).  Whatever the runtime sets up on a thread's first
 * recorded call then runs inside the handler, where only async-signal-safe work may:
 * not pthread_create (the resource sampler's thread), not dlopen.
 * In each handler, before its malloc, the process's thread count is read from
 * /proc/self/status (open and read: async-signal-safe); the program prints both, so the
 * test sees whether the runtime started a thread from inside the handler (the count
 * after the malloc is one higher) or before it.
 * Prints "handler_first: main N M, thread N M, blocks B". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static int before[2], after[2];
static void *volatile kept[2];

/* "Threads:" of /proc/self/status, with system calls only. */
static int thread_count(void) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  const char *s = strstr(buf, "\nThreads:");
  if (!s) return -1;
  s += 9;
  while (*s == ' ' || *s == '\t') s++;
  int v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return v;
}

static void on_signal(int sig) {
  int which = sig == SIGUSR2;
  before[which] = thread_count();
  char *p = malloc(100 + which);
  if (p) p[0] = 1;
  kept[which] = p; /* freed by main, outside any handler */
  char *volatile q = malloc(40); /* (volatile: kept, not optimised away) */
  free(q);
  after[which] = thread_count();
  handled |= 1 << which;
}

static void *waiter(void *arg) {
  struct timespec nap = {0, 1000000};
  while (!(handled & 2)) nanosleep(&nap, NULL);
  return arg;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR1);
  pthread_t t;
  if (pthread_create(&t, NULL, waiter, NULL) != 0) return 2;
  pthread_kill(t, SIGUSR2);
  pthread_join(t, NULL);
  free(kept[0]);
  free(kept[1]);
  printf("handler_first: main %d %d, thread %d %d, handled %d\n", before[0], after[0],
         before[1], after[1], (int)handled);
  return 0;
}
