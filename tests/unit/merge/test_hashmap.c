#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "suites.h"

START_TEST(test_put_get_remove) {
  struct mg_map m;
  mg_map_init(&m, sizeof(uint64_t));
  ck_assert_ptr_null(mg_map_get(&m, 0));
  ck_assert(!mg_map_remove(&m, 0, NULL));

  bool existed = true;
  *(uint64_t *)mg_map_put(&m, 0, &existed) = 100; /* key 0 is an ordinary key */
  ck_assert(!existed);
  *(uint64_t *)mg_map_put(&m, 42, &existed) = 4200;
  ck_assert_uint_eq(*(uint64_t *)mg_map_put(&m, 42, &existed), 4200);
  ck_assert(existed);
  ck_assert_uint_eq(mg_map_len(&m), 2);
  ck_assert_uint_eq(*(uint64_t *)mg_map_get(&m, 0), 100);

  uint64_t out = 0;
  ck_assert(mg_map_remove(&m, 0, &out));
  ck_assert_uint_eq(out, 100);
  ck_assert_ptr_null(mg_map_get(&m, 0));
  ck_assert_uint_eq(mg_map_len(&m), 1);
  mg_map_destroy(&m);
}
END_TEST

/* Many keys, aligned like pointers, with interleaved removals: the map must agree with a
 * plain array at every step (backward-shift deletion keeps probe runs intact). */
START_TEST(test_churn_matches_reference) {
  enum { N = 20000 };
  static uint64_t ref[N]; /* 0 = absent, else value */
  struct mg_map m;
  mg_map_init(&m, sizeof(uint64_t));
  srand(7);
  size_t live = 0;
  for (int step = 0; step < 200000; step++) {
    size_t k = (size_t)rand() % N;
    uint64_t key = 0x7f0000000000ULL + k * 16;
    if (rand() % 3) {
      bool existed;
      uint64_t *v = mg_map_put(&m, key, &existed);
      ck_assert(existed == (ref[k] != 0));
      if (!existed)
        live++;
      *v = ref[k] = (uint64_t)step + 1;
    } else {
      uint64_t out = 0;
      bool removed = mg_map_remove(&m, key, &out);
      ck_assert(removed == (ref[k] != 0));
      if (removed) {
        ck_assert_uint_eq(out, ref[k]);
        live--;
      }
      ref[k] = 0;
    }
  }
  ck_assert_uint_eq(mg_map_len(&m), live);
  for (size_t k = 0; k < N; k++) {
    uint64_t *v = mg_map_get(&m, 0x7f0000000000ULL + k * 16);
    if (ref[k])
      ck_assert(v && *v == ref[k]);
    else
      ck_assert_ptr_null(v);
  }
  size_t pos = 0, seen = 0;
  uint64_t key;
  while (mg_map_next(&m, &pos, &key))
    seen++;
  ck_assert_uint_eq(seen, live);
  mg_map_destroy(&m);
}
END_TEST

/* Keys kept outside the map, found by a hash that collides: each is found again at its own
 * position, and a new one goes on past the others. */
static const char *const probe_names[] = {"alpha", "beta", "gamma"};

static bool same_name(const void *ctx, size_t pos) {
  return strcmp(probe_names[pos], ctx) == 0;
}

START_TEST(test_probe_collisions) {
  struct mg_map m;
  mg_map_init(&m, sizeof(size_t));
  for (size_t i = 0; i < 3; i++) {
    uint64_t h = 42; /* every name hashes alike */
    bool existed;
    size_t *slot = mg_map_probe(&m, &h, same_name, probe_names[i], &existed);
    ck_assert(!existed);
    ck_assert_uint_eq(h, 42 + i);
    *slot = i + 1;
  }
  for (size_t i = 3; i-- > 0;) {
    uint64_t h = 42;
    bool existed;
    size_t *slot = mg_map_probe(&m, &h, same_name, probe_names[i], &existed);
    ck_assert(existed);
    ck_assert_uint_eq(*slot, i + 1);
    ck_assert_uint_eq(h, 42 + i);
  }
  ck_assert_uint_eq(mg_map_len(&m), 3);
  mg_map_destroy(&m);
}
END_TEST

Suite *hashmap_suite(void) {
  Suite *s = suite_create("hashmap");
  TCase *tc = tcase_create("map");
  tcase_add_test(tc, test_put_get_remove);
  tcase_add_test(tc, test_churn_matches_reference);
  tcase_add_test(tc, test_probe_collisions);
  suite_add_tcase(s, tc);
  return s;
}
