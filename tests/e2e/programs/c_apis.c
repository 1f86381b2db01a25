/* Every C allocation API the pass knows, each called a known number of times from its
 * own line (marked "site:NAME"), plus calls through function pointers and one call the
 * optimizer turns into calloc.  Built with -O2: every block escapes through `sink`, so
 * the optimizer keeps the calls.  tests/e2e/c_apis.sh checks the per-site counts. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void *volatile sink;
char *__strdup(const char *s);

struct allocator {
  void *(*alloc)(size_t);
  void (*release)(void *);
};
/* Addresses taken in an initializer: calls through them count at "std_ops". */
struct allocator std_ops = {malloc, free};
struct allocator pool; /* filled at run time by setup() */
struct allocator *volatile current = &std_ops;

__attribute__((noinline)) void setup(void) {
  pool.alloc = malloc; /* site:fp-alloc */
  pool.release = free; /* site:fp-release */
}

/* malloc + memset of the same size: the optimizer makes it one calloc, and that is
 * what the profile shows. */
__attribute__((noinline)) void *zeroed(size_t n) {
  void *p = malloc(n); /* site:malloc-memset */
  if (p) memset(p, 0, n);
  return p;
}

int main(void) {
  for (int i = 0; i < 100; i++) {
    void *p = malloc(16); /* site:malloc */
    sink = p;
    free(p); /* site:free-malloc */
  }
  for (int i = 0; i < 50; i++) {
    void *p = calloc(4, 8); /* site:calloc */
    sink = p;
    free(p); /* site:free-other */
  }
  for (int i = 0; i < 20; i++) {
    void *p = reallocarray(NULL, 10, 8); /* site:reallocarray */
    sink = p;
    free(p);
  }
  for (int i = 0; i < 30; i++) {
    void *p = aligned_alloc(64, 128); /* site:aligned_alloc */
    sink = p;
    free(p);
  }
  for (int i = 0; i < 25; i++) {
    void *p;
    if (posix_memalign(&p, 64, 256) == 0) /* site:posix_memalign */
      sink = p;
    free(p);
  }
  void *bad = NULL;
  int rc = posix_memalign(&bad, 3, 16); /* site:posix_memalign-einval */
  for (int i = 0; i < 15; i++) {
    void *p = memalign(32, 100); /* site:memalign */
    sink = p;
    free(p);
  }
  for (int i = 0; i < 12; i++) {
    void *p = valloc(200); /* site:valloc */
    sink = p;
    free(p);
  }
  for (int i = 0; i < 11; i++) {
    void *p = pvalloc(300); /* site:pvalloc */
    sink = p;
    free(p);
  }
  for (int i = 0; i < 40; i++) {
    char *s = strdup("hello memscope"); /* site:strdup */
    sink = s;
    free(s);
  }
  for (int i = 0; i < 35; i++) {
    char *s = strndup("abcdefghij", 4); /* site:strndup */
    sink = s;
    free(s);
  }
  for (int i = 0; i < 7; i++) {
    char *s = __strdup("glibc"); /* site:__strdup */
    sink = s;
    free(s);
  }
  for (int i = 0; i < 6; i++) {
    void *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* site:mmap */
    sink = m;
    munmap(m, 8192); /* site:munmap */
  }
  for (int i = 0; i < 9; i++) {
    void *z = zeroed(48);
    sink = z;
    free(z); /* site:free-zeroed */
  }
  setup();
  for (int i = 0; i < 13; i++) {
    void *p = pool.alloc(24);
    sink = p;
    pool.release(p);
  }
  for (int i = 0; i < 8; i++) {
    void *p = current->alloc(40);
    sink = p;
    current->release(p);
  }
  printf("c_apis: done, posix_memalign(align 3) = %d\n", rc);
  return 0;
}
