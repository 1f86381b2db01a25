/* The recorder: what every hook calls to report an allocation event.  This is the seam
 * between the entry points (hooks*.c for instrumented calls, interpose.c for the rest)
 * and how events are kept: hooks say what happened, these functions decide what it
 * costs.
 *
 * Fast path (a thread that is set up, in sampled mode, an allocation that does not
 * reach the next sample point, a free of a block that cannot be sampled): the site's
 * exact counters and the byte countdown, decided BEFORE the real call, so that the
 * entry point ends in a tail call to the allocator.  No lock, no atomic read-modify-
 * write, no syscall, no clock.  Everything else is a slow path (sampler.c), which calls
 * the allocator itself and then reports.
 *
 * Counting rule: `calls` counts the calls that returned a block (a NULL result is an
 * ALLOC event with ptr 0 instead) and frees of non-NULL pointers.  The one exception
 * is decided before the call: a request smaller than the distance to the next sample
 * point that then fails (only under real memory exhaustion) is counted.
 * Timestamp rule (docs/format.md): an allocation is timed after the allocator returned,
 * a free before it is called; a realloc frees its old block at begin (before). */
#ifndef MEMSCOPE_RUNTIME_RECORD_H
#define MEMSCOPE_RUNTIME_RECORD_H

#include <errno.h>

#include "internal.h"

/* ms_sample_record, with libunwind called from the frame this is inlined into: each
 * runtime frame between the program's call and that call costs the unwind ~80
 * instructions (internal.h, ms_stack_take).  t->busy is held from the live set to the
 * stored event, so that a signal handler's allocation meanwhile neither records nor
 * unwinds over this one's frames (it is dropped and counted, as any such re-entry). */
static inline __attribute__((always_inline)) void ms_sample_record_here(
    struct ms_thread *t, const struct __memscope_site *site, uint64_t size, const void *p,
    uint64_t align, double weight) {
  if (t->busy) return;
  t->busy = 1;
  if (ms_sample_keep(t, p, size, weight)) {
    uint64_t ts = ms_os_now_ns();
    uint32_t depth = 0, n = 0;
    uint64_t *room = ms_sample_stack_room(t, site, &depth);
    /* (an allocation by the unwinder is not recorded, and not unwound: busy) */
    if (room) n = ms_stack_take(t, room, depth);
    ms_sample_push(t, site, size, p, align, weight, ts, n);
  }
  t->busy = 0;
}

/* An allocation of `size` bytes about to be made: NULL when the caller must call the
 * allocator and then ms_alloc_slow(); else the site's counter, with the call and its
 * bytes counted, and the caller finishes with the size range: ms_count_widen() when
 * ms_out_of_range() (ms_hook_malloc below tail-calls ms_widen_then_malloc instead,
 * which widens and allocates).  `released` (0 or 1: a realloc of a non-NULL block) is
 * counted in the thread's MS_SLOT_RELEASES too: one add to the table held anyway. */
static inline struct ms_site_counter *ms_alloc_fast_releasing(
    const struct __memscope_site *site, uint64_t size, uint64_t released) {
  struct ms_thread *t = &ms_self;
  struct ms_site_counter *c = ms_thread_counters(t);
  if (MS_UNLIKELY(!c)) return NULL;
  uint64_t left = t->sample_left;
  if (MS_UNLIKELY(size >= left)) return NULL;
  t->sample_left = left - size;
  c[MS_SLOT_RELEASES].calls += released;
  c = ms_site_counter(c, site);
  c->calls++;
  c->bytes += size;
  return c;
}

/* Every allocation but a realloc's: with the constant 0 the add is compiled out, so
 * malloc, calloc and the rest are unchanged by it. */
static inline struct ms_site_counter *ms_alloc_fast(const struct __memscope_site *site,
                                                    uint64_t size) {
  return ms_alloc_fast_releasing(site, size, 0);
}

/* 1 when size is outside the range [lo, lo + span] seen so far at this counter: one
 * compare for both ends (a size below lo wraps around to a large difference). */
static inline int ms_out_of_range(const struct ms_site_counter *c, uint64_t size) {
  return MS_UNLIKELY(size - c->lo > c->span);
}

static inline void ms_count(struct ms_site_counter *c, uint64_t size) {
  c->calls++;
  c->bytes += size;
  if (ms_out_of_range(c, size)) ms_count_widen(c, size);
}

/* A free of p about to be made: 1 when counted and p cannot be a sampled block, 0 when
 * the caller must call ms_free_slow() first. */
static inline int ms_free_fast(const struct __memscope_site *site, const void *p) {
  struct ms_site_counter *c = ms_thread_counters(&ms_self);
  if (MS_UNLIKELY(!c || ms_maybe_sampled((uintptr_t)p))) return 0;
  ms_site_counter(c, site)->calls++;
  return 1;
}

