/* Inline sites: the thread-local headers through which instrumented code counts malloc
 * and free in the thread's counter table without calling us (layout, the two forms and
 * the fast paths: include/memscope/abi.h).
 *
 * A header is "armed" when it lets calls through: counters pointing at the module's
 * part of the thread's table, sample_left > 0 (the bytes to this module's next sample
 * point) and disarmed = 0 (a free of a block the filter does not flag is counted
 * inline).  Only a thread that records (set up, in the registry, joined to the session)
 * has armed headers; anything else leaves them disarmed (sample_left 0, disarmed 1: its
 * frees read the filter's all-set half), so every call comes to the slow entries below,
 * which decide.  Full mode
 * keeps them disarmed: every event is recorded.
 *
 * The counts are the table's, so they need no copying: whatever reads a thread's table
 * (COUNTERS records, snapshots, session bases, the file after a kill) sees the inline
 * calls too.  Only the owner writes its headers.  A module's inline sites have
 * consecutive slots (sites.c), so one pointer per module and thread is enough; the
 * local-exec header of a thread for module m is at its thread pointer plus m's offset,
 * the same for every thread because executables' TLS is static.  The shared form's
 * header is ours, one per thread for every such module (shared libraries, -fPIC code),
 * armed with the table itself: each module adds its slot base, set once when it
 * registers (a plain global of the module: no TLS of its own, so a dlopen never needs
 * static TLS for it). */
#include <string.h>

#include "record.h"

/* Where disarmed headers point (abi.h): a store there is a call nobody asked to count
 * (a signal handler's, in the window abi.h describes).  Zero pages until written; as
 * large as a table, for a shared-form module's base (8 MiB of address space). */
MS_EXPORT struct __memscope_tls_alloc __memscope_inline_scratch[MEMSCOPE_TABLE_SLOTS];

/* The shared form's header (abi.h): initial-exec, the runtime being in the process from
 * its start or loaded with the library that needs it; the pass's initial value for the
 * local-exec ones (disarmed, at the scratch). */
MS_EXPORT __thread struct __memscope_tls_header __memscope_shared_tls __attribute__((
    tls_model("initial-exec"))) = {.sample_left = 0, .disarmed = 1, .counters = __memscope_inline_scratch};

/* Full mode keeps headers disarmed, but a signal handler's malloc in the window of
 * abi.h still takes a fast path: there the header points at the thread's shadow, a
 * reserve as large as the scratch, whose calls the thread record reports as dropped
 * (every local-exec module's slots overlap at its start: only their sum is wanted; a
 * shared-form module's are at its base). */
#define SHADOW_BYTES ((size_t)MEMSCOPE_TABLE_SLOTS * sizeof(struct ms_site_counter))
static _Atomic uint32_t largest_span; /* slots of the largest registered module */
static _Atomic uint8_t shared_registered; /* a shared-form module registered (its slots
                                           * are its own, anywhere in the shadow) */

struct inline_module {
  const struct __memscope_module *module;
  intptr_t tp_offset; /* header address - thread pointer */
  uint32_t delta;     /* counters = (char *)table + delta */
};

/* Append-only, reserved once (address space only): readers on other threads never see
 * it move. 65536 modules (object files with inline sites) in one executable. */
#define MS_INLINE_MODULES_MAX 65536u
static struct inline_module *inline_modules;
static _Atomic uint32_t inline_count;

static inline struct __memscope_tls_header *header_of(uintptr_t tp, const struct inline_module *im) {
  return (struct __memscope_tls_header *)(tp + (uintptr_t)im->tp_offset);
}

/* The shared form: a module with a slot base and no header of its own. */
static int shared_form(const struct __memscope_module *m) { return m->slot_base && !m->tls_block; }

uint32_t ms_inline_span(const struct __memscope_module *m) {
  if (!shared_form(m) && (!m->tls_block || m->tls_size < sizeof(struct __memscope_tls_header)))
    return 0;
  uint32_t span = 0;
  for (uint32_t i = 0; i < m->nsites; i++) {
    uint32_t slot = m->sites[i].tls_slot;
    if (!slot) continue;
    /* Not what the pass emits: better no inline site than counts in the wrong slot. */
    if (slot % sizeof(struct __memscope_tls_alloc) ||
        slot > MEMSCOPE_INLINE_SLOTS_MAX * sizeof(struct __memscope_tls_alloc))
      return 0;
    if (slot / sizeof(struct __memscope_tls_alloc) > span)
      span = slot / (uint32_t)sizeof(struct __memscope_tls_alloc);
  }
  return span;
}

