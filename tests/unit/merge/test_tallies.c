/* The replay's tally store (tallies.h): what a (thread, site) pair costs, that a tally
 * never moves, and that iteration keeps the order a map of tallies had (reports sum
 * doubles in it). */
#include <stdlib.h>

#include "replay.h"
#include "suites.h"
#include "tallies.h"

enum { THREADS = 8, SITES = 20000, PAIRS = THREADS * SITES };

static uint64_t pair_key(size_t i) { return mg_tally_key((uint32_t)(i % THREADS), (uint32_t)(i / THREADS)); }

START_TEST(test_pairs_stay_put) {
  struct mg_tallies t;
  mg_tallies_init(&t);
  struct mg_tally **at = malloc(PAIRS * sizeof *at);
  for (size_t i = 0; i < PAIRS; i++) {
    at[i] = mg_tallies_put(&t, pair_key(i));
    ck_assert_uint_eq(at[i]->counts.allocations, 0); /* new: zero-filled */
    ck_assert_ptr_null(at[i]->counts.est);
    at[i]->counts.allocations = i + 1;
  }
  ck_assert_uint_eq(mg_tallies_len(&t), PAIRS);
  for (size_t i = 0; i < PAIRS; i++) { /* the same tally, where it was first put */
    ck_assert_ptr_eq(mg_tallies_put(&t, pair_key(i)), at[i]);
    ck_assert_uint_eq(at[i]->counts.allocations, i + 1);
  }
  /* Iteration: a map of the same keys put in the same order, slot by slot. */
  struct mg_map ref;
  mg_map_init(&ref, 1);
  for (size_t i = 0; i < PAIRS; i++)
    mg_map_put(&ref, pair_key(i), NULL);
  size_t pos = 0, ref_pos = 0, n = 0;
  uint64_t key, ref_key;
  struct mg_tally *v;
  while ((v = mg_tallies_next(&t, &pos, &key))) {
    ck_assert_ptr_nonnull(mg_map_next(&ref, &ref_pos, &ref_key));
    ck_assert_uint_eq(key, ref_key);
    size_t i = (size_t)mg_tally_site(key) * THREADS + mg_tally_thread(key);
    ck_assert_ptr_eq(v, at[i]);
    n++;
  }
  ck_assert_uint_eq(n, PAIRS);
  mg_map_destroy(&ref);

  /* What the pairs cost: chunks of 16 doubling to 4,096 (47 for 160,000 tallies, 3,824
   * spare) and 17 bytes an index slot, the index at most half full: 277 bytes a pair.
   * A map of the 496-byte tallies (before) took 1,655 a pair, half again while doubling. */
  ck_assert_uint_eq(t.nchunks, 47);
  ck_assert_uint_eq(t.index.cap, 524288);
  ck_assert_uint_le(sizeof(struct mg_tally), 216);
  size_t capacity = 0;
  for (size_t k = 0; k < t.nchunks; k++)
    capacity += k < 8 ? (size_t)16 << k : 4096;
  ck_assert_uint_eq(capacity - PAIRS, 3824);
  size_t bytes = capacity * sizeof(struct mg_tally) + t.index.cap * (8 + 8 + 1);
  ck_assert_uint_lt(bytes / PAIRS, 300);
  free(at);
  mg_tallies_destroy(&t);
}
END_TEST

/* A pair's estimates from its counts (every block of weight 1) are what adding each
 * block as a double gives. */
START_TEST(test_sums_from_counts) {
  struct mg_tally_counts c = {0};
  struct mg_tally_est freed = {0}, live = {0}, cross_bytes = {0};
  uint64_t sizes[] = {24, 1, 4096, 3, 1u << 20, 77};
  for (size_t i = 0; i < 6; i++) {
    c.bytes_freed += sizes[i];
    c.freed_blocks++;
    mg_tally_est_add(&freed, 1, (double)sizes[i]);
    c.live_blocks++;
    c.live_bytes += sizes[i] * 3;
    mg_tally_est_add(&live, 1, (double)(sizes[i] * 3));
    c.cross_freed++;
    c.cross_freed_bytes += sizes[i] + 1;
    mg_tally_est_add(&cross_bytes, 1, (double)(sizes[i] + 1));
  }
  struct mg_tally_ests e = mg_tally_ests_of(&c);
  ck_assert(e.est_bytes_freed.value == freed.value && e.est_bytes_freed.n == freed.n);
  ck_assert(e.est_bytes_freed.var == 0);
  ck_assert(e.est_live_bytes.value == live.value && e.est_live_bytes.n == 6);
  ck_assert(e.est_live_blocks.value == 6 && e.est_live_blocks.n == 6);
  ck_assert(e.est_cross_freed_bytes.value == cross_bytes.value);
  ck_assert(e.est_cross_freed.value == 6 && e.est_short_lived.n == 0);
  /* Once the pair has its sums, they are what is read. */
  struct mg_tally_ests sums = {.est_bytes_freed = {1.5, 0.25, 2}};
  c.est = &sums;
  ck_assert(mg_tally_ests_of(&c).est_bytes_freed.value == 1.5);
}
END_TEST

Suite *tallies_suite(void) {
  Suite *s = suite_create("tallies");
  TCase *tc = tcase_create("store");
  tcase_add_test(tc, test_pairs_stay_put);
  tcase_add_test(tc, test_sums_from_counts);
  suite_add_tcase(s, tc);
  return s;
}
