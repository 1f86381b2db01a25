/* Sampled mode (ctest runs this with MEMSCOPE_SAMPLE_INTERVAL=64K): the sampler's
 * distribution, the weights, the unbiased estimator on allocations made through the
 * real hooks, exact counters beside the samples, matching of sampled frees, the tiered
 * policy, and counters of threads still running at exit. */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "record_reader.h"

#define R 65536.0

static const struct __memscope_frame frame[] = {{"f", "s.c", 1, 1}};
static struct __memscope_site sites[] = {
    {.id = 0xA1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC},
    {.id = 0xF1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE},
    {.id = 0xB1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC},
    {.id = 0xC1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_REALLOC},
};
static struct __memscope_module module = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 4,
                                          .sites = sites, .name = "s.c"};
static char dir[64];

static void start(void) {
  ck_assert_int_eq(ms_config.mode, MS_MODE_SAMPLED);
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
}

static void finish_and_read(struct record_list *l) {
  ms_thread_exit(&ms_self);
  char path[256];
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  records_from_file(l, path);
  ck_assert_uint_eq(l->trailing_bytes, 0);
}

struct sample {
  uint64_t kind, site, size, ptr;
  double weight;
};
static size_t read_samples(const struct record_list *l, struct sample *out, size_t cap) {
  size_t n = 0;
  for (size_t i = 1; i < l->count; i++) {
    if (rec_type(&l->items[i]) != MS_REC_EVENTS) continue;
    const msgpack_object *list = rec_field(&l->items[i].data, MS_EVENTS_LIST);
    for (uint32_t k = 0; k < list->via.array.size; k++) {
      const msgpack_object *e = &list->via.array.ptr[k];
      ck_assert_uint_lt(n, cap);
      double w = e->via.array.size > MS_EV_WEIGHT ? rec_field(e, MS_EV_WEIGHT)->via.f64 : 1.0;
      out[n++] = (struct sample){rec_u64(e, MS_EV_KIND), rec_u64(e, MS_EV_SITE),
                                 rec_u64(e, MS_EV_SIZE), rec_u64(e, MS_EV_PTR), w};
    }
  }
  return n;
}

START_TEST(intervals_are_exponential_with_the_set_mean) {
  uint64_t rng = 12345;
  enum { N = 200000 };
  double sum = 0, sq = 0;
  int above_mean = 0, above_3 = 0;
  for (int i = 0; i < N; i++) {
    double x = (double)ms_sampler_next_interval(&rng, (uint64_t)R);
    ck_assert(x >= 0);
    sum += x, sq += x * x;
    above_mean += x > R;
    above_3 += x > 3 * R;
  }
  double mean = sum / N, var = sq / N - mean * mean;
  ck_assert_msg(fabs(mean / R - 1) < 0.01, "mean %f", mean);           /* se 0.22% */
  ck_assert_msg(fabs(var / (R * R) - 1) < 0.03, "variance ratio %f", var / (R * R));
  ck_assert_msg(fabs((double)above_mean / N - exp(-1)) < 0.005, "P(X>R)");
  ck_assert_msg(fabs((double)above_3 / N - exp(-3)) < 0.002, "P(X>3R)");
}
END_TEST

/* The countdown's rounding: mixed sizes at a small interval, the sampler's own decisions
 * weighted as the events are.  A countdown rounded down sampled the allocation after
 * each draw with probability 1 - exp(-(s+1)/R) but weighted it as 1 - exp(-s/R): the
 * 1-byte allocations between 4096-byte ones came out 1.7 times too many. */
