/* A program under an address-space limit (RLIMIT_AS, `ulimit -v`) that it sets itself,
 * in main, after memscope has started: whatever memscope reserved before is taken from
 * the program's budget.  8 threads, alive together (each gets a glibc arena of 64 MiB
 * of address space and an 8 MiB stack), make 1,000 malloc/free pairs each.
 * Usage: address_limit peak            the work, then the peak address space (KiB)
 *        address_limit limited KIB     the limit set first, then the work
 * Prints what the work did; exit status 2 when a thread could not be started. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define THREADS 8
static pthread_barrier_t all_started;
static __thread void *volatile sink; /* each thread its own: the pairs stay its own */

static void *work(void *arg) {
  (void)arg;
  sink = malloc(64); /* the thread's arena, before the others go on */
  free(sink);
  pthread_barrier_wait(&all_started);
  for (int i = 1; i < 1000; i++) {
    sink = malloc((size_t)(i % 64 + 1) * 16);
    free(sink);
  }
  return NULL;
}

static long vm_peak_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmPeak:", 7) == 0) kib = atol(line + 7);
  if (f) fclose(f);
  return kib;
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "limited") == 0) {
    rlim_t bytes = (rlim_t)atol(argv[2]) * 1024;
    struct rlimit r = {bytes, bytes};
    if (setrlimit(RLIMIT_AS, &r) != 0) return 3;
  }
  pthread_barrier_init(&all_started, NULL, THREADS);
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++)
    if (pthread_create(&th[i], NULL, work, NULL) != 0) {
      printf("address_limit: thread %d not started\n", i);
      return 2;
    }
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  if (argc > 1 && strcmp(argv[1], "peak") == 0) printf("%ld\n", vm_peak_kib());
  else printf("address_limit: %d threads made 1,000 pairs each\n", THREADS);
  return 0;
}
