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
 * Counts stay in the block until a flush copies them into the thread's counters table
 * (ms_inline_fold), where the COUNTERS record is encoded from.  Joining a session
 * zeroes them (the owner does it, in its slow path).  Other threads only read a block
 * (exit and stop snapshots) or disarm it (a session starting or stopping): the block of
 * thread t for module m is at t's thread pointer plus m's offset, the same for every
 * thread because executables' TLS is static. */
#include <string.h>
#include <sys/mman.h>

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

static inline uintptr_t thread_pointer(void) { return (uintptr_t)__builtin_thread_pointer(); }

static inline struct __memscope_tls_header *block_of(uintptr_t tp, const struct inline_module *im) {
  return (struct __memscope_tls_header *)(tp + (uintptr_t)im->tp_offset);
}

void ms_inline_register(const struct __memscope_module *m) {
  if (!m->tls_block || m->tls_size < sizeof(struct __memscope_tls_header)) return;
  if (!inline_modules) {
    void *p = mmap(NULL, MS_INLINE_MODULES_MAX * sizeof *inline_modules, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return; /* its blocks stay disarmed: calls take the slow path */
    inline_modules = p;
  }
  uint32_t n = atomic_load_explicit(&inline_count, memory_order_relaxed);
  if (n == MS_INLINE_MODULES_MAX) return;
  inline_modules[n].module = m;
  inline_modules[n].tp_offset = (intptr_t)((uintptr_t)m->tls_block() - thread_pointer());
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

void ms_inline_join(struct ms_thread *t) {
  t->tp = thread_pointer();
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++) {
    struct __memscope_tls_header *h = block_of(t->tp, &inline_modules[i]);
    memset(h, 0, inline_modules[i].module->tls_size);
    arm(t, h);
  }
}

void ms_inline_disarm_self(void) {
  uintptr_t tp = thread_pointer();
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++) disarm(block_of(tp, &inline_modules[i]));
}

/* Another thread's blocks, while it may be counting: a plain store of each header
 * field.  Should it race with the owner's own update of sample_left, the owner still
 * sees free_mask 0 on its next free. */
__attribute__((no_sanitize("thread"))) void ms_inline_disarm_thread(const struct ms_thread *t) {
  if (!t->tp) return;
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++) {
    struct __memscope_tls_header *h = block_of(t->tp, &inline_modules[i]);
    __atomic_store_n(&h->free_mask, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&h->sample_left, 0, __ATOMIC_RELAXED);
  }
}

/* Reads the counts of t's blocks into table (indexed as every counters table), or
 * adds them to *sums; on another thread a moment old at worst (each field is read
 * whole). */
__attribute__((no_sanitize("thread"))) void ms_inline_fold(const struct ms_thread *t,
                                                           struct ms_site_counter *table,
                                                           struct ms_inline_sums *sums) {
  if (!t->tp) return;
  uint32_t n = modules_registered();
  for (uint32_t i = 0; i < n; i++) {
    const struct __memscope_module *m = inline_modules[i].module;
    const char *block = (const char *)block_of(t->tp, &inline_modules[i]);
    for (uint32_t s = 0; s < m->nsites; s++) {
      const struct __memscope_site *site = &m->sites[s];
      if (!site->tls_slot || site->tls_slot >= m->tls_size || !site->index) continue;
      const uint64_t *slot = (const uint64_t *)(block + site->tls_slot);
      int is_free = site->api == MEMSCOPE_API_FREE;
      struct ms_site_counter c = {.calls = __atomic_load_n(&slot[0], __ATOMIC_RELAXED)};
      if (!is_free) {
        c.bytes = __atomic_load_n(&slot[1], __ATOMIC_RELAXED);
        c.lo = __atomic_load_n(&slot[2], __ATOMIC_RELAXED);
        c.span = __atomic_load_n(&slot[3], __ATOMIC_RELAXED);
      }
      if (table) *ms_site_counter(table, site) = c;
      if (sums && is_free) sums->frees += c.calls;
      if (sums && !is_free) {
        sums->allocations += c.calls;
        sums->bytes += c.bytes;
      }
    }
  }
}

/* ---- the slow entries of the inline fast paths --------------------------------------- */

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
  if (!ready(t, h)) return ms_real_malloc(size);
  struct ms_site_counter *c = (struct ms_site_counter *)((char *)block + site->tls_slot);
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
  if (ready(t, block)) ms_free_count(t, site, ptr, (uint64_t *)((char *)block + site->tls_slot));
}

MS_EXPORT void __memscope_inline_widen(struct __memscope_tls_alloc *slot, uint64_t size) {
  ms_count_widen((struct ms_site_counter *)slot, size);
}