START_TEST(mixed_sizes_at_a_small_interval_are_unbiased) {
  uint64_t saved = ms_config.sample_interval;
  ms_config.sample_interval = 4096;
  static struct ms_thread t;
  ms_sampler_seed(&t, 7);
  uint64_t left = t.sample_left;
  enum { PAIRS = 4000000 };
  static const uint64_t sizes[2] = {4096, 1};
  double est[2] = {0, 0}, var[2] = {0, 0};
  for (int i = 0; i < 2 * PAIRS; i++) {
    uint64_t size = sizes[i & 1];
    double w = ms_sample_choose(&t, &left, 0, size);
    if (w > 0) {
      est[i & 1] += w * (double)size;
      var[i & 1] += (w * w - w) * (double)size * (double)size;
    }
  }
  ms_config.sample_interval = saved;
  for (int k = 0; k < 2; k++) {
    double truth = (double)PAIRS * (double)sizes[k];
    ck_assert_msg(fabs(est[k] - truth) < 4 * sqrt(var[k]),
                  "%lu-byte allocations: estimated %.0f bytes, truly %.0f (ratio %.3f, se %.3f)",
                  (unsigned long)sizes[k], est[k], truth, est[k] / truth, sqrt(var[k]) / truth);
  }
}
END_TEST

START_TEST(probabilities_and_tiers) {
  ck_assert(fabs(ms_sampler_probability(65536, 65536) - (1 - exp(-1))) < 1e-12);
  ck_assert(fabs(ms_sampler_probability(1, 65536) * 65536 - 1) < 1e-4);
  ck_assert(ms_sampler_probability(100u << 20, 65536) == 1.0);
  ck_assert(ms_sampler_tiered_probability(100 << 10, 0) == 1.0);
  ck_assert(ms_sampler_tiered_probability(4096, 0) == 0.5);
  ck_assert(ms_sampler_tiered_probability(100, 0) == 0.01);
  ck_assert(fabs(ms_sampler_tiered_probability(100, 50) - 0.05) < 1e-12);
  ck_assert(fabs(ms_sampler_tiered_probability(100, 100000) - 0.1) < 1e-12);
}
END_TEST

/* 40,000 allocations through the hooks, two thirds freed: exact counters, and weighted
 * sums of the samples within 4 standard errors of the truth. */
START_TEST(estimates_are_unbiased_and_counters_exact) {
  ck_assert_uint_eq(ms_config.sample_interval, 65536); /* from MEMSCOPE_SAMPLE_INTERVAL=64K */
  start();
  enum { N = 40000 };
  static void *live[N];
  uint64_t total = 0, live_bytes = 0;
  for (int i = 0; i < N; i++) {
    size_t size = (size_t)(i * 37 % 2048) + 1;
    void *p = __memscope_malloc(size, &sites[0]);
    total += size;
    if (i % 3) {
      __memscope_free(p, &sites[1]);
    } else {
      live[i] = p;
      live_bytes += size;
    }
  }
  struct record_list l;
  finish_and_read(&l);
  uint64_t calls, bytes;
  site_totals(&l, 0xA1, &calls, &bytes);
  ck_assert_uint_eq(calls, N);
  ck_assert_uint_eq(bytes, total);
  site_totals(&l, 0xF1, &calls, &bytes);
  ck_assert_uint_eq(calls, N - (N + 2) / 3);

  static struct sample s[2 * N];
  size_t n = read_samples(&l, s, 2 * N);
  double est_total = 0, var_total = 0, est_live = 0, var_live = 0;
  size_t allocs = 0, frees = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i].kind == MS_EV_FREE) {
      frees++;
      continue;
    }
    ck_assert_uint_eq(s[i].kind, MS_EV_ALLOC);
    allocs++;
    double w = s[i].weight, x = (double)s[i].size;
    ck_assert(w >= 1.0);
    ck_assert(fabs(w - 1.0 / ms_sampler_probability(s[i].size, 65536)) < 1e-9 * w);
    est_total += w * x, var_total += (w * w - w) * x * x;
    int freed = 0; /* freed later by the same thread: a FREE of this pointer follows */
    for (size_t k = i + 1; k < n; k++)
      if (s[k].ptr == s[i].ptr) {
        freed = s[k].kind == MS_EV_FREE;
        break;
      }
    if (!freed) est_live += w * x, var_live += (w * w - w) * x * x;
  }
  /* About total/R = 625 samples (sd 25). */
  ck_assert_uint_gt(allocs, 500);
  ck_assert_uint_lt(allocs, 750);
  ck_assert_uint_le(frees, allocs);
  ck_assert_msg(fabs(est_total - (double)total) < 4 * sqrt(var_total), "total %f vs %lu",
                est_total, (unsigned long)total);
  ck_assert_msg(fabs(est_live - (double)live_bytes) < 4 * sqrt(var_live), "live %f vs %lu",
                est_live, (unsigned long)live_bytes);
  records_free(&l);
  for (int i = 0; i < N; i += 3) free(live[i]);
}
END_TEST

