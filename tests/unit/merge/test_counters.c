/* COUNTERS snapshots: latest seq per thread, sums over threads and processes, how sites
 * count by kind, and full mode where counters and events must tell the same story. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "profile.h"
#include "report.h"
#include "suites.h"

enum { SITE_MALLOC = 0xA, SITE_REALLOC = 0xB, SITE_FREE = 0xC, SITE_CALLOC = 0xD };
static const struct fx_frame frame[] = {{"fn", "x.c", 1, 1}};

static struct mg_profile *profile_of(struct fx *f) {
  struct mg_profile *p = mg_profile_new();
  const struct mg_input *in = mg_profile_add_buffer(p, "t.msgpack", f->buf.data, f->buf.size);
  ck_assert_msg(in->problem.status == MG_DECODE_OK, "%s", in->problem.message);
  return p;
}

static void sites(struct fx *f) {
  fx_site(f, SITE_MALLOC, MEMSCOPE_API_MALLOC, 1, frame);
  fx_site(f, SITE_REALLOC, MEMSCOPE_API_REALLOC, 1, frame);
  fx_site(f, SITE_FREE, MEMSCOPE_API_FREE, 1, frame);
  fx_site(f, SITE_CALLOC, MEMSCOPE_API_CALLOC, 1, frame);
}

static void ck_sizes(const struct mg_sizes *s, uint64_t calls, uint64_t bytes, uint64_t min,
                     uint64_t max) {
  ck_assert_uint_eq(s->calls, calls);
  ck_assert_uint_eq(s->bytes, bytes);
  ck_assert_uint_eq(s->min, min);
  ck_assert_uint_eq(s->max, max);
}

/* realloc_releases is the thread's, from its latest snapshot like the entries; a thread
 * whose snapshot does not carry it (an older runtime) has none. */
