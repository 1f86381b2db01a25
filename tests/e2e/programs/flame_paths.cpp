/* Allocation paths for the HTML flame graph (tests/e2e/html_report.sh): one helper,
 * make_buffer, allocates for two callers, fill_table (called by main) and load_chunks
 * (called by the worker threads' entry, chunk_worker), so only the call stacks tell the
 * two apart; collect_ids grows a std::vector, whose allocation is made in the C++
 * library's headers (frames of origin "system").  Built at -O0 so that every function
 * keeps its frame. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#define THREADS 3

static void *volatile keep; /* so that nothing is optimized away */

/* The block comes back through an out-parameter: a function that returned it would be an
 * allocation wrapper, whose callers the pass makes sites of their own (docs/pass.md). */
__attribute__((noinline)) static void make_buffer(size_t n, char **out) {
  char *p = static_cast<char *>(malloc(n));
  memset(p, 1, n);
  *out = p;
}

__attribute__((noinline)) static void fill_table(int rows) {
  for (int i = 0; i < rows; i++) {
    char *b;
    make_buffer(256 + (size_t)(i % 4) * 64, &b);
    keep = b;
    free(b);
  }
}

__attribute__((noinline)) static void load_chunks(int chunks) {
  for (int i = 0; i < chunks; i++) {
    char *b;
    make_buffer(1024, &b);
    keep = b;
    if (i % 8) free(b); /* one in eight stays live */
  }
}

__attribute__((noinline)) static void collect_ids(int rounds) {
  for (int r = 0; r < rounds; r++) {
    std::vector<long> ids;
    for (long i = 0; i < 1000; i++) ids.push_back(i);
    keep = ids.data();
  }
}

static void *chunk_worker(void *arg) {
  load_chunks(2000);
  return arg;
}

int main() {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], nullptr, chunk_worker, nullptr);
  fill_table(4000);
  collect_ids(100);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], nullptr);
  return 0;
}
