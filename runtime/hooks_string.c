/* Entry points for strdup and strndup (and glibc's __strdup/__strndup, which the pass
 * sends here too).  The size is that of the copy: its length plus the NUL.  The copy is
 * made here on the real malloc: libc's strdup calls malloc, which interposition would
 * count a second time. */
#include <string.h>

#include "record.h"

static char *copy(const char *s, size_t len, struct __memscope_site *site) {
  size_t size = len + 1;
  char *p = ms_hook_malloc(size, site);
  if (p) {
    memcpy(p, s, len);
    p[len] = 0;
  }
  return p;
}

MS_EXPORT char *__memscope_strdup(const char *s, struct __memscope_site *site) {
  return copy(s, strlen(s), site);
}

MS_EXPORT char *__memscope_strndup(const char *s, size_t n, struct __memscope_site *site) {
  return copy(s, strnlen(s, n), site);
}