START_TEST(frees_of_sampled_blocks_are_matched_exactly) {
  start();
  enum { N = 3000 };
  static void *blocks[N];
  /* 640 KiB blocks are sampled with probability 1 - e^-10: almost all of them. */
  for (int i = 0; i < N; i++) blocks[i] = __memscope_malloc(640 << 10, &sites[2]);
  for (int i = 0; i < N; i++) {
    __memscope_free(blocks[i], &sites[1]);
    void *small = __memscope_malloc(8, &sites[0]); /* mostly unsampled */
    __memscope_free(small, &sites[1]);
  }
  struct record_list l;
  finish_and_read(&l);
  static struct sample s[4 * N];
  size_t n = read_samples(&l, s, 4 * N);
  size_t big_allocs = 0, frees = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i].kind == MS_EV_ALLOC && s[i].site == 0xB1) big_allocs++;
    if (s[i].kind != MS_EV_FREE) continue;
    frees++;
    int matched = 0; /* the most recent ALLOC of this address before it */
    for (size_t k = i; k-- > 0;)
      if (s[k].ptr == s[i].ptr) {
        matched = s[k].kind == MS_EV_ALLOC;
        break;
      }
    ck_assert_msg(matched, "FREE of %lx without a sampled allocation", (unsigned long)s[i].ptr);
  }
  size_t small_allocs = n - big_allocs - frees;
  ck_assert_uint_ge(big_allocs, N - 2);
  ck_assert_uint_eq(frees, big_allocs + small_allocs); /* every sampled block was freed */
  records_free(&l);
}
END_TEST

START_TEST(unsampled_allocations_write_no_events) {
  ms_config.sample_interval = 1ull << 50; /* before this thread is set up */
  start();
  for (int i = 0; i < 100000; i++) __memscope_free(__memscope_malloc(64, &sites[0]), &sites[1]);
  struct record_list l;
  finish_and_read(&l);
  static struct sample s[16];
  ck_assert_uint_eq(read_samples(&l, s, 16), 0);
  uint64_t calls, bytes;
  site_totals(&l, 0xA1, &calls, &bytes);
  ck_assert_uint_eq(calls, 100000);
  ck_assert_uint_eq(bytes, 6400000);
  records_free(&l);
}
END_TEST

START_TEST(tiered_policy_samples_large_blocks_always) {
  ms_config.sampler = MS_SAMPLER_TIERED; /* before this thread is set up */
  start();
  for (int i = 0; i < 100; i++) __memscope_free(__memscope_malloc(100 << 10, &sites[2]), &sites[1]);
  for (int i = 0; i < 20000; i++) __memscope_free(__memscope_malloc(16, &sites[0]), &sites[1]);
  struct record_list l;
  finish_and_read(&l);
  static struct sample s[50000];
  size_t n = read_samples(&l, s, 50000);
  size_t large = 0;
  double small_weighted = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i].kind != MS_EV_ALLOC) continue;
    if (s[i].site == 0xB1) {
      large++;
      ck_assert(s[i].weight == 1.0);
    } else {
      small_weighted += s[i].weight;
    }
  }
  ck_assert_uint_eq(large, 100);
  /* Small blocks: boosted to 10%, weight 10; ~2,000 samples estimate 20,000 calls. */
  ck_assert_msg(fabs(small_weighted - 20000) < 1500, "estimated %f", small_weighted);
  records_free(&l);
}
END_TEST

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int stage;
static void *busy_worker(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "still-running");
  for (int i = 0; i < 1000; i++) __memscope_free(__memscope_malloc(24, &sites[0]), &sites[1]);
  pthread_mutex_lock(&gate);
  stage = 1;
  pthread_cond_broadcast(&gate_cv);
  while (stage != 2) pthread_cond_wait(&gate_cv, &gate);
  pthread_mutex_unlock(&gate);
  return NULL;
}

