/* A database connection pool: 10 connections behind a mutex, 50 threads running 200
 * queries each, the seeds' fifth scenario.  Per query: the SQL string, the result rows,
 * the processed rows and the serialized answer, all freed before the next query; the
 * pool's 10 connections are allocated once and freed at the end.  Deterministic:
 * 50 x 200 x 4 + 10 = 40,010 allocations, as many frees.
 *
 * Build: clang-19 -O2 -g -fpass-plugin=MemscopePass.so db_pool.c -lmemscope -lpthread -lm
 * Run:   MEMSCOPE_OUT=out ./db_pool && memscope-merge out/memscope.db_pool.*.msgpack */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL 10
#define THREADS 50
#define QUERIES 200

struct connection {
  int id;
  unsigned long queries;
  char scratch[1024];
};
struct row {
  long id;
  double value;
  char name[32];
};

static struct connection *free_list[POOL];
static int free_count;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static unsigned long rows_processed[THREADS];
static void *volatile sink[THREADS]; /* blocks escape: -O2 keeps every pair */

static struct connection *get_connection(void) {
  pthread_mutex_lock(&pool_lock);
  while (free_count == 0) pthread_cond_wait(&pool_cond, &pool_lock);
  struct connection *c = free_list[--free_count];
  pthread_mutex_unlock(&pool_lock);
  return c;
}

static void return_connection(struct connection *c) {
  pthread_mutex_lock(&pool_lock);
  free_list[free_count++] = c;
  pthread_cond_signal(&pool_cond);
  pthread_mutex_unlock(&pool_lock);
}

static void *client(void *arg) {
  long id = (long)arg;
  for (int q = 0; q < QUERIES; q++) {
    size_t nrows = 5 + (size_t)(q % 20);
    char *sql = malloc(128); /* site:sql */
    if (!sql) abort();
    snprintf(sql, 128, "SELECT id, value, name FROM t WHERE shard = %ld LIMIT %zu", id, nrows);
    struct connection *conn = get_connection();
    struct row *rows = calloc(nrows, sizeof *rows); /* site:rows */
    if (!rows) abort();
    for (size_t r = 0; r < nrows; r++) {
      rows[r].id = (long)r;
      rows[r].value = (double)(id * QUERIES + q) / (double)(r + 1);
      snprintf(rows[r].name, sizeof rows[r].name, "row-%ld-%zu", id, r);
    }
    conn->queries++;
    memcpy(conn->scratch, sql, 64);
    return_connection(conn);
    double *processed = malloc(nrows * sizeof *processed); /* site:processed */
    if (!processed) abort();
    for (size_t r = 0; r < nrows; r++) processed[r] = rows[r].value * 2.0;
    size_t out_size = 16 + nrows * 48;
    char *out = malloc(out_size); /* site:serialize */
    if (!out) abort();
    size_t used = 0;
    for (size_t r = 0; r < nrows && used < out_size; r++)
      used += (size_t)snprintf(out + used, out_size - used, "%s=%.2f;", rows[r].name, processed[r]);
    sink[id] = out;
    sink[id] = processed;
    rows_processed[id] += nrows;
    free(out);
    free(processed);
    free(rows);
    free(sql);
  }
  return NULL;
}

int main(void) {
  for (int i = 0; i < POOL; i++) {
    struct connection *c = malloc(sizeof *c); /* site:connection */
    if (!c) abort();
    c->id = i, c->queries = 0;
    free_list[free_count++] = c;
  }
  pthread_t threads[THREADS];
  for (long t = 0; t < THREADS; t++)
    if (pthread_create(&threads[t], NULL, client, (void *)t) != 0) return 1;
  for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
  unsigned long queries = 0, rows = 0;
  for (int i = 0; i < POOL; i++) {
    queries += free_list[i]->queries;
    free(free_list[i]);
  }
  for (int t = 0; t < THREADS; t++) rows += rows_processed[t];
  printf("db_pool: %d connections, %d threads, %lu queries, %lu rows processed, "
         "%d allocations\n", POOL, THREADS, queries, rows, THREADS * QUERIES * 4 + POOL);
  return 0;
}
