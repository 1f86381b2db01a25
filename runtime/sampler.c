/* Sampling decisions and the slow paths of record.h.
 *
 * The byte sampler puts sample points on the stream of allocated bytes as a Poisson
 * process of mean spacing R (MEMSCOPE_SAMPLE_INTERVAL): each thread counts down an
 * exponentially distributed number of bytes, and the allocation that crosses zero is
 * sampled.  An allocation of s bytes is then sampled with probability 1 - exp(-s/R),
 * independently of every other (memorylessness), and its event carries weight 1/p, so
 * weighted sums over samples are unbiased estimates of sums over all allocations.
 *
 * The tiered sampler (MEMSCOPE_SAMPLER=tiered) decides per allocation from its size
 * tier and how hot its site is on this thread; its samples carry 1/p the same way.
 * It draws a random number for every allocation, so every allocation takes this path. */
#include <math.h>
#include <stdatomic.h>

#include "full.h"
#include "record.h"

/* ---- random numbers -------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

static uint64_t next_random(uint64_t *state) { /* xorshift64* */
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in (0, 1]: never 0, so its log is finite. */
static double next_unit(uint64_t *state) {
  return (double)((next_random(state) >> 11) + 1) * (1.0 / 9007199254740992.0);
}

void ms_sampler_seed(struct ms_thread *t, uint64_t seed) {
  t->rng = splitmix64(seed);
  if (t->rng == 0) t->rng = 1; /* xorshift's one forbidden state */
  switch (ms_config.sampler) {
  case MS_SAMPLER_BYTES:
    t->sample_left = ms_sampler_next_interval(&t->rng, ms_config.sample_interval);
    break;
  default: /* every allocation reaches ms_sample_choose, which decides */
    t->sample_left = 0;
  }
}

/* The bytes to the next sample point, D ~ Exp(mean), rounded up: an allocation of s bytes
 * is sampled when s >= the countdown (record.h), that is when D <= s, with probability
 * 1 - exp(-s/mean) as its weight says (rounded down, the allocation right after a draw
 * was sampled as if one byte larger).  At least 1: 0 would mean "every allocation is
 * sampled" to the fast path. */
uint64_t ms_sampler_next_interval(uint64_t *rng, uint64_t mean) {
  double d = -log(next_unit(rng)) * (double)mean;
  return d >= 9.0e18 ? (uint64_t)INT64_MAX : d <= 1.0 ? 1 : (uint64_t)ceil(d);
}

double ms_sampler_probability(uint64_t size, uint64_t mean) {
  return -expm1(-(double)size / (double)mean);
}

/* Fixed size tiers (large >= 64 KiB always, medium >= 2 KiB at 50%, small at 1%),
 * boosted up to 10x for a site called more than 10 times on this thread. */
double ms_sampler_tiered_probability(uint64_t size, uint64_t site_calls) {
  double rate = size >= 65536 ? 1.0 : size >= 2048 ? 0.5 : 0.01;
  if (site_calls > 10) {
    double boost = (double)site_calls / 10.0;
    rate *= boost > 10.0 ? 10.0 : boost;
  }
  return rate > 1.0 ? 1.0 : rate;
}

/* ---- sampled events ---------------------------------------------------------------- */

/* Frames for a sample: MEMSCOPE_STACK_DEPTH, and for uninstrumented code at least
 * MS_UNINSTRUMENTED_STACK_DEPTH (its site says nothing about the caller). */
#define MS_UNINSTRUMENTED_STACK_DEPTH 32u
static uint32_t stack_depth(const struct __memscope_site *site) {
  uint32_t depth = ms_config.stack_depth;
  if ((site->flags & MS_SITE_FLAG_UNINSTRUMENTED) && depth < MS_UNINSTRUMENTED_STACK_DEPTH)
    depth = MS_UNINSTRUMENTED_STACK_DEPTH;
  return depth && ms_stacks_available() ? depth : 0;
}

