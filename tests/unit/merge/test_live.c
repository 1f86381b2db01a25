/* The replay's live-block table (merge/model/live.c): its homes keep nearby addresses
 * together, so it is checked on the layouts that stress that: blocks packed 16 bytes
 * apart (long runs of slots), addresses that share their granule in many regions (the
 * same place in each region's slots), and a random mix, against a plain array. */
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "suites.h"

enum { N = 24000 };

/* Check records every assertion that passes (a write): inside the loops, only a failing
 * one goes through it. */
#define EXPECT(cond)        \
  do {                      \
    if (!(cond))            \
      ck_assert(cond);      \
  } while (0)

/* Key k of a layout. */
static uint64_t key_of(int layout, size_t k) {
  switch (layout) {
  case 0: return 0x7f0000000000ULL + k * 16;                   /* packed */
  case 1: return 0x100000ULL + (k % 64) * 16 + (k / 64) * 1024 * 4097; /* aliased granules */
  default: return ((uint64_t)k * 0x9E3779B97F4A7C15ull | 1) << 4 >> 4; /* scattered */
  }
}

/* What the table gives back: the block as put (chain_first only counts in a chain). */
static bool same_block(const struct live_block *a, const struct live_block *b) {
  return a->size == b->size && a->weight == b->weight && a->chain == b->chain &&
         a->site == b->site && (a->chain == 0 || a->chain_first == b->chain_first) &&
         a->ts == b->ts && a->thread == b->thread && a->stack == b->stack;
}

static void churn(int layout) {
  static uint32_t ref[N]; /* 0: absent, else the block's site */
  static struct live_block refs[N]; /* the block put last at key k */
  memset(ref, 0, sizeof ref);
  struct live_table t = {0};
  srand(11 + (unsigned)layout);
  size_t live = 0;
  for (int step = 0; step < 300000; step++) {
    /* Phases: grow to nearly all keys, then shrink, so runs form and break up. */
    int grow = (step / 50000) % 2 == 0 ? 3 : 1;
    size_t k = (size_t)rand() % N;
    uint64_t key = key_of(layout, k);
    if (rand() % 4 < grow) {
      /* Blocks of every form the table keeps, each given back whole: plain, with a
       * stack, in a chain (its first size in the slot), and what goes beside
       * (LIVE_EXTRA): a weight, a first size beyond 32 bits, a chain with a stack, a
       * chain beyond LIVE_CHAIN_MAX. */
      struct live_block nb = {.size = k, .site = (uint32_t)step + 1, .weight = 1.0,
                              .chain_first = k, .ts = (uint64_t)step * 3,
                              .thread = (uint32_t)k % 5};
      switch (step % 8) {
      case 1: nb.stack = (uint32_t)k + 7; break;
      case 2: nb.chain = 3, nb.chain_first = 5 * k + 1; break;
      case 3: nb.weight = 2.5 + (double)k; break;
      case 4: nb.chain = 2, nb.chain_first = (5 * (uint64_t)k + 1) << 33; break;
      case 5: nb.chain = 4, nb.chain_first = 9, nb.stack = 12; break;
      case 6: nb.chain = LIVE_CHAIN_MAX + 5, nb.chain_first = 77; break;
      case 7: nb.chain = 1, nb.chain_first = UINT32_MAX; break;
      }
      struct live_block old;
      bool existed = mg_live_put(&t, key, &nb, &old);
      EXPECT(existed == (ref[k] != 0));
      if (existed)
        EXPECT(old.site == ref[k] && same_block(&old, &refs[k]));
      else
        live++;
      ref[k] = nb.site;
      refs[k] = nb;
    } else {
      struct live_block out;
      bool removed = mg_live_remove(&t, key, &out);
      EXPECT(removed == (ref[k] != 0));
      if (removed) {
        EXPECT(out.site == ref[k]);
        EXPECT(out.size == k);
        EXPECT(same_block(&out, &refs[k]));
        live--;
      }
      ref[k] = 0;
    }
    EXPECT(t.len == live);
  }
  /* Every block present once, with its own values; then all removed in key order. */
  size_t pos = 0, seen = 0;
  struct live_block lb;
  while (mg_live_next(&t, &pos, &lb)) {
    EXPECT(lb.site == ref[lb.size] && same_block(&lb, &refs[lb.size]));
    seen++;
  }
  ck_assert_uint_eq(seen, live);
  for (size_t k = 0; k < N; k++) {
    struct live_block out;
    EXPECT(mg_live_remove(&t, key_of(layout, k), &out) == (ref[k] != 0));
  }
  ck_assert_uint_eq(t.len, 0);
  pos = 0;
  ck_assert(!mg_live_next(&t, &pos, &lb));
  ck_assert_uint_eq(mg_map_len(&t.extra), 0); /* every extra went with its block */
  mg_live_destroy(&t);
}

/* The table grows at two thirds full, not before: 170 blocks in 256 slots, the 171st
 * doubles it; every block found again after each growth, packed, aliased or scattered. */
static void fill(int layout) {
  struct live_table t = {0};
  for (size_t k = 0; k < 171; k++) {
    struct live_block nb = {.size = k, .weight = 1.0, .site = (uint32_t)k + 1}, old;
    ck_assert(!mg_live_put(&t, key_of(layout, k), &nb, &old));
    size_t want = k < 10 ? 16 : k < 21 ? 32 : k < 42 ? 64 : k < 85 ? 128 : k < 170 ? 256 : 512;
    ck_assert_uint_eq(t.cap, want);
  }
  ck_assert_uint_eq(t.len, 171);
  for (size_t k = 0; k < 171; k++) {
    struct live_block out;
    ck_assert(mg_live_remove(&t, key_of(layout, k), &out));
    ck_assert_uint_eq(out.size, k);
    ck_assert_uint_eq(out.site, k + 1);
  }
  ck_assert_uint_eq(t.len, 0);
  mg_live_destroy(&t);
}

START_TEST(test_live_fill) {
  for (int layout = 0; layout < 3; layout++)
    fill(layout);
}
END_TEST

START_TEST(test_live_packed) { churn(0); }
END_TEST
START_TEST(test_live_aliased) { churn(1); }
END_TEST
START_TEST(test_live_scattered) { churn(2); }
END_TEST

Suite *live_suite(void) {
  Suite *s = suite_create("live");
  TCase *tc = tcase_create("table");
  tcase_add_test(tc, test_live_packed);
  tcase_add_test(tc, test_live_aliased);
  tcase_add_test(tc, test_live_scattered);
  tcase_add_test(tc, test_live_fill);
  suite_add_tcase(s, tc);
  return s;
}
