/* Full mode's lane (MEMSCOPE_MODE=full): every call is an event, so the slow entries
 * (inline_slow.c) and the entry points' slow paths (sampler.c) go straight from the
 * count to the live set, the clock and the event, with none of the sampled path's
 * steps that full mode cannot need: no sampling decision, no weight, no event built
 * and then translated for the encoder, no second session check in a realloc.  The
 * guarantees are the sampled path's, unchanged: the call was announced and checked by
 * ms_thread_ensure (internal.h) before the allocator was called, t->busy is held from
 * the live set to the stored event (a signal handler's call meanwhile is dropped), and
 * the event goes into the thread's EVENTS chunk with `used` stored after it, so that a
 * kill loses no completed event; anything but the plain case (a new chunk, a stack, a
 * session that ended) is ms_thread_push_item's, out of line.
 * What it saves, callgrind on bench/mixed_loop without stacks: docs/runtime.md, "Full
 * mode's cost". */
#ifndef MEMSCOPE_RUNTIME_FULL_H
#define MEMSCOPE_RUNTIME_FULL_H

#include "internal.h"

/* e (no stack) stored in the thread's chunk, inline when it fits: the checks are
 * ms_thread_push_item's, the store its plain case. */
static inline void ms_full_push(struct ms_thread *t, struct ms_codec_event *e) {
  const uint32_t hdr = sizeof(struct ms_chunk_header);
  if (MS_UNLIKELY(!ms_tracing() || t->session != ms_session() || !t->ev_chunk ||
                  t->ev_used + MS_ITEM_EVENT_MAX > t->ev_size - hdr ||
                  t->ev_gen != atomic_load_explicit(&ms_output_gen, memory_order_relaxed))) {
    ms_thread_push_item(t, e, 0);
    return;
  }
  /* (a thread's times never step back: ms_thread_push_item says why) */
  uint64_t last = t->last_ts;
  if (MS_UNLIKELY(e->ts < last)) e->ts = last;
  if (MS_UNLIKELY(e->begin_ns < last)) e->begin_ns = last;
  t->last_ts = e->ts;
  uint8_t *base = t->ev_chunk + hdr;
  uint8_t *p = ms_encode_event(base + t->ev_used, &t->ev_state, e);
  t->ev_used = (uint32_t)(p - base);
  __atomic_store_n(&((struct ms_chunk_header *)t->ev_chunk)->used, t->ev_used, __ATOMIC_RELEASE);
  atomic_store_explicit(&t->rec->in_event, 0, memory_order_release); /* (set up: rec) */
}

/* A site's slot in tables and EVENTS chunks (its index is the slot's byte offset). */
static inline uint32_t ms_full_slot(const struct __memscope_site *site) {
  return site->index / (uint32_t)sizeof(struct ms_site_counter);
}

/* An allocation of p (not NULL), counted already, on a thread that records in full
 * mode: into the live set (memscope_snapshot()'s exact live bytes), then timed, its
 * stack taken from the frame this is inlined into (ms_stack_take), and stored. */
static inline __attribute__((always_inline)) void ms_full_alloc_here(
    struct ms_thread *t, const struct __memscope_site *site, uint64_t size, const void *p,
    uint64_t align) {
  if (t->busy) return;
  t->busy = 1;
  ms_live_insert(t, p, (int64_t)size);
  uint64_t ts = ms_os_now_ns();
  uint32_t n = 0;
  if (ms_config.stack_depth || (site->flags & MS_SITE_FLAG_UNINSTRUMENTED)) {
    uint32_t depth = 0;
    uint64_t *room = ms_sample_stack_room(t, site, &depth);
    /* (an allocation by the unwinder is not recorded, and not unwound: busy) */
    if (room) n = ms_stack_take(t, room, depth);
  }
  uint32_t phase = atomic_load_explicit(&ms_current_phase, memory_order_relaxed);
  struct ms_codec_event e = {.op = align || phase ? MS_ITEM_SAMPLE : MS_ITEM_ALLOC,
                             .slot = ms_full_slot(site), .size = size, .ptr = (uintptr_t)p,
                             .ts = ts, .begin_ns = ts, .weight = 1.0, .align = align,
                             .phase = phase};
  if (n)
    ms_thread_push_item(t, &e, n);
  else
    ms_full_push(t, &e);
  t->busy = 0;
}

/* The same out of line (sampler.c's slow paths: the unwind starts in its frame). */
void ms_full_alloc(struct ms_thread *t, const struct __memscope_site *site, uint64_t size,
                   const void *p, uint64_t align);
/* A free of p (NULL: recorded, not counted) at site, before it reaches the allocator. */
void ms_full_free(struct ms_thread *t, const struct __memscope_site *site, const void *p);
/* A realloc of old to size bytes that returned p (NULL: it failed, or freed old for a
 * size of 0), begun at `begin` (0: old was NULL); o: old taken out of the live set
 * before the call (ms_realloc_take_old), or NULL. */
void ms_full_realloc(struct ms_thread *t, const struct __memscope_site *site, const void *old,
                     uint64_t size, const void *p, uint64_t begin,
                     const struct ms_realloc_old *o);
/* The same making the call: ms_realloc_slow_call for a thread already checked. */
void *ms_full_realloc_call(struct ms_thread *t, void *old, size_t size,
                           const struct __memscope_site *site);

#endif
