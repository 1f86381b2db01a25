/* Entry point for reallocarray: a realloc of nmemb * size bytes that fails (ENOMEM,
 * old block kept) instead of overflowing.  Checked here and sent to the real realloc:
 * glibc's reallocarray calls realloc, which interposition would count a second time. */
#include <errno.h>
#include <stdint.h>

#include "record.h"

MS_EXPORT void *__memscope_reallocarray(void *ptr, size_t nmemb, size_t size,
                                        struct __memscope_site *site) {
  return ms_hook_reallocarray(ptr, nmemb, size, site);
}
