/* Entry points that only report: the pass's C++ helpers call the real operator new or
 * delete themselves (in the instrumented module, so an exception from operator new
 * unwinds through compiled C++ code, never through this C runtime) and tell the
 * recorder around that call. */
#include "record.h"

/* After the allocation returned; p is NULL when a nothrow form failed. */
MS_EXPORT void __memscope_note_alloc(size_t size, const void *p, struct __memscope_site *site) {
  ms_on_alloc(site, size, p);
}

/* Before the block is released. */
MS_EXPORT void __memscope_note_free(const void *p, struct __memscope_site *site) {
  ms_on_free(site, p);
}
