/* The app.c of the documentation's commands (README.md, docs/quickstart.md): tests/e2e/docs_commands.sh
 * copies it as app.c.  4 threads of 1,000 malloc/free pairs each, one block kept. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { THREADS = 4, ROUNDS = 1000 };

static volatile char sink; /* the blocks are read, so the compiler keeps them */

static void *work(void *arg) {
  for (int i = 0; i < ROUNDS; i++) {
    char *p = malloc(100 + i % 50); /* docs: the workers' site */
    memset(p, i, 100);
    sink = p[i % 100];
    free(p);
  }
  return arg;
}

int main(int argc, char **argv) {
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++)
    pthread_create(&threads[i], NULL, work, NULL);
  for (int i = 0; i < THREADS; i++)
    pthread_join(threads[i], NULL);
  char *kept = malloc(4096); /* docs: the block left at exit */
  kept[0] = (char)argc;
  printf("app: %d allocations, %d args\n", THREADS * ROUNDS + 1, argc - 1);
  return 0;
}
