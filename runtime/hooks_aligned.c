/* Entry points for the aligned and page-aligned allocators: aligned_alloc,
 * posix_memalign, memalign, valloc, pvalloc.  Each reports the size it was asked for
 * and the alignment it asked for (valloc and pvalloc: page alignment, recorded as the
 * default, 0, to keep sysconf off the hot path); errno is as the real function left it. */
#include "record.h"

MS_EXPORT void *__memscope_aligned_alloc(size_t alignment, size_t size,
                                         struct __memscope_site *site) {
  void *p = ms_real_aligned_alloc(alignment, size);
  ms_on_alloc_aligned(site, size, p, alignment);
  return p;
}

/* Returns an error number instead of setting errno, and leaves *memptr alone on
 * failure: a failure is reported as a NULL block. */
MS_EXPORT int __memscope_posix_memalign(void **memptr, size_t alignment, size_t size,
                                        struct __memscope_site *site) {
  int rc = ms_real_posix_memalign(memptr, alignment, size);
  ms_on_alloc_aligned(site, size, rc == 0 ? *memptr : NULL, alignment);
  return rc;
}

MS_EXPORT void *__memscope_memalign(size_t alignment, size_t size,
                                    struct __memscope_site *site) {
  void *p = ms_real_memalign(alignment, size);
  ms_on_alloc_aligned(site, size, p, alignment);
  return p;
}

MS_EXPORT void *__memscope_valloc(size_t size, struct __memscope_site *site) {
  void *p = ms_real_valloc(size);
  ms_on_alloc(site, size, p);
  return p;
}

/* pvalloc rounds the size up to whole pages; the request is what the program asked. */
MS_EXPORT void *__memscope_pvalloc(size_t size, struct __memscope_site *site) {
  void *p = ms_real_pvalloc(size);
  ms_on_alloc(site, size, p);
  return p;
}
