/* The runtime's clock (clock.c): CLOCK_MONOTONIC nanoseconds, read either through the
 * vDSO or, where the CPU's time-stamp counter is invariant (x86-64), from the counter
 * turned into the same nanoseconds by one process-wide piecewise-linear function.
 *
 * Why: full mode reads the clock for every event, and on a VM whose clocksource is not
 * the TSC (kvm-clock here) clock_gettime costs ~90 ns against ~18 ns for rdtsc.
 * Why one function for every thread: the merge orders events across threads by time
 * (a free on one thread before the allocation that reuses its address on another,
 * docs/format.md), so the conversion must be the same increasing function of the
 * counter everywhere; a per-thread anchor would let two threads disagree by its error.
 *
 * The function: f(tsc) = ns + (tsc - tsc0) * rate + min(tsc - tsc0, period) * corr, from
 * the current anchor (tsc0, ns, rate, corr).  Every `period` (1 ms) of counter, the first
 * thread that reads the clock takes a new anchor at its reading, on the old function
 * (so f stays continuous and increasing), with the rate measured since the process
 * started and a correction that steers f back onto clock_gettime over the next period
 * (at most 1/1024 of the rate).  Readers take an anchor by a sequence check, no store. */
#ifndef MEMSCOPE_RUNTIME_CLOCK_H
#define MEMSCOPE_RUNTIME_CLOCK_H

#include <stdint.h>
#include <time.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

enum ms_clock_state {
  MS_CLOCK_MONOTONIC = 0,   /* clock_gettime (not x86-64, no invariant TSC, MEMSCOPE_CLOCK) */
  MS_CLOCK_CALIBRATING = 1, /* clock_gettime until the TSC's rate is measured (10 ms) */
  MS_CLOCK_TSC = 2,         /* the counter through the current anchor */
};

struct ms_clock_anchor {
  uint32_t seq; /* odd while being written */
  uint64_t tsc, ns;
  uint64_t rate; /* ns per tick, 32.32 fixed point */
  int64_t corr;  /* ns per tick added over the first `period` ticks, 32.32 */
};
#define MS_CLOCK_ANCHORS 4
struct ms_clock {
  int state; /* enum ms_clock_state, read and written with __atomic builtins */
  uint32_t current; /* index into anchors */
  uint64_t period;          /* ticks between anchors */
  struct ms_clock_anchor anchors[MS_CLOCK_ANCHORS];
};
extern struct ms_clock ms_clock;

static inline uint64_t ms_clock_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The counter, read after every earlier instruction has completed (as the vDSO reads
 * it): an allocation's time is read after the allocator returned (docs/format.md). */
static inline uint64_t ms_clock_ticks(void) {
#if defined(__x86_64__)
  _mm_lfence();
  return __rdtsc();
#else
  return 0;
#endif
}
/* The counter with no fence, for a time read *before* the call it stamps (a free, a
 * realloc's start): rdtsc may run early but not late, since the call's stores become
 * visible only after it retires.  ~7 ns less on the test VM. */
static inline uint64_t ms_clock_ticks_early(void) {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return 0;
#endif
}

/* f(tsc) on anchor a (its fields read already). */
static inline uint64_t ms_clock_convert(uint64_t tsc, uint64_t a_tsc, uint64_t a_ns,
                                        uint64_t rate, int64_t corr, uint64_t period) {
  /* A counter behind the anchor (another CPU's, a few ticks off) reads as the anchor. */
  uint64_t d = tsc > a_tsc ? tsc - a_tsc : 0;
  uint64_t c = d < period ? d : period;
  return a_ns + (uint64_t)(((unsigned __int128)d * rate) >> 32) +
         (uint64_t)(int64_t)(((__int128)c * corr) >> 32);
}

uint64_t ms_clock_slow_ns(void); /* calibrating, or time for a new anchor */

/* The current anchor's fields, read whole: retried when a new anchor is being written
 * into the same slot under us (4 periods later; a sequence count, odd while written). */
struct ms_clock_fields {
  uint64_t tsc, ns, rate;
  int64_t corr;
};
static inline struct ms_clock_fields ms_clock_current(void) {
  for (;;) {
    uint32_t i = __atomic_load_n(&ms_clock.current, __ATOMIC_ACQUIRE);
    const struct ms_clock_anchor *a = &ms_clock.anchors[i];
    uint32_t seq = __atomic_load_n(&a->seq, __ATOMIC_ACQUIRE);
    struct ms_clock_fields f = {
        .tsc = __atomic_load_n(&a->tsc, __ATOMIC_RELAXED),
        .ns = __atomic_load_n(&a->ns, __ATOMIC_RELAXED),
        .rate = __atomic_load_n(&a->rate, __ATOMIC_RELAXED),
        .corr = __atomic_load_n(&a->corr, __ATOMIC_RELAXED)};
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__builtin_expect(!(seq & 1) && __atomic_load_n(&a->seq, __ATOMIC_RELAXED) == seq, 1))
      return f;
  }
}

static inline uint64_t ms_clock_read(int before) {
  /* (acquire: the first anchor and the period, published before the state, are seen) */
  if (__atomic_load_n(&ms_clock.state, __ATOMIC_ACQUIRE) != MS_CLOCK_TSC)
    return ms_clock_slow_ns();
  struct ms_clock_fields f = ms_clock_current();
  /* after the anchor: never behind it but by skew */
  uint64_t tsc = before ? ms_clock_ticks_early() : ms_clock_ticks();
  if (__builtin_expect(tsc - f.tsc >= ms_clock.period && tsc > f.tsc, 0))
    return ms_clock_slow_ns();
  return ms_clock_convert(tsc, f.tsc, f.ns, f.rate, f.corr, ms_clock.period);
}

/* A time read after what it stamps (an allocation's, and any other) */
static inline uint64_t ms_clock_now_ns(void) { return ms_clock_read(0); }
/* A time read before the call it stamps: a free's, a realloc's begin_ns */
static inline uint64_t ms_clock_before_ns(void) { return ms_clock_read(1); }

/* At start-up, after the settings (MEMSCOPE_CLOCK) are read; and in a fork child. */
void ms_clock_init(int force_monotonic);
void ms_clock_fork_child(void);

#endif