START_TEST(counters_of_running_threads_are_written_at_exit) {
  start();
  pthread_t th;
  pthread_create(&th, NULL, busy_worker, NULL);
  pthread_mutex_lock(&gate);
  while (stage != 1) pthread_cond_wait(&gate_cv, &gate);
  pthread_mutex_unlock(&gate);
  ms_threads_lock(); /* what the exit path does */
  ms_output_lock();
  ms_threads_write_running_locked(0, 0);
  ms_output_unlock();
  ms_threads_unlock();
  struct record_list l;
  char path[256];
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  records_from_file(&l, path);
  /* no snapshot written: the running thread's table in the file is its count */
  for (size_t i = 1; i < l.written; i++) ck_assert_uint_ne(rec_type(&l.items[i]), MS_REC_COUNTERS);
  uint64_t calls, bytes;
  site_totals(&l, 0xA1, &calls, &bytes);
  ck_assert_uint_eq(calls, 1000);
  ck_assert_uint_eq(bytes, 24000);
  int named = 0;
  char name[32];
  for (size_t i = 1; i < l.count; i++)
    if (rec_type(&l.items[i]) == MS_REC_THREAD) {
      named += !strcmp(rec_str(&l.items[i].data, MS_THREAD_NAME, name, sizeof name),
                       "still-running");
      ck_assert_uint_eq(rec_u64(&l.items[i].data, MS_THREAD_END_NS), 0);
    }
  ck_assert_int_eq(named, 1);
  records_free(&l);
  pthread_mutex_lock(&gate);
  stage = 2;
  pthread_cond_broadcast(&gate_cv);
  pthread_mutex_unlock(&gate);
  pthread_join(th, NULL);
}
END_TEST

START_TEST(sampled_realloc_is_a_free_and_an_allocation) {
  start();
  char *a = __memscope_malloc(4 << 20, &sites[2]); /* p = 1 - e^-64: sampled */
  char *b = __memscope_realloc(a, 8 << 20, &sites[3]);
  __memscope_free(b, &sites[1]);
  struct record_list l;
  finish_and_read(&l);
  struct sample s[8];
  size_t n = read_samples(&l, s, 8);
  ck_assert_uint_eq(n, 4);
  ck_assert_uint_eq(s[0].kind, MS_EV_ALLOC);
  ck_assert_uint_eq(s[1].kind, MS_EV_FREE);
  ck_assert_uint_eq(s[1].ptr, (uintptr_t)a);
  ck_assert_uint_eq(s[1].site, 0xC1);
  ck_assert_uint_eq(s[2].kind, MS_EV_ALLOC);
  ck_assert_uint_eq(s[2].ptr, (uintptr_t)b);
  ck_assert_uint_eq(s[2].size, 8 << 20);
  ck_assert_uint_eq(s[3].kind, MS_EV_FREE);
  uint64_t calls, bytes;
  site_totals(&l, 0xC1, &calls, &bytes);
  ck_assert_uint_eq(calls, 1);
  ck_assert_uint_eq(bytes, 8 << 20);
  records_free(&l);
}
END_TEST

