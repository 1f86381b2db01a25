/* Full mode's lane, out of line (full.h says what it leaves out and why). */
#include "full.h"
#include "record.h"

void ms_full_alloc(struct ms_thread *t, const struct __memscope_site *site, uint64_t size,
                   const void *p, uint64_t align) {
  ms_full_alloc_here(t, site, size, p, align);
}

/* The time is read before the free reaches the allocator (docs/format.md), the block
 * leaves the live set before another thread can be given its address. */
void ms_full_free(struct ms_thread *t, const struct __memscope_site *site, const void *p) {
  uint64_t ts = ms_os_before_ns();
  if (p) ms_site_counter(t->counters_mem, site)->calls++; /* (free(NULL): not counted) */
  if (t->busy) return;
  t->busy = 1;
  if (p) ms_live_remove(t, p);
  struct ms_codec_event e = {.op = MS_ITEM_FREE, .slot = ms_full_slot(site),
                             .ptr = (uintptr_t)p, .ts = ts, .begin_ns = ts, .weight = 1.0};
  ms_full_push(t, &e);
  t->busy = 0;
}

void ms_full_realloc(struct ms_thread *t, const struct __memscope_site *site, const void *old,
                     uint64_t size, const void *p, uint64_t begin,
                     const struct ms_realloc_old *o) {
  if (p) ms_count(ms_site_counter(t->counters_mem, site), size);
  int released = ms_realloc_released(old, size, p);
  t->counters_mem[MS_SLOT_RELEASES].calls += (uint64_t)released;
  uint64_t now = ms_os_now_ns();
  /* (how long it took, saturated at the 32 bits ms_event carries elsewhere) */
  uint64_t took = begin && now > begin ? now - begin : 0;
  if (took > UINT32_MAX) took = UINT32_MAX;
  int taken = ms_realloc_settle_old(t, old, released, o);
  if (t->busy) return;
  t->busy = 1;
  /* the live bytes follow the block (memscope_snapshot) */
  if (released && !taken) ms_live_remove(t, old);
  if (p) ms_live_insert(t, p, (int64_t)size);
  struct ms_codec_event e = {.op = MS_ITEM_REALLOC, .slot = ms_full_slot(site), .size = size,
                             .ptr = (uintptr_t)p, .ts = now, .old_ptr = (uintptr_t)old,
                             .begin_ns = now - took, .weight = 1.0};
  ms_full_push(t, &e);
  t->busy = 0;
}

void *ms_full_realloc_call(struct ms_thread *t, void *old, size_t size,
                           const struct __memscope_site *site) {
  uint64_t begin = old ? ms_os_before_ns() : 0;
  struct ms_realloc_old o;
  void *p = ms_realloc_taking_old(t, old, size, &o);
  ms_full_realloc(t, site, old, size, p, begin, &o);
  return p;
}
