/* Entry points for the C allocation functions the pass rewrites: the hot path.
 * Each calls the real function and reports to the recorder (record.h); errno is as the
 * real function left it. */
#include <stdint.h>

#include "record.h"

MS_EXPORT void *__memscope_malloc(size_t size, struct __memscope_site *site) {
  void *p = ms_real_malloc(size);
  ms_on_alloc(site, size, p);
  return p;
}

MS_EXPORT void *__memscope_calloc(size_t nmemb, size_t size, struct __memscope_site *site) {
  void *p = ms_real_calloc(nmemb, size);
  size_t bytes;
  if (__builtin_mul_overflow(nmemb, size, &bytes)) bytes = SIZE_MAX; /* failed anyway */
  ms_on_alloc(site, bytes, p);
  return p;
}

MS_EXPORT void *__memscope_realloc(void *ptr, size_t size, struct __memscope_site *site) {
  uint64_t begin = ms_begin_realloc(ptr);
  void *p = ms_real_realloc(ptr, size);
  ms_on_realloc(site, ptr, size, p, begin);
  return p;
}

MS_EXPORT void __memscope_free(void *ptr, struct __memscope_site *site) {
  ms_on_free(site, ptr);
  ms_real_free(ptr);
}
