/* The deeper analyses: peak make-up, per-thread peaks, lifetimes, short-lived blocks,
 * cross-thread frees, realloc chains, bottlenecks of every type, and the streaming
 * replay's window. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bottleneck.h"
#include "build.h"
#include "fixture.h"
#include "profile.h"
#include "replay.h"
#include "report.h"
#include "suites.h"

static const struct fx_frame frame[] = {{"fn", "a.c", 1, 1}};

static struct mg_profile *profile_of(struct fx *f, size_t window) {
  struct mg_profile *p = mg_profile_new();
  p->window = window;
  const struct mg_input *in = mg_profile_add_buffer(p, "a.msgpack", f->buf.data, f->buf.size);
  ck_assert_msg(in->problem.status == MG_DECODE_OK, "%s", in->problem.message);
  return p;
}

/* --- Full mode: every analysis on a small, known story -------------------------------- */

enum { S_MALLOC = 0x10, S_REALLOC = 0x11, S_FREE = 0x12 };

/* Thread 1: A (100 @1000), B (50 @1100), chain on C: malloc 8 @1200, realloc x3 to 64,
 * freed @5000; realloc chain D: malloc 4, realloc x2, realloc(D, 0) @5100.
 * Thread 2: frees A @2000 (cross-thread, lifetime 1000 ns); allocates E (400 @3000),
 * frees it @3000 + 2 s.  B lives to the end. */
static void build_story(struct fx *f) {
  fx_init(f);
  fx_header(f, "story", 42);
  fx_site(f, S_MALLOC, MEMSCOPE_API_MALLOC, 1, frame);
  fx_site(f, S_REALLOC, MEMSCOPE_API_REALLOC, 1, frame);
  fx_site(f, S_FREE, MEMSCOPE_API_FREE, 1, frame);
  fx_events(f, 1, 420, 11);
  fx_alloc(f, S_MALLOC, 100, 0xA000, 1000);
  fx_alloc(f, S_MALLOC, 50, 0xB000, 1100);
  fx_alloc(f, S_MALLOC, 8, 0xC000, 1200);
  fx_realloc(f, S_REALLOC, 16, 0xC100, 1310, 0xC000, 1300);
  fx_realloc(f, S_REALLOC, 32, 0xC200, 1410, 0xC100, 1400);
  fx_realloc(f, S_REALLOC, 64, 0xC300, 1510, 0xC200, 1500);
  fx_free(f, S_FREE, 0xC300, 5000);
  fx_alloc(f, S_MALLOC, 4, 0xD000, 5010);
  fx_realloc(f, S_REALLOC, 8, 0xD100, 5030, 0xD000, 5020);
  fx_realloc(f, S_REALLOC, 16, 0xD200, 5050, 0xD100, 5040);
  fx_realloc(f, S_REALLOC, 0, 0, 5070, 0xD200, 5060);
  fx_events(f, 2, 421, 3);
  fx_free(f, S_FREE, 0xA000, 2000);
  fx_alloc(f, S_MALLOC, 400, 0xE000, 3000);
  fx_free(f, S_FREE, 0xE000, 3000 + 2000000000ULL);
  fx_end(f, 3000 + 3000000000ULL, "exit");
}

