/* The allocator underneath the hooks: the one place that says which functions are "the
 * real ones" (interposition will point them at libc's own entry points).  Inline, so a
 * hook calls the allocator directly: no extra call on the hot path.  The runtime is not
 * compiled with the pass, so these calls reach the program's malloc (libc's, or one the
 * program links or preloads). */
#ifndef MEMSCOPE_RUNTIME_REAL_ALLOC_H
#define MEMSCOPE_RUNTIME_REAL_ALLOC_H

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static inline void *ms_real_malloc(size_t size) { return malloc(size); }
static inline void *ms_real_calloc(size_t nmemb, size_t size) { return calloc(nmemb, size); }
static inline void *ms_real_realloc(void *ptr, size_t size) { return realloc(ptr, size); }
static inline void ms_real_free(void *ptr) { free(ptr); }
static inline void *ms_real_reallocarray(void *ptr, size_t nmemb, size_t size) {
  return reallocarray(ptr, nmemb, size);
}
static inline void *ms_real_aligned_alloc(size_t alignment, size_t size) {
  return aligned_alloc(alignment, size);
}
static inline int ms_real_posix_memalign(void **memptr, size_t alignment, size_t size) {
  return posix_memalign(memptr, alignment, size);
}
static inline void *ms_real_memalign(size_t alignment, size_t size) {
  return memalign(alignment, size);
}
static inline void *ms_real_valloc(size_t size) { return valloc(size); }
static inline void *ms_real_pvalloc(size_t size) { return pvalloc(size); }
static inline char *ms_real_strdup(const char *s) { return strdup(s); }
static inline char *ms_real_strndup(const char *s, size_t n) { return strndup(s, n); }
static inline void *ms_real_mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset) {
  return mmap(addr, length, prot, flags, fd, (off_t)offset);
}
static inline int ms_real_munmap(void *addr, size_t length) { return munmap(addr, length); }

#endif
