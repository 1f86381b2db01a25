/* Entry points for mmap and munmap, recorded as their own kind of block (docs/pass.md):
 * every successful mapping, anonymous or backed by a file, is a block of `length`
 * bytes at its start address; munmap is a free of the address it is given.  A partial
 * munmap is recorded as a free of its start address: the whole mapping if that is where
 * it starts, an unmatched free otherwise. */
#include <sys/mman.h>

#include "record.h"

MS_EXPORT void *__memscope_mmap(void *addr, size_t length, int prot, int flags, int fd,
                                int64_t offset, struct __memscope_site *site) {
  void *p = ms_real_mmap(addr, length, prot, flags, fd, offset);
  ms_on_alloc(site, length, p == MAP_FAILED ? NULL : p);
  return p;
}

MS_EXPORT int __memscope_munmap(void *addr, size_t length, struct __memscope_site *site) {
  ms_on_free(site, addr);
  return ms_real_munmap(addr, length);
}
