/* Sampled mode: weighted estimates and their error bars on streams with known weights,
 * realloc as a FREE + ALLOC pair, failures, and the text report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "profile.h"
#include "report.h"
#include "suites.h"

enum { SITE_MALLOC = 0xA, SITE_REALLOC = 0xB, SITE_FREE = 0xC };

static struct mg_profile *profile_of(struct fx *f) {
  struct mg_profile *p = mg_profile_new();
  const struct mg_input *in = mg_profile_add_buffer(p, "memscope.s.7.msgpack", f->buf.data,
                                                    f->buf.size);
  ck_assert_msg(in->problem.status == MG_DECODE_OK, "%s", in->problem.message);
  return p;
}

static void start(struct fx *f) {
  const struct fx_frame a[] = {{"make", "s.c", 10, 5}};
  const struct fx_frame b[] = {{"grow", "s.c", 20, 9}};
  const struct fx_frame c[] = {{"drop", "s.c", 30, 3}};
  fx_init(f);
  fx_header_sampled(f, "s", 7, 65536);
  fx_site(f, SITE_MALLOC, MEMSCOPE_API_MALLOC, 1, a);
  fx_site(f, SITE_REALLOC, MEMSCOPE_API_REALLOC, 1, b);
  fx_site(f, SITE_FREE, MEMSCOPE_API_FREE, 1, c);
}

static void ck_est(const struct mg_est *e, double value, double var) {
  ck_assert_msg(fabs(e->value - value) < 1e-9, "value %.12g, expected %.12g", e->value, value);
  ck_assert_msg(fabs(e->var - var) < 1e-6, "var %.12g, expected %.12g", e->var, var);
}

/* A figure of an estimate: its value, the samples behind it, and its interval as
 * mg_est_interval makes it (test_estimator.c checks that one against known intervals). */
static void ck_figure(const struct mg_counts *c, enum mg_figure_of what, uint64_t value,
                      uint64_t samples) {
  struct mg_figure f = mg_counts_figure(c, what);
  ck_assert(f.estimated);
  ck_assert_uint_eq(f.value, value);
  ck_assert_uint_eq(f.samples, samples);
  ck_assert(!f.bounded);
  ck_assert(f.low <= f.value && f.value <= f.high);
  ck_assert_uint_eq(f.error, f.high - f.value > f.value - f.low ? f.high - f.value
                                                                 : f.value - f.low);
}

/* Three sampled blocks: 100 bytes of weight 4 and 1000 of weight 1.25 stay, 10 of weight
 * 2 is freed.  live bytes = 4*100 + 1.25*1000 = 1650, variance
 * (16-4)*100^2 + (1.5625-1.25)*1000^2 = 432500; 1.96*sqrt(432500) = 1288.98. */
static void build_weighted(struct fx *f) {
  start(f);
  fx_counters(f, 1, 70, 1, 2);
  fx_counter(f, SITE_MALLOC, 50, 6000, 8, 1000);
  fx_counter(f, SITE_FREE, 40, 0, 0, 0);
  fx_events(f, 1, 70, 4);
  fx_sampled(f, SITE_MALLOC, 100, 0x1000, 10, 4.0, 0);
  fx_sampled(f, SITE_MALLOC, 1000, 0x2000, 11, 1.25, 0);
  fx_sampled(f, SITE_MALLOC, 10, 0x3000, 12, 2.0, 16);
  fx_free(f, SITE_FREE, 0x3000, 13);
  fx_thread(f, 1, 70, "main", 1, 20);
  fx_end(f, 30, "exit");
}