START_TEST(test_realloc_releases_per_thread) {
  struct fx f;
  fx_init(&f);
  fx_header_sampled(&f, "t", 1, 4096);
  sites(&f);
  fx_counters_releases(&f, 1, 11, 4, 1, 6);
  fx_counter(&f, SITE_REALLOC, 8, 800, 100, 100);
  fx_counters_releases(&f, 1, 11, 2, 1, 3); /* older: ignored */
  fx_counter(&f, SITE_REALLOC, 4, 400, 100, 100);
  fx_counters_releases(&f, 2, 12, 3, 0, 0);
  fx_counters(&f, 3, 13, 5, 1);
  fx_counter(&f, SITE_MALLOC, 1, 10, 10, 10);
  struct mg_profile *p = profile_of(&f);
  const struct mg_process *proc = p->inputs[0].process;
  const struct mg_thread *t1 = mg_process_find_thread(proc, 1);
  ck_assert(t1->has_realloc_releases);
  ck_assert_uint_eq(t1->realloc_releases, 6);
  ck_assert_uint_eq(t1->counts.allocations, 8);
  const struct mg_thread *t2 = mg_process_find_thread(proc, 2);
  ck_assert(t2->has_realloc_releases);
  ck_assert_uint_eq(t2->realloc_releases, 0);
  const struct mg_thread *t3 = mg_process_find_thread(proc, 3);
  ck_assert(!t3->has_realloc_releases);
  ck_assert_uint_eq(t3->realloc_releases, 0);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Snapshots arrive out of order: the highest seq wins, whatever came last. */
START_TEST(test_latest_seq_wins) {
  struct fx f;
  fx_init(&f);
  fx_header_sampled(&f, "t", 1, 4096);
  sites(&f);
  fx_counters(&f, 1, 11, 1, 1);
  fx_counter(&f, SITE_MALLOC, 5, 50, 10, 10);
  fx_counters(&f, 1, 11, 3, 1);
  fx_counter(&f, SITE_MALLOC, 9, 90, 10, 10);
  fx_counters(&f, 1, 11, 2, 2);
  fx_counter(&f, SITE_MALLOC, 7, 70, 10, 10);
  fx_counter(&f, SITE_FREE, 7, 0, 0, 0);
  fx_counters(&f, 2, 12, 0, 1);
  fx_counter(&f, SITE_MALLOC, 2, 64, 32, 32);
  struct mg_profile *p = profile_of(&f);
  ck_assert_uint_eq(p->totals.allocations, 11);
  ck_assert_uint_eq(p->totals.bytes_allocated, 154);
  ck_assert_uint_eq(p->totals.frees, 0); /* only seq 2 had the free site */
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert(proc->has_counters && proc->sampled);
  ck_assert_uint_eq(mg_process_find_thread(proc, 1)->counts.allocations, 9);
  ck_assert_uint_eq(mg_process_find_thread(proc, 1)->os_tid, 11);
  ck_assert_uint_eq(mg_process_find_thread(proc, 2)->counts.bytes_allocated, 64);
  ck_sizes(&mg_profile_find_site(p, SITE_MALLOC)->sizes, 11, 154, 10, 32);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* One sampled process: thread 1 and 2 share sites; a realloc(p, 0) returned NULL. */
static void build_two_threads(struct fx *f, uint64_t pid, uint64_t extra_min) {
  fx_init(f);
  fx_header_sampled(f, "t", pid, 4096);
  sites(f);
  fx_counters(f, 1, pid, 4, 2);
  fx_counter(f, SITE_MALLOC, 10, 1000, 8, 500);
  fx_counter(f, SITE_FREE, 7, 0, 0, 0);
  fx_counters(f, 2, pid + 1, 4, 3);
  fx_counter(f, SITE_MALLOC, 5, 200 + extra_min, 4 + extra_min, 100);
  fx_counter(f, SITE_FREE, 3, 0, 0, 0);
  fx_counter(f, SITE_REALLOC, 4, 400, 50, 150);
  fx_events(f, 2, pid + 1, 1);
  fx_alloc(f, SITE_REALLOC, 0, 0, 10); /* realloc(p, 0) -> NULL: not in the counters */
}

START_TEST(test_sum_threads_and_processes) {
  struct fx f1, f2;
  build_two_threads(&f1, 100, 0);
  build_two_threads(&f2, 200, 1);
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "a", f1.buf.data, f1.buf.size);
  const struct mg_process *proc = p->inputs[0].process;
  const struct mg_thread *t1 = mg_process_find_thread(proc, 1), *t2 = mg_process_find_thread(proc, 2);
  ck_assert_uint_eq(t1->counts.allocations, 10);
  ck_assert_uint_eq(t1->counts.frees, 7);
  ck_assert_uint_eq(t1->counts.bytes_allocated, 1000);
  ck_assert_uint_eq(t2->counts.allocations, 9);
  ck_assert_uint_eq(t2->counts.reallocs, 5);
  ck_assert_uint_eq(t2->counts.frees, 3);
  ck_assert_uint_eq(t2->counts.bytes_allocated, 600);
  ck_assert_uint_eq(proc->counts.allocations, 19);
  ck_assert_uint_eq(proc->counts.failed_allocations, 0);
  ck_sizes(&mg_profile_find_site(p, SITE_MALLOC)->sizes, 15, 1200, 4, 500);

  mg_profile_add_buffer(p, "b", f2.buf.data, f2.buf.size);
  const struct mg_site *m = mg_profile_find_site(p, SITE_MALLOC);
  ck_sizes(&m->sizes, 30, 2401, 4, 500); /* min of mins, max of maxes */
  ck_assert_uint_eq(m->counts.allocations, 30);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_FREE)->counts.frees, 20);
  const struct mg_site *r = mg_profile_find_site(p, SITE_REALLOC);
  ck_assert_uint_eq(r->counts.reallocs, 10);
  ck_assert_uint_eq(r->counts.allocations, 8);
  ck_sizes(&r->sizes, 8, 800, 50, 150);
  ck_assert_uint_eq(p->totals.allocations, 38);
  ck_assert_uint_eq(p->totals.frees, 20);
  ck_assert_uint_eq(p->totals.reallocs, 10);
  ck_assert_uint_eq(p->totals.bytes_allocated, 3201);
  mg_profile_free(p);
  fx_destroy(&f1);
  fx_destroy(&f2);
}
END_TEST

/* Sites whose api this tool does not know (a newer pass), wrappers, or sites without a
 * SITE record: counters with calls but no bytes are a free site's; a free event says so
 * too.  The C++ and other apis count by their kind. */
