/* Entry points for strdup and strndup (and glibc's __strdup/__strndup, which the pass
 * sends here too).  The size is that of the copy: its length plus the NUL. */
#include <string.h>

#include "record.h"

MS_EXPORT char *__memscope_strdup(const char *s, struct __memscope_site *site) {
  char *p = ms_real_strdup(s);
  ms_on_alloc(site, strlen(p ? p : s) + 1, p);
  return p;
}

MS_EXPORT char *__memscope_strndup(const char *s, size_t n, struct __memscope_site *site) {
  char *p = ms_real_strndup(s, n);
  ms_on_alloc(site, (p ? strlen(p) : strnlen(s, n)) + 1, p);
  return p;
}
