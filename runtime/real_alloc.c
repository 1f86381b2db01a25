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

/* The bootstrap functions: the pointers' values until ms_real_resolve() ran. */
static void *boot_malloc(size_t n) {
  if (resolving) return boot_take(n, 16);
  ms_real_resolve();
  return ms_real.malloc(n);
}
static void *boot_calloc(size_t n, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(n, size, &bytes)) {
    errno = ENOMEM;
    return NULL;
  }
  if (resolving) return boot_take(bytes, 16);
  ms_real_resolve();
  return ms_real.calloc(n, size);
}
static void *boot_realloc(void *p, size_t n) {
  if (resolving) {
    void *q = boot_take(n, 16);
    if (q && p) memcpy(q, p, n); /* p is from the arena too: reading past it is harmless */
    return q;
  }
  ms_real_resolve();
  return ms_real.realloc(p, n);
}
static void boot_free(void *p) {
  if (resolving || !p || ms_real_is_bootstrap(p)) return;
  ms_real_resolve();
  ms_real.free(p);
}
static void *boot_aligned_alloc(size_t align, size_t n) {
  if (resolving) return boot_take(n, align);
  ms_real_resolve();
  return ms_real.aligned_alloc(align, n);
}
static int boot_posix_memalign(void **out, size_t align, size_t n) {
  if (resolving) {
    void *p = boot_take(n, align);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
  }
  ms_real_resolve();
  return ms_real.posix_memalign(out, align, n);
}
static void *boot_memalign(size_t align, size_t n) {
  if (resolving) return boot_take(n, align);
  ms_real_resolve();
  return ms_real.memalign(align, n);
}
static void *boot_valloc(size_t n) {
  if (resolving) return boot_take(n, 4096);
  ms_real_resolve();
  return ms_real.valloc(n);
}
static void *boot_pvalloc(size_t n) {
  if (resolving) return boot_take((n + 4095) & ~(size_t)4095, 4096);
  ms_real_resolve();
  return ms_real.pvalloc(n);
}

struct ms_real_fns ms_real = {
    boot_malloc, boot_calloc, boot_realloc, boot_free, boot_aligned_alloc,
    boot_posix_memalign, boot_memalign, boot_valloc, boot_pvalloc,
};
int ms_interposing;
int ms_uninstrumented_on;

/* Our own malloc, when interpose.c is linked (weak: the static runtime may leave it
 * out, and a program's own malloc then wins). */
extern void *ms_interposed_malloc(size_t) __attribute__((weak));

/* For a C library without one of the aligned forms (musl has no pvalloc): built on
 * posix_memalign, which POSIX requires. */
static void *fallback_memalign(size_t align, size_t n) {
  void *p;
  if (align < sizeof(void *)) align = sizeof(void *);
  int rc = ms_real.posix_memalign(&p, align, n);
  if (rc) errno = rc;
  return rc ? NULL : p;
}
static void *fallback_valloc(size_t n) { return fallback_memalign(4096, n); }
static void *fallback_pvalloc(size_t n) { return fallback_memalign(4096, (n + 4095) & ~(size_t)4095); }

/* A missing function keeps `fallback` (with RTLD_NEXT, looking it up globally would find
 * our own again). */
#define RESOLVE(field, handle, fallback)                                                     \
  do {                                                                                       \
    void *f = dlsym(handle, #field);                                                         \
    if (!f) f = (void *)(fallback);                                                          \
    if (f) __atomic_store_n((void **)&ms_real.field, f, __ATOMIC_RELEASE);                  \
  } while (0)

void ms_real_resolve(void) {
  if (ms_real.malloc != boot_malloc || resolving) return;
  int saved_errno = errno;
  uint8_t was_busy = ms_self.busy;
  ms_self.busy = 1; /* what dlsym allocates is not the program's: not recorded */
  resolving = 1;
  void *winner = dlsym(RTLD_DEFAULT, "malloc");
  int ours = ms_interposed_malloc && winner == (void *)ms_interposed_malloc;
  void *handle = ours ? RTLD_NEXT : RTLD_DEFAULT;
  RESOLVE(posix_memalign, handle, NULL); /* first: the fallbacks use it */
  RESOLVE(calloc, handle, NULL);
  RESOLVE(realloc, handle, NULL);
  RESOLVE(free, handle, NULL);
  RESOLVE(aligned_alloc, handle, fallback_memalign);
  RESOLVE(memalign, handle, fallback_memalign);
  RESOLVE(valloc, handle, fallback_valloc);
  RESOLVE(pvalloc, handle, fallback_pvalloc);
  ms_interposing = ours;
  RESOLVE(malloc, handle, NULL); /* last: it is the "resolved" flag */
  resolving = 0;
  ms_self.busy = was_busy;
  errno = saved_errno;
}
