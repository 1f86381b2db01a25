/* Inline sites: the thread-local blocks in which instrumented executables count malloc
 * and free without calling us (layout and fast paths: include/memscope/abi.h).
 *
 * A block is "armed" when its header lets calls through: sample_left > 0 (the bytes to
 * this module's next sample point) and free_mask = MS_FILTER_MASK (a free of a block
 * the filter does not flag is counted inline).  Only a thread that
 * records (set up, in the registry, joined to the session) has armed blocks; anything
 * else leaves them disarmed (header zero), so every call comes to the slow entries
 * below, which decide.  Full mode keeps them disarmed: every event is recorded.
 *
 * Counts stay in the block, growing from the thread's set-up on (never reset while it
 * lives: sessions subtract a base, thread.c); whoever writes a COUNTERS record reads
 * them (ms_inline_fold).  Only the owner writes its blocks; other threads only read
 * them, while the owner is alive (stop, exit, snapshots): the block of a thread for
 * module m is at its thread pointer plus m's offset, the same for every thread because
 * executables' TLS is static. */
#include <string.h>

#include "record.h"

struct inline_module {
  const struct __memscope_module *module;
  intptr_t tp_offset; /* block address - thread pointer */
};

/* Append-only, reserved once (address space only): readers on other threads never see
 * it move. 65536 modules (object files with inline sites) in one executable. */
#define MS_INLINE_MODULES_MAX 65536u
static struct inline_module *inline_modules;
static _Atomic uint32_t inline_count;

static inline struct __memscope_tls_header *block_of(uintptr_t tp, const struct inline_module *im) {
  return (struct __memscope_tls_header *)(tp + (uintptr_t)im->tp_offset);
}

void ms_inline_register(const struct __memscope_module *m) {
  if (!m->tls_block || m->tls_size < sizeof(struct __memscope_tls_header)) return;
  if (!inline_modules) {
    inline_modules = ms_os_reserve(MS_INLINE_MODULES_MAX * sizeof *inline_modules);
    if (!inline_modules) return; /* its blocks stay disarmed: calls take the slow path */
  }
  uint32_t n = atomic_load_explicit(&inline_count, memory_order_relaxed);
  if (n == MS_INLINE_MODULES_MAX) return;
  inline_modules[n].module = m;
  inline_modules[n].tp_offset = (intptr_t)((uintptr_t)m->tls_block() - ms_thread_pointer());
  atomic_store_explicit(&inline_count, n + 1, memory_order_release);
}

static uint32_t modules_registered(void) {
  return atomic_load_explicit(&inline_count, memory_order_acquire);
}

/* Arms one block of the calling thread for the session it has joined. */
static void arm(struct ms_thread *t, struct __memscope_tls_header *h) {
  if (t->record_all) return; /* full mode: every call is recorded, none is fast */
  h->free_mask = MS_FILTER_MASK;
  h->sample_left = ms_config.sampler == MS_SAMPLER_BYTES
                       ? ms_sampler_next_interval(&t->rng, ms_config.sample_interval)
                       : 0; /* the tiered sampler draws per allocation */
}

static void disarm(struct __memscope_tls_header *h) {
  h->sample_left = 0;
  h->free_mask = 0;
}

void ms_inline_reset_self(void) {
  uintptr_t tp = ms_thread_pointer();
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++)
    memset(block_of(tp, &inline_modules[i]), 0, inline_modules[i].module->tls_size);
}

void ms_inline_arm_self(struct ms_thread *t) {
  uintptr_t tp = ms_thread_pointer();
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++) arm(t, block_of(tp, &inline_modules[i]));
}

void ms_inline_disarm_self(void) {
  uintptr_t tp = ms_thread_pointer();
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++) disarm(block_of(tp, &inline_modules[i]));
}

/* Calls through every inline site of module i's block at tp: fn(site, slot). */
#define FOR_EACH_INLINE_SITE(tp, i, site, slot, body)                                          \
  do {                                                                                       \
    const struct __memscope_module *m_ = inline_modules[i].module;                           \
    char *block_ = (char *)block_of(tp, &inline_modules[i]);                                 \
    for (uint32_t s_ = 0; s_ < m_->nsites; s_++) {                                            \
      const struct __memscope_site *site = &m_->sites[s_];                                   \
      if (!site->tls_slot || site->tls_slot >= m_->tls_size || !site->index) continue;       \
      uint64_t *slot = (uint64_t *)(block_ + site->tls_slot);                                \
      body;                                                                                  \
    }                                                                                        \
  } while (0)

