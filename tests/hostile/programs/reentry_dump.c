/* A signal handler that allocates while its thread is inside memscope_dump(), holding
 * the runtime's locks (issue #13): the handler's allocations are dropped, nothing
 * waits for ever.  8 more threads allocate meanwhile. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "memscope.h"

static volatile long handled;

static void on_usr1(int sig) {
  (void)sig;
  for (int i = 0; i < 600; i++) {
    void *volatile p = malloc(48);
    free(p);
  }
  handled++;
}

static void *dumper(void *arg) {
  for (;;) memscope_dump();
  return arg;
}

static void *allocator(void *arg) {
  for (;;) {
    void *volatile p = malloc(16);
    free(p);
    usleep(1000);
  }
  return arg;
}

int main(void) {
  signal(SIGUSR1, on_usr1);
  for (int i = 0; i < 8; i++) {
    pthread_t t;
    pthread_create(&t, NULL, allocator, NULL);
  }
  pthread_t t;
  pthread_create(&t, NULL, dumper, NULL);
  for (int i = 0; i < 5000; i++) {
    pthread_kill(t, SIGUSR1);
    usleep(100);
  }
  printf("reentry_dump: done\n");
  return 0; /* exit() while the dumper still runs */
}