/* A realloc's old block leaves the set before the allocator sees the call, as a free's
 * does: once the call returns, another thread may be given that address and sample it,
 * and the old block's removal after the call took that thread's entry (or its weight).
 * The hook runs right after the allocator's realloc returned: the old block must be gone
 * from the set by then, and a block another thread keeps at that address meanwhile must
 * survive the realloc whole.  A realloc that fails leaves its old block kept. */
static int hook_had;
static int64_t hook_est;
static void take_over_old_address(const void *old) {
  hook_had = ms_sampled_remove((uintptr_t)old, &hook_est);
  ck_assert(ms_sampled_insert((uintptr_t)old, 12345)); /* "another thread's" block */
}
START_TEST(a_realloc_takes_its_old_block_out_before_the_call) {
  start();
  char *a = __memscope_malloc(4 << 20, &sites[2]); /* sampled (p = 1 - e^-64) */
  char *c = __memscope_malloc(4 << 20, &sites[2]); /* (now: never at a's address) */
  ck_assert(ms_maybe_sampled((uintptr_t)a));
  ms_realloc_test_hook = take_over_old_address;
  char *b = __memscope_realloc(a, 8 << 20, &sites[3]);
  ms_realloc_test_hook = NULL;
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_ne(a, b); /* (mmapped blocks: glibc moves them) */
  ck_assert_int_eq(hook_had, 0);
  int64_t est;
  ck_assert(ms_sampled_remove((uintptr_t)a, &est)); /* the other block, untouched */
  ck_assert_int_eq(est, 12345);
  ck_assert(!ms_sampled_remove((uintptr_t)a, &est)); /* and no second entry */
  /* A failed realloc: the old block stays in the set, with its weight. */
  int64_t c_est;
  ck_assert(ms_sampled_remove((uintptr_t)c, &c_est));
  ck_assert(ms_sampled_insert((uintptr_t)c, c_est));
  ck_assert_ptr_null(__memscope_realloc(c, (size_t)1 << 62, &sites[3]));
  ck_assert(ms_sampled_remove((uintptr_t)c, &est));
  ck_assert_int_eq(est, c_est);
  ck_assert(!ms_sampled_remove((uintptr_t)c, &est));
  ck_assert(ms_sampled_insert((uintptr_t)c, c_est));
  __memscope_free(c, &sites[1]);
  __memscope_free(b, &sites[1]);
  struct record_list l;
  finish_and_read(&l);
  struct sample s[16];
  size_t n = read_samples(&l, s, 16), frees_of_a = 0, frees_of_c = 0;
  for (size_t i = 0; i < n; i++) {
    frees_of_a += s[i].kind == MS_EV_FREE && s[i].ptr == (uintptr_t)a;
    frees_of_c += s[i].kind == MS_EV_FREE && s[i].ptr == (uintptr_t)c;
  }
  ck_assert_uint_eq(frees_of_a, 1); /* the realloc's release of a */
  ck_assert_uint_eq(frees_of_c, 1); /* c's free, not the failed realloc */
  records_free(&l);
}
END_TEST

/* The exact table at this interval (64 KiB): a slot covers 4 KiB of address, so blocks
 * in one 4 KiB granule share a home slot and probe past each other.  Each must still be
 * kept, found with its own weight, found once, and only when it was kept. */
