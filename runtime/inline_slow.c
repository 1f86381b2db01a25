/* The slow entries of the inline fast paths (abi.h, "Inline sites"), and the jumps to
 * the allocator underneath that the kept calls go to.
 *
 * Every allocation's fast path took its size off the header's countdown before it
 * branched here (malloc, calloc, realloc: before the call; the aligned forms and
 * operator new: after it), so each entry first adds it back, then decides as the entry
 * points do (record.h), with one difference: an armed header's sample points are its own
 * countdown's (h->sample_left), so the allocation that reached one draws the next there.
 * A header left disarmed (full mode, a module without slots) keeps sample_left 0 and
 * its calls draw from the thread's own countdown, as at the entry points. */
#include "full.h"
#include "record.h"

/* Undoes the fast path's subtraction.  A signal handler that allocated between the
 * subtraction and this undo found the countdown wrapped around, went the fast way and
 * took its size off too: the countdown is wrapped still, and starts again (this call
 * is sampled).  No countdown is wrapped otherwise (they are drawn at most
 * MS_SAMPLE_LEFT_MAX), so that is how the window is seen (or by arm, inline_tls.c, when
 * the handler set the thread up meanwhile and drew a new countdown). */
static inline void give_back(struct ms_thread *t, struct __memscope_tls_header *h,
                             uint64_t size) {
  h->sample_left += size;
  if (MS_UNLIKELY(h->sample_left > MS_SAMPLE_LEFT_MAX)) {
    h->sample_left = 0;
    ms_inline_window_taken(t);
  }
}

/* The countdown an allocation through h draws from (above). */
static inline uint64_t *countdown_of(struct ms_thread *t, struct __memscope_tls_header *h) {
  return h->disarmed ? &t->sample_left : &h->sample_left;
}

/* An allocation the caller made (p NULL: it failed) on a thread that records: counted
 * and sampled like the entry points' (ms_alloc_slow), from h's countdown. */
static inline __attribute__((always_inline)) void note_alloc(
    struct ms_thread *t, struct __memscope_tls_header *h, const struct __memscope_site *site,
    uint64_t size, const void *p, uint64_t align) {
  if (!p) { /* recorded, not counted */
    ms_record_failure(t, site, size, align);
    return;
  }
  struct ms_site_counter *c = ms_site_counter(t->counters_mem, site);
  ms_count(c, size);
  if (ms_config.mode == MS_MODE_LEAKS) { /* every block into the table, no decision */
    ms_leak_alloc(t, site, size, p);
    return;
  }
  if (t->record_all) { /* every allocation an event (full.h) */
    ms_full_alloc_here(t, site, size, p, align);
    return;
  }
  if (t->busy) return;
  double weight = ms_sample_choose(t, countdown_of(t, h), c->calls, size);
  /* (here, not in ms_sample_record: libunwind starts from the entry's own frame) */
  if (weight > 0) ms_sample_record_here(t, site, size, p, align, weight);
}

MS_EXPORT void *__memscope_malloc_inline_slow(size_t size, struct __memscope_site *site,
                                              void *block) {
  struct __memscope_tls_header *h = block;
  struct ms_thread *t = &ms_self;
  give_back(t, h, size);
  void *p = ms_real_malloc(size);
  if (ms_inline_ready(t, h, site)) note_alloc(t, h, site, size, p, 0);
  return p;
}

MS_EXPORT void *__memscope_calloc_inline_slow(size_t nmemb, size_t size,
                                              struct __memscope_site *site, void *block) {
  struct __memscope_tls_header *h = block;
  struct ms_thread *t = &ms_self;
  size_t bytes;
  if (__builtin_mul_overflow(nmemb, size, &bytes)) bytes = SIZE_MAX; /* as the fast path */
  give_back(t, h, bytes);
  void *p = ms_real_calloc(nmemb, size);
  if (ms_inline_ready(t, h, site)) note_alloc(t, h, site, bytes, p, 0);
  return p;
}

MS_EXPORT void __memscope_alloc_inline_slow(size_t size, const void *p, size_t align,
                                            struct __memscope_site *site, void *block) {
  struct __memscope_tls_header *h = block;
  struct ms_thread *t = &ms_self;
  give_back(t, h, size);
  if (ms_inline_ready(t, h, site)) note_alloc(t, h, site, size, p, align);
}

/* A realloc the fast path declined: an old block that may be sampled, a size of 0 (it
 * frees the old block), a sample point, full mode.  As ms_realloc_slow_call, but an armed
 * header's sample point is decided from its countdown. */
