/* The text summary, compared whole on a small synthetic profile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "profile.h"
#include "report.h"
#include "report_parts.h"
#include "suites.h"

void build_small_profile(struct fx *f, uint64_t pid);

static char *report_of(const struct mg_profile *p, size_t top) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  struct mg_report_options opt = {.top = top};
  mg_report_text(out, p, &opt);
  fclose(out);
  return text;
}

START_TEST(test_report_small) {
  struct fx f;
  build_small_profile(&f, 500);
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "memscope.small.500.msgpack", f.buf.data, f.buf.size);
  char *text = report_of(p, 10);
  const char *want =
      "memscope: 1 file, 1 process, 2 threads\n"
      "  memscope.small.500.msgpack: small pid 500, mode full, complete\n"
      "\n"
      "Summary (what to fix first; every table follows in full)\n"
      "  4 allocations of 187 bytes, 3 frees, 0 reallocs\n"
      "  peak: 157 bytes live at 0.000 ms\n"
      "  still live at exit: 2 blocks, 37 bytes\n"
      "  leaks (live at exit), largest first:\n"
      "           30 bytes           1 block   make_node tree.c:10:3\n"
      "            7 bytes           1 block   site 0xd\n"
      "  the peak's contributors:\n"
      "          100 bytes           1 block   make_node tree.c:10:3\n"
      "           50 bytes           1 block   zeroed buf.c:7:9\n"
      "            7 bytes           1 block   site 0xd\n"
      "  most allocations:\n"
      "            2 calls         130 bytes   make_node tree.c:10:3\n"
      "            1 call           50 bytes   zeroed buf.c:7:9\n"
      "            1 call            7 bytes   site 0xd\n"
      "  temporary allocations (freed within 100 us):\n"
      "            1 block           2 calls   make_node tree.c:10:3\n"
      "            1 block           1 call    zeroed buf.c:7:9\n"
      "  bottlenecks (severity 0..1):\n"
      "     0.19  leak               make_node tree.c:10:3\n"
      "     0.04  leak               site 0xd\n"
      "\n"
      "Totals\n"
      "  allocations                    4\n"
      "  failed allocations             1\n"
      "  reallocs                       0\n"
      "  frees                          3\n"
      "  null frees                     1\n"
      "  unmatched frees                1\n"
      "  bytes allocated              187\n"
      "  bytes freed                  150\n"
      "  live blocks at exit            2\n"
      "  live bytes at exit            37\n"
      "  peak live bytes              157\n"
      "\n"
      "Live at exit by site\n"
      "    blocks     bytes  function             location\n"
      "         1        30  make_node            src/tree.c:10:3\n"
      "                        inlined into main  src/main.c:20\n"
      "         1         7  site 0xd             ??\n"
      "\n"
      "Peak heap (sites live at the peak)\n"
      "  process 500 small: 157 bytes at 0.000 ms\n"
      "     bytes    blocks  function             location\n"
      "       100         1  make_node            src/tree.c:10:3\n"
      "                        inlined into main  src/main.c:20\n"
      "        50         1  zeroed               src/buf.c:7:9\n"
      "         7         1  site 0xd             ??\n"
      "\n"
      "Top allocation sites by calls\n"
      "     calls     bytes  api      function             location\n"
      "         2       130  malloc   make_node            src/tree.c:10:3\n"
      "                                 inlined into main  src/main.c:20\n"
      "         1        50  calloc   zeroed               src/buf.c:7:9\n"
      "         1         7  ?        site 0xd             ??\n";
  /* The summary first, in heaptrack_print's order (what is live, the peak, the most
   * allocations, the temporary ones, the bottlenecks), then the same parts in full; the
   * deeper analyses follow (test_analysis.c checks them). */
  if (getenv("MS_DUMP"))
    fputs(text, stderr);
  ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "%s", text);
  /* Then the rest, in this order; free sites only in their own table. */
  static const char *const rest[] = {
      "\nLifetimes by site", "\nBottlenecks (severity 0..1)\n", "\nTop sites by bytes allocated\n",
      "\nTop free sites by calls\n"
      "     calls     bytes  api      function             location\n"
      "         3       150  free     drop                 ??\n\n",
      "\nAllocation sizes by site\n", "\nThreads (", "\nThread details", "\nResources",
      "\nRealloc growth chains", "\nCross-thread frees"};
  const char *at = text + strlen(want);
  for (size_t i = 0; i < sizeof rest / sizeof *rest; i++) {
    const char *next = strstr(at, rest[i]);
    ck_assert_msg(next, "not after the previous section: %s\n%s", rest[i], text);
    at = next + 1;
  }
  const char *drop = strstr(text, "  free     drop");
  ck_assert_msg(drop && !strstr(drop + 1, "  free     drop"), "a free site outside its table:\n%s",
                text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Two processes, one of them cut short, a bad input, --top 1. */
START_TEST(test_report_several) {
  struct fx f1, f2;
  build_small_profile(&f1, 500);
  build_small_profile(&f2, 600);
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "a.msgpack", f1.buf.data, f1.buf.size);
  mg_profile_add_buffer(p, "b.msgpack", f2.buf.data, f2.starts[6] + 3); /* in a THREAD record */
  mg_profile_add_buffer(p, "c.msgpack", "junk", 4);
  char *text = report_of(p, 1);
  if (getenv("MS_DUMP"))
    fputs(text, stderr);
  ck_assert_msg(strstr(text, "memscope: 3 files, 2 processes, 4 threads\n"), "%s", text);
  ck_assert(strstr(text, "  a.msgpack: small pid 500, mode full, complete\n"));
  char want[128];
  snprintf(want, sizeof want,
           "  b.msgpack: small pid 600, mode full, incomplete (no end record), "
           "truncated at offset %zu\n", f2.starts[6]);
  ck_assert_msg(strstr(text, want), "%s", text);
  ck_assert(strstr(text, "  c.msgpack: no usable data\n"));
  /* Threads grouped by process, most allocations first (ties by index), --top 1 of
   * them per process; b's THREAD records were lost with the cut. */
  ck_assert_msg(strstr(text, "  process 500 small\n"
                         "       1      500         2         1           150           100  small\n"
                         "  (1 more thread; --top 0 shows all)\n"
                         "  process 600 small\n"
                         "       1      600         2         1           150           100  -\n"
                         "  (1 more thread; --top 0 shows all)\n"), "%s", text);
  ck_assert_msg(strstr(text, "  process 600 small\n"
                             "       1           150       0.000        75           2  make_node (1)\n"
                             "  (1 more thread; --top 0 shows all)\n"), "%s", text);
  /* --top 1: one row per site table, with its inlined frame. */
  ck_assert(strstr(text, "Top sites by bytes allocated\n"
                         "     bytes     calls  api      function             location\n"
                         "       260         4  malloc   make_node            src/tree.c:10:3\n"
                         "                                 inlined into main  src/main.c:20\n"
                         "\nTop free sites by calls\n"));
  ck_assert(strstr(text, "Live at exit by site\n"
                         "    blocks     bytes  function             location\n"
                         "         2        60  make_node            src/tree.c:10:3\n"
                         "                        inlined into main  src/main.c:20\n"));
  free(text);
  mg_profile_free(p);
  fx_destroy(&f1);
  fx_destroy(&f2);
}
END_TEST