START_TEST(blocks_sharing_a_slot_are_kept_apart) {
  ck_assert_uint_eq(ms_sampled_set_slot_bytes(), 4096);
  const uintptr_t base = (uintptr_t)0x5a5a12340000ull; /* no block lives there */
  enum { PER_GRANULE = 16, GRANULES = 4 }; /* far denser than 1 in 64 KiB */
  for (uintptr_t g = 0; g < GRANULES; g++)
    for (uintptr_t i = 0; i < PER_GRANULE; i++)
      ck_assert(ms_sampled_insert(base + g * 4096 + i * 16, (int64_t)(g * 1000 + i + 1)));
  ck_assert(ms_maybe_sampled(base));
  int64_t est = -1;
  ck_assert(!ms_sampled_remove(base + 8, &est)); /* never inserted: between two */
  ck_assert_int_eq(est, 0);
  ck_assert(!ms_sampled_remove(base + GRANULES * 4096, &est)); /* the next granule */
  for (uintptr_t g = 0; g < GRANULES; g++)
    for (uintptr_t i = PER_GRANULE; i-- > 0;) { /* the other way round: past tombstones */
      ck_assert(ms_sampled_remove(base + g * 4096 + i * 16, &est));
      ck_assert_int_eq(est, (int64_t)(g * 1000 + i + 1));
      ck_assert(!ms_sampled_remove(base + g * 4096 + i * 16, &est)); /* once only */
    }
  ck_assert(!ms_maybe_sampled(base)); /* the filter's counts went back to zero */
  /* the tombstones left behind take new blocks */
  ck_assert(ms_sampled_insert(base + 16, 7));
  ck_assert(ms_sampled_remove(base + 16, &est));
  ck_assert_int_eq(est, 7);
}
END_TEST

/* A new thread's first unwinds (step by step, then with libunwind's trace cache empty):
 * the capture blocks every signal once, libunwind's own sigprocmask calls come to the
 * runtime and do nothing, and the thread's mask is its own again afterwards.  A thread is
 * warm (libunwind masks for itself again) only after a trace-cache capture that made
 * fewer than 4 such calls: frames the trace cache cannot keep (here 4 of this test's) cost
 * libunwind 2 calls each on every unwind, and the capture's 2 are then fewer. */
struct cold_unwind {
  uint32_t frames, calls_first, calls_last, saved_left, usr1_blocked, usr2_blocked, warm;
};
static void *cold_unwind_thread(void *arg) {
  struct cold_unwind *c = arg;
  sigset_t want, now;
  sigemptyset(&want);
  sigaddset(&want, SIGUSR1);
  pthread_sigmask(SIG_SETMASK, &want, NULL);
  uint64_t frames[16];
  uint8_t was = ms_self.busy;
  ms_self.busy = 1; /* as in a slow path: what the unwinder allocates is not recorded */
  c->frames = ms_stack_capture(frames, 16);
  c->calls_first = ms_self.unw_mask_calls;
  while (ms_self.unw_stepped < MS_UNW_STEP_CAPTURES) ms_stack_capture(frames, 16);
  for (int i = 0; i < 4; i++) ms_stack_capture(frames, 16);
  c->calls_last = ms_self.unw_mask_calls;
  ms_self.busy = was;
  c->saved_left = ms_self.unw_mask_saved != NULL;
  pthread_sigmask(SIG_SETMASK, NULL, &now);
  c->usr1_blocked = sigismember(&now, SIGUSR1) == 1;
  c->usr2_blocked = sigismember(&now, SIGUSR2) == 1;
  c->warm = ms_self.unw_warm;
  return NULL;
}

START_TEST(a_cold_unwind_masks_signals_once_and_restores_the_mask) {
  ck_assert(ms_stacks_available());
  struct cold_unwind c = {0};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, cold_unwind_thread, &c), 0);
  pthread_join(t, NULL);
  ck_assert_uint_gt(c.frames, 0);
  ck_assert_uint_gt(c.calls_first, 0); /* libunwind's calls came here (x86-64, AArch64) */
  ck_assert_uint_eq(c.saved_left, 0);
  ck_assert_uint_eq(c.usr1_blocked, 1); /* the thread's own mask, exactly */
  ck_assert_uint_eq(c.usr2_blocked, 0);
  ck_assert_uint_eq(c.warm, c.calls_last < 4);
}
END_TEST

/* A thread's first MS_UNW_STEP_CAPTURES captures are unwound step by step and make no
 * trace cache (256 KiB that a thread sampling a few times never earns back); the next
 * makes one, and every capture from the same place has the same frames, whichever way
 * it was unwound. */