int ms_inline_register(const struct __memscope_module *m, uint32_t delta) {
  if (shared_form(m)) { /* read by the module's code on every thread, without a fence */
    __atomic_store_n(m->slot_base, (int64_t)delta, __ATOMIC_RELAXED);
    atomic_store_explicit(&shared_registered, 1, memory_order_relaxed);
    return 1;
  }
  if (!inline_modules) {
    inline_modules = ms_os_reserve(MS_INLINE_MODULES_MAX * sizeof *inline_modules);
    if (!inline_modules) return 0;
  }
  uint32_t n = atomic_load_explicit(&inline_count, memory_order_relaxed);
  if (n == MS_INLINE_MODULES_MAX) return 0;
  inline_modules[n].module = m;
  inline_modules[n].tp_offset = (intptr_t)((uintptr_t)m->tls_block() - ms_thread_pointer());
  inline_modules[n].delta = delta;
  uint32_t span = ms_inline_span(m);
  if (span > atomic_load_explicit(&largest_span, memory_order_relaxed))
    atomic_store_explicit(&largest_span, span, memory_order_relaxed); /* (output lock held) */
  atomic_store_explicit(&inline_count, n + 1, memory_order_release);
  return 1;
}

static uint32_t modules_registered(void) {
  return atomic_load_explicit(&inline_count, memory_order_acquire);
}

/* Arms one header of the calling thread for the session it has joined.  The pointer
 * first: a signal handler between the stores must not find the header armed with the
 * scratch (or another table) behind it. */
static void arm(struct ms_thread *t, struct __memscope_tls_header *h, uint32_t delta) {
  /* A signal handler set the thread up in the window of abi.h, after its fast-path calls
   * there counted in the scratch: the countdown about to be drawn is the only sign. */
  if (MS_UNLIKELY(h->sample_left > MS_SAMPLE_LEFT_MAX)) ms_inline_window_taken(t);
  if (t->record_all) { /* full mode: every call is recorded, none is fast (above) */
    struct ms_thread_rec *r = t->rec;
    if (!r->inline_shadow) r->inline_shadow = ms_os_reserve(SHADOW_BYTES);
    if (r->inline_shadow) h->counters = (struct __memscope_tls_alloc *)r->inline_shadow;
    return; /* (releases_at stays 0: slot 0 of the shadow, which is not a call) */
  }
  h->counters = (struct __memscope_tls_alloc *)((char *)t->counters_mem + delta);
  /* A realloc's release is counted only through an armed header (its old block's filter
   * test fails while disarmed): set with counters, before disarmed. */
  h->releases_at = (int32_t)(MS_SLOT_RELEASES * sizeof(struct ms_site_counter)) - (int32_t)delta;
  atomic_signal_fence(memory_order_seq_cst);
  h->disarmed = 0;
  h->sample_left = ms_config.sampler == MS_SAMPLER_BYTES
                       ? ms_sampler_next_interval(&t->rng, ms_config.sample_interval)
                       : 0; /* the tiered sampler draws per allocation */
}

/* counters stays: the table lives as long as the thread's record (ms_inline_reset_self
 * when it goes). */
static void disarm(struct __memscope_tls_header *h) {
  if (MS_UNLIKELY(h->sample_left > MS_SAMPLE_LEFT_MAX)) ms_inline_window_taken(&ms_self);
  h->sample_left = 0;
  h->disarmed = 1;
}

void ms_inline_arm_self(struct ms_thread *t) {
  uintptr_t tp = ms_thread_pointer();
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++) arm(t, header_of(tp, &inline_modules[i]), inline_modules[i].delta);
  arm(t, &__memscope_shared_tls, 0);
}

void ms_inline_disarm_self(void) {
  uintptr_t tp = ms_thread_pointer();
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++) disarm(header_of(tp, &inline_modules[i]));
  disarm(&__memscope_shared_tls);
}

static void reset(struct __memscope_tls_header *h) {
  disarm(h);
  atomic_signal_fence(memory_order_seq_cst);
  h->counters = __memscope_inline_scratch;
  h->releases_at = 0;
}

void ms_inline_reset_self(void) {
  uintptr_t tp = ms_thread_pointer();
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++) reset(header_of(tp, &inline_modules[i]));
  reset(&__memscope_shared_tls);
}

/* Read while the owner may count: each field whole. */
__attribute__((no_sanitize("thread"))) uint64_t ms_inline_dropped(const struct ms_thread_rec *r) {
  if (!r->inline_shadow) return 0;
  uint64_t calls = 0;
  uint32_t span = atomic_load_explicit(&largest_span, memory_order_relaxed);
  uint32_t used = ms_sites_slots_in_use();
  if (atomic_load_explicit(&shared_registered, memory_order_relaxed) && used > span + 1)
    span = used - 1;
  for (uint32_t i = 1; i <= span; i++)
    calls += __atomic_load_n(&r->inline_shadow[i].calls, __ATOMIC_RELAXED);
  return calls;
}

