/* Finding the real allocator (see real_alloc.h).
 *
 * dlsym may itself allocate (its error state), which would come back here through our
 * malloc before the real one is known: while this thread resolves, such requests get
 * memory from a static arena (64 KiB, never freed; in practice a few hundred bytes). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>

#include "internal.h"

#define BOOT_ARENA_BYTES (64u * 1024u)
static alignas(64) char boot_arena[BOOT_ARENA_BYTES];
static _Atomic size_t boot_used;
static __thread int resolving;

int ms_real_is_bootstrap(const void *p) {
  return (uintptr_t)p - (uintptr_t)boot_arena < BOOT_ARENA_BYTES;
}

static void *boot_take(size_t size, size_t align) {
  if (align < 16) align = 16;
  size_t at = atomic_load_explicit(&boot_used, memory_order_relaxed), start;
  do {
    start = (at + align - 1) & ~(align - 1);
    if (start > BOOT_ARENA_BYTES || size > BOOT_ARENA_BYTES - start) {
      errno = ENOMEM;
      return NULL;
    }
  } while (!atomic_compare_exchange_weak_explicit(&boot_used, &at, start + size,
                                                  memory_order_relaxed, memory_order_relaxed));
  return boot_arena + start; /* static storage: already zero */
}

/* The bootstrap functions: the pointers' values until ms_real_resolve() ran, one set per
 * table (each forwards through its own table once resolved). */
#define BOOT_FNS(pre, table)                                                                 \
  static void *pre##_malloc(size_t n) {                                                      \
    if (resolving) return boot_take(n, 16);                                                  \
    ms_real_resolve();                                                                       \
    return table.malloc(n);                                                                  \
  }                                                                                          \
  static void *pre##_calloc(size_t n, size_t size) {                                         \
    size_t bytes;                                                                            \
    if (__builtin_mul_overflow(n, size, &bytes)) {                                           \
      errno = ENOMEM;                                                                        \
      return NULL;                                                                           \
    }                                                                                        \
    if (resolving) return boot_take(bytes, 16);                                              \
    ms_real_resolve();                                                                       \
    return table.calloc(n, size);                                                            \
  }                                                                                          \
  static void *pre##_realloc(void *p, size_t n) {                                            \
    if (resolving) {                                                                         \
      void *q = boot_take(n, 16);                                                            \
      if (q && p) memcpy(q, p, n); /* p is from the arena too: reading past it is harmless */ \
      return q;                                                                              \
    }                                                                                        \
    ms_real_resolve();                                                                       \
    return table.realloc(p, n);                                                              \
  }                                                                                          \
  static void pre##_free(void *p) {                                                          \
    if (resolving || !p || ms_real_is_bootstrap(p)) return;                                  \
    ms_real_resolve();                                                                       \
    table.free(p);                                                                           \
  }                                                                                          \
  static void *pre##_aligned_alloc(size_t align, size_t n) {                                 \
    if (resolving) return boot_take(n, align);                                               \
    ms_real_resolve();                                                                       \
    return table.aligned_alloc(align, n);                                                    \
  }                                                                                          \
  static int pre##_posix_memalign(void **out, size_t align, size_t n) {                      \
    if (resolving) {                                                                         \
      void *p = boot_take(n, align);                                                         \
      if (!p) return ENOMEM;                                                                 \
      *out = p;                                                                              \
      return 0;                                                                              \
    }                                                                                        \
    ms_real_resolve();                                                                       \
    return table.posix_memalign(out, align, n);                                              \
  }                                                                                          \
  static void *pre##_memalign(size_t align, size_t n) {                                      \
    if (resolving) return boot_take(n, align);                                               \
    ms_real_resolve();                                                                       \
    return table.memalign(align, n);                                                         \
  }                                                                                          \
  static void *pre##_valloc(size_t n) {                                                      \
    if (resolving) return boot_take(n, 4096);                                                \
    ms_real_resolve();                                                                       \
    return table.valloc(n);                                                                  \
  }                                                                                          \
  static void *pre##_pvalloc(size_t n) {                                                     \
    if (resolving) return boot_take((n + 4095) & ~(size_t)4095, 4096);                       \
    ms_real_resolve();                                                                       \
    return table.pvalloc(n);                                                                 \
  }
