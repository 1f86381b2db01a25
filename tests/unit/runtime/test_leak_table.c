/* Leaks mode's live-block table (leak_table.c) on its own: what goes in comes out once,
 * through growth, backward-shift deletion, overwrites and threads removing each other's
 * blocks.  (e2e/leaks checks the whole mode.) */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"
#include "record_reader.h"

#define N 300000u

static uintptr_t addr(uint32_t i) { /* clustered, 16-aligned, never 0 */
  return 0x7f0000100000ull + (uintptr_t)i * 48u;
}

static int by_ptr(const void *a, const void *b) {
  uintptr_t x = ((const struct ms_leak *)a)->ptr, y = ((const struct ms_leak *)b)->ptr;
  return (x > y) - (x < y);
}

START_TEST(what_goes_in_comes_out_once) {
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < N; i++) {
    struct ms_leak b = {.ptr = addr(i), .size = i % 97 + 1, .site_id = i % 5, .thread = i % 3 + 1};
    ms_leaks_insert(&b);
    bytes += b.size;
  }
  ck_assert_uint_eq(ms_leaks_live_bytes(), bytes);
  /* Every third block freed, in a scattered order; a second free finds nothing. */
  for (uint32_t k = 0; k < N; k++) {
    uint32_t i = (uint32_t)(((uint64_t)k * 7919u) % N);
    if (i % 3) continue;
    ck_assert_int_eq(ms_leaks_remove(addr(i)), 1);
    ck_assert_int_eq(ms_leaks_remove(addr(i)), 0);
    bytes -= i % 97 + 1;
  }
  ck_assert_int_eq(ms_leaks_remove(addr(N + 5)), 0);
  ck_assert_uint_eq(ms_leaks_live_bytes(), bytes);
  /* An address allocated again without its free seen: the new block replaces the old. */
  struct ms_leak again = {.ptr = addr(1), .size = 1000, .site_id = 9, .thread = 7};
  ms_leaks_insert(&again);
  bytes += 1000 - (1 % 97 + 1);
  ck_assert_uint_eq(ms_leaks_live_bytes(), bytes);

  struct ms_leak *all;
  size_t mapped, n = ms_leaks_take(&all, &mapped);
  ck_assert_uint_eq(n, N - (N + 2) / 3);
  qsort(all, n, sizeof *all, by_ptr);
  for (uint32_t i = 0, k = 0; i < N; i++) {
    if (i % 3 == 0) continue;
    ck_assert_uint_eq(all[k].ptr, addr(i));
    ck_assert_uint_eq(all[k].size, i == 1 ? 1000 : i % 97 + 1);
    ck_assert_uint_eq(all[k].site_id, i == 1 ? 9 : i % 5);
    ck_assert_uint_eq(all[k].thread, i == 1 ? 7 : i % 3 + 1);
    k++;
  }
  ms_os_unmap(all, mapped);
  /* Taken means emptied. */
  ck_assert_uint_eq(ms_leaks_live_bytes(), 0);
  ck_assert_uint_eq(ms_leaks_take(&all, &mapped), 0);
  ms_os_unmap(all, mapped);
  ck_assert_uint_eq(ms_leaks_lost(), 0);
}
END_TEST

/* Four threads insert their own blocks, then each removes its neighbour's. */
static pthread_barrier_t inserted;
static void *worker(void *arg) {
  uint32_t id = (uint32_t)(uintptr_t)arg, other = (id + 1) % 4;
  for (uint32_t i = id; i < N; i += 4) {
    struct ms_leak b = {.ptr = addr(i), .size = 8, .thread = id + 1};
    ms_leaks_insert(&b);
  }
  pthread_barrier_wait(&inserted);
  uintptr_t missed = 0;
  for (uint32_t i = other; i < N; i += 4) missed += ms_leaks_remove(addr(i)) != 1;
  return (void *)missed;
}

START_TEST(threads_remove_each_others_blocks) {
  pthread_t t[4];
  pthread_barrier_init(&inserted, NULL, 4);
  for (uintptr_t i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  for (int i = 0; i < 4; i++) {
    void *missed;
    pthread_join(t[i], &missed);
    ck_assert_ptr_null(missed);
  }
  ck_assert_uint_eq(ms_leaks_live_bytes(), 0);
  struct ms_leak *all;
  size_t mapped;
  ck_assert_uint_eq(ms_leaks_take(&all, &mapped), 0);
  ms_os_unmap(all, mapped);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_leak_table");
  TCase *tc = tcase_create("leak_table");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, what_goes_in_comes_out_once);
  tcase_add_test(tc, threads_remove_each_others_blocks);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
