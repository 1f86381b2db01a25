/* The recorder: what every hook calls to report an allocation event.  This is the seam
 * between the entry points (hooks*.c, one per API family) and how events are kept
 * (thread.c): hooks say what happened, these functions decide what it costs.
 *
 * Timestamp rule (docs/format.md): call ms_on_alloc after the allocator returned and
 * ms_on_free before it is called; for a realloc, take ms_begin() before the call. */
#ifndef MEMSCOPE_RUNTIME_RECORD_H
#define MEMSCOPE_RUNTIME_RECORD_H

#include "internal.h"

static inline uint64_t ms_site_id(const struct __memscope_site *site) {
  return site ? site->id : 0;
}

/* Time before a call that frees and allocates (realloc-like). */
static inline uint64_t ms_begin(void) { return ms_now_ns(); }

/* A block of `size` bytes at p (NULL: the allocation failed). */
static inline void ms_on_alloc(const struct __memscope_site *site, uint64_t size,
                               const void *p) {
  struct ms_event ev = {.site_id = ms_site_id(site), .size = size, .ptr = (uintptr_t)p,
                        .ts = ms_now_ns(), .kind = MS_EV_ALLOC};
  ms_record(&ev);
}

/* p is about to be released (NULL: a no-op free). */
static inline void ms_on_free(const struct __memscope_site *site, const void *p) {
  struct ms_event ev = {.site_id = ms_site_id(site), .ptr = (uintptr_t)p, .ts = ms_now_ns(),
                        .kind = MS_EV_FREE};
  ms_record(&ev);
}

/* old was resized to `size` bytes at p; begin came from ms_begin() before the call. */
static inline void ms_on_realloc(const struct __memscope_site *site, const void *old,
                                 uint64_t size, const void *p, uint64_t begin) {
  uint64_t end = ms_now_ns();
  uint64_t took = end - begin;
  struct ms_event ev = {.site_id = ms_site_id(site), .size = size, .ptr = (uintptr_t)p,
                        .ts = end, .old_ptr = (uintptr_t)old, .kind = MS_EV_REALLOC,
                        .begin_delta = took > UINT32_MAX ? UINT32_MAX : (uint32_t)took};
  ms_record(&ev);
}

#endif