/* No site at all: the tables say so instead of being silently empty. */
START_TEST(test_report_empty_process) {
  struct fx f;
  fx_init(&f);
  fx_header(&f, "idle", 7);
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "idle.msgpack", f.buf.data, f.buf.size);
  char *text = report_of(p, 10);
  ck_assert(strstr(text, "memscope: 1 file, 1 process, 0 threads\n"
                         "  idle.msgpack: idle pid 7, mode full, incomplete (no end record)\n"));
  ck_assert(strstr(text, "Live at exit by site\n"
                         "    blocks     bytes  function             location\n"
                         "  (none)\n"));
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Long names in the text: template arguments and parameters first, then outer scopes,
 * then the middle; never wider than asked, never half a UTF-8 character. */
/* A row whose numbers took most of the room (estimates with their intervals) still
 * names its function: the name keeps 3/5 of what is left, not what the location's 24
 * columns leave (a leveldb row read "....tKey"). */
START_TEST(test_place_keeps_the_name_in_a_tight_row) {
  static const struct fx_frame frame[] = {
      {"leveldb::(anonymous namespace)::Block::Iter::ParseNextKey()",
       "/build/leveldb-1.23/table/block.cc", 240, 12}};
  struct fx f;
  fx_init(&f);
  fx_header(&f, "tight", 9);
  fx_site(&f, 0x51, MEMSCOPE_API_MALLOC, 1, frame);
  fx_end(&f, 10, "exit");
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "memscope.tight.9.msgpack", f.buf.data, f.buf.size);
  const struct mg_site *site = mg_profile_find_site(p, 0x51);
  ck_assert_ptr_nonnull(site);
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_text_site_place(out, p, site, NULL, 40, 30); /* the name starts at column 70 */
  fclose(out);
  ck_assert_msg(strstr(text, "240:12\n"), "[%s]", text);
  ck_assert_msg(mg_text_width(text) <= 31, "[%s]", text); /* 100 columns, and the \n */
  char *gap = strrchr(text, ' '); /* before the location */
  ck_assert_msg(gap, "[%s]", text);
  *gap = '\0'; /* the name's part: at least 3/5 of the 29 columns */
  ck_assert_msg(mg_text_width(text) >= 17, "[%s]", text);
  ck_assert_msg(strstr(text, "ParseNextKey"), "[%s]", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_report_elide) {
  char out[256];
  mg_text_elide(out, sizeof out, "main", 20);
  ck_assert_str_eq(out, "main");
  mg_text_elide(out, sizeof out,
                "std::vector<std::pair<int, long>, std::allocator<std::pair<int, long>>>::push_back"
                "(std::pair<int, long> const&)",
                40);
  ck_assert_str_eq(out, "std::vector<...>::push_back(...)");
  mg_text_elide(out, sizeof out, "(anonymous namespace)::Parser<char>::parse_with_a_long_name()",
                40);
  ck_assert_str_eq(out, "...::parse_with_a_long_name()");
  /* Outer scopes go before the middle does. */
  mg_text_elide(out, sizeof out,
                "very_long_namespace::registry_with_a_long_name<std::pair<long, long>>::insert", 45);
  ck_assert_str_eq(out, "...::registry_with_a_long_name<...>::insert");
  mg_text_elide(out, sizeof out,
                "very_long_namespace::registry_with_a_long_name<std::pair<long, long>>::insert", 30);
  ck_assert_str_eq(out, "...::insert");
  /* A path keeps its end: the file name and line. */
  mg_text_elide(out, sizeof out, "/work/main/tests/golden/programs/golden.c:40:11", 37);
  ck_assert_str_eq(out, "/work/main/...programs/golden.c:40:11");
  ck_assert_int_eq(mg_text_width(out), 37);
  /* Columns, not bytes: "±" is one column, and it is never cut in half. */
  mg_text_elide(out, sizeof out, "±±±±±±±±±±±±±±±±±±±±", 10);
  ck_assert_int_eq(mg_text_width(out), 10);
  ck_assert_str_eq(out, "±±...±±±±±");
  /* An unbalanced name is cut in the middle, not mangled. */
  mg_text_elide(out, sizeof out, "bool operator<(A const&, B const&) with a long tail here", 20);
  ck_assert_int_eq(mg_text_width(out), 20);
}
END_TEST

Suite *report_suite(void) {
  Suite *s = suite_create("report");
  TCase *tc = tcase_create("text");
  tcase_add_test(tc, test_report_small);
  tcase_add_test(tc, test_report_several);
  tcase_add_test(tc, test_report_empty_process);
  tcase_add_test(tc, test_report_elide);
  tcase_add_test(tc, test_place_keeps_the_name_in_a_tight_row);
  suite_add_tcase(s, tc);
  return s;
}
