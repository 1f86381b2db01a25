/* The allocator underneath the hooks.  This file is not compiled with the pass, so these
 * calls reach the program's malloc (libc's, or one the program links or preloads). */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

void *ms_real_malloc(size_t size) { return malloc(size); }
void *ms_real_calloc(size_t nmemb, size_t size) { return calloc(nmemb, size); }
void *ms_real_realloc(void *ptr, size_t size) { return realloc(ptr, size); }
void ms_real_free(void *ptr) { free(ptr); }
void *ms_real_reallocarray(void *ptr, size_t nmemb, size_t size) {
  return reallocarray(ptr, nmemb, size);
}
void *ms_real_aligned_alloc(size_t alignment, size_t size) {
  return aligned_alloc(alignment, size);
}
int ms_real_posix_memalign(void **memptr, size_t alignment, size_t size) {
  return posix_memalign(memptr, alignment, size);
}
void *ms_real_memalign(size_t alignment, size_t size) { return memalign(alignment, size); }
void *ms_real_valloc(size_t size) { return valloc(size); }
void *ms_real_pvalloc(size_t size) { return pvalloc(size); }
char *ms_real_strdup(const char *s) { return strdup(s); }
char *ms_real_strndup(const char *s, size_t n) { return strndup(s, n); }
void *ms_real_mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset) {
  return mmap(addr, length, prot, flags, fd, (off_t)offset);
}
int ms_real_munmap(void *addr, size_t length) { return munmap(addr, length); }