START_TEST(test_site_kind_without_known_api) {
  struct fx f;
  fx_init(&f);
  fx_header_sampled(&f, "t", 1, 4096);
  fx_site(&f, 0x77, 99, 1, frame);
  fx_site(&f, 0x79, 99, 1, frame);
  fx_site(&f, SITE_MALLOC, MEMSCOPE_API_MALLOC, 1, frame);
  fx_site(&f, 0x7a, MEMSCOPE_API_DELETE_ARRAY, 1, frame);
  fx_site(&f, 0x7b, MEMSCOPE_API_NEW, 1, frame);
  fx_site(&f, 0x7c, MEMSCOPE_API_REALLOCARRAY, 1, frame);
  fx_site(&f, 0x7d, MEMSCOPE_API_WRAPPER, 1, frame);
  fx_counters(&f, 1, 10, 1, 8);
  fx_counter(&f, 0x77, 5, 0, 0, 0);
  fx_counter(&f, 0x78, 3, 30, 10, 10); /* no SITE record */
  fx_counter(&f, 0x79, 2, 0, 0, 0);
  fx_counter(&f, SITE_MALLOC, 1, 4096, 4096, 4096);
  fx_counter(&f, 0x7a, 4, 0, 0, 0);
  fx_counter(&f, 0x7b, 2, 64, 32, 32);
  fx_counter(&f, 0x7c, 6, 60, 10, 10);
  fx_counter(&f, 0x7d, 8, 800, 100, 100); /* an xmalloc */
  fx_events(&f, 1, 10, 2);
  fx_sampled(&f, SITE_MALLOC, 4096, 0x1000, 5, 1.0, 0);
  fx_free(&f, 0x79, 0x1000, 6);
  struct mg_profile *p = profile_of(&f);
  ck_assert(mg_site_is_free(mg_profile_find_site(p, 0x77)));
  ck_assert(!mg_site_is_free(mg_profile_find_site(p, 0x78)));
  ck_assert(mg_site_is_free(mg_profile_find_site(p, 0x79)));
  ck_assert(mg_site_is_free(mg_profile_find_site(p, 0x7a)));
  ck_assert(!mg_site_is_free(mg_profile_find_site(p, 0x7b)));
  ck_assert(!mg_site_is_free(mg_profile_find_site(p, 0x7d)));
  ck_assert_uint_eq(mg_profile_find_site(p, 0x7c)->counts.reallocs, 6);
  ck_assert_uint_eq(p->totals.frees, 11);
  ck_assert_uint_eq(p->totals.allocations, 20);
  ck_assert_uint_eq(p->totals.reallocs, 6);
  ck_assert_uint_eq(mg_profile_find_site(p, 0x79)->counts.bytes_freed, 4096);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* --- Full mode: the same story twice ---------------------------------------------------- */

struct ev {
  uint32_t thread, kind;
  uint64_t site, size, ptr, ts, old_ptr, begin;
};

/* Every case the replay knows, on two threads (thread 2's block freed by thread 1). */
static const struct ev story[] = {
    {1, MS_EV_ALLOC, SITE_MALLOC, 100, 0x1000, 10, 0, 0},
    {1, MS_EV_ALLOC, SITE_CALLOC, 40, 0x2000, 11, 0, 0},
    {1, MS_EV_REALLOC, SITE_REALLOC, 200, 0x3000, 13, 0x1000, 12},  /* moved */
    {1, MS_EV_REALLOC, SITE_REALLOC, 300, 0x3000, 15, 0x3000, 14},  /* in place */
    {1, MS_EV_REALLOC, SITE_REALLOC, 1ULL << 40, 0, 17, 0x3000, 16}, /* failed */
    {1, MS_EV_REALLOC, SITE_REALLOC, 0, 0, 19, 0x2000, 18},         /* size 0: freed */
    {1, MS_EV_REALLOC, SITE_REALLOC, 24, 0x4000, 21, 0, 20},        /* from NULL */
    {1, MS_EV_FREE, SITE_FREE, 0, 0, 22, 0, 0},                     /* free(NULL) */
    {1, MS_EV_FREE, SITE_FREE, 0, 0x9000, 23, 0, 0},                /* unmatched */
    {1, MS_EV_ALLOC, SITE_MALLOC, 1ULL << 41, 0, 24, 0, 0},         /* failed */
    {1, MS_EV_FREE, SITE_FREE, 0, 0x5000, 40, 0, 0},                /* thread 2's */
    {2, MS_EV_ALLOC, SITE_MALLOC, 7, 0x5000, 30, 0, 0},
    {2, MS_EV_ALLOC, SITE_MALLOC, 9, 0x6000, 31, 0, 0},
    {2, MS_EV_FREE, SITE_FREE, 0, 0x3000, 32, 0, 0},
};
#define NSTORY (sizeof story / sizeof story[0])

/* The story's file; with counters, the snapshots the runtime would write for it (an
 * older one first, to be ignored), off by `skew` calls at the malloc site of thread 1;
 * thread 2 gets none when `thread2_counters` is false. */
static void build_story(struct fx *f, bool counters, uint64_t skew, bool thread2_counters) {
  fx_init(f);
  fx_header(f, "story", 1);
  sites(f);
  for (uint32_t thr = 1; thr <= 2; thr++) {
    size_t n = 0;
    for (size_t i = 0; i < NSTORY; i++)
      n += story[i].thread == thr;
    fx_events(f, thr, thr, n);
    for (size_t i = 0; i < NSTORY; i++) {
      const struct ev *e = &story[i];
      if (e->thread != thr)
        continue;
      if (e->kind == MS_EV_ALLOC)
        fx_alloc(f, e->site, e->size, e->ptr, e->ts);
      else if (e->kind == MS_EV_FREE)
        fx_free(f, e->site, e->ptr, e->ts);
      else
        fx_realloc(f, e->site, e->size, e->ptr, e->ts, e->old_ptr, e->begin);
    }
    if (!counters || (thr == 2 && !thread2_counters))
      continue;
    /* The contract (format.h): calls that returned a block; frees of non-NULL. */
    struct mg_sizes per_site[4] = {{0}};
    for (size_t i = 0; i < NSTORY; i++) {
      const struct ev *e = &story[i];
      if (e->thread != thr || !e->ptr)
        continue;
      struct mg_sizes one = {1, e->kind == MS_EV_FREE ? 0 : e->size,
                             e->kind == MS_EV_FREE ? 0 : e->size,
                             e->kind == MS_EV_FREE ? 0 : e->size};
      mg_sizes_add(&per_site[e->site - SITE_MALLOC], &one);
    }
    if (thr == 1)
      per_site[0].calls += skew;
    fx_counters(f, thr, thr, 1, 1);
    fx_counter(f, SITE_MALLOC, 1, 1, 1, 1);
    fx_counters(f, thr, thr, 2, 4);
    for (int s = 0; s < 4; s++)
      fx_counter(f, SITE_MALLOC + s, per_site[s].calls, per_site[s].bytes, per_site[s].min,
                 per_site[s].max);
  }
  fx_end(f, 50, "exit");
}

static char *report_of(const struct mg_profile *p) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_report_text(out, p, NULL);
  fclose(out);
  return text;
}

