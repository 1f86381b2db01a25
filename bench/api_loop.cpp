// One allocation API at a time, for the per-API instruction table of docs/pass.md
// (bench/apis): ITERS iterations of that API's allocation and its free, sizes varying
// over 16..1008 bytes (16-byte steps) unless the API's name says "const".  Every block
// escapes through sink(), so that the optimizer keeps every call.  Built plain, with the
// plugin (inline fast paths) and with -fPIC (the runtime's entry points, C++ helpers).
// Usage: api_loop API ITERS   (API: one of the names in apis[] below)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <new>

extern "C" __attribute__((noinline)) void sink(void *p) { __asm__ volatile("" ::"r"(p) : "memory"); }

struct Node {
  long a, b, c, d, e, f; // 48 bytes: a constant-size operator new
};

static unsigned long seed = 1;
static size_t size() { // 16..1008
  seed = seed * 6364136223846793005ull + 1442695040888963407ull;
  return 16 + ((seed >> 33) & 63) * 16;
}

typedef void (*loop_fn)(long);
#define LOOP(name, body)                                                                     \
  static void name(long n) {                                                                 \
    for (long i = 0; i < n; i++) {                                                           \
      body                                                                                   \
    }                                                                                        \
  }
LOOP(malloc_free, { void *p = malloc(size()); sink(p); free(p); })
LOOP(malloc_const_free, { void *p = malloc(48); sink(p); free(p); })
LOOP(calloc_free, { void *p = calloc(size() / 16, 16); sink(p); free(p); })
// realloc: the added cost of the realloc itself is this row minus malloc_free's.
LOOP(malloc_realloc_free, {
  void *p = malloc(size());
  sink(p);
  p = realloc(p, size());
  sink(p);
  free(p);
})
// (through a volatile: the optimizer makes realloc(NULL, n) a malloc)
static void *volatile null_block;
LOOP(realloc_null_free, { void *p = realloc(null_block, size()); sink(p); free(p); })
LOOP(aligned_alloc_free, { void *p = aligned_alloc(64, size()); sink(p); free(p); })
LOOP(posix_memalign_free, {
  void *p;
  if (posix_memalign(&p, 64, size())) abort();
  sink(p);
  free(p);
})
LOOP(memalign_free, { void *p = memalign(64, size()); sink(p); free(p); })
LOOP(new_delete_const, { Node *p = new Node; sink(p); delete p; })
LOOP(new_array_delete, { char *p = new char[size()]; sink(p); delete[] p; })
LOOP(new_nothrow_delete, { char *p = new (std::nothrow) char[size()]; sink(p); delete[] p; })

static const struct {
  const char *name;
  loop_fn fn;
} apis[] = {
    {"malloc", malloc_free},           {"malloc-const", malloc_const_free},
    {"calloc", calloc_free},           {"malloc-realloc", malloc_realloc_free},
    {"realloc-null", realloc_null_free}, {"aligned_alloc", aligned_alloc_free},
    {"posix_memalign", posix_memalign_free}, {"memalign", memalign_free},
    {"new-const", new_delete_const},   {"new[]", new_array_delete},
    {"new-nothrow[]", new_nothrow_delete},
};

int main(int argc, char **argv) {
  if (argc == 3)
    for (const auto &a : apis)
      if (!std::strcmp(a.name, argv[1])) {
        a.fn(std::atol(argv[2]));
        return 0;
      }
  std::fprintf(stderr, "usage: %s API ITERS; API:", argv[0]);
  for (const auto &a : apis)
    std::fprintf(stderr, " %s", a.name);
  std::fprintf(stderr, "\n");
  return 2;
}
