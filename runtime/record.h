/* The recorder: what every hook calls to report an allocation event.  This is the seam
 * between the entry points (hooks*.c, one per API family) and how events are kept:
 * hooks say what happened, these functions decide what it costs.
 *
 * Fast path (a thread that is set up, in sampled mode): the site's exact counters, the
 * sampling countdown and, for a free, one load from the sampled-block filter.  No lock,
 * no atomic, no syscall, no clock.  Everything else goes through sampler.c.
 *
 * Timestamp rule (docs/format.md): call ms_on_alloc after the allocator returned and
 * ms_on_free before it is called; for a realloc, take ms_begin_realloc() before. */
#ifndef MEMSCOPE_RUNTIME_RECORD_H
#define MEMSCOPE_RUNTIME_RECORD_H

#include "internal.h"

static inline void ms_count(struct ms_site_counter *c, uint64_t size) {
  c->calls++;
  c->bytes += size;
  if (MS_UNLIKELY(size > c->max)) c->max = size;
  if (MS_UNLIKELY(~size > c->inv_min)) c->inv_min = ~size;
}

/* A block of `size` bytes at p (NULL: the allocation failed), aligned to `align`
 * (0: the allocator's default). */
static inline void ms_on_alloc_aligned(const struct __memscope_site *site, uint64_t size,
                                       const void *p, uint64_t align) {
  struct ms_thread *t = &ms_self;
  struct ms_site_counter *c = ms_thread_counters(t);
  if (MS_UNLIKELY(!c || !p)) {
    ms_alloc_slow(t, site, size, p, align);
    return;
  }
  ms_count(&c[site->index], size);
  t->sample_countdown -= (int64_t)size;
  if (MS_UNLIKELY(t->sample_countdown < 0)) ms_sample_alloc(t, site, size, p, align);
}

static inline void ms_on_alloc(const struct __memscope_site *site, uint64_t size,
                               const void *p) {
  ms_on_alloc_aligned(site, size, p, 0);
}

/* p is about to be released (NULL: a no-op free). */
static inline void ms_on_free(const struct __memscope_site *site, const void *p) {
  struct ms_thread *t = &ms_self;
  struct ms_site_counter *c = ms_thread_counters(t);
  if (MS_UNLIKELY(!c || !p)) { /* free(NULL) is not counted; full mode records it */
    ms_free_slow(t, site, p);
    return;
  }
  c[site->index].calls++;
  if (MS_UNLIKELY(ms_maybe_sampled((uintptr_t)p))) ms_sample_free_now(t, site, p);
}

/* Before a realloc-like call: its time, read only when the event needs it (full mode,
 * or an old block that may have been sampled), 0 otherwise. */
static inline uint64_t ms_begin_realloc(const void *old) {
  return old && ms_maybe_sampled((uintptr_t)old) ? ms_now_ns() : 0;
}

/* old was resized to `size` bytes at p; begin came from ms_begin_realloc(old).
 * In sampled mode this is a free of old (when released) plus an allocation of p. */
static inline void ms_on_realloc(const struct __memscope_site *site, const void *old,
                                 uint64_t size, const void *p, uint64_t begin) {
  struct ms_thread *t = &ms_self;
  struct ms_site_counter *c = ms_thread_counters(t);
  if (MS_UNLIKELY(!c || t->record_all || !p)) {
    ms_realloc_slow(t, site, old, size, p, begin);
    return;
  }
  ms_count(&c[site->index], size);
  if (MS_UNLIKELY(begin != 0)) ms_sample_free(t, site, old, begin);
  t->sample_countdown -= (int64_t)size;
  if (MS_UNLIKELY(t->sample_countdown < 0)) ms_sample_alloc(t, site, size, p, 0);
}

#endif