/* The scratch's calls that some thread has reported dropped (only ever grows: the
 * scratch is never cleared, and a fork child inherits both). */
static _Atomic uint64_t scratch_claimed;

/* Read while other threads' windows may count there: each field whole.  Slot 0 is a
 * realloc's release through a header at the scratch (releases_at 0), not a call; a
 * shared-form module's slots are its sites' slots in the table, the local-exec ones'
 * overlap at its start (as in the shadow, above).  A pass over the slots in use: only
 * in a slow entry that found its countdown wrapped (inline_slow.c), which a window
 * leaves and nothing else does. */
__attribute__((no_sanitize("thread"))) uint64_t ms_inline_scratch_claim(void) {
  uint32_t span = atomic_load_explicit(&largest_span, memory_order_relaxed);
  uint32_t used = ms_sites_slots_in_use();
  if (atomic_load_explicit(&shared_registered, memory_order_relaxed) && used > span + 1)
    span = used - 1;
  uint64_t calls = 0;
  for (uint32_t i = 1; i <= span; i++)
    calls += __atomic_load_n(&__memscope_inline_scratch[i].calls, __ATOMIC_RELAXED);
  uint64_t seen = atomic_load_explicit(&scratch_claimed, memory_order_relaxed);
  while (calls > seen)
    if (atomic_compare_exchange_weak_explicit(&scratch_claimed, &seen, calls,
                                              memory_order_relaxed, memory_order_relaxed))
      return calls - seen;
  return 0;
}

/* The handler's fast-path calls in the window counted wherever the header pointed: an
 * armed header's table or full mode's shadow keeps them (counted, or reported by
 * ms_inline_dropped), the scratch (a thread not set up yet) keeps them from nobody, so
 * they are reported dropped here, on this thread (thread_setup moves its early drops to
 * its record).  A signal in a few instructions: never on a common path. */
__attribute__((noinline, cold)) void ms_inline_window_taken(struct ms_thread *t) {
  uint64_t calls = ms_inline_scratch_claim();
  if (calls && ms_tracing()) ms_thread_note_dropped_n(t, calls);
}

void ms_inline_rec_release(struct ms_thread_rec *r) {
  ms_os_unmap(r->inline_shadow, SHADOW_BYTES);
  r->inline_shadow = NULL;
}

void ms_inline_rec_clear(struct ms_thread_rec *r) { ms_os_discard(r->inline_shadow, SHADOW_BYTES); }

size_t ms_inline_tls_bytes(void) {
  size_t total = 0;
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++) total += (inline_modules[i].module->tls_size + 15u) & ~15u;
  return total;
}

/* The calling thread set up and recording, and h armed; 0 (h disarmed) when it does not
 * record.  A header still disarmed is one of a module registered after the thread
 * joined; one whose sites have no slot (the module did not fit in the table, sites.c)
 * stays disarmed, its calls all come to the slow entries (inline_slow.c). */
static __attribute__((noinline)) int ready_slow(struct ms_thread *t,
                                                struct __memscope_tls_header *h,
                                                const struct __memscope_site *site) {
  if (!ms_thread_ensure(t)) {
    disarm(h);
    return 0;
  }
  /* (full mode leaves h disarmed: once it points at the shadow, nothing is left to do) */
  if (h->disarmed && !(t->record_all && t->rec->inline_shadow &&
                       h->counters == (struct __memscope_tls_alloc *)t->rec->inline_shadow)) {
    if (h == &__memscope_shared_tls) /* the table itself: each module adds its base */
      arm(t, h, 0);
    else if (site->index)
      arm(t, h, site->index - site->tls_slot);
  }
  return 1;
}

/* Every slow entry's first step, every event of full mode: the common case (set up, in
 * the session, h as it stays) returns with no register saved, the rest goes to
 * ready_slow, which checks again from the start: ~10 instructions an event fewer. */
int ms_inline_ready(struct ms_thread *t, struct __memscope_tls_header *h,
                    const struct __memscope_site *site) {
  if (MS_LIKELY(ms_thread_ready(t)) &&
      (!h->disarmed || (t->record_all && t->rec->inline_shadow &&
                        h->counters == (struct __memscope_tls_alloc *)t->rec->inline_shadow)))
    return 1;
  return ready_slow(t, h, site);
}