MS_EXPORT void *__memscope_realloc_inline_slow(void *old, size_t size,
                                               struct __memscope_site *site, void *block) {
  struct __memscope_tls_header *h = block;
  struct ms_thread *t = &ms_self;
  give_back(t, h, size);
  if (!ms_inline_ready(t, h, site)) { /* as ms_realloc_slow's thread that does not record */
    struct ms_realloc_old o;
    void *p = ms_realloc_taking_old(t, old, size, &o);
    int released = ms_realloc_released(old, size, p);
    if (!ms_realloc_settle_old(t, old, released, &o) && released) ms_leak_forget(t, old);
    return p;
  }
  /* Full mode (every call an event): its lane, the session checked above already.
   * Leaks mode (no decision) and disarmed headers: the entry point's own slow path,
   * which draws from the thread's countdown. */
  if (t->record_all) return ms_full_realloc_call(t, old, size, site);
  if (h->disarmed || ms_config.mode == MS_MODE_LEAKS) return ms_realloc_slow_call(old, size, site);
  uint64_t begin = ms_begin_realloc(old);
  struct ms_realloc_old o;
  void *p = ms_realloc_taking_old(t, old, size, &o);
  int released = ms_realloc_released(old, size, p);
  t->counters_mem[MS_SLOT_RELEASES].calls += (uint64_t)released;
  ms_realloc_settle_old(t, old, released, &o);
  if (begin && released) ms_sample_free(t, site, old, begin, &o);
  note_alloc(t, h, site, size, p, 0); /* a NULL result: an allocation that returned nothing */
  return p;
}

MS_EXPORT void __memscope_free_inline_slow(void *ptr, struct __memscope_site *site, void *block) {
  struct ms_thread *t = &ms_self;
  /* (the fast path does not call for a free(NULL) of an armed header: nothing to count) */
  if (!ptr && !ms_thread_is_set_up(t)) return; /* as ms_free_slow: never set up by it */
  if (!ms_inline_ready(t, block, site))
    ms_leak_forget(t, ptr);
  else if (t->record_all) /* every free an event (full.h) */
    ms_full_free(t, site, ptr);
  else
    ms_free_count(t, site, ptr, &ms_site_counter(t->counters_mem, site)->calls);
}

MS_EXPORT void __memscope_inline_widen(struct __memscope_tls_alloc *slot, uint64_t size) {
  ms_count_widen((struct ms_site_counter *)slot, size);
}

/* The calls that inline sites keep (abi.h): straight to the real allocator.  On x86-64
 * those of more than one argument are written as the one jump they are: clang loads
 * such a tail call's pointer into a register first (`mov`, then `jmp *%rax`), an
 * instruction more on every kept call (gcc folds it, as clang does for malloc's). */
#if defined(__x86_64__)
#define MS_STR_(x) #x
#define MS_STR(x) MS_STR_(x)
#define MS_UNUSED __attribute__((unused)) /* (the jump passes them on) */
#define MS_REAL_JUMP(offset) __asm__("jmp *ms_real+" MS_STR(offset) "(%rip)")
_Static_assert(offsetof(struct ms_real_fns, calloc) == 8 &&
                   offsetof(struct ms_real_fns, realloc) == 16 &&
                   offsetof(struct ms_real_fns, aligned_alloc) == 32 &&
                   offsetof(struct ms_real_fns, posix_memalign) == 40 &&
                   offsetof(struct ms_real_fns, memalign) == 48,
               "the jumps below read ms_real at these offsets");
__attribute__((naked)) MS_EXPORT void *__memscope_real_calloc(size_t nmemb MS_UNUSED,
                                                              size_t size MS_UNUSED) {
  MS_REAL_JUMP(8);
}

__attribute__((naked)) MS_EXPORT void *__memscope_real_realloc(void *ptr MS_UNUSED,
                                                               size_t size MS_UNUSED) {
  MS_REAL_JUMP(16);
}

__attribute__((naked)) MS_EXPORT void *__memscope_real_aligned_alloc(size_t alignment MS_UNUSED,
                                                                     size_t size MS_UNUSED) {
  MS_REAL_JUMP(32);
}

__attribute__((naked)) MS_EXPORT int __memscope_real_posix_memalign(void **memptr MS_UNUSED,
                                                                    size_t alignment MS_UNUSED,
                                                                    size_t size MS_UNUSED) {
  MS_REAL_JUMP(40);
}

__attribute__((naked)) MS_EXPORT void *__memscope_real_memalign(size_t alignment MS_UNUSED,
                                                                size_t size MS_UNUSED) {
  MS_REAL_JUMP(48);
}
#else
MS_EXPORT void *__memscope_real_calloc(size_t nmemb, size_t size) {
  return ms_real_calloc(nmemb, size);
}

MS_EXPORT void *__memscope_real_realloc(void *ptr, size_t size) { return ms_real_realloc(ptr, size); }

MS_EXPORT void *__memscope_real_aligned_alloc(size_t alignment, size_t size) {
  return ms_real_aligned_alloc(alignment, size);
}

MS_EXPORT int __memscope_real_posix_memalign(void **memptr, size_t alignment, size_t size) {
  return ms_real_posix_memalign(memptr, alignment, size);
}

MS_EXPORT void *__memscope_real_memalign(size_t alignment, size_t size) {
  return ms_real_memalign(alignment, size);
}
#endif