/* ms_realloc_fast once the old block is known not to be sampled (interpose.c asks
 * first whether it is the runtime's own).  A non-NULL old block is counted as released
 * (MS_SLOT_RELEASES) with the call, both decided before it: a call that then fails
 * (only under real memory exhaustion) counts one block returned and one released, which
 * leaves the live blocks as they are, as the failure did. */
static inline struct ms_site_counter *ms_realloc_count_fast(const struct __memscope_site *site,
                                                            const void *old, uint64_t size) {
  if (!old) return ms_alloc_fast_releasing(site, size, 0); /* a malloc: releases nothing */
  /* realloc(p, 0) frees p and returns NULL (glibc): the slow path counts what it
   * returned, as full mode does, instead of a 0-byte allocation decided beforehand. */
  if (MS_UNLIKELY(size == 0)) return NULL;
  /* (two calls rather than `old != NULL`: the compiler keeps them apart, so the add is
   * one `incq` on this branch instead of a setne and an add on both) */
  return ms_alloc_fast_releasing(site, size, 1);
}

/* A realloc of old to `size` bytes about to be made: the fast path when neither the old
 * block may have been sampled nor the new one will be. */
static inline struct ms_site_counter *ms_realloc_fast(const struct __memscope_site *site,
                                                      const void *old, uint64_t size) {
  if (MS_UNLIKELY(old && ms_maybe_sampled((uintptr_t)old))) return NULL;
  return ms_realloc_count_fast(site, old, size);
}

/* Before a realloc-like call on the slow path: its time, read only when the event needs
 * it (full mode, or an old block that may have been sampled), 0 otherwise. */
static inline uint64_t ms_begin_realloc(const void *old) {
  return old && ms_maybe_sampled((uintptr_t)old) ? ms_os_before_ns() : 0;
}

/* For entry points that report after the call (aligned forms, C++ helpers, mmap):
 * a block of `size` bytes at p (NULL: the call failed), aligned to `align` (0: the
 * allocator's default). */
static inline void ms_on_alloc_aligned(const struct __memscope_site *site, uint64_t size,
                                       const void *p, uint64_t align) {
  struct ms_site_counter *c;
  if (MS_UNLIKELY(!p || !(c = ms_alloc_fast(site, size))))
    ms_alloc_slow(site, size, p, align);
  else if (ms_out_of_range(c, size))
    ms_count_widen(c, size);
}

static inline void ms_on_alloc(const struct __memscope_site *site, uint64_t size,
                               const void *p) {
  ms_on_alloc_aligned(site, size, p, 0);
}

/* p is about to be released (NULL: a no-op free). */
static inline void ms_on_free(const struct __memscope_site *site, const void *p) {
  if (MS_UNLIKELY(!ms_free_fast(site, p))) ms_free_slow(site, p);
}

/* The hot entry points' bodies, shared by the instrumented entry points (hooks.c) and
 * the interposed functions (interpose.c).  Out-of-line slow paths keep these frameless:
 * the fast path ends in a jump to the allocator. */
static inline void *ms_hook_malloc(size_t size, const struct __memscope_site *site) {
  struct ms_site_counter *c = ms_alloc_fast(site, size);
  if (MS_UNLIKELY(!c)) return ms_malloc_slow(size, site);
  if (ms_out_of_range(c, size)) return ms_widen_then_malloc(c, size);
  return ms_real_malloc(size);
}

static inline void ms_hook_free(void *ptr, const struct __memscope_site *site) {
  if (MS_LIKELY(ms_free_fast(site, ptr))) {
    ms_real_free(ptr);
    return;
  }
  ms_free_slow_then_free(ptr, site);
}

static inline void *ms_hook_calloc(size_t nmemb, size_t size, const struct __memscope_site *site) {
  size_t bytes;
  if (__builtin_mul_overflow(nmemb, size, &bytes)) bytes = SIZE_MAX; /* fails: slow path */
  struct ms_site_counter *c = ms_alloc_fast(site, bytes);
  if (MS_LIKELY(c)) {
    if (ms_out_of_range(c, bytes)) ms_count_widen(c, bytes);
    return ms_real_calloc(nmemb, size);
  }
  void *p = ms_real_calloc(nmemb, size);
  ms_alloc_slow(site, bytes, p, 0);
  return p;
}

static inline void *ms_hook_realloc(void *ptr, size_t size, const struct __memscope_site *site) {
  struct ms_site_counter *c = ms_realloc_fast(site, ptr, size);
  if (MS_UNLIKELY(!c)) return ms_realloc_slow_call(ptr, size, site);
  if (ms_out_of_range(c, size)) ms_count_widen(c, size);
  return ms_real_realloc(ptr, size);
}

static inline void *ms_hook_reallocarray(void *ptr, size_t nmemb, size_t size,
                                         const struct __memscope_site *site) {
  size_t bytes;
  if (__builtin_mul_overflow(nmemb, size, &bytes)) {
    errno = ENOMEM;
    ms_realloc_slow(site, ptr, SIZE_MAX, NULL, 0, NULL); /* recorded as a failure */
    return NULL;
  }
  return ms_hook_realloc(ptr, bytes, site);
}

#endif