START_TEST(test_story_peak_and_threads) {
  struct fx f;
  build_story(&f);
  struct mg_profile *p = profile_of(&f, 0);
  const struct mg_process *proc = p->inputs[0].process;
  /* Heap: A100 B50 C8 -> C16 C32 C64 = 214 at 1510; A freed at 2000; E400 at 3000: 514. */
  ck_assert_uint_eq(proc->counts.peak_live_bytes, 514);
  ck_assert_uint_eq(proc->peak_ns, 3000 - 1000); /* the fixture's start_ns is 1000 */
  ck_assert_uint_eq(proc->npeak_sites, 2);
  ck_assert_uint_eq(proc->peak_sites[0].site, S_MALLOC); /* B 50 + E 400 */
  ck_assert(proc->peak_sites[0].bytes.value == 450 && proc->peak_sites[0].blocks.value == 2);
  ck_assert_uint_eq(proc->peak_sites[1].site, S_REALLOC);
  ck_assert(proc->peak_sites[1].bytes.value == 64);
  /* Thread 1's own live heap peaked at 214 (A is its block until thread 2 frees it). */
  const struct mg_thread *t1 = mg_process_find_thread(proc, 1), *t2 = mg_process_find_thread(proc, 2);
  ck_assert_uint_eq(t1->peak_live_bytes, 214);
  ck_assert_uint_eq(t1->peak_ns, 1510 - 1000);
  ck_assert_uint_eq(t2->peak_live_bytes, 400);
  ck_assert_uint_eq(t1->nhot, 2);
  ck_assert_uint_eq(t1->hot[0].site, S_REALLOC); /* 5 reallocs that returned a block */
  ck_assert_uint_eq(t1->hot[0].allocations, 5);
  ck_assert_uint_eq(t1->hot[1].site, S_MALLOC);
  /* Cross-thread: A, allocated by 1 and freed by 2. */
  ck_assert_uint_eq(proc->ninteractions, 1);
  ck_assert_uint_eq(proc->interactions[0].alloc_thread, 1);
  ck_assert_uint_eq(proc->interactions[0].free_thread, 2);
  ck_assert(proc->interactions[0].bytes.value == 100);
  ck_assert(t1->counts.est_cross_freed.value == 1);
  ck_assert(t1->counts.est_cross_freed_bytes.value == 100);
  ck_assert_uint_eq(proc->window_max > 0, 1);
  ck_assert_uint_eq(proc->late_events, 0);
  ck_assert(proc->ordered_by_scan);
  /* The timeline saw every allocation; its buckets cover the 3 s run. */
  double allocs = 0;
  for (int i = 0; i < MG_TIMELINE_BUCKETS; i++)
    allocs += proc->timeline_allocs[i];
  ck_assert(allocs == 10);
  ck_assert(proc->timeline_width * MG_TIMELINE_BUCKETS > 2000000000ULL);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* The peak's make-up is what each site held when the heap first shrank after its latest
 * peak (replay.c takes it lazily: a site keeps its values as of that moment on its first
 * change after it).  So a later, lower peak does not count, a block of 0 bytes allocated
 * between the peak and that shrink is in it, and what sites do afterwards is not. */
START_TEST(test_peak_makeup_latest) {
  enum { S1 = 0x20, S2 = 0x21 };
  struct fx f;
  fx_init(&f);
  fx_header(&f, "makeup", 7);
  fx_site(&f, S1, MEMSCOPE_API_MALLOC, 1, frame);
  fx_site(&f, S2, MEMSCOPE_API_MALLOC, 1, frame);
  fx_site(&f, S_FREE, MEMSCOPE_API_FREE, 1, frame);
  fx_events(&f, 1, 420, 10);
  fx_alloc(&f, S1, 100, 0x1000, 1000); /* 100 */
  fx_alloc(&f, S2, 10, 0x2000, 1100);  /* 110: a peak */
  fx_free(&f, S_FREE, 0x2000, 1200);   /* 100 */
  fx_alloc(&f, S2, 30, 0x3000, 1300);  /* 130: the peak */
  fx_alloc(&f, S1, 0, 0x4000, 1400);   /* 130, S1 has 2 blocks */
  fx_free(&f, S_FREE, 0x1000, 1500);   /* 30: the make-up is taken here */
  fx_alloc(&f, S1, 20, 0x5000, 1600);  /* 50 */
  fx_free(&f, S_FREE, 0x3000, 1700);   /* 20 */
  fx_alloc(&f, S2, 5, 0x6000, 1800);   /* 25 */
  fx_alloc(&f, S2, 70, 0x7000, 1900);  /* 95: lower than the peak */
  fx_end(&f, 2000, "exit");
  struct mg_profile *p = profile_of(&f, 0);
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert_uint_eq(proc->counts.peak_live_bytes, 130);
  ck_assert_uint_eq(proc->peak_ns, 1300 - 1000);
  ck_assert_uint_eq(proc->npeak_sites, 2);
  ck_assert_uint_eq(proc->peak_sites[0].site, S1);
  ck_assert(proc->peak_sites[0].bytes.value == 100 && proc->peak_sites[0].blocks.value == 2);
  ck_assert_uint_eq(proc->peak_sites[1].site, S2);
  ck_assert(proc->peak_sites[1].bytes.value == 30 && proc->peak_sites[1].blocks.value == 1);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A peak still standing at the end (no shrink after it) is taken as the heap at the end. */
START_TEST(test_peak_makeup_at_end) {
  enum { S1 = 0x20, S2 = 0x21 };
  struct fx f;
  fx_init(&f);
  fx_header(&f, "makeup", 7);
  fx_site(&f, S1, MEMSCOPE_API_MALLOC, 1, frame);
  fx_site(&f, S2, MEMSCOPE_API_MALLOC, 1, frame);
  fx_site(&f, S_FREE, MEMSCOPE_API_FREE, 1, frame);
  fx_events(&f, 1, 420, 4);
  fx_alloc(&f, S1, 100, 0x1000, 1000);
  fx_free(&f, S_FREE, 0x1000, 1100);  /* make-up taken: S1 100 */
  fx_alloc(&f, S2, 60, 0x2000, 1200);
  fx_alloc(&f, S2, 60, 0x3000, 1300); /* 120: the peak, never left */
  fx_end(&f, 2000, "exit");
  struct mg_profile *p = profile_of(&f, 0);
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert_uint_eq(proc->counts.peak_live_bytes, 120);
  ck_assert_uint_eq(proc->npeak_sites, 1);
  ck_assert_uint_eq(proc->peak_sites[0].site, S2);
  ck_assert(proc->peak_sites[0].bytes.value == 120 && proc->peak_sites[0].blocks.value == 2);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_story_sites) {
  struct fx f;
  build_story(&f);
  struct mg_profile *p = profile_of(&f, 0);
  const struct mg_site *m = mg_profile_find_site(p, S_MALLOC), *r = mg_profile_find_site(p, S_REALLOC);
  /* Lifetimes of the malloc site's freed blocks: A 1000 ns (< 10 us), C 100 ns (< 1 us,
   * released by the first realloc), D 10 ns, E 2 s (< 10 s). */
  ck_assert(m->lifetime[0].value == 2);
  ck_assert(m->lifetime[1].value == 1);
  ck_assert(m->lifetime[7].value == 1);
  ck_assert(m->counts.est_short_lived.value == 3);
  ck_assert(m->has_events && m->first_ns == 0 && m->last_ns == 4010);
  /* Chains: C's three reallocs, then freed; D's two, then realloc(D, 0). */
  ck_assert_uint_eq(r->chains, 2);
  ck_assert_uint_eq(r->chain_steps, 5);
  ck_assert_uint_eq(r->chain_max, 3);
  ck_assert_uint_eq(r->chain_first_bytes, 12);
  ck_assert_uint_eq(r->chain_last_bytes, 64);
  ck_assert_uint_eq(m->top_thread.thread, 1);
  ck_assert_uint_eq(m->top_thread.pid, 42);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* --- Bottlenecks -------------------------------------------------------------------------- */

enum { S_LARGE = 1, S_CUTS, S_CHURN, S_CROSS, S_LEAK, S_DROP = 9 };

/* A sampled process that has every problem once (see the comments for the numbers). */
static void build_problems(struct fx *f) {
  fx_init(f);
  fx_header_sampled(f, "bad", 7, 65536);
  for (uint64_t s = S_LARGE; s <= S_LEAK; s++)
    fx_site(f, s, MEMSCOPE_API_MALLOC, 1, frame);
  fx_site(f, S_DROP, MEMSCOPE_API_FREE, 1, frame);
  fx_counters(f, 1, 70, 1, 4);
  fx_counter(f, S_LARGE, 4, 8u << 20, 2u << 20, 2u << 20);   /* 4 x 2 MiB */
  fx_counter(f, S_CUTS, 20000, 320000, 16, 16);             /* 20000 x 16 bytes */
  fx_counter(f, S_CHURN, 2000, 128000, 64, 64);
  fx_counter(f, S_DROP, 2000, 0, 0, 0);
  fx_counters(f, 2, 71, 1, 1);
  fx_counter(f, S_CROSS, 1500, 96000, 64, 64);
  fx_counters(f, 3, 72, 1, 2);
  fx_counter(f, S_LEAK, 1, 4096, 4096, 4096);
  fx_counter(f, S_DROP, 1500, 0, 0, 0);
  /* Churn: one sample standing for 2000 blocks, freed 50 ns later. */
  fx_events(f, 1, 70, 2);
  fx_sampled(f, S_CHURN, 64, 0x1000, 100, 2000.0, 0);
  fx_free(f, S_DROP, 0x1000, 150);
  /* Cross-thread: 1500 blocks of thread 2 freed by thread 3, after 200 us. */
  fx_events(f, 2, 71, 1);
  fx_sampled(f, S_CROSS, 64, 0x2000, 200, 1500.0, 0);
  fx_events(f, 3, 72, 2);
  fx_free(f, S_DROP, 0x2000, 200200);
  fx_sampled(f, S_LEAK, 4096, 0x3000, 300000, 1.0, 0); /* never freed */
  fx_end(f, 400000, "exit");
}

static const struct mg_bottleneck *find(const struct mg_bottleneck *b, size_t n,
                                        enum mg_bottleneck_type type, uint64_t site) {
  for (size_t i = 0; i < n; i++)
    if (b[i].type == type && b[i].site == site)
      return &b[i];
  return NULL;
}

#define ck_severity(b, want) \
  ck_assert_msg(fabs((b)->severity - (want)) < 0.001, "severity %f, want %f", (b)->severity, (double)(want))

START_TEST(test_bottleneck_types) {
  struct fx f;
  build_problems(&f);
  struct mg_profile *p = profile_of(&f, 0);
  mg_profile_finish(p);
  const struct mg_bottleneck *bn = p->bottlenecks, *b;
  size_t n = p->nbottlenecks;
  double all = 23505, bytes = 8388608 + 320000 + 128000 + 96000 + 4096;

  ck_assert_ptr_nonnull(b = find(bn, n, MG_BN_LARGE_ALLOCATION, S_LARGE));
  ck_severity(b, 0.5 * 8388608 / bytes + 0.5 * (2.0 / 64));
  ck_assert_uint_eq(b->thread, 1);
  ck_assert_uint_eq(b->pid, 7);
  ck_assert(strstr(b->description, "2097152 bytes") && *b->suggestion);

  ck_assert_ptr_nonnull(b = find(bn, n, MG_BN_THOUSAND_CUTS, S_CUTS));
  ck_severity(b, 20000 / all);
  ck_assert(strstr(b->description, "20000 small allocations (average 16 bytes"));

  ck_assert_ptr_nonnull(b = find(bn, n, MG_BN_CHURN, S_CHURN));
  ck_severity(b, 2000 / all);

  ck_assert_ptr_nonnull(b = find(bn, n, MG_BN_CROSS_THREAD_FREE, S_CROSS));
  ck_severity(b, 1500 / all);
  ck_assert_uint_eq(b->thread, 2);
  ck_assert_ptr_null(find(bn, n, MG_BN_CHURN, S_CROSS)); /* 200 us: not short-lived */

  ck_assert_ptr_nonnull(b = find(bn, n, MG_BN_LEAK, S_LEAK));
  /* of the peak: the churn sample's 128000 rests on one sample, which only one half of
   * the peak's split holds (replay.c), so the peak estimate is the heap at the end */
  ck_severity(b, 1.0);
  ck_assert_uint_eq(b->thread, 3);

  ck_assert_ptr_nonnull(b = find(bn, n, MG_BN_THREAD_IMBALANCE, S_CUTS));
  ck_severity(b, 22004 / all);
  ck_assert_uint_eq(b->thread, 1);

  ck_assert_uint_eq(n, 6); /* nothing else */
  for (size_t i = 1; i < n; i++)
    ck_assert(bn[i - 1].severity >= bn[i].severity);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Below every threshold: no bottleneck at all. */
START_TEST(test_bottleneck_thresholds) {
  struct fx f;
  fx_init(&f);
  fx_header(&f, "fine", 1);
  fx_site(&f, S_CUTS, MEMSCOPE_API_MALLOC, 1, frame);
  fx_site(&f, S_LARGE, MEMSCOPE_API_MALLOC, 1, frame);
  fx_site(&f, S_DROP, MEMSCOPE_API_FREE, 1, frame);
  fx_counters(&f, 1, 1, 1, 2);
  fx_counter(&f, S_CUTS, 9999, 9999 * 16, 16, 16);
  fx_counter(&f, S_DROP, 9999, 0, 0, 0);
  fx_counters(&f, 2, 2, 1, 1);
  fx_counter(&f, S_LARGE, 3000, 3000 * 16, 16, 16);
  struct mg_profile *p = profile_of(&f, 0);
  struct mg_bottleneck *bn;
  ck_assert_uint_eq(mg_bottlenecks(p, &bn), 0); /* 9999 < 10000 calls; ratio 3.3 < 4 */
  free(bn);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* --- The streaming window ------------------------------------------------------------------- */

/* Threads flushing in turn, a batch of 100 events each time (50 malloc/free pairs): the
 * window holds about one round of batches, whatever the length of the run. */
static void build_rounds(struct fx *f, int rounds, int threads) {
  fx_init(f);
  fx_header(f, "rounds", 3);
  fx_site(f, S_MALLOC, MEMSCOPE_API_MALLOC, 1, frame);
  fx_site(f, S_FREE, MEMSCOPE_API_FREE, 1, frame);
  uint64_t ts = 2000;
  for (int r = 0; r < rounds; r++)
    for (int t = 1; t <= threads; t++) {
      fx_events(f, (uint64_t)t, (uint64_t)t, 100);
      for (int i = 0; i < 50; i++) {
        uint64_t ptr = 0x100000ULL * (uint64_t)t + 16ULL * (uint64_t)i;
        fx_alloc(f, S_MALLOC, 16, ptr, ts + (uint64_t)(r * 1000 + 2 * i));
        fx_free(f, S_FREE, ptr, ts + (uint64_t)(r * 1000 + 2 * i + 1));
      }
    }
}

START_TEST(test_window_bounded) {
  struct fx a, b;
  build_rounds(&a, 10, 4);
  build_rounds(&b, 60, 4);
  struct mg_profile *pa = profile_of(&a, 0), *pb = profile_of(&b, 0);
  const struct mg_process *x = pa->inputs[0].process, *y = pb->inputs[0].process;
  ck_assert_uint_eq(pb->totals.allocations, 60 * 4 * 50);
  ck_assert_uint_eq(pb->totals.unmatched_frees, 0);
  ck_assert_uint_eq(y->late_events, 0);
  /* Rounds overlap in time across threads: a round's batches wait for the others. */
  ck_assert_msg(y->window_max <= 4 * 100, "window %llu", (unsigned long long)y->window_max);
  ck_assert_uint_eq(x->window_max, y->window_max);
  mg_profile_free(pa);
  mg_profile_free(pb);
  fx_destroy(&a);
  fx_destroy(&b);
}
END_TEST

/* A cap smaller than the window needed: the earliest events are replayed anyway, and
 * those that arrive after their time are counted as late (the totals stay exact). */
START_TEST(test_window_cap_late_events) {
  struct fx f;
  build_rounds(&f, 3, 3);
  struct mg_profile *p = profile_of(&f, 40);
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert_uint_gt(proc->late_events, 0);
  ck_assert_uint_le(proc->window_max, 40 + 100);
  ck_assert_uint_eq(p->totals.allocations, 3 * 3 * 50);
  ck_assert_uint_eq(p->totals.frees, 3 * 3 * 50);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Driven record by record without the pre-scan (as an in-process producer would): the
 * window follows the threads that have not ended. */
START_TEST(test_replay_without_scan) {
  struct mg_profile *p = mg_profile_new();
  struct mg_header_rec h = {.version = 1, .program = "live", .mode = "full", .pid = 9,
                            .present = MG_HEADER_HAS_PID};
  struct mg_process *proc = mg_profile_begin_process(p, "live", &h);
  struct mg_event e1[] = {{.kind = MS_EV_ALLOC, .site = S_MALLOC, .size = 10, .ptr = 0x10,
                           .ts = 5, .weight = 1}};
  struct mg_event e2[] = {{.kind = MS_EV_FREE, .site = S_FREE, .ptr = 0x10, .ts = 7, .weight = 1},
                          {.kind = MS_EV_ALLOC, .site = S_MALLOC, .size = 20, .ptr = 0x10,
                           .ts = 9, .weight = 1}};
  struct mg_events_rec r2 = {.thread = 2, .nevents = 2, .events = e2};
  struct mg_events_rec r1 = {.thread = 1, .nevents = 1, .events = e1};
  mg_process_add_events(p, proc, &r1);
  mg_process_add_events(p, proc, &r2);
  mg_profile_end_process(p, proc);
  ck_assert_uint_eq(p->totals.unmatched_frees, 0);
  ck_assert_uint_eq(p->totals.live_bytes, 20);
  ck_assert_uint_eq(proc->late_events, 0);
  ck_assert(!proc->ordered_by_scan);
  mg_profile_free(p);
}
END_TEST

/* A plain batch (an EVENTS chunk's full-mode entries) is queued in the decoder's own array
 * when no item waits in any queue: the replay keeps that array and leaves another in its
 * place (plain_home).  When items wait, or an entry is out of order, the entries are
 * copied and the decoder keeps its array.  Either way the counts are exact.  Threads 1
 * and 3 have ended (their THREAD records came first), so nothing of theirs waits after
 * their batch; thread 2's last item waits for its next batch. */
static struct mg_events_rec plain_rec(uint64_t thread, struct mg_plain_event **home,
                                      size_t *cap, const struct mg_plain_event *e, size_t n) {
  memcpy(*home, e, n * sizeof *e);
  uint64_t allocated = 0, bytes = 0;
  for (size_t i = 0; i < n; i++) {
    allocated += e[i].kind == MS_EV_ALLOC;
    bytes += e[i].kind == MS_EV_ALLOC ? e[i].size : 0;
  }
  return (struct mg_events_rec){.thread = thread, .nevents = n, .plain = *home, .nplain = n,
                                .plain_home = home, .plain_home_cap = cap,
                                .facts = MG_EVENTS_PLAIN, .allocated = allocated,
                                .allocated_bytes = bytes};
}

START_TEST(test_plain_batch_taken_over) {
  struct mg_profile *p = mg_profile_new();
  struct mg_header_rec h = {.version = 1, .program = "plain", .mode = "full", .pid = 9,
                            .present = MG_HEADER_HAS_PID};
  struct mg_process *proc = mg_profile_begin_process(p, "plain", &h);
  mg_process_add_site(p, proc, &(struct mg_site_rec){.id = S_MALLOC, .api = MEMSCOPE_API_MALLOC,
                                                     .slot = 2});
  mg_process_add_site(p, proc, &(struct mg_site_rec){.id = S_FREE, .api = MEMSCOPE_API_FREE,
                                                     .slot = 3});
  mg_process_add_thread(p, proc, &(struct mg_thread_rec){.thread = 1});
  mg_process_add_thread(p, proc, &(struct mg_thread_rec){.thread = 3});
  const struct mg_plain_event t1a[] = {{5, 0x10, 10, {2}, {MS_EV_ALLOC}},
                                       {7, 0x10, 0, {3}, {MS_EV_FREE}},
                                       {20, 0x30, 30, {2}, {MS_EV_ALLOC}}};
  const struct mg_plain_event t3[] = {{40, 0x60, 60, {2}, {MS_EV_ALLOC}},
                                      {35, 0x70, 70, {2}, {MS_EV_ALLOC}}}; /* out of order */
  const struct mg_plain_event t2[] = {{45, 0x20, 20, {2}, {MS_EV_ALLOC}}};
  const struct mg_plain_event t1b[] = {{50, 0x30, 0, {3}, {MS_EV_FREE}},
                                       {51, 0x40, 40, {2}, {MS_EV_ALLOC}}};
  size_t cap = 16;
  struct mg_plain_event *home = malloc(cap * sizeof *home), *given = home;
  struct mg_events_rec r = plain_rec(1, &home, &cap, t1a, 3);
  mg_process_add_events(p, proc, &r); /* nothing waits: taken over */
  ck_assert_ptr_ne(home, given);
  ck_assert_uint_ge(cap, 3);
  given = home;
  r = plain_rec(3, &home, &cap, t3, 2);
  mg_process_add_events(p, proc, &r); /* out of order: copied, the second put first */
  ck_assert_ptr_eq(home, given);
  r = plain_rec(2, &home, &cap, t2, 1);
  mg_process_add_events(p, proc, &r); /* nothing waits: taken over; its item waits */
  ck_assert_ptr_ne(home, given);
  given = home;
  r = plain_rec(1, &home, &cap, t1b, 2);
  mg_process_add_events(p, proc, &r); /* thread 2's item waits: copied */
  ck_assert_ptr_eq(home, given);
  free(home);
  mg_profile_end_process(p, proc);
  ck_assert_uint_eq(p->totals.allocations, 6);
  ck_assert_uint_eq(p->totals.frees, 2);
  ck_assert_uint_eq(p->totals.unmatched_frees, 0);
  ck_assert_uint_eq(p->totals.bytes_allocated, 230);
  ck_assert_uint_eq(p->totals.bytes_freed, 40);
  ck_assert_uint_eq(p->totals.live_blocks, 4);
  ck_assert_uint_eq(p->totals.live_bytes, 190);
  ck_assert_uint_eq(p->totals.peak_live_bytes, 190);
  ck_assert_uint_eq(mg_process_find_thread(proc, 3)->counts.live_bytes, 130);
  ck_assert_uint_eq(mg_process_find_thread(proc, 1)->counts.bytes_freed, 40);
  ck_assert_uint_eq(proc->late_events, 0);
  mg_profile_free(p);
}
END_TEST

/* Reading many inputs on several cores gives the same profile as one after the other. */
START_TEST(test_combine_same_as_serial) {
  struct fx a, b;
  build_story(&a);
  build_problems(&b);
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "a", a.buf.data, a.buf.size);
  mg_profile_add_buffer(p, "b", b.buf.data, b.buf.size);
  ck_assert_uint_eq(p->nprocesses, 2);
  ck_assert_uint_eq(p->totals.allocations, 10 + 23505);
  ck_assert_uint_eq(p->nsites, 9);
  /* A pid filter keeps the input, not its process. */
  struct mg_profile *q = mg_profile_new();
  uint64_t pid = 7;
  mg_profile_absorb(q, mg_profile_read_buffer("a", a.buf.data, a.buf.size, 0, NULL), &pid);
  mg_profile_absorb(q, mg_profile_read_buffer("b", b.buf.data, b.buf.size, 0, NULL), &pid);
  ck_assert_uint_eq(q->nprocesses, 1);
  ck_assert(q->inputs[0].filtered && !q->inputs[0].process);
  ck_assert_uint_eq(q->totals.allocations, 23505);
  ck_assert_ptr_null(mg_profile_find_site(q, S_REALLOC));
  mg_profile_free(p);
  mg_profile_free(q);
  fx_destroy(&a);
  fx_destroy(&b);
}
END_TEST

/* An interposed call's site has no place: the bottleneck list and the thread table
 * name it "(uninstrumented malloc)", as the site tables do, not by its raw id. */
START_TEST(test_uninstrumented_site_named) {
  const uint64_t u = MS_UNINSTRUMENTED_SITE_ID(MEMSCOPE_API_MALLOC);
  struct fx f;
  fx_init(&f);
  fx_header_sampled(&f, "interposed", 7, 65536);
  fx_counters(&f, 1, 70, 1, 1);
  fx_counter(&f, u, 20000, 320000, 16, 16);
  fx_thread(&f, 1, 70, "main", 1, 900);
  fx_end(&f, 1000, "exit");
  struct mg_profile *p = profile_of(&f, 0);
  mg_profile_finish(p);
  ck_assert_ptr_nonnull(find(p->bottlenecks, p->nbottlenecks, MG_BN_THOUSAND_CUTS, u));
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_report_text(out, p, NULL);
  fclose(out);
  ck_assert_msg(strstr(text, "thousand_cuts      (uninstrumented malloc)\n"), "%s", text);
  ck_assert_msg(strstr(text, "  (uninstrumented malloc) (20000)\n"), "%s", text);
  /* (the bottleneck's own line keeps the id, for --site) */
  ck_assert_msg(strstr(text, "        (uninstrumented malloc) makes 20000 small allocations"), "%s", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Exported for test_json.c. */
/* A site that two threads run: its bottleneck says how the calls spread, and the text
 * report names the threads' count, not one of them. */
START_TEST(test_bottleneck_thread_spread) {
  struct fx f;
  fx_init(&f);
  fx_header_sampled(&f, "spread", 7, 65536);
  fx_site(&f, S_CUTS, MEMSCOPE_API_MALLOC, 1, frame);
  fx_counters(&f, 1, 70, 1, 1);
  fx_counter(&f, S_CUTS, 15000, 240000, 16, 16);
  fx_counters(&f, 2, 71, 2, 1);
  fx_counter(&f, S_CUTS, 5000, 80000, 16, 16);
  fx_end(&f, 1000, "exit");
  struct mg_profile *p = profile_of(&f, 0);
  mg_profile_finish(p);
  const struct mg_bottleneck *b = find(p->bottlenecks, p->nbottlenecks, MG_BN_THOUSAND_CUTS, S_CUTS);
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(b->thread, 1); /* the busiest */
  ck_assert_msg(strstr(b->description, "(2 threads, the busiest 75% of the calls)"), "%s",
                b->description);
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_report_text(out, p, NULL);
  fclose(out);
  ck_assert_msg(strstr(text, "thousand_cuts      2 threads site 0x2\n"), "%s", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

void build_problems_fixture(struct fx *f);
void build_problems_fixture(struct fx *f) { build_problems(f); }
void build_story_fixture(struct fx *f);
void build_story_fixture(struct fx *f) { build_story(f); }

Suite *analysis_suite(void) {
  Suite *s = suite_create("analysis");
  TCase *tc = tcase_create("story");
  tcase_add_test(tc, test_story_peak_and_threads);
  tcase_add_test(tc, test_story_sites);
  tcase_add_test(tc, test_peak_makeup_latest);
  tcase_add_test(tc, test_peak_makeup_at_end);
  suite_add_tcase(s, tc);
  tc = tcase_create("bottlenecks");
  tcase_add_test(tc, test_bottleneck_types);
  tcase_add_test(tc, test_bottleneck_thresholds);
  tcase_add_test(tc, test_bottleneck_thread_spread);
  tcase_add_test(tc, test_uninstrumented_site_named);
  suite_add_tcase(s, tc);
  tc = tcase_create("streaming");
  tcase_add_test(tc, test_window_bounded);
  tcase_add_test(tc, test_window_cap_late_events);
  tcase_add_test(tc, test_replay_without_scan);
  tcase_add_test(tc, test_plain_batch_taken_over);
  tcase_add_test(tc, test_combine_same_as_serial);
  suite_add_tcase(s, tc);
  return s;
}