#ifdef __clang__
#pragma clang section text = "" /* (internal.h's: frames of the runtime are left out) */
#endif
struct step_unwind {
  uint64_t first[16], caches_before, caches_stepped, caches_after;
  uint32_t n, differ, outside, stepped;
};
__attribute__((noinline)) static uint32_t capture_here(uint64_t *frames) {
  uint32_t n = ms_stack_capture(frames, 16);
  __asm__ volatile("" ::: "memory"); /* (no tail call: this frame stays on the stack) */
  return n;
}
static void *step_unwind_thread(void *arg) {
  struct step_unwind *c = arg;
  uint8_t was = ms_self.busy;
  ms_self.busy = 1;
  c->caches_before = ms_unwind_pool_caches();
  for (uint32_t i = 0; i < MS_UNW_STEP_CAPTURES + 3; i++) { /* (one call site) */
    if (i == MS_UNW_STEP_CAPTURES) c->caches_stepped = ms_unwind_pool_caches();
    uint64_t frames[16];
    uint32_t n = capture_here(frames);
    if (i == 0) {
      c->n = n;
      memcpy(c->first, frames, sizeof frames);
    }
    /* (frame 1, in this function, is left out: the compiler may copy the call) */
    c->differ += n != c->n || frames[0] != c->first[0] ||
                 (n > 2 && memcmp(frames + 2, c->first + 2, (n - 2) * sizeof *frames) != 0);
    c->outside += n > 1 && frames[1] - (uintptr_t)step_unwind_thread >= 1024;
  }
  c->caches_after = ms_unwind_pool_caches();
  c->stepped = ms_self.unw_stepped;
  ms_self.busy = was;
  return NULL;
}

START_TEST(first_captures_are_stepped_without_a_trace_cache_and_exact) {
  ck_assert(ms_stacks_available());
  struct step_unwind c = {0};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, step_unwind_thread, &c), 0);
  pthread_join(t, NULL);
  ck_assert_uint_ge(c.n, 3); /* capture_here, step_unwind_thread, start_thread, ... */
  ck_assert_uint_lt(c.first[0] - (uintptr_t)capture_here, 64); /* its return address first */
  ck_assert_uint_eq(c.outside, 0); /* then the return address into step_unwind_thread */
  ck_assert_uint_eq(c.differ, 0); /* the same frames, stepped or from the trace cache */
  ck_assert_uint_eq(c.stepped, MS_UNW_STEP_CAPTURES);
#if defined(__x86_64__)
  ck_assert_uint_eq(c.caches_stepped, c.caches_before); /* no trace cache while stepping */
  ck_assert_uint_eq(c.caches_after, c.caches_before + 1); /* then one */
#endif
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_sampling");
  TCase *tc = tcase_create("sampling");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, intervals_are_exponential_with_the_set_mean);
  tcase_add_test(tc, probabilities_and_tiers);
  tcase_add_test(tc, mixed_sizes_at_a_small_interval_are_unbiased);
  tcase_add_test(tc, estimates_are_unbiased_and_counters_exact);
  tcase_add_test(tc, frees_of_sampled_blocks_are_matched_exactly);
  tcase_add_test(tc, unsampled_allocations_write_no_events);
  tcase_add_test(tc, tiered_policy_samples_large_blocks_always);
  tcase_add_test(tc, counters_of_running_threads_are_written_at_exit);
  tcase_add_test(tc, sampled_realloc_is_a_free_and_an_allocation);
  tcase_add_test(tc, a_realloc_takes_its_old_block_out_before_the_call);
  tcase_add_test(tc, blocks_sharing_a_slot_are_kept_apart);
  tcase_add_test(tc, a_cold_unwind_masks_signals_once_and_restores_the_mask);
  tcase_add_test(tc, first_captures_are_stepped_without_a_trace_cache_and_exact);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
