// Every API with an inline fast path (docs/pass.md, "Inline fast paths"), each called a
// known number of times from its own line ("site:NAME"), with constant and varying
// sizes, the calls that must leave the fast path (realloc of NULL and to 0 bytes,
// free(NULL), a calloc that overflows, a posix_memalign that fails, a nothrow new that
// returns null, an operator new that throws under `invoke`), and a second thread whose
// blocks the main thread frees.  tests/e2e/inline_apis.sh checks the exact counts in
// full mode and in sampled mode with no sample, every allocation a sample, and some.
// Built at -O2 as a PIE (the fast paths' default): every block escapes through sink(),
// so that the optimizer keeps every call.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <new>
#include <pthread.h>

struct alignas(64) Line {
  char bytes[128];
};

extern "C" __attribute__((noinline)) void sink(void *p) { __asm__ volatile("" ::"r"(p) : "memory"); }

static volatile size_t huge = SIZE_MAX / 2;
static volatile size_t zero = 0;
static void *volatile null_block = nullptr; // (the optimizer turns realloc(NULL, n) into malloc)
static void *handed[25];

static void *worker(void *) {
  for (int i = 0; i < 25; i++) {
    handed[i] = malloc(40); // site:thread-malloc
    sink(handed[i]);
  }
  return nullptr;
}

int main() {
  for (int i = 0; i < 100; i++) {
    void *p = malloc(48); // site:malloc-const
    sink(p);
    free(p); // site:free-const
  }
  for (size_t i = 0; i < 60; i++) {
    void *p = malloc(16 + 8 * (i % 4)); // site:malloc-var
    sink(p);
    void *q = calloc(i % 3 + 1, 32); // site:calloc
    sink(q);
    p = realloc(p, 100 + i); // site:realloc
    sink(p);
    free(q); // site:free-calloc
    free(p); // site:free-realloc
  }
  for (int i = 0; i < 30; i++) {
    void *p = realloc(null_block, 24); // site:realloc-null
    sink(p);
    p = realloc(p, zero); // site:realloc-zero
    sink(p);
    free(null_block); // site:free-null
  }
  void *over = calloc(huge, 4); // site:calloc-overflow
  sink(over); // (else the optimizer may assume it is not null)
  std::printf("calloc overflow: %s\n", over ? "a block" : "null");
  for (int i = 0; i < 20; i++) {
    void *a = aligned_alloc(64, 256); // site:aligned_alloc
    sink(a);
    void *m = memalign(32, 96 + i); // site:memalign
    sink(m);
    void *pm = nullptr;
    if (posix_memalign(&pm, 128, 200) != 0) // site:posix_memalign
      abort();
    sink(pm);
    free(a);  // site:free-aligned
    free(m);  // site:free-memalign
    free(pm); // site:free-posix
  }
  void *bad = nullptr;
  int rc = posix_memalign(&bad, 3, 16); // site:posix_memalign-einval
  std::printf("posix_memalign(align 3) = %d\n", rc);
  for (int i = 0; i < 40; i++) {
    long *n = new long(i); // site:new
    sink(n);
    delete n; // site:delete
    char *a = new char[10 + i]; // site:new[]
    sink(a);
    delete[] a; // site:delete[]
    Line *l = new Line; // site:new-aligned
    sink(l);
    delete l; // site:delete-aligned
    int *t = new (std::nothrow) int(i); // site:new-nothrow
    sink(t);
    delete t; // site:delete-nothrow
  }
  char *none = new (std::nothrow) char[huge]; // site:new-nothrow-fails
  sink(none);
  std::printf("nothrow new: %s\n", none ? "a block" : "null");
  try {
    char *big = new char[huge]; // site:new-throws
    std::printf("unexpected block %p\n", static_cast<void *>(big));
  } catch (const std::bad_alloc &) {
    std::printf("caught bad_alloc\n");
  }
  pthread_t t;
  if (pthread_create(&t, nullptr, worker, nullptr) != 0 || pthread_join(t, nullptr) != 0)
    abort();
  for (void *p : handed)
    free(p); // site:free-handed
  std::printf("inline_apis: done\n");
  return 0;
}