static void ck_same_counts(const struct mg_counts *a, const struct mg_counts *b) {
  ck_assert_uint_eq(a->allocations, b->allocations);
  ck_assert_uint_eq(a->failed_allocations, b->failed_allocations);
  ck_assert_uint_eq(a->reallocs, b->reallocs);
  ck_assert_uint_eq(a->frees, b->frees);
  ck_assert_uint_eq(a->null_frees, b->null_frees);
  ck_assert_uint_eq(a->unmatched_frees, b->unmatched_frees);
  ck_assert_uint_eq(a->bytes_allocated, b->bytes_allocated);
  ck_assert_uint_eq(a->bytes_freed, b->bytes_freed);
  ck_assert_uint_eq(a->live_blocks, b->live_blocks);
  ck_assert_uint_eq(a->live_bytes, b->live_bytes);
  ck_assert_uint_eq(a->peak_live_bytes, b->peak_live_bytes);
  ck_assert(!a->estimated && !b->estimated);
}

static void ck_same_profiles(struct mg_profile *a, struct mg_profile *b) {
  ck_same_counts(&a->totals, &b->totals);
  const struct mg_process *pa = a->inputs[0].process, *pb = b->inputs[0].process;
  ck_assert_uint_eq(pa->nthreads, pb->nthreads);
  for (size_t i = 0; i < pa->nthreads; i++)
    ck_same_counts(&pa->threads[i].counts, &pb->threads[i].counts);
  for (uint64_t id = SITE_MALLOC; id <= SITE_CALLOC; id++) {
    const struct mg_site *sa = mg_profile_find_site(a, id), *sb = mg_profile_find_site(b, id);
    ck_same_counts(&sa->counts, &sb->counts);
    ck_sizes(&sa->sizes, sb->sizes.calls, sb->sizes.bytes, sb->sizes.min, sb->sizes.max);
  }
  char *ta = report_of(a), *tb = report_of(b);
  ck_assert_str_eq(ta, tb);
  free(ta);
  free(tb);
}