void ms_inline_reset_ranges_self(const struct ms_site_counter *base) {
  uintptr_t tp = ms_thread_pointer();
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++)
    FOR_EACH_INLINE_SITE(tp, i, site, slot, {
      uint64_t before = base ? ms_site_counter((struct ms_site_counter *)base, site)->calls : 0;
      if (site->api != MEMSCOPE_API_FREE && slot[0] && slot[0] == before) {
        slot[2] = MS_RANGE_EMPTY;
        slot[3] = 0;
      }
    });
}

/* Another thread's blocks may be read while it counts: each field is read whole. */
__attribute__((no_sanitize("thread"))) void ms_inline_fold(uintptr_t tp,
                                                           struct ms_site_counter *table) {
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++)
    FOR_EACH_INLINE_SITE(tp, i, site, slot, {
      struct ms_site_counter c = {.calls = __atomic_load_n(&slot[0], __ATOMIC_RELAXED)};
      if (site->api != MEMSCOPE_API_FREE) {
        c.bytes = __atomic_load_n(&slot[1], __ATOMIC_RELAXED);
        c.lo = __atomic_load_n(&slot[2], __ATOMIC_RELAXED);
        c.span = __atomic_load_n(&slot[3], __ATOMIC_RELAXED);
      }
      *ms_site_counter(table, site) = c;
    });
}

__attribute__((no_sanitize("thread"))) uint64_t ms_inline_calls(uintptr_t tp) {
  uint64_t calls = 0;
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++)
    FOR_EACH_INLINE_SITE(tp, i, site, slot, {
      (void)site;
      calls += __atomic_load_n(&slot[0], __ATOMIC_RELAXED);
    });
  return calls;
}

size_t ms_inline_tls_bytes(void) {
  size_t total = 0;
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++) total += (inline_modules[i].module->tls_size + 15u) & ~15u;
  return total;
}

/* ---- the slow entries of the inline fast paths --------------------------------------- */

/* Where a slow entry counts: the site's slot in the block, but in full mode the
 * thread's table.  Full mode keeps the blocks disarmed, so nothing counts in them but
 * a call that slipped through the fast path in the window above (a signal handler's):
 * those are not recorded, and are reported as dropped (ms_inline_calls). */
static struct ms_site_counter *slow_counter(struct ms_thread *t, const struct __memscope_site *site,
                                            void *block) {
  if (t->record_all) return ms_site_counter(t->counters_mem, site);
  return (struct ms_site_counter *)((char *)block + site->tls_slot);
}

/* The calling thread set up and recording, and h armed; 0 (h disarmed) when it does not
 * record. */
static int ready(struct ms_thread *t, struct __memscope_tls_header *h) {
  if (!ms_thread_ensure(t)) {
    disarm(h);
    return 0;
  }
  if (!h->free_mask) arm(t, h); /* a module registered after the thread joined */
  return 1;
}

MS_EXPORT void *__memscope_malloc_inline_slow(size_t size, struct __memscope_site *site,
                                              void *block) {
  struct __memscope_tls_header *h = block;
  struct ms_thread *t = &ms_self;
  h->sample_left += size; /* undo the fast path's subtraction */
  /* A signal handler that allocated between the fast path's subtraction and this undo
   * found the countdown wrapped around, went the fast way and took its size off too:
   * the countdown is wrapped still.  It starts again (this call is sampled). */
  if (h->sample_left > MS_SAMPLE_LEFT_MAX) h->sample_left = 0;
  if (!ready(t, h)) return ms_real_malloc(size);
  struct ms_site_counter *c = slow_counter(t, site, block);
  if (ms_config.mode == MS_MODE_LEAKS) { /* every block into the table, no decision */
    void *p = ms_real_malloc(size);
    if (!p) {
      ms_record_failure(t, site, size, 0);
      return NULL;
    }
    ms_count(c, size);
    ms_leak_alloc(t, site, size, p);
    return p;
  }
  double weight = ms_sample_choose(t, &h->sample_left, c->calls, size);
  void *p = ms_real_malloc(size);
  if (!p) {
    ms_record_failure(t, site, size, 0);
    return NULL;
  }
  ms_count(c, size);
  if (weight > 0) ms_sample_record(t, site, size, p, 0, weight);
  return p;
}

MS_EXPORT void __memscope_free_inline_slow(void *ptr, struct __memscope_site *site, void *block) {
  struct ms_thread *t = &ms_self;
  if (!ptr && !ms_thread_is_set_up(t)) return; /* as ms_free_slow: never set up by it */
  if (ready(t, block))
    ms_free_count(t, site, ptr, &slow_counter(t, site, block)->calls);
  else
    ms_leak_forget(t, ptr);
}

MS_EXPORT void __memscope_inline_widen(struct __memscope_tls_alloc *slot, uint64_t size) {
  ms_count_widen((struct ms_site_counter *)slot, size);
}