uint64_t *ms_sample_stack_room(struct ms_thread *t, const struct __memscope_site *site,
                               uint32_t *depth) {
  *depth = stack_depth(site);
  return *depth ? ms_thread_stack_room(t, *depth) : NULL;
}

/* A site's slot in tables and EVENTS chunks (its index is the slot's byte offset). */
static uint32_t slot_of(const struct __memscope_site *site) {
  return site->index / (uint32_t)sizeof(struct ms_site_counter);
}

double ms_sample_choose(struct ms_thread *t, uint64_t *left, uint64_t site_calls,
                        uint64_t size) {
  switch (ms_config.sampler) {
  case MS_SAMPLER_ALL:
    *left = 0;
    return 1.0;
  case MS_SAMPLER_BYTES:
    if (size < *left) {
      *left -= size;
      return 0.0;
    }
    *left = ms_sampler_next_interval(&t->rng, ms_config.sample_interval);
    return 1.0 / ms_sampler_probability(size, ms_config.sample_interval);
  case MS_SAMPLER_TIERED: {
    *left = 0;
    double prob = ms_sampler_tiered_probability(size, site_calls);
    return next_unit(&t->rng) > prob ? 0.0 : 1.0 / prob;
  }
  }
  return 0.0;
}

/* ---- leaks mode: every block into the live-block table, no event ------------------ */

/* Leaks mode's record of an allocation (every one is "sampled", weight 1): the block,
 * its time from the coarse clock (a few ns; the fine one cost ~40 ns a call on the test
 * VM, 70% more time in all: docs/runtime.md) and its stack, kept until its free.
 * t->busy held: a shard lock is taken. */
static void leak_record(struct ms_thread *t, const struct __memscope_site *site,
                        uint64_t size, const void *p) {
  struct ms_leak b = {.ptr = (uintptr_t)p, .size = size, .site_id = site->id,
                      .ts = ms_os_coarse_ns(), .thread = t->rec->index};
  uint32_t depth = stack_depth(site);
  if (depth) {
    uint64_t frames[MS_STACK_ROOM];
    b.stack = ms_leak_stack_intern(frames, ms_stack_take(t, frames, depth));
  }
  ms_leaks_insert(&b);
}

void ms_leak_alloc(struct ms_thread *t, const struct __memscope_site *site, uint64_t size,
                   const void *p) {
  if (t->busy) return;
  t->busy = 1;
  leak_record(t, site, size, p);
  t->busy = 0;
}

/* p leaves the table, unless the thread is busy (a signal handler's free meanwhile). */
static void leak_remove(struct ms_thread *t, const void *p) {
  if (t->busy) return;
  t->busy = 1;
  ms_leaks_remove((uintptr_t)p);
  t->busy = 0;
}

int ms_leak_free(struct ms_thread *t, const void *p, uint64_t *calls) {
  if (ms_config.mode != MS_MODE_LEAKS) return 0;
  if (!p) return 1; /* not counted, not recorded */
  ++*calls;
  leak_remove(t, p);
  return 1;
}

/* A free that is not recorded (the thread does not record: finished, disabled) still
 * ends its block's life in leaks mode, or the block would be reported leaked. */
void ms_leak_forget(struct ms_thread *t, const void *p) {
  if (p && ms_config.mode == MS_MODE_LEAKS && ms_tracing()) leak_remove(t, p);
}

/* Recording is not reentrant: the slow paths below hold t->busy while they touch the
 * EVENTS chunk, and a call that comes in meanwhile (a signal handler's allocation) finds
 * the thread busy in ms_thread_ensure and is dropped and counted as dropped. */
int ms_sample_keep(struct ms_thread *t, const void *p, uint64_t size, double weight) {
  /* What the block stands for, kept with it so that its free (by any thread) can take it
   * back out of the live estimate.  Full mode keeps it too, for memscope_snapshot().
   * (A sample the full set cannot keep is skipped: without its free it would look
   * leaked.) */
  int kept = ms_live_insert(t, p, (int64_t)(weight * (double)size));
  return kept || ms_config.sampler == MS_SAMPLER_ALL;
}

