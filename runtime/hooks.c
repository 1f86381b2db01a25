/* The entry points the pass rewrites allocation calls into: the hot path.
 *
 * Each calls the real function and records one event.  Full mode stamps every event
 * with the monotonic clock (vDSO, no syscall): allocations after the allocator
 * returned, frees before it is called, so a block's free never sorts after the reuse of
 * its address by another thread.  errno is as the real function left it. */
#include <stdint.h>

#include "internal.h"

static inline uint64_t site_id(const struct __memscope_site *site) {
  return site ? site->id : 0;
}

MS_EXPORT void *__memscope_malloc(size_t size, struct __memscope_site *site) {
  void *p = ms_real_malloc(size);
  struct ms_event ev = {.site_id = site_id(site), .size = size, .ptr = (uintptr_t)p,
                        .ts = ms_now_ns(), .kind = MS_EV_ALLOC};
  ms_record(&ev);
  return p;
}

MS_EXPORT void *__memscope_calloc(size_t nmemb, size_t size, struct __memscope_site *site) {
  void *p = ms_real_calloc(nmemb, size);
  size_t bytes;
  if (__builtin_mul_overflow(nmemb, size, &bytes)) bytes = SIZE_MAX; /* failed anyway */
  struct ms_event ev = {.site_id = site_id(site), .size = bytes, .ptr = (uintptr_t)p,
                        .ts = ms_now_ns(), .kind = MS_EV_ALLOC};
  ms_record(&ev);
  return p;
}

MS_EXPORT void *__memscope_realloc(void *ptr, size_t size, struct __memscope_site *site) {
  uint64_t begin = ms_now_ns();
  void *p = ms_real_realloc(ptr, size);
  uint64_t end = ms_now_ns();
  uint64_t took = end - begin;
  struct ms_event ev = {.site_id = site_id(site), .size = size, .ptr = (uintptr_t)p,
                        .ts = end, .old_ptr = (uintptr_t)ptr, .kind = MS_EV_REALLOC,
                        .begin_delta = took > UINT32_MAX ? UINT32_MAX : (uint32_t)took};
  ms_record(&ev);
  return p;
}

MS_EXPORT void __memscope_free(void *ptr, struct __memscope_site *site) {
  struct ms_event ev = {.site_id = site_id(site), .ptr = (uintptr_t)ptr, .ts = ms_now_ns(),
                        .kind = MS_EV_FREE};
  ms_record(&ev);
  ms_real_free(ptr);
}
