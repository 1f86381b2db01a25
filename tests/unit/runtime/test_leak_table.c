/* Leaks mode's live-block table (leak_table.c) on its own: what goes in comes out once,
 * through growth, backward-shift deletion, overwrites and threads removing each other's
 * blocks.  (e2e/leaks checks the whole mode.) */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* fork while two threads insert and remove (growing and emptying their shards): no lock
 * is held across fork, so a child often copies a shard mid-update.  Each child's table
 * starts empty, whatever was under way (none of the parent's 1,000 blocks), takes its
 * own 3 blocks and gives them back, within 10 s (alarm: a hang fails); the parent's
 * table is untouched by the forks. */
static atomic_int churn_stop;
static void *churner(void *arg) {
  uint32_t base = 2000000u + 1000000u * (uint32_t)(uintptr_t)arg;
  while (!atomic_load(&churn_stop)) {
    for (uint32_t i = 0; i < 5000; i++) {
      struct ms_leak b = {.ptr = addr(base + i), .size = 16};
      ms_leaks_insert(&b);
    }
    for (uint32_t i = 0; i < 5000; i++) ms_leaks_remove(addr(base + i));
  }
  return NULL;
}

static int child_checks(void) {
  alarm(10);
  ms_leaks_after_fork_child(); /* (the runtime's fork handler, when it is registered) */
  if (ms_leaks_live_bytes() != 0) return 1;
  for (uint32_t i = 0; i < 3; i++) {
    struct ms_leak b = {.ptr = addr(5000000u + i), .size = 40};
    ms_leaks_insert(&b);
  }
  struct ms_leak *all;
  size_t mapped, n = ms_leaks_take(&all, &mapped);
  if (n != 3) return 2;
  for (size_t k = 0; k < n; k++)
    if (all[k].size != 40) return 3;
  return 0;
}

START_TEST(fork_child_starts_empty) {
  for (uint32_t i = 0; i < 1000; i++) {
    struct ms_leak b = {.ptr = addr(i), .size = 8};
    ms_leaks_insert(&b);
  }
  pthread_t t[2];
  for (uintptr_t i = 0; i < 2; i++) pthread_create(&t[i], NULL, churner, (void *)i);
  for (int k = 0; k < 30; k++) {
    pid_t pid = fork();
    if (pid == 0) _exit(child_checks());
    ck_assert_int_gt(pid, 0);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child %d: status %#x (exit 1: parent's bytes, 2: not 3 blocks; signal 14: hung)",
                  k, status);
  }
  atomic_store(&churn_stop, 1);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  ck_assert_uint_eq(ms_leaks_live_bytes(), 8000);
  struct ms_leak *all;
  size_t mapped;
  ck_assert_uint_eq(ms_leaks_take(&all, &mapped), 1000);
  ms_os_unmap(all, mapped);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_leak_table");
  TCase *tc = tcase_create("leak_table");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, what_goes_in_comes_out_once);
  tcase_add_test(tc, threads_remove_each_others_blocks);
  tcase_add_test(tc, fork_child_starts_empty);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
