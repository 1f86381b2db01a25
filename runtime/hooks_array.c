/* Entry point for reallocarray: a realloc of nmemb * size bytes that fails (ENOMEM,
 * old block kept) instead of overflowing. */
#include <stdint.h>

#include "record.h"

MS_EXPORT void *__memscope_reallocarray(void *ptr, size_t nmemb, size_t size,
                                        struct __memscope_site *site) {
  uint64_t begin = ms_begin_realloc(ptr);
  void *p = ms_real_reallocarray(ptr, nmemb, size);
  size_t bytes;
  if (__builtin_mul_overflow(nmemb, size, &bytes)) bytes = SIZE_MAX; /* failed anyway */
  ms_on_realloc(site, ptr, bytes, p, begin);
  return p;
}
