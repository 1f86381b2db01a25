/* The program behind the golden fixtures (tests/golden/README.md): three threads with a
 * known story, run once in each mode and recorded.
 *
 * main: a config block kept to the end (a leak), then, in order:
 *   producer: 20 messages of 48 bytes, handed over through `mailbox` (freed by consumer)
 *             and 60 short-lived 16-byte scratch buffers;
 *   consumer: frees the 20 messages (cross-thread frees), grows a buffer with realloc 6
 *             times (a growth chain), frees it;
 *   main:     one 2 MiB block (a large allocation), freed. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGES 20
static char *mailbox[MESSAGES];
static volatile char sink;
static char *volatile escape; /* blocks stored here are not optimized away */

static void *producer(void *arg) {
  (void)arg;
  for (int i = 0; i < MESSAGES; i++) {
    mailbox[i] = malloc(48);
    memset(mailbox[i], i, 48);
  }
  for (int i = 0; i < 60; i++) {
    char *scratch = malloc(16);
    scratch[0] = (char)i;
    escape = scratch;
    free(scratch);
  }
  return NULL;
}

static void *consumer(void *arg) {
  (void)arg;
  for (int i = 0; i < MESSAGES; i++)
    free(mailbox[i]);
  char *buf = malloc(8);
  for (size_t n = 16; n <= 512; n *= 2) {
    buf = realloc(buf, n);
    buf[n - 1] = 1;
  }
  sink = buf[0];
  free(buf);
  return NULL;
}

int main(void) {
  char *config = calloc(1, 100);
  sink = config[0];
  pthread_t t;
  pthread_create(&t, NULL, producer, NULL);
  pthread_join(t, NULL);
  pthread_create(&t, NULL, consumer, NULL);
  pthread_join(t, NULL);
  char *big = malloc(2 << 20);
  big[0] = 1;
  escape = big;
  free(big);
  return 0;
}