void ms_sample_push(struct ms_thread *t, const struct __memscope_site *site, uint64_t size,
                    const void *p, uint64_t align, double weight, uint64_t ts,
                    uint32_t nstack) {
  struct ms_event ev = {.site_id = site->id, .slot = slot_of(site), .size = size,
                        .ptr = (uintptr_t)p, .ts = ts, .kind = MS_EV_ALLOC,
                        .weight = weight, .align = (uint32_t)align, .nstack = nstack,
                        .phase = atomic_load_explicit(&ms_current_phase, memory_order_relaxed)};
  ms_thread_push_event(t, &ev);
}

void ms_sample_record(struct ms_thread *t, const struct __memscope_site *site, uint64_t size,
                      const void *p, uint64_t align, double weight) {
  ms_sample_record_here(t, site, size, p, align, weight);
}

void ms_sample_free(struct ms_thread *t, const struct __memscope_site *site, const void *p,
                    uint64_t ts, const struct ms_realloc_old *o) {
  if (t->busy) return;
  t->busy = 1;
  if (ms_config.mode == MS_MODE_LEAKS) { /* a realloc's old block (ms_realloc_slow) */
    if (!(o && o->taken)) ms_leaks_remove((uintptr_t)p);
    t->busy = 0;
    return;
  }
  int was_sampled = o && o->taken ? o->had : ms_live_remove(t, p);
  if (ms_config.sampler == MS_SAMPLER_ALL || was_sampled) {
    struct ms_event ev = {.site_id = site->id, .slot = slot_of(site), .ptr = (uintptr_t)p,
                          .ts = ts, .kind = MS_EV_FREE, .weight = 1.0};
    ms_thread_push_event(t, &ev);
  }
  t->busy = 0;
}

/* An event pushed by a slow path, under t->busy (see ms_sample_record). */
static void push_guarded(struct ms_thread *t, const struct ms_event *ev) {
  if (t->busy) return;
  t->busy = 1;
  ms_thread_push_event(t, ev);
  t->busy = 0;
}

/* A size outside the site's range so far (or its first call: calls is already 1; or the
 * first of a session, whose range join_session emptied). */
void ms_count_widen(struct ms_site_counter *c, uint64_t size) {
  uint64_t hi = c->lo + c->span;
  if (c->calls == 1 || c->lo == MS_RANGE_EMPTY)
    c->lo = hi = size;
  else if (size < c->lo)
    c->lo = size;
  else
    hi = size;
  c->span = hi - c->lo;
}

/* ---- the slow paths of record.h ---------------------------------------------------- */

/* The sampling decision for a counted allocation that returned p (not NULL). */
static void decide(struct ms_thread *t, const struct __memscope_site *site, uint64_t size,
                   const void *p, uint64_t align) {
  if (ms_config.mode == MS_MODE_LEAKS) { /* every block, no sampling decision */
    ms_leak_alloc(t, site, size, p);
    return;
  }
  if (t->record_all) { /* every allocation an event (full.h) */
    ms_full_alloc(t, site, size, p, align);
    return;
  }
  if (t->busy) return;
  double weight = ms_sample_choose(t, &t->sample_left,
                                   ms_site_counter(t->counters_mem, site)->calls, size);
  if (weight > 0) ms_sample_record(t, site, size, p, align, weight);
}

void ms_record_failure(struct ms_thread *t, const struct __memscope_site *site,
                       uint64_t size, uint64_t align) {
  struct ms_event ev = {.site_id = site->id, .slot = slot_of(site), .size = size,
                        .ts = ms_os_now_ns(), .kind = MS_EV_ALLOC, .weight = 1.0,
                        .align = (uint32_t)align};
  push_guarded(t, &ev);
}

