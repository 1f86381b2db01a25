/* The library API for the in-process session result (analysis.h). */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "fixture.h"
#include "suites.h"

void build_story_fixture(struct fx *f);
void build_problems_fixture(struct fx *f);

START_TEST(test_session_from_buffer) {
  struct fx f;
  build_problems_fixture(&f);
  struct mg_session_result r;
  ck_assert_int_eq(mg_session_from_buffer("mem", f.buf.data, f.buf.size, &r), 0);
  ck_assert_uint_eq(r.nprocesses, 1);
  ck_assert_uint_eq(r.nthreads, 3);
  ck_assert_uint_eq(r.total_allocations, 23505);
  ck_assert_uint_eq(r.total_frees, 3500);
  ck_assert_uint_eq(r.peak_live_bytes, 4096); /* the split's peak (test_analysis.c) */
  ck_assert(r.estimated && r.inputs_ok);
  ck_assert_uint_eq(r.nbottlenecks, 6);
  ck_assert_int_eq(r.bottlenecks[0].type, MG_BN_LEAK); /* all of the peak estimate */
  ck_assert_uint_eq(r.threads[0].thread, 1);
  ck_assert_uint_eq(r.threads[0].allocations, 22004);
  ck_assert_uint_eq(r.threads[0].pid, 7);
  ck_assert_uint_eq(r.threads[0].hottest_site, 2);
  ck_assert_uint_eq(r.threads[1].os_tid, 71);
  mg_session_result_free(&r);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_session_cut_and_empty) {
  struct fx f;
  build_story_fixture(&f);
  struct mg_session_result r;
  ck_assert_int_eq(mg_session_from_buffer("cut", f.buf.data, f.buf.size - 3, &r), 1);
  ck_assert_uint_eq(r.nthreads, 2);
  ck_assert(!r.inputs_ok);
  ck_assert_uint_eq(r.threads[0].peak_live_bytes, 214);
  ck_assert_uint_eq(r.threads[0].peak_ns, 510);
  mg_session_result_free(&r);
  ck_assert_int_eq(mg_session_from_buffer("none", "", 0, &r), -1);
  ck_assert_uint_eq(r.nthreads, 0);
  mg_session_result_free(&r);
  char *missing[] = {"/nonexistent/memscope.x.1.msgpack"};
  ck_assert_int_eq(mg_session_from_files(missing, 1, 1, &r), -1);
  mg_session_result_free(&r);
  fx_destroy(&f);
}
END_TEST

Suite *session_suite(void) {
  Suite *s = suite_create("session");
  TCase *tc = tcase_create("result");
  tcase_add_test(tc, test_session_from_buffer);
  tcase_add_test(tc, test_session_cut_and_empty);
  suite_add_tcase(s, tc);
  return s;
}
