/* Full mode's "counts and events agree" when membarrier(2) fails (runtime/os.c): 8
 * workers allocate; once each has recorded, main (with `later`: first installs a seccomp
 * filter under which membarrier fails, so that the runtime finds out at its next rare-side
 * fence, while the workers' frequent side has been using compiler barriers) forks a child
 * (the fork's fence: the unwinders' side) and stops the session while the workers go on
 * (the stop's fence: every event announced before it is in the file).  Run under
 * no_membarrier for a failure from the start.
 * Usage: fence_fallback start|later    prints "fence_fallback: stopped 0, child 0" */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "deny_membarrier.h"
#include "memscope.h"

#define THREADS 8

static __thread void *volatile sink;
static atomic_int quit, started;

static void *worker(void *arg) {
  (void)arg;
  for (long i = 0; !atomic_load(&quit); i++) {
    sink = malloc(16 + (size_t)(i & 255));
    free(sink);
    if (i == 0) atomic_fetch_add(&started, 1);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int later = argc > 1 && strcmp(argv[1], "later") == 0;
  pthread_t th[THREADS];
  for (long i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, NULL);
  while (atomic_load(&started) < THREADS) usleep(1000);
  usleep(20 * 1000);
  if (later && deny_membarrier() != 0) {
    fprintf(stderr, "fence_fallback: the seccomp filter: %s\n", strerror(errno));
    return 77;
  }
  if (!later && syscall(__NR_membarrier, 0, 0, 0) != -1) { /* (QUERY) */
    fprintf(stderr, "fence_fallback: membarrier works: not run under no_membarrier\n");
    return 3;
  }
  usleep(20 * 1000);
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = -1;
  if (pid > 0) waitpid(pid, &status, 0);
  int stopped = memscope_stop();
  usleep(20 * 1000); /* the workers allocate on, untraced */
  atomic_store(&quit, 1);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  printf("fence_fallback: stopped %d, child %d\n", stopped, status);
  return 0;
}
