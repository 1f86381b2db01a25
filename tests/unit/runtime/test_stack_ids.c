/* A thread's stack ids (stack_ids.c) and the runtime's frames taken out of an unwind
 * (stacks.c, ms_stack_end), on their own: the per-site memo gives back the id the same
 * frames got and never one of other frames; deep stacks, a shared memo entry and a
 * cleared table still give the right ids.  (e2e/full and e2e/stacks check whole stacks.) */
#include <check.h>
#include <stdint.h>

#include "internal.h"
#include "record_reader.h"

static const uint64_t A[3] = {0x401000, 0x402000, 0x403000};
static const uint64_t B[3] = {0x401000, 0x402000, 0x403008}; /* A but its last frame */

static uint64_t id_of(struct ms_stack_ids **ids, uint32_t slot, const uint64_t *f,
                      uint32_t n, int want_new) {
  int is_new = -1;
  uint64_t id = ms_stack_id(ids, slot, f, n, &is_new);
  ck_assert_uint_ne(id, 0);
  ck_assert_int_eq(is_new, want_new);
  return id;
}

START_TEST(same_frames_same_id_other_frames_new) {
  struct ms_stack_ids *ids = NULL;
  uint64_t a = id_of(&ids, 3, A, 3, 1);
  ck_assert_uint_eq(a, 1);
  ck_assert_uint_eq(id_of(&ids, 3, A, 3, 0), a);    /* the memo */
  uint64_t b = id_of(&ids, 3, B, 3, 1);              /* one frame differs: new */
  ck_assert_uint_eq(b, 2);
  ck_assert_uint_eq(id_of(&ids, 3, A, 3, 0), a);    /* back from the table */
  ck_assert_uint_eq(id_of(&ids, 3 + 64, A, 3, 0), a); /* the same memo entry, other site */
  ck_assert_uint_eq(id_of(&ids, 3, A, 3, 0), a);
  ck_assert_uint_eq(id_of(&ids, 3, A, 2, 1), 3);    /* a prefix is another stack */
  ck_assert_uint_eq(id_of(&ids, 9, B, 3, 0), b);    /* another site, seen frames */
  ms_stack_ids_release(&ids);
}
END_TEST

START_TEST(deep_stacks_and_clear) {
  struct ms_stack_ids *ids = NULL;
  uint64_t deep[40], other[40];
  for (int i = 0; i < 40; i++) deep[i] = other[i] = 0x500000 + 16u * (uint64_t)i;
  other[39] += 8;
  uint64_t d = id_of(&ids, 5, deep, 40, 1); /* past the memo's 16 frames: the table */
  ck_assert_uint_eq(id_of(&ids, 5, deep, 40, 0), d);
  ck_assert_uint_ne(id_of(&ids, 5, other, 40, 1), d);
  ck_assert_uint_eq(id_of(&ids, 5, deep, 16, 1), 3); /* 16 frames: memo'd */
  ck_assert_uint_eq(id_of(&ids, 5, deep, 16, 0), 3);
  ms_stack_ids_clear(ids); /* a new file: ids from 1 again, nothing remembered */
  ck_assert_uint_eq(id_of(&ids, 5, deep, 16, 1), 1);
  ck_assert_uint_eq(id_of(&ids, 5, deep, 40, 1), 2);
  ms_stack_ids_release(&ids);
}
END_TEST

/* Many stacks at one site: the table is emptied and grows (ids go on counting); the
 * memo's id for a stack stays the one its STACK item was written with. */
START_TEST(ids_never_reused_through_emptying) {
  struct ms_stack_ids *ids = NULL;
  uint64_t f[2] = {0x600000, 0};
  uint64_t first = id_of(&ids, 1, f, 2, 1);
  for (uint64_t i = 1; i <= 20000; i++) {
    f[1] = i;
    ck_assert_uint_eq(id_of(&ids, 2, f, 2, 1), first + i);
  }
  f[1] = 20000;
  ck_assert_uint_eq(id_of(&ids, 2, f, 2, 0), first + 20000); /* the memo */
  ms_stack_ids_release(&ids);
}
END_TEST

START_TEST(runtime_frames_left_out_in_place) {
  /* (not a function of this file: internal.h puts what follows it in the runtime's
   * section) */
  uint64_t rt = (uint64_t)(uintptr_t)&ms_stack_end, p = (uint64_t)(uintptr_t)A;
  uint64_t room[MS_STACK_ROOM] = {rt, rt + 4, p, rt, p + 1, p + 2};
  ck_assert_uint_eq(ms_stack_end(room, 6, 8), 3);
  ck_assert_uint_eq(room[0], p);
  ck_assert_uint_eq(room[1], p + 1);
  ck_assert_uint_eq(room[2], p + 2);
  uint64_t cut[MS_STACK_ROOM] = {rt, p, p + 1, p + 2};
  ck_assert_uint_eq(ms_stack_end(cut, 4, 2), 2); /* at most max */
  ck_assert_uint_eq(cut[1], p + 1);
  ck_assert_uint_eq(ms_stack_end(cut, 0, 2), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_stack_ids");
  TCase *tc = tcase_create("stack_ids");
  tcase_add_test(tc, same_frames_same_id_other_frames_new);
  tcase_add_test(tc, deep_stacks_and_clear);
  tcase_add_test(tc, ids_never_reused_through_emptying);
  tcase_add_test(tc, runtime_frames_left_out_in_place);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
