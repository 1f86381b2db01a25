/* Entry points for the C allocation functions the pass rewrites: the hot path.
 * Each reports to the recorder (record.h) and calls the real function; errno is as the
 * real function left it. */
#include <stdint.h>

#include "record.h"

MS_EXPORT void *__memscope_malloc(size_t size, struct __memscope_site *site) {
  return ms_hook_malloc(size, site);
}

MS_EXPORT void *__memscope_calloc(size_t nmemb, size_t size, struct __memscope_site *site) {
  return ms_hook_calloc(nmemb, size, site);
}

MS_EXPORT void *__memscope_realloc(void *ptr, size_t size, struct __memscope_site *site) {
  return ms_hook_realloc(ptr, size, site);
}

MS_EXPORT void __memscope_free(void *ptr, struct __memscope_site *site) {
  ms_hook_free(ptr, site);
}

/* The calls that inline sites keep (abi.h): straight to the real allocator. */
MS_EXPORT void *__memscope_real_malloc(size_t size) { return ms_real_malloc(size); }

MS_EXPORT void __memscope_real_free(void *ptr) { ms_real_free(ptr); }
