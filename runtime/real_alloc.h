/* The allocator underneath the hooks: the one place that says which functions are "the
 * real ones".  With malloc interposed (interpose.c), calling `malloc` from here would
 * come back to us, so the real functions are pointers, resolved once by real_alloc.c.
 * There are two views of them:
 *  - ms_next, under our interposed functions: always the next definition after ours
 *    (dlsym(RTLD_NEXT): libc's, or whatever comes after the runtime);
 *  - ms_real, under the hooks of instrumented calls: the program's allocator.  When our
 *    malloc is the program's, the same as ms_next; otherwise whichever won (a program's
 *    own malloc, a preloaded allocator, or a wrapper such as heaptrack that forwards
 *    with dlsym(RTLD_NEXT) to... our interposed malloc, which must then pass the call
 *    on to ms_next, never back to the wrapper).
 * Until resolved both point at bootstrap functions that resolve and forward, so the hot
 * path never tests. */
#ifndef MEMSCOPE_RUNTIME_REAL_ALLOC_H
#define MEMSCOPE_RUNTIME_REAL_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

struct ms_real_fns {
  void *(*malloc)(size_t);
  void *(*calloc)(size_t, size_t);
  void *(*realloc)(void *, size_t);
  void (*free)(void *);
  void *(*aligned_alloc)(size_t, size_t);
  int (*posix_memalign)(void **, size_t, size_t);
  void *(*memalign)(size_t, size_t);
  void *(*valloc)(size_t);
  void *(*pvalloc)(size_t);
};
extern struct ms_real_fns ms_real __attribute__((visibility("hidden")));
extern struct ms_real_fns ms_next __attribute__((visibility("hidden")));

/* 1 when the program's malloc family is ours (interpose.c linked and first in the
 * lookup order): uninstrumented code is counted.  Otherwise our interposed functions
 * are reached only by a wrapper forwarding to them, and forward to ms_next uncounted.
 * Valid after ms_real_resolve(). */
extern int ms_interposing;
/* ms_interposing and MEMSCOPE_UNINSTRUMENTED=1 (the default): the interposed functions
 * count; otherwise they only forward.  Set once, at runtime init. */
extern int ms_uninstrumented_on;
void ms_real_resolve(void);

/* Blocks handed out while the real functions were being resolved (dlsym may allocate):
 * a static arena, never given back. */
int ms_real_is_bootstrap(const void *p);

static inline void *ms_real_malloc(size_t size) { return ms_real.malloc(size); }
static inline void *ms_real_calloc(size_t nmemb, size_t size) { return ms_real.calloc(nmemb, size); }
static inline void *ms_real_realloc(void *ptr, size_t size) { return ms_real.realloc(ptr, size); }
static inline void ms_real_free(void *ptr) { ms_real.free(ptr); }
static inline void *ms_real_aligned_alloc(size_t alignment, size_t size) {
  return ms_real.aligned_alloc(alignment, size);
}
static inline int ms_real_posix_memalign(void **memptr, size_t alignment, size_t size) {
  return ms_real.posix_memalign(memptr, alignment, size);
}
static inline void *ms_real_memalign(size_t alignment, size_t size) {
  return ms_real.memalign(alignment, size);
}
static inline void *ms_real_valloc(size_t size) { return ms_real.valloc(size); }
static inline void *ms_real_pvalloc(size_t size) { return ms_real.pvalloc(size); }
/* What our interposed functions call underneath (ms_next). */
static inline void *ms_next_malloc(size_t size) { return ms_next.malloc(size); }
static inline void *ms_next_calloc(size_t nmemb, size_t size) { return ms_next.calloc(nmemb, size); }
static inline void *ms_next_realloc(void *ptr, size_t size) { return ms_next.realloc(ptr, size); }
static inline void ms_next_free(void *ptr) { ms_next.free(ptr); }

/* The program's own mmap and munmap, as the mmap hooks forward them (hooks_mmap.c): the
 * program's system calls, made for it, so the raw symbols; the runtime's own mappings go
 * through os.c. */
static inline void *ms_real_mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset) {
  return mmap(addr, length, prot, flags, fd, (off_t)offset);
}
static inline int ms_real_munmap(void *addr, size_t length) { return munmap(addr, length); }

#endif
