/* The sampled-mode estimator, tested statistically.
 *
 * A fixed synthetic run: 200000 allocations with sizes from a fixed mix, a known 5% of
 * them still live at the end, the rest freed right away.  Each seed samples it as the
 * runtime's byte sampler does: an exponential countdown over allocated bytes with mean R
 * makes the sample points a Poisson process along the bytes, so an allocation of s bytes
 * is sampled with probability p = 1 - exp(-s/R), independently of the others, and carries
 * weight 1/p.  The samples, with exact COUNTERS, go through the merge like a file would;
 * its live-bytes estimate must be unbiased and its 95% interval must cover the truth in
 * about 95% of seeds. */
#include <math.h>
#include <stdlib.h>

#include "fixture.h"
#include "profile.h"
#include "suites.h"

#define N_ALLOCS 200000
#define N_SEEDS 200
#define MEAN_INTERVAL 65536.0 /* R, the runtime's default */
enum { SITE_MALLOC = 0xA, SITE_FREE = 0xC };

/* splitmix64: small, and the same numbers on every libc. */
static uint64_t next(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static double uniform(uint64_t *state) { return (double)(next(state) >> 11) * 0x1.0p-53; }

struct run {
  uint32_t size[N_ALLOCS];
  bool live[N_ALLOCS];
  uint64_t bytes, live_bytes, nlive, min, max;
};

/* Mostly small blocks, some medium, a few large: 60% 16-127 bytes, 35% 128-2047, 5%
 * 2 KiB-32 KiB.  About 4000 samples and 200 live ones per seed. */
static void make_run(struct run *r) {
  uint64_t st = 12345;
  *r = (struct run){.min = UINT64_MAX};
  for (size_t i = 0; i < N_ALLOCS; i++) {
    double u = uniform(&st);
    uint64_t v = next(&st);
    uint32_t size = u < 0.60 ? 16 + v % 112 : u < 0.95 ? 128 + v % 1920 : 2048 + v % 30720;
    r->size[i] = size;
    r->live[i] = next(&st) % 20 == 0;
    r->bytes += size;
    r->live_bytes += r->live[i] ? size : 0;
    r->nlive += r->live[i];
    r->min = size < r->min ? size : r->min;
    r->max = size > r->max ? size : r->max;
  }
}

/* Samples the run with this seed, merges the samples, returns the live-bytes estimate. */
static struct mg_est estimate(const struct run *r, uint64_t seed, uint32_t *picked,
                              double *weight) {
  uint64_t st = seed;
  size_t n = 0, nevents = 0;
  for (uint32_t i = 0; i < N_ALLOCS; i++) {
    double p = -expm1(-(double)r->size[i] / MEAN_INTERVAL);
    if (uniform(&st) < p) {
      picked[n] = i;
      weight[n++] = 1.0 / p;
      nevents += r->live[i] ? 1 : 2;
    }
  }
  struct fx f;
  fx_init(&f);
  fx_header_sampled(&f, "est", 1, (uint64_t)MEAN_INTERVAL);
  fx_site(&f, SITE_MALLOC, MEMSCOPE_API_MALLOC, 0, NULL);
  fx_site(&f, SITE_FREE, MEMSCOPE_API_FREE, 0, NULL);
  fx_counters(&f, 1, 1, 1, 2);
  fx_counter(&f, SITE_MALLOC, N_ALLOCS, r->bytes, r->min, r->max);
  fx_counter(&f, SITE_FREE, N_ALLOCS - r->nlive, 0, 0, 0);
  fx_events(&f, 1, 1, nevents);
  for (size_t k = 0; k < n; k++) {
    uint32_t i = picked[k];
    uint64_t ptr = 0x10000000ULL + 64ULL * i, ts = 2ULL * i + 1;
    fx_sampled(&f, SITE_MALLOC, r->size[i], ptr, ts, weight[k], 0);
    if (!r->live[i])
      fx_free(&f, SITE_FREE, ptr, ts + 1);
  }
  fx_end(&f, 2ULL * N_ALLOCS + 10, "exit");
  struct mg_profile *p = mg_profile_new();
  const struct mg_input *in = mg_profile_add_buffer(p, "est", f.buf.data, f.buf.size);
  ck_assert_msg(in->problem.status == MG_DECODE_OK, "%s", in->problem.message);
  ck_assert_uint_eq(p->totals.allocations, N_ALLOCS);
  ck_assert_uint_eq(p->totals.samples, n);
  struct mg_est e = p->totals.est_live_bytes;
  mg_profile_free(p);
  fx_destroy(&f);
  return e;
}

START_TEST(test_live_bytes_estimator) {
  struct run *r = malloc(sizeof *r);
  uint32_t *picked = malloc(N_ALLOCS * sizeof *picked);
  double *weight = malloc(N_ALLOCS * sizeof *weight);
  make_run(r);
  double truth = (double)r->live_bytes;

  /* One seed: the truth is inside the reported interval. */
  struct mg_est one = estimate(r, 1, picked, weight);
  struct mg_interval in = mg_est_interval(&one);
  ck_assert_msg(in.low <= truth && truth <= in.high, "seed 1: estimate %.0f in [%.0f, %.0f], truth %.0f",
                one.value, in.low, in.high, truth);
  ck_assert(one.unit == MEAN_INTERVAL); /* the merge gave it the byte sampler's unit */

  /* Many seeds: coverage near 95%, no bias, and a variance estimate that matches the
   * spread actually seen. */
  int covered = 0;
  double sum = 0, sum_sq = 0, sum_var = 0;
  for (uint64_t seed = 1; seed <= N_SEEDS; seed++) {
    struct mg_est e = estimate(r, seed * 0x2545f4914f6cdd1dULL, picked, weight);
    struct mg_interval iv = mg_est_interval(&e);
    covered += iv.low <= truth && truth <= iv.high;
    sum += e.value;
    sum_sq += e.value * e.value;
    sum_var += e.var;
  }
  double mean = sum / N_SEEDS, spread = (sum_sq - N_SEEDS * mean * mean) / (N_SEEDS - 1);
  ck_assert_msg(covered >= 0.90 * N_SEEDS && covered <= 0.995 * N_SEEDS,
                "the 95%% interval covered the truth in %d of %d runs", covered, N_SEEDS);
  ck_assert_msg(fabs(mean - truth) <= 3 * sqrt(spread / N_SEEDS),
                "mean estimate %.0f, truth %.0f (sd %.0f)", mean, truth, sqrt(spread));
  double ratio = sum_var / N_SEEDS / spread;
  ck_assert_msg(ratio > 0.7 && ratio < 1.4, "mean variance estimate / observed = %.2f", ratio);
  free(r);
  free(picked);
  free(weight);
}
END_TEST

Suite *estimator_suite(void) {
  Suite *s = suite_create("estimator");
  TCase *tc = tcase_create("statistics");
  tcase_set_timeout(tc, 60); /* about a second normally; valgrind is slower */
  tcase_add_test(tc, test_live_bytes_estimator);
  suite_add_tcase(s, tc);
  return s;
}