#define BOOT_TABLE(pre)                                                                      \
  {pre##_malloc, pre##_calloc, pre##_realloc, pre##_free, pre##_aligned_alloc,               \
   pre##_posix_memalign, pre##_memalign, pre##_valloc, pre##_pvalloc}

BOOT_FNS(boot, ms_real)
BOOT_FNS(boot_next, ms_next)
struct ms_real_fns ms_real = BOOT_TABLE(boot);
struct ms_real_fns ms_next = BOOT_TABLE(boot_next);
int ms_interposing;
int ms_uninstrumented_on;

/* Our own malloc, when interpose.c is linked (weak: the static runtime may leave it
 * out, and a program's own malloc then wins). */
extern void *ms_interposed_malloc(size_t) __attribute__((weak));

/* For a C library without one of the aligned forms (musl has no pvalloc): built on
 * posix_memalign, which POSIX requires.  ms_next's: looked up globally (ms_real when a
 * foreign malloc won), a missing form finds our interposed one, which forwards there. */
static void *fallback_memalign(size_t align, size_t n) {
  void *p;
  if (align < sizeof(void *)) align = sizeof(void *);
  int rc = ms_next.posix_memalign(&p, align, n);
  if (rc) errno = rc;
  return rc ? NULL : p;
}
static void *fallback_valloc(size_t n) { return fallback_memalign(4096, n); }
static void *fallback_pvalloc(size_t n) { return fallback_memalign(4096, (n + 4095) & ~(size_t)4095); }

/* One table from `handle`; a missing function keeps `fallback` (with RTLD_NEXT, looking
 * it up globally would find our own again).  malloc last: it is the "resolved" flag. */
static void resolve_table(struct ms_real_fns *t, void *handle) {
#define RESOLVE(field, fallback)                                                             \
  do {                                                                                       \
    void *f = dlsym(handle, #field);                                                         \
    if (!f) f = (void *)(fallback);                                                          \
    if (f) __atomic_store_n((void **)&t->field, f, __ATOMIC_RELEASE);                       \
  } while (0)
  RESOLVE(posix_memalign, NULL); /* first: the fallbacks use it */
  RESOLVE(calloc, NULL);
  RESOLVE(realloc, NULL);
  RESOLVE(free, NULL);
  RESOLVE(aligned_alloc, fallback_memalign);
  RESOLVE(memalign, fallback_memalign);
  RESOLVE(valloc, fallback_valloc);
  RESOLVE(pvalloc, fallback_pvalloc);
  RESOLVE(malloc, NULL);
#undef RESOLVE
}

/* Resolves both tables, ms_next first (ms_real may be the same functions).  Another
 * thread may resolve at the same time: both store the same values. */
void ms_real_resolve(void) {
  if (ms_real.malloc != boot_malloc || resolving) return;
  int saved_errno = errno;
  uint8_t was_busy = ms_self.busy;
  ms_self.busy = 1; /* what dlsym allocates is not the program's: not recorded */
  resolving = 1;
  void *winner = dlsym(RTLD_DEFAULT, "malloc");
  int ours = ms_interposed_malloc && winner == (void *)ms_interposed_malloc;
  /* Without interpose.c (static runtime) nothing calls ms_next: the winner's functions. */
  resolve_table(&ms_next, ms_interposed_malloc ? RTLD_NEXT : RTLD_DEFAULT);
  ms_interposing = ours;
  /* A foreign winner (a wrapper that forwards to us, or an allocator that does not) gets
   * the instrumented calls, counted by the hooks: they reach us, if at all, through its
   * RTLD_NEXT, where ms_interposing = 0 sends them on to ms_next uncounted. */
  resolve_table(&ms_real, ours ? RTLD_NEXT : RTLD_DEFAULT);
  resolving = 0;
  ms_self.busy = was_busy;
  errno = saved_errno;
}
