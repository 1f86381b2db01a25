/* The clock's slow side (clock.h says why and how the counter becomes nanoseconds):
 * whether the TSC can be used, its calibration, and each new anchor.  A reader lands
 * here while calibrating (the first 10 ms) and once a period (1 ms of counter) for the
 * whole process: one clock_gettime pair and a division per millisecond. */
#include "internal.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

struct ms_clock ms_clock;

#define CALIBRATION_NS (10u * 1000u * 1000u) /* of clock_gettime before the rate is used */
#define PERIOD_NS (1000u * 1000u)             /* between anchors */
#define PAIR_MAX_TICKS 20000u /* a pair's bracket longer than this (preempted): not used */

/* The process's first pair: each rate is measured from it (the longer the base, the
 * smaller the share of one pair's error). */
static uint64_t start_tsc, start_ns;
static int updating; /* one thread takes the next anchor; the others read on */

/* CPUID 0x80000007 EDX bit 8, "invariant TSC": the counter runs at one rate in every
 * power state (Linux's constant_tsc and nonstop_tsc). */
static int tsc_invariant(void) {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return 0;
  if (!__get_cpuid(0x80000007u, &a, &b, &c, &d)) return 0;
  return (d >> 8) & 1;
#else
  return 0;
#endif
}

/* A counter reading and a clock_gettime after it, the closest of four tries: 0 when
 * each was interrupted.  The clock reading is taken at the counter's *start*, so that
 * f is ahead of clock_gettime by at most the bracket (~100-300 ns), never behind: a
 * time read on clock_gettime before an anchor never sorts after one read on f. */
static int take_pair(uint64_t *tsc, uint64_t *ns) {
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < 4; i++) {
    uint64_t t0 = ms_clock_ticks();
    uint64_t n = ms_clock_monotonic_ns();
    uint64_t t1 = ms_clock_ticks();
    if (t1 >= t0 && t1 - t0 < best) {
      best = t1 - t0;
      *tsc = t0;
      *ns = n;
    }
  }
  return best < PAIR_MAX_TICKS;
}

static void publish(uint32_t index, uint64_t tsc, uint64_t ns, uint64_t rate, int64_t corr) {
  struct ms_clock_anchor *a = &ms_clock.anchors[index];
  /* odd while written (already odd: a fork child of a writer) */
  uint32_t seq = __atomic_load_n(&a->seq, __ATOMIC_RELAXED) | 1u;
  __atomic_store_n(&a->seq, seq, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  __atomic_store_n(&a->tsc, tsc, __ATOMIC_RELAXED);
  __atomic_store_n(&a->ns, ns, __ATOMIC_RELAXED);
  __atomic_store_n(&a->rate, rate, __ATOMIC_RELAXED);
  __atomic_store_n(&a->corr, corr, __ATOMIC_RELAXED);
  __atomic_store_n(&a->seq, seq + 1, __ATOMIC_RELEASE);
  __atomic_store_n(&ms_clock.current, index, __ATOMIC_RELEASE);
}

/* ns per tick since the process's first pair, 32.32 */
static uint64_t rate_since_start(uint64_t tsc, uint64_t ns) {
  return (uint64_t)(((unsigned __int128)(ns - start_ns) << 32) / (tsc - start_tsc));
}

/* f on the current anchor, without the period's check (clock.h's ms_clock_read). */
static uint64_t read_current(void) {
  struct ms_clock_fields f = ms_clock_current();
  return ms_clock_convert(ms_clock_ticks(), f.tsc, f.ns, f.rate, f.corr, ms_clock.period);
}

/* The next anchor, on the current f at a fresh pair's counter, steering f towards the
 * pair's clock_gettime over the next period (by at most 1/1024 of the rate: ~1 us a
 * period; NTP slews CLOCK_MONOTONIC by 500 ppm at most). */
static void next_anchor(void) {
  uint64_t tsc, ns;
  if (!take_pair(&tsc, &ns) || tsc <= start_tsc) return; /* next reader tries again */
  uint32_t i = __atomic_load_n(&ms_clock.current, __ATOMIC_RELAXED);
  const struct ms_clock_anchor *a = &ms_clock.anchors[i]; /* we are its only writer */
  uint64_t period = ms_clock.period;
  uint64_t on_f = ms_clock_convert(tsc, a->tsc, a->ns, a->rate, a->corr, period);
  uint64_t rate = rate_since_start(tsc, ns);
  int64_t err = (int64_t)(ns - on_f);
  int64_t corr = (int64_t)(((__int128)err << 32) / (__int128)period);
  int64_t most = (int64_t)(rate >> 10);
  corr = corr > most ? most : corr < -most ? -most : corr;
  publish((i + 1) % MS_CLOCK_ANCHORS, tsc, on_f, rate, corr);
}

/* The first anchor, once CALIBRATION_NS have passed since the first pair. */
static void first_anchor(void) {
  uint64_t tsc, ns;
  if (!take_pair(&tsc, &ns) || tsc <= start_tsc) return;
  uint64_t rate = rate_since_start(tsc, ns);
  if (!rate) return;
  ms_clock.period = ((uint64_t)PERIOD_NS << 32) / rate;
  if (!ms_clock.period) return;
  publish(0, tsc, ns, rate, 0);
  __atomic_store_n(&ms_clock.state, MS_CLOCK_TSC, __ATOMIC_RELEASE);
}

uint64_t ms_clock_slow_ns(void) {
  int state = __atomic_load_n(&ms_clock.state, __ATOMIC_ACQUIRE);
  if (state == MS_CLOCK_MONOTONIC) return ms_clock_monotonic_ns();
  if (state == MS_CLOCK_CALIBRATING) {
    uint64_t now = ms_clock_monotonic_ns();
    uint64_t since = __atomic_load_n(&start_ns, __ATOMIC_ACQUIRE);
    if ((!since || now - since >= CALIBRATION_NS) &&
        !__atomic_exchange_n(&updating, 1, __ATOMIC_ACQUIRE)) {
      if (!start_ns) { /* every try at start was interrupted (a loaded machine, TSan) */
        uint64_t tsc, ns;
        if (take_pair(&tsc, &ns)) {
          start_tsc = tsc;
          __atomic_store_n(&start_ns, ns, __ATOMIC_RELEASE);
        }
      } else if (__atomic_load_n(&ms_clock.state, __ATOMIC_RELAXED) == MS_CLOCK_CALIBRATING) {
        first_anchor();
      }
      __atomic_store_n(&updating, 0, __ATOMIC_RELEASE);
    }
    return now;
  }
  if (!__atomic_exchange_n(&updating, 1, __ATOMIC_ACQUIRE)) {
    next_anchor();
    __atomic_store_n(&updating, 0, __ATOMIC_RELEASE);
  }
  return read_current();
}

void ms_clock_init(int force_monotonic) {
  if (force_monotonic || !tsc_invariant()) {
    __atomic_store_n(&ms_clock.state, MS_CLOCK_MONOTONIC, __ATOMIC_RELEASE);
    return;
  }
  /* (0: the first calibrating read takes the pair) */
  if (!take_pair(&start_tsc, &start_ns)) start_ns = 0;
  __atomic_store_n(&ms_clock.state, MS_CLOCK_CALIBRATING, __ATOMIC_RELEASE);
}

/* A thread of the parent may have been taking an anchor: nobody will finish it here. */
void ms_clock_fork_child(void) { __atomic_store_n(&updating, 0, __ATOMIC_RELAXED); }
