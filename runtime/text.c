/* Building short strings in a fixed buffer without malloc or stdio (paths, warnings,
 * file names), safe in a signal handler (internal.h, "text.c"). */
#include <string.h>

#include "internal.h"

int ms_text_append_str(char *buf, size_t cap, size_t *pos, const char *s) {
  size_t n = strlen(s);
  if (*pos + n >= cap) return 0;
  memcpy(buf + *pos, s, n);
  *pos += n;
  buf[*pos] = 0;
  return 1;
}

int ms_text_append_u64(char *buf, size_t cap, size_t *pos, uint64_t v) {
  char digits[21];
  int i = 20;
  digits[i] = 0;
  do {
    digits[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return ms_text_append_str(buf, cap, pos, digits + i);
}