START_TEST(test_full_mode_same_with_counters) {
  struct fx plain, counted;
  build_story(&plain, false, 0, false);
  build_story(&counted, true, 0, true);
  struct mg_profile *a = profile_of(&plain), *b = profile_of(&counted);
  ck_assert(!a->inputs[0].process->has_counters && b->inputs[0].process->has_counters);
  ck_assert_uint_eq(b->inputs[0].process->disagreeing_sites, 0);
  /* The numbers themselves (docs/merge.md's rules), once. */
  const struct mg_counts *t = &b->totals;
  ck_assert_uint_eq(t->allocations, 7);
  ck_assert_uint_eq(t->failed_allocations, 2);
  ck_assert_uint_eq(t->reallocs, 5);
  ck_assert_uint_eq(t->frees, 6);
  ck_assert_uint_eq(t->null_frees, 1);
  ck_assert_uint_eq(t->unmatched_frees, 1);
  ck_assert_uint_eq(t->bytes_allocated, 680);
  ck_assert_uint_eq(t->live_bytes, 33);
  ck_same_profiles(a, b);
  mg_profile_free(a);
  mg_profile_free(b);
  fx_destroy(&plain);
  fx_destroy(&counted);
}
END_TEST

/* A full-mode thread whose snapshot was lost keeps its events' (exact) counts. */
START_TEST(test_full_mode_thread_without_snapshot) {
  struct fx plain, counted;
  build_story(&plain, false, 0, false);
  build_story(&counted, true, 0, false);
  struct mg_profile *a = profile_of(&plain), *b = profile_of(&counted);
  ck_same_profiles(a, b);
  mg_profile_free(a);
  mg_profile_free(b);
  fx_destroy(&plain);
  fx_destroy(&counted);
}
END_TEST

/* Counters and events disagree: the counters win, and the file line says so. */
START_TEST(test_full_mode_disagreement) {
  struct fx f;
  build_story(&f, true, 3, true);
  struct mg_profile *p = profile_of(&f);
  ck_assert_uint_eq(p->inputs[0].process->disagreeing_sites, 1);
  ck_assert_uint_eq(p->totals.allocations, 10);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_MALLOC)->counts.allocations, 6);
  char *text = report_of(p);
  ck_assert_msg(strstr(text, "  t.msgpack: story pid 1, mode full, complete, "
                             "counters and events disagree at 1 site\n"),
                "%s", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

Suite *counters_suite(void) {
  Suite *s = suite_create("counters");
  TCase *tc = tcase_create("snapshots");
  tcase_add_test(tc, test_latest_seq_wins);
  tcase_add_test(tc, test_realloc_releases_per_thread);
  tcase_add_test(tc, test_sum_threads_and_processes);
  tcase_add_test(tc, test_site_kind_without_known_api);
  suite_add_tcase(s, tc);
  tc = tcase_create("full mode");
  tcase_add_test(tc, test_full_mode_same_with_counters);
  tcase_add_test(tc, test_full_mode_thread_without_snapshot);
  tcase_add_test(tc, test_full_mode_disagreement);
  suite_add_tcase(s, tc);
  return s;
}
