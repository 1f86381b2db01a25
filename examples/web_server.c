/* A simulated web server: 20 worker threads handle 1000 requests each, the seeds'
 * fourth scenario.  Per request: the request string, a 4 KiB response buffer, a query
 * result and the JSON-ish body, all freed before the next request; a shared atomic
 * counter of requests served.  Deterministic: 4 allocations per request, 80,000 in all.
 *
 * Build: clang-19 -O2 -g -fpass-plugin=MemscopePass.so web_server.c -lmemscope -lpthread -lm
 * Run:   MEMSCOPE_OUT=out ./web_server && memscope-merge out/memscope.web_server.*.msgpack */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKERS 20
#define REQUESTS 1000
#define RESPONSE 4096

static atomic_ulong served;
static atomic_ulong bytes_sent;
/* Where each worker publishes its last body: the blocks escape, so -O2 keeps them all. */
static char *volatile last_body[WORKERS];
static void *volatile last_result[WORKERS];

struct query_result {
  int rows;
  double values[16];
};

static void *worker(void *arg) {
  long id = (long)arg;
  char name[16];
  snprintf(name, sizeof name, "http-worker-%02ld", id);
  pthread_setname_np(pthread_self(), name);
  for (int i = 0; i < REQUESTS; i++) {
    char *request = malloc(128); /* site:request */
    if (!request) abort();
    snprintf(request, 128, "GET /api/users/%d?worker=%ld HTTP/1.1", i, id);
    char *response = malloc(RESPONSE); /* site:response */
    struct query_result *result = malloc(sizeof *result); /* site:query */
    if (!response || !result) abort();
    result->rows = 1 + i % 16;
    for (int r = 0; r < result->rows; r++) result->values[r] = id * 1000.0 + i + r;
    size_t body_size = 64 + (size_t)result->rows * 24;
    char *body = malloc(body_size); /* site:json */
    if (!body) abort();
    int len = snprintf(body, body_size, "{\"id\":%d,\"rows\":%d,\"first\":%.1f}", i,
                       result->rows, result->values[0]);
    int total = snprintf(response, RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s",
                         len, body);
    last_body[id] = body;
    last_result[id] = result;
    atomic_fetch_add(&served, 1);
    atomic_fetch_add(&bytes_sent, (unsigned long)total);
    free(body);
    free(result);
    free(response);
    free(request);
  }
  return NULL;
}

int main(void) {
  pthread_t threads[WORKERS];
  for (long t = 0; t < WORKERS; t++)
    if (pthread_create(&threads[t], NULL, worker, (void *)t) != 0) return 1;
  for (int t = 0; t < WORKERS; t++) pthread_join(threads[t], NULL);
  printf("web_server: %d workers, %lu requests served, %lu response bytes, %d allocations\n",
         WORKERS, atomic_load(&served), atomic_load(&bytes_sent), WORKERS * REQUESTS * 4);
  return 0;
}
