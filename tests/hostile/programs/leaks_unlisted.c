/* Leaks mode lists its live blocks at the session's end.  4 threads each allocate 1,000
 * blocks of 64 bytes and free 900, keeping 100 live; when all are done the process ends
 * as argv[1] says: "exit" (the list is written: 400 blocks), "kill" (SIGKILL to itself)
 * or "segv" (SIGSEGV to one worker thread): no end runs, so no list. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 4
#define BLOCKS 1000
#define KEPT 100

static pthread_barrier_t done;
static void *kept[THREADS][KEPT];

static void *worker(void *arg) {
  long t = (long)arg;
  for (long i = 0; i < BLOCKS; i++) {
    void *p = malloc(64);
    if (i < KEPT)
      kept[t][i] = p;
    else
      free(p);
  }
  pthread_barrier_wait(&done);
  for (;;) pause();
  return NULL;
}

int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "exit";
  pthread_t th[THREADS];
  pthread_barrier_init(&done, NULL, THREADS + 1);
  for (long i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, (void *)i);
  pthread_barrier_wait(&done);
  printf("leaks_unlisted: %d x %d blocks, %d kept\n", THREADS, BLOCKS, KEPT);
  fflush(stdout);
  if (strcmp(how, "kill") == 0)
    kill(getpid(), SIGKILL);
  else if (strcmp(how, "segv") == 0)
    pthread_kill(th[1], SIGSEGV);
  else
    exit(0); /* the workers still wait */
  for (;;) pause();
}
