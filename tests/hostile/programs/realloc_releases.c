/* Realloc-like calls that release their old block, counted exactly per thread
 * (hostile/realloc_releases): each "rep" below makes a known number of instrumented
 * realloc/reallocarray calls (17 releases, 1 block left live) and, through
 * realloc_releases_lib.c (built without the plugin), uninstrumented ones (7 releases,
 * nothing left live).
 *
 *   threads:       3 threads named rr-1, rr-2, rr-3; rr-i makes i reps.  Then a fork
 *                  child makes 1 rep on its main thread (its file counts from zero).
 *   sessions DIR:  main makes 1 rep and starts rr-s, which makes 1 rep; main stops the
 *                  session and starts another (in DIR); rr-s makes 2 reps and ends,
 *                  main makes 3. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memscope.h"

void lib_churn(void); /* realloc_releases_lib.c */

/* Keeps the optimizer from turning realloc(NULL, n) into malloc(n) or dropping calls. */
static void *opaque(void *p) {
  __asm__ volatile("" : "+r"(p));
  return p;
}
static size_t opaque_size(size_t n) {
  __asm__ volatile("" : "+r"(n));
  return n;
}

static void rep(void) {
  void *p[10], *r[2];
  for (int i = 0; i < 10; i++) p[i] = opaque(realloc(opaque(NULL), opaque_size(32))); /* 0 */
  for (int i = 0; i < 10; i++) /* 10 releases, moved or in place */
    p[i] = opaque(realloc(p[i], opaque_size(4096 + 64 * (size_t)i)));
  /* Failures release nothing: the old blocks stay. */
  if (opaque(realloc(p[0], opaque_size(SIZE_MAX / 2)))) abort();
  if (opaque(reallocarray(p[1], opaque_size(SIZE_MAX), 2))) abort();
  for (int i = 0; i < 4; i++) /* 4 releases: realloc(p, 0) frees p */
    if (opaque(realloc(p[i], opaque_size(0)))) abort();
  for (int i = 4; i < 7; i++) p[i] = opaque(reallocarray(p[i], 2, opaque_size(5000))); /* 3 */
  for (int i = 0; i < 2; i++) r[i] = opaque(reallocarray(opaque(NULL), 4, opaque_size(8))); /* 0 */
  for (int i = 4; i < 10; i++) free(p[i]);
  free(r[0]); /* r[1] stays live */
  lib_churn();
}

struct worker {
  char name[16];
  int reps, after;
  pthread_barrier_t *stop, *go;
};

static void *work(void *arg) {
  struct worker *w = arg;
  memscope_set_thread_name(w->name);
  for (int i = 0; i < w->reps; i++) rep();
  if (w->stop) {
    pthread_barrier_wait(w->stop);
    pthread_barrier_wait(w->go);
    for (int i = 0; i < w->after; i++) rep();
  }
  return NULL;
}

static int threads(void) {
  pthread_t t[3];
  struct worker w[3];
  for (int i = 0; i < 3; i++) {
    w[i] = (struct worker){.reps = i + 1};
    snprintf(w[i].name, sizeof w[i].name, "rr-%d", i + 1);
    if (pthread_create(&t[i], NULL, work, &w[i])) return 1;
  }
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) {
    rep();
    exit(0);
  }
  int status;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
    return 3;
  puts("realloc_releases: threads ok");
  return 0;
}

static int sessions(const char *dir) {
  pthread_barrier_t stop, go;
  pthread_barrier_init(&stop, NULL, 2);
  pthread_barrier_init(&go, NULL, 2);
  rep();
  struct worker w = {.name = "rr-s", .reps = 1, .after = 2, .stop = &stop, .go = &go};
  pthread_t t;
  if (pthread_create(&t, NULL, work, &w)) return 1;
  pthread_barrier_wait(&stop);
  if (memscope_stop() != 0) return 2;
  rep(); /* between sessions: in no file */
  if (memscope_start(dir) != 0) return 3;
  pthread_barrier_wait(&go);
  pthread_join(t, NULL);
  for (int i = 0; i < 3; i++) rep();
  puts("realloc_releases: sessions ok");
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "threads")) return threads();
  if (argc >= 3 && !strcmp(argv[1], "sessions")) return sessions(argv[2]);
  fprintf(stderr, "usage: realloc_releases threads | sessions DIR\n");
  return 64;
}