START_TEST(test_weighted_live_estimate) {
  struct fx f;
  build_weighted(&f);
  struct mg_profile *p = profile_of(&f);
  const struct mg_counts *t = &p->totals;
  ck_assert(t->estimated);
  /* exact, from the counters */
  ck_assert_uint_eq(t->allocations, 50);
  ck_assert_uint_eq(t->bytes_allocated, 6000);
  ck_assert_uint_eq(t->frees, 40);
  ck_assert_uint_eq(t->samples, 3);
  /* estimated, from the weights */
  ck_est(&t->est_live_bytes, 1650, 432500);
  ck_figure(t, MG_LIVE_BYTES, 1650, 2);
  ck_est(&t->est_live_blocks, 5.25, 12.3125);
  /* blocks live at exit: exact from the counts (50 - 40), not the estimate; at the site
   * (frees are counted where they happen, not where the block came from) the estimate */
  struct mg_figure blocks = mg_counts_figure(t, MG_LIVE_BLOCKS);
  ck_assert(!blocks.estimated);
  ck_assert_uint_eq(blocks.value, 10);
  ck_figure(&mg_profile_find_site(p, SITE_MALLOC)->counts, MG_LIVE_BLOCKS, 5, 2);
  ck_est(&t->est_bytes_freed, 20, 200);
  ck_figure(t, MG_BYTES_FREED, 20, 1);
  /* the peak: the running estimate was highest with all three live (1670); the peak's
   * estimate (the split halves', replay.c) is not below what is live at the end, and
   * its interval reaches that highest moment's */
  struct mg_figure peak = mg_counts_figure(t, MG_PEAK_LIVE_BYTES);
  ck_assert(peak.estimated && !peak.bounded);
  ck_assert(peak.value >= 1650 && peak.low <= 1670 && peak.high >= 1670);
  /* the same at the site and the thread */
  ck_est(&mg_profile_find_site(p, SITE_MALLOC)->counts.est_live_bytes, 1650, 432500);
  ck_est(&mg_profile_find_site(p, SITE_FREE)->counts.est_bytes_freed, 20, 200);
  ck_figure(&mg_profile_find_site(p, SITE_FREE)->counts, MG_BYTES_FREED, 20, 1);
  ck_figure(&p->inputs[0].process->threads[0].counts, MG_BYTES_FREED, 20, 1);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* The same samples with the clock stepping back inside the batch: the replay puts the
 * later-written events before the block of time 20 in its window, and each weight has
 * to move with its event (the window keeps weights apart from the events). */
START_TEST(test_weighted_out_of_order) {
  struct fx f;
  start(&f);
  fx_counters(&f, 1, 70, 1, 2);
  fx_counter(&f, SITE_MALLOC, 50, 6000, 8, 1000);
  fx_counter(&f, SITE_FREE, 40, 0, 0, 0);
  fx_events(&f, 1, 70, 4);
  fx_sampled(&f, SITE_MALLOC, 100, 0x1000, 10, 4.0, 0);
  fx_sampled(&f, SITE_MALLOC, 1000, 0x2000, 20, 1.25, 0);
  fx_sampled(&f, SITE_MALLOC, 10, 0x3000, 15, 2.0, 16);
  fx_free(&f, SITE_FREE, 0x3000, 16);
  fx_thread(&f, 1, 70, "main", 1, 30);
  fx_end(&f, 40, "exit");
  struct mg_profile *p = profile_of(&f);
  const struct mg_counts *t = &p->totals;
  ck_est(&t->est_live_bytes, 1650, 432500);
  ck_est(&t->est_live_blocks, 5.25, 12.3125);
  ck_est(&t->est_bytes_freed, 20, 200);
  ck_assert_uint_eq(p->inputs[0].process->late_events, 0);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Samples of weight 1 (blocks sure to be sampled) are in both halves of the peak's
 * split: the peak, the thread's and the sites' at the peak are exact. */
START_TEST(test_sampled_peak_of_sure_blocks) {
  struct fx f;
  start(&f);
  fx_counters(&f, 1, 70, 1, 2);
  fx_counter(&f, SITE_MALLOC, 3, 3 << 20, 1 << 20, 1 << 20);
  fx_counter(&f, SITE_FREE, 3, 0, 0, 0);
  fx_events(&f, 1, 70, 6);
  fx_sampled(&f, SITE_MALLOC, 1 << 20, 0x1000, 10, 1.0, 0);
  fx_sampled(&f, SITE_MALLOC, 1 << 20, 0x2000, 11, 1.0, 0);
  fx_free(&f, SITE_FREE, 0x1000, 12);
  fx_sampled(&f, SITE_MALLOC, 1 << 20, 0x3000, 13, 1.0, 0);
  fx_free(&f, SITE_FREE, 0x2000, 14);
  fx_free(&f, SITE_FREE, 0x3000, 15);
  fx_thread(&f, 1, 70, "main", 1, 20);
  fx_end(&f, 30, "exit");
  struct mg_profile *p = profile_of(&f);
  const struct mg_process *proc = p->inputs[0].process;
  struct mg_figure peak = mg_counts_figure(&proc->counts, MG_PEAK_LIVE_BYTES);
  ck_assert_uint_eq(peak.value, 2 << 20);
  ck_assert_uint_eq(peak.low, 2 << 20);
  ck_assert_uint_eq(mg_est_figure(&proc->threads[0].est_peak_live_bytes, true).value, 2 << 20);
  ck_assert_uint_eq(proc->npeak_sites, 1);
  ck_assert(proc->peak_sites[0].bytes.value == 2 << 20 && proc->peak_sites[0].blocks.value == 2);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A realloc in sampled mode: FREE of the old block (if sampled) at the realloc's site,
 * then ALLOC of the new one (if sampled).  One moves P to Q, one stays at R. */
START_TEST(test_sampled_realloc_pair) {
  struct fx f;
  start(&f);
  fx_counters(&f, 1, 70, 1, 2);
  fx_counter(&f, SITE_MALLOC, 10, 500, 16, 64);
  fx_counter(&f, SITE_REALLOC, 6, 600, 48, 128);
  fx_events(&f, 1, 70, 7);
  fx_sampled(&f, SITE_MALLOC, 64, 0x1000, 10, 2.0, 0);
  fx_free(&f, SITE_REALLOC, 0x1000, 20);
  fx_sampled(&f, SITE_REALLOC, 128, 0x2000, 21, 1.25, 0);
  fx_sampled(&f, SITE_MALLOC, 32, 0x3000, 30, 3.0, 0);
  fx_free(&f, SITE_REALLOC, 0x3000, 40);
  fx_sampled(&f, SITE_REALLOC, 48, 0x3000, 41, 1.0, 0);
  fx_alloc(&f, SITE_REALLOC, 0, 0, 50); /* realloc(p, 0) returned NULL */
  struct mg_profile *p = profile_of(&f);
  const struct mg_counts *t = &p->totals;
  ck_assert_uint_eq(t->allocations, 16);
  ck_assert_uint_eq(t->reallocs, 7);
  ck_assert_uint_eq(t->frees, 0); /* no free site; realloc's releases are estimated bytes */
  ck_assert_uint_eq(t->failed_allocations, 0);
  ck_assert_uint_eq(t->unmatched_frees, 0);
  ck_assert_uint_eq(t->overwritten_blocks, 0);
  ck_assert_uint_eq(t->samples, 4);
  const struct mg_site *r = mg_profile_find_site(p, SITE_REALLOC);
  /* live: Q (128, w 1.25) and R (48, w 1) */
  ck_est(&r->counts.est_live_bytes, 208, 0.3125 * 128 * 128);
  ck_est(&r->counts.est_live_blocks, 2.25, 0.3125);
  ck_figure(&r->counts, MG_LIVE_BYTES, 208, 2);
  ck_figure(&r->counts, MG_LIVE_BLOCKS, 2, 2);
  /* freed by the reallocs: P (64, w 2) and the old R (32, w 3) */
  ck_est(&r->counts.est_bytes_freed, 224, 2.0 * 64 * 64 + 6.0 * 32 * 32);
  ck_figure(&r->counts, MG_BYTES_FREED, 224, 2);
  ck_est(&mg_profile_find_site(p, SITE_MALLOC)->counts.est_live_bytes, 0, 0);
  ck_assert_uint_eq(r->counts.reallocs, 7);
  ck_assert_uint_eq(r->counts.allocations, 6);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

static char *report_of(const struct mg_profile *p);

/* No live sample, but the live blocks exact (a complete process, every count in): its
 * live bytes are at most those blocks times the largest request (the counts' ranges),
 * a bound far below the sampling one; none live is an exact 0. */
static struct mg_profile *live_without_samples(struct fx *f, uint64_t frees) {
  start(f);
  fx_counters(f, 1, 70, 1, 2);
  fx_counter(f, SITE_MALLOC, 1000, 40000, 16, 64);
  fx_counter(f, SITE_FREE, frees, 0, 0, 0);
  fx_events(f, 1, 70, 2);
  fx_sampled(f, SITE_MALLOC, 40, 0x1000, 10, 1638.9, 0);
  fx_free(f, SITE_FREE, 0x1000, 11);
  fx_thread(f, 1, 70, "main", 1, 20);
  fx_end(f, 30, "exit");
  return profile_of(f);
}

START_TEST(test_live_bytes_bound_by_blocks_and_largest) {
  struct fx f;
  struct mg_profile *p = live_without_samples(&f, 997);
  struct mg_figure blocks = mg_counts_figure(&p->totals, MG_LIVE_BLOCKS);
  ck_assert(!blocks.estimated);
  ck_assert_uint_eq(blocks.value, 3);
  struct mg_figure live = mg_counts_figure(&p->totals, MG_LIVE_BYTES);
  ck_assert(live.estimated && live.bounded);
  ck_assert_uint_eq(live.samples, 0);
  ck_assert_uint_eq(live.value, 0);
  ck_assert_uint_eq(live.high, 3 * 64); /* not the 40000 allocated, nor 65536 ln 20 */
  char *text = report_of(p);
  ck_assert_msg(strstr(text, "  still live at exit: 3 blocks, ≤192 (0) bytes\n"), "%s", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
  p = live_without_samples(&f, 1000);
  live = mg_counts_figure(&p->totals, MG_LIVE_BYTES);
  ck_assert(!live.estimated);
  ck_assert_uint_eq(live.value, 0);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A failed allocation is an event in both modes: exact, not a sample. */
START_TEST(test_sampled_failed_allocation) {
  struct fx f;
  start(&f);
  fx_counters(&f, 1, 70, 1, 1);
  fx_counter(&f, SITE_MALLOC, 3, 30, 10, 10);
  fx_events(&f, 1, 70, 1);
  fx_alloc(&f, SITE_MALLOC, 1ULL << 40, 0, 10);
  struct mg_profile *p = profile_of(&f);
  ck_assert_uint_eq(p->totals.failed_allocations, 1);
  ck_assert_uint_eq(p->totals.allocations, 3);
  ck_assert_uint_eq(p->totals.samples, 0);
  /* no sample: not "0 exactly" but at most R ln 20 bytes (95%), and never more than the
   * exact counts allow: 30 bytes were allocated */
  struct mg_figure live = mg_counts_figure(&p->totals, MG_LIVE_BYTES);
  ck_assert(live.estimated && live.bounded);
  ck_assert_uint_eq(live.samples, 0);
  ck_assert_uint_eq(live.value, 0);
  ck_assert_uint_eq(live.high, 30);
  struct mg_est raw = p->totals.est_live_bytes;
  ck_assert_uint_eq(mg_est_figure(&raw, true).high, (uint64_t)llround(65536 * log(20.0)));
  /* blocks: R ln 20 / p(10 bytes), the smallest size counted, at most the 3 allocated
   * (the process's exact count is not known: no END record) */
  ck_assert_uint_eq(mg_est_figure(&p->totals.est_live_blocks, true).high,
                    (uint64_t)llround(log(20.0) / -expm1(-10.0 / 65536)));
  struct mg_figure blocks = mg_counts_figure(&p->totals, MG_LIVE_BLOCKS);
  ck_assert(blocks.bounded);
  ck_assert_uint_eq(blocks.high, 3);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

static char *report_of(const struct mg_profile *p) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_report_text(out, p, NULL);
  fclose(out);
  return text;
}

START_TEST(test_report_sampled) {
  struct fx f;
  build_weighted(&f);
  struct mg_profile *p = profile_of(&f);
  char *text = report_of(p);
  /* The summary keeps every estimate's interval (and a bound where no sample is). */
  const char *want =
      "memscope: 1 file, 1 process, 1 thread\n"
      "  memscope.s.7.msgpack: s pid 7, mode sampled (bytes sampler, mean interval 65536 bytes), complete\n"
      "\n"
      "Summary (what to fix first; every table follows in full)\n"
      "  50 allocations of 6000 bytes, 40 frees, 0 reallocs\n"
      "  peak: 2555±3445 (2) bytes live at 0.000 ms\n"
      "  still live at exit: 10 blocks, 1650±4350 (2) bytes\n"
      "  leaks (live at exit), largest first:\n"
      "   1650±4350 (2) bytes    5±45 (2) blocks  make s.c:10:5\n"
      "  the peak's contributors:\n"
      "   2555±240569 (2) bytes  9±30217 (2) blocks  make s.c:10:5\n"
      "  most allocations:\n"
      "           50 calls        6000 bytes   make s.c:10:5\n"
      "  temporary allocations (freed within 100 us):\n"
      "     2±48 (1) blocks         50 calls   make s.c:10:5\n"
      "  bottlenecks (severity 0..1):\n"
      "     0.65  leak               make s.c:10:5\n"
      "\n"
      "Totals\n"
      "  allocations                   50\n"
      "  failed allocations             0\n"
      "  reallocs                       0\n"
      "  frees                         40\n"
      "  bytes allocated             6000\n"
      "  bytes freed         20±241745 (1)\n"
      "  live blocks at exit           10\n"
      "  live bytes at exit  1650±4350 (2)\n"
      "  peak live bytes     2555±3445 (2)\n"
      "  samples                        3\n"
      "\n"
      "Live at exit by site\n"
      "    blocks     bytes  function             location\n"
      "  5±45 (2) 1650±4350 (2)  make                 s.c:10:5\n"
      "  10 blocks still live at exit (exact: allocations - frees - reallocs that released a block);\n"
      "  the sites above are those with a live sample; any other site holds at most\n"
      "  196328 bytes at exit (95%)\n";
  ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "%s", text);
  /* A free site's bytes are bytes freed, estimated; it is only in the free sites' table. */
  ck_assert_msg(strstr(text, "Top free sites by calls\n"
                             "     calls     bytes  api      function             location\n"
                             "        40 20±241745 (1)  free     drop                 s.c:30:3\n"),
                "%s", text);
  ck_assert(!strstr(strstr(text, "Top allocation sites by calls\n"), "drop  ") ||
            strstr(strstr(text, "Top allocation sites by calls\n"), "drop  ") >
                strstr(text, "Top free sites by calls\n"));
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A sampled and a full process together: estimates where one is sampled, and the lines
 * only full mode can tell (null and unmatched frees) come back. */
void build_small_profile(struct fx *f, uint64_t pid);
START_TEST(test_report_mixed_modes) {
  struct fx a, b;
  build_weighted(&a);
  build_small_profile(&b, 500);
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "s.msgpack", a.buf.data, a.buf.size);
  char *text = report_of(p);
  ck_assert_ptr_null(strstr(text, "null frees"));
  ck_assert_ptr_null(strstr(text, "unmatched frees"));
  free(text);
  mg_profile_add_buffer(p, "f.msgpack", b.buf.data, b.buf.size);
  text = report_of(p);
  ck_assert_msg(strstr(text, "  f.msgpack: small pid 500, mode full, complete\n"), "%s", text);
  ck_assert_msg(strstr(text, "  allocations                   54\n"
                         "  failed allocations             1\n"
                         "  reallocs                       0\n"
                         "  frees                         43\n"
                         "  null frees                     1\n"
                         "  unmatched frees                1\n"
                         "  bytes allocated             6187\n"
                         "  bytes freed         170±241673 (3)\n"
                         "  live blocks at exit           12\n"), "%.1500s", text);
  /* per process: the full one's threads stay exact */
  ck_assert(strstr(text, "       1      500         2         1           150           100  small\n"));
  ck_assert(strstr(text, "       1       70        50        40          6000 20±241745 (1)  main\n"));
  free(text);
  mg_profile_free(p);
  fx_destroy(&a);
  fx_destroy(&b);
}
END_TEST

Suite *sampled_suite(void) {
  Suite *s = suite_create("sampled");
  TCase *tc = tcase_create("estimates");
  tcase_add_test(tc, test_weighted_live_estimate);
  tcase_add_test(tc, test_weighted_out_of_order);
  tcase_add_test(tc, test_sampled_realloc_pair);
  tcase_add_test(tc, test_sampled_peak_of_sure_blocks);
  tcase_add_test(tc, test_sampled_failed_allocation);
  tcase_add_test(tc, test_live_bytes_bound_by_blocks_and_largest);
  suite_add_tcase(s, tc);
  tc = tcase_create("report");
  tcase_add_test(tc, test_report_sampled);
  tcase_add_test(tc, test_report_mixed_modes);
  suite_add_tcase(s, tc);
  return s;
}