void ms_alloc_slow(const struct __memscope_site *site, uint64_t size, const void *p,
                   uint64_t align) {
  struct ms_thread *t = &ms_self;
  if (!ms_thread_ensure(t)) return;
  if (!p) { /* rare: recorded, not counted */
    ms_record_failure(t, site, size, align);
    return;
  }
  ms_count(ms_site_counter(t->counters_mem, site), size);
  decide(t, site, size, p, align);
}

void ms_free_count(struct ms_thread *t, const struct __memscope_site *site, const void *p,
                   uint64_t *calls) {
  if (t->record_all) { /* every free an event (full.h) */
    ms_full_free(t, site, p);
    return;
  }
  if (ms_leak_free(t, p, calls)) return;
  if (!p) { /* not counted; full mode records it */
    if (t->record_all) ms_sample_free(t, site, NULL, ms_os_before_ns(), NULL);
    return;
  }
  ++*calls;
  if (ms_maybe_sampled((uintptr_t)p)) ms_sample_free(t, site, p, ms_os_before_ns(), NULL);
}

void ms_free_slow(const struct __memscope_site *site, const void *p) {
  struct ms_thread *t = &ms_self;
  /* free(NULL) never sets a thread up: glibc's thread clean-up makes one after the
   * thread's destructors ran (and it is not counted anyway). */
  if (!p && !ms_thread_is_set_up(t)) return;
  if (ms_thread_ensure(t))
    ms_free_count(t, site, p, &ms_site_counter(t->counters_mem, site)->calls);
  else
    ms_leak_forget(t, p);
}

void ms_realloc_slow(const struct __memscope_site *site, const void *old, uint64_t size,
                     const void *p, uint64_t begin, const struct ms_realloc_old *o) {
  struct ms_thread *t = &ms_self;
  int released = ms_realloc_released(old, size, p);
  if (!ms_thread_ensure(t)) {
    if (!ms_realloc_settle_old(t, old, released, o) && released) ms_leak_forget(t, old);
    return;
  }
  if (t->record_all) { /* every realloc an event (full.h) */
    ms_full_realloc(t, site, old, size, p, begin, o);
    return;
  }
  if (p) ms_count(ms_site_counter(t->counters_mem, site), size);
  t->counters_mem[MS_SLOT_RELEASES].calls += (uint64_t)released;
  uint64_t now = ms_os_now_ns();
  ms_realloc_settle_old(t, old, released, o);
  if (begin && released) ms_sample_free(t, site, old, begin, o);
  if (p) {
    decide(t, site, size, p, 0);
    return;
  }
  /* A NULL result is always recorded, as an allocation that returned nothing. */
  struct ms_event ev = {.site_id = site->id, .slot = slot_of(site), .size = size, .ts = now,
                        .kind = MS_EV_ALLOC, .weight = 1.0};
  push_guarded(t, &ev);
}

/* Out of line, so that the entry points' fast paths need no stack frame. */
void *ms_malloc_slow(size_t size, const struct __memscope_site *site) {
  void *p = ms_real_malloc(size);
  ms_alloc_slow(site, size, p, 0);
  return p;
}

void *ms_widen_then_malloc(struct ms_site_counter *c, size_t size) {
  ms_count_widen(c, size);
  return ms_real_malloc(size);
}

void ms_free_slow_then_free(void *p, const struct __memscope_site *site) {
  ms_free_slow(site, p);
  ms_real_free(p);
}

void (*ms_realloc_test_hook)(const void *old);

void *ms_realloc_slow_call(void *old, size_t size, const struct __memscope_site *site) {
  uint64_t begin = ms_begin_realloc(old);
  struct ms_realloc_old o;
  void *p = ms_realloc_taking_old(&ms_self, old, size, &o);
  ms_realloc_slow(site, old, size, p, begin, &o);
  return p;
}
