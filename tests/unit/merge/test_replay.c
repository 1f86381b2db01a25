/* Replay semantics: ordering across threads, realloc cases, exact counters. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>

#include "build.h"
#include "container.h"
#include "fixture.h"
#include "memscope/event_codec.h"
#include "profile.h"
#include "replay.h"
#include "scan.h"
#include "stacks.h"
#include "suites.h"

enum { SITE_MALLOC = 1, SITE_REALLOC = 2, SITE_FREE = 3, SITE_OTHER = 4 };
#define P 0x7f0000001000ULL
#define Q 0x7f0000002000ULL
#define R 0x7f0000003000ULL

static struct mg_profile *profile_of(struct fx *f) {
  struct mg_profile *p = mg_profile_new();
  const struct mg_input *in = mg_profile_add_buffer(p, "t.msgpack", f->buf.data, f->buf.size);
  ck_assert_msg(in->problem.status == MG_DECODE_OK, "%s", in->problem.message);
  return p;
}

/* Header and the three described sites. */
static void start(struct fx *f) {
  const struct fx_frame fr[] = {{"fn", "x.c", 1, 1}};
  fx_init(f);
  fx_header(f, "t", 1);
  fx_site(f, SITE_MALLOC, MEMSCOPE_API_MALLOC, 1, fr);
  fx_site(f, SITE_REALLOC, MEMSCOPE_API_REALLOC, 1, fr);
  fx_site(f, SITE_FREE, MEMSCOPE_API_FREE, 1, fr);
}

#define ck_counts(c, alloc, failed, realloc, fr, nullf, unmatched, balloc, bfreed, lblocks, lbytes) \
  do {                                                                                         \
    const struct mg_counts *c_ = (c);                                                          \
    ck_assert_uint_eq(c_->allocations, (alloc));                                               \
    ck_assert_uint_eq(c_->failed_allocations, (failed));                                       \
    ck_assert_uint_eq(c_->reallocs, (realloc));                                                \
    ck_assert_uint_eq(c_->frees, (fr));                                                        \
    ck_assert_uint_eq(c_->null_frees, (nullf));                                                \
    ck_assert_uint_eq(c_->unmatched_frees, (unmatched));                                       \
    ck_assert_uint_eq(c_->bytes_allocated, (balloc));                                          \
    ck_assert_uint_eq(c_->bytes_freed, (bfreed));                                              \
    ck_assert_uint_eq(c_->live_blocks, (lblocks));                                             \
    ck_assert_uint_eq(c_->live_bytes, (lbytes));                                               \
  } while (0)

/* --- Ordering ------------------------------------------------------------------------- */

/* Thread 1 mallocs p at t=5 and frees it at t=10; thread 2 gets p from malloc at t=11,
 * but its batch was flushed first.  In arrival order p would look reused while live. */
START_TEST(test_cross_thread_reuse) {
  struct fx f;
  start(&f);
  fx_events(&f, 2, 102, 1);
  fx_alloc(&f, SITE_OTHER, 32, P, 11);
  fx_events(&f, 1, 101, 2);
  fx_alloc(&f, SITE_MALLOC, 16, P, 5);
  fx_free(&f, SITE_FREE, P, 10);
  fx_end(&f, 20, "exit");
  struct mg_profile *p = profile_of(&f);
  ck_counts(&p->totals, 2, 0, 0, 1, 0, 0, 48, 16, 1, 32);
  ck_assert_uint_eq(p->totals.overwritten_blocks, 0);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_OTHER)->counts.live_bytes, 32);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_MALLOC)->counts.live_blocks, 0);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_FREE)->counts.bytes_freed, 16);
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert_uint_eq(mg_process_find_thread(proc, 2)->counts.live_blocks, 1);
  ck_assert_uint_eq(mg_process_find_thread(proc, 1)->counts.bytes_freed, 16);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Equal timestamps across threads: the free goes first. */
START_TEST(test_equal_ts_free_first) {
  struct fx f;
  start(&f);
  fx_events(&f, 2, 102, 1);
  fx_alloc(&f, SITE_OTHER, 32, P, 10);
  fx_events(&f, 1, 101, 2);
  fx_alloc(&f, SITE_MALLOC, 16, P, 3);
  fx_free(&f, SITE_FREE, P, 10);
  struct mg_profile *p = profile_of(&f);
  ck_counts(&p->totals, 2, 0, 0, 1, 0, 0, 48, 16, 1, 32);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_OTHER)->counts.live_blocks, 1);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Equal timestamps within a thread: program order wins over "frees first". */
START_TEST(test_equal_ts_same_thread) {
  struct fx f;
  start(&f);
  fx_events(&f, 2, 102, 1);
  fx_free(&f, SITE_FREE, R, 5); /* unrelated, same time, another thread */
  fx_events(&f, 1, 101, 2);
  fx_alloc(&f, SITE_MALLOC, 16, P, 5);
  fx_free(&f, SITE_FREE, P, 5);
  struct mg_profile *p = profile_of(&f);
  ck_counts(&p->totals, 1, 0, 0, 2, 0, 1, 16, 16, 0, 0);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A thread whose times step back (an older runtime's file: format.md): its program order
 * wins.  Thread 1 mallocs P at 10 and frees it at 5, mallocs Q at 7 and frees it at 12;
 * thread 2 mallocs R at 8.  Sorted by time, P's free would come first (unmatched) and P
 * would stay live. */
START_TEST(test_thread_steps_back) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 101, 4);
  fx_alloc(&f, SITE_MALLOC, 16, P, 10);
  fx_free(&f, SITE_FREE, P, 5);
  fx_alloc(&f, SITE_OTHER, 24, Q, 7);
  fx_free(&f, SITE_FREE, Q, 12);
  fx_events(&f, 2, 102, 1);
  fx_alloc(&f, SITE_OTHER, 32, R, 8);
  fx_end(&f, 20, "exit");
  struct mg_profile *p = profile_of(&f);
  ck_counts(&p->totals, 3, 0, 0, 2, 0, 0, 72, 40, 1, 32);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_MALLOC)->counts.live_blocks, 0);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_FREE)->counts.bytes_freed, 40);
  ck_assert_uint_eq(mg_process_find_thread(p->inputs[0].process, 1)->counts.live_blocks, 0);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* The same across a thread's batches: its second batch is earlier than its first, and
 * still comes after it.  Thread 1 frees P at 10, then mallocs P at 5: an unmatched free,
 * then a block live at exit (in time order they were a matched pair). */
START_TEST(test_thread_batches_step_back) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 101, 1);
  fx_free(&f, SITE_FREE, P, 10);
  fx_events(&f, 1, 101, 1);
  fx_alloc(&f, SITE_MALLOC, 16, P, 5);
  struct mg_profile *p = profile_of(&f);
  ck_counts(&p->totals, 1, 0, 0, 1, 0, 1, 16, 0, 1, 16);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_MALLOC)->counts.live_blocks, 1);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* An allocation returning a live address: the old block was freed out of our sight. */
START_TEST(test_overwritten_block) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 101, 2);
  fx_alloc(&f, SITE_MALLOC, 16, P, 1);
  fx_alloc(&f, SITE_OTHER, 24, P, 2);
  struct mg_profile *p = profile_of(&f);
  ck_counts(&p->totals, 2, 0, 0, 0, 0, 0, 40, 0, 1, 24);
  ck_assert_uint_eq(p->totals.overwritten_blocks, 1);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_MALLOC)->counts.overwritten_blocks, 1);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_OTHER)->counts.live_bytes, 24);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* --- realloc ---------------------------------------------------------------------------- */

/* malloc(10) -> P at t=1, then one realloc at begin 2, end 3. */
static struct mg_profile *after_realloc(uint64_t size, uint64_t ptr, uint64_t old_ptr) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 101, 2);
  fx_alloc(&f, SITE_MALLOC, 10, P, 1);
  fx_realloc(&f, SITE_REALLOC, size, ptr, 3, old_ptr, 2);
  struct mg_profile *p = profile_of(&f);
  fx_destroy(&f);
  return p;
}

START_TEST(test_realloc_moved) {
  struct mg_profile *p = after_realloc(20, Q, P);
  ck_counts(&p->totals, 2, 0, 1, 1, 0, 0, 30, 10, 1, 20);
  const struct mg_site *rs = mg_profile_find_site(p, SITE_REALLOC);
  ck_counts(&rs->counts, 1, 0, 1, 1, 0, 0, 20, 10, 1, 20);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_MALLOC)->counts.live_blocks, 0);
  mg_profile_free(p);
}
END_TEST

START_TEST(test_realloc_in_place) {
  struct mg_profile *p = after_realloc(20, P, P);
  ck_counts(&p->totals, 2, 0, 1, 1, 0, 0, 30, 10, 1, 20);
  ck_assert_uint_eq(p->totals.overwritten_blocks, 0);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_REALLOC)->counts.live_bytes, 20);
  mg_profile_free(p);
}
END_TEST

START_TEST(test_realloc_failed) {
  struct mg_profile *p = after_realloc(1ULL << 40, 0, P);
  ck_counts(&p->totals, 1, 1, 1, 0, 0, 0, 10, 0, 1, 10);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_MALLOC)->counts.live_bytes, 10);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_REALLOC)->counts.failed_allocations, 1);
  mg_profile_free(p);
}
END_TEST

START_TEST(test_realloc_size_zero) {
  struct mg_profile *p = after_realloc(0, 0, P);
  ck_counts(&p->totals, 1, 0, 1, 1, 0, 0, 10, 10, 0, 0);
  mg_profile_free(p);
}
END_TEST

START_TEST(test_realloc_null_old) {
  struct mg_profile *p = after_realloc(8, Q, 0);
  ck_counts(&p->totals, 2, 0, 1, 0, 0, 0, 18, 0, 2, 18);
  ck_assert_uint_eq(mg_profile_find_site(p, SITE_REALLOC)->counts.live_bytes, 8);
  mg_profile_free(p);
}
END_TEST

START_TEST(test_realloc_unknown_old) {
  struct mg_profile *p = after_realloc(20, Q, R);
  ck_counts(&p->totals, 2, 0, 1, 1, 0, 1, 30, 0, 2, 30);
  mg_profile_free(p);
}
END_TEST

/* --- A small profile, every counter ------------------------------------------------------ */

/* The synthetic profile also used by the report tests (test_report.c). */
void build_small_profile(struct fx *f, uint64_t pid);
void build_small_profile(struct fx *f, uint64_t pid) {
  const struct fx_frame a[] = {{"make_node", "src/tree.c", 10, 3}, {"main", "src/main.c", 20, 0}};
  const struct fx_frame b[] = {{"zeroed", "src/buf.c", 7, 9}};
  const struct fx_frame c[] = {{"drop", NULL, 0, 0}};
  fx_init(f);
  fx_header(f, "small", pid);
  fx_site(f, 0xA, MEMSCOPE_API_MALLOC, 2, a);
  fx_site(f, 0xB, MEMSCOPE_API_CALLOC, 1, b);
  fx_site(f, 0xC, MEMSCOPE_API_FREE, 1, c);
  /* site 0xD has no SITE record */
  fx_events(f, 2, pid + 1, 4);
  fx_alloc(f, 0xD, 7, 0x3000, 12);
  fx_free(f, 0xC, 0x2000, 13);  /* thread 1's block */
  fx_free(f, 0xC, 0x9000, 14);  /* never allocated: unmatched */
  fx_alloc(f, 0xA, 30, 0x4000, 15);
  fx_events(f, 1, pid, 5);
  fx_alloc(f, 0xA, 100, 0x1000, 10);
  fx_alloc(f, 0xB, 50, 0x2000, 11);
  fx_free(f, 0xC, 0x1000, 20);
  fx_free(f, 0xC, 0, 21);                  /* free(NULL) */
  fx_alloc(f, 0xA, 1ULL << 40, 0, 22);     /* failed */
  fx_thread(f, 2, pid + 1, "worker", 5, 30);
  fx_thread(f, 1, pid, "small", 1, 0);
  fx_end(f, 40, "exit");
}

/* --thread's numbers per (thread, site) are kept for that thread index only: none for
 * an unfiltered read (memory would grow with threads x sites), and for the chosen one
 * they are its own calls, bytes, frees and live blocks at each site. */
START_TEST(test_thread_sites_kept_for_one) {
  struct fx f;
  build_small_profile(&f, 500);
  struct mg_profile *p = profile_of(&f);
  const struct mg_process *proc = p->inputs[0].process;
  for (size_t i = 0; i < proc->nthreads; i++) {
    ck_assert(!proc->threads[i].kept_sites);
    ck_assert_uint_eq(proc->threads[i].nsites, 0);
  }
  mg_profile_free(p);

  p = mg_profile_new();
  p->has_site_thread = true;
  p->site_thread = 2;
  mg_profile_add_buffer(p, "t.msgpack", f.buf.data, f.buf.size);
  proc = p->inputs[0].process;
  const struct mg_thread *t1 = mg_process_find_thread(proc, 1), *t2 = mg_process_find_thread(proc, 2);
  ck_assert(!t1->kept_sites && t1->nsites == 0);
  ck_assert(t2->kept_sites);
  ck_assert_uint_eq(t2->nsites, 3); /* 0xA, 0xC, 0xD by id */
  ck_assert_uint_eq(t2->sites[0].site, 0xA);
  ck_assert_uint_eq(t2->sites[0].counts.allocations, 1);
  ck_assert_uint_eq(t2->sites[0].counts.bytes_allocated, 30);
  ck_assert_uint_eq(t2->sites[1].site, 0xC);
  ck_assert_uint_eq(t2->sites[1].counts.frees, 2);
  ck_assert_uint_eq(t2->sites[1].counts.bytes_freed, 50); /* thread 1's calloc block */
  ck_assert_uint_eq(t2->sites[2].site, 0xD);
  ck_assert_uint_eq(t2->sites[2].counts.live_blocks, 1);
  ck_assert_uint_eq(t2->sites[2].sizes.max, 7);

  /* The sites as thread 2 saw them: same identities, its numbers, zero elsewhere. */
  struct mg_site *v = mg_profile_thread_sites(p, NULL, 2);
  const struct mg_site *a = mg_profile_find_site(p, 0xA);
  size_t ia = (size_t)(a - p->sites);
  ck_assert_uint_eq(a->counts.allocations, 2); /* the whole program's */
  ck_assert_uint_eq(v[ia].id, 0xA);
  ck_assert_ptr_eq(v[ia].frames, a->frames);
  ck_assert_uint_eq(v[ia].counts.allocations, 1);
  ck_assert_uint_eq(v[ia].sizes.min, 30);
  ck_assert_uint_eq(v[mg_profile_find_site(p, 0xB) - p->sites].counts.allocations, 0);
  free(v);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_small_profile_counters) {
  struct fx f;
  build_small_profile(&f, 500);
  struct mg_profile *p = profile_of(&f);
  ck_counts(&p->totals, 4, 1, 0, 3, 1, 1, 187, 150, 2, 37);
  ck_assert_uint_eq(p->nprocesses, 1);
  ck_assert_uint_eq(p->nthreads, 2);

  const struct mg_process *proc = p->inputs[0].process;
  ck_assert(proc->complete);
  ck_assert_str_eq(proc->program, "small");
  ck_assert_uint_eq(proc->pid, 500);
  ck_assert_uint_eq(proc->events, 9);
  ck_assert_uint_eq(proc->threads[0].index, 1); /* in index order */
  ck_assert_str_eq(proc->threads[0].name, "small");
  ck_assert_uint_eq(proc->threads[1].os_tid, 501);
  ck_counts(&proc->threads[0].counts, 2, 1, 0, 1, 1, 0, 150, 100, 0, 0);
  ck_counts(&proc->threads[1].counts, 2, 0, 0, 2, 0, 1, 37, 50, 2, 37);

  const struct mg_site *a = mg_profile_find_site(p, 0xA), *b = mg_profile_find_site(p, 0xB);
  const struct mg_site *c = mg_profile_find_site(p, 0xC), *d = mg_profile_find_site(p, 0xD);
  ck_counts(&a->counts, 2, 1, 0, 0, 0, 0, 130, 0, 1, 30);
  ck_counts(&b->counts, 1, 0, 0, 0, 0, 0, 50, 0, 0, 0);
  ck_counts(&c->counts, 0, 0, 0, 3, 1, 1, 0, 150, 0, 0);
  ck_counts(&d->counts, 1, 0, 0, 0, 0, 0, 7, 0, 1, 7);
  /* Events name sites by slot, so every site of a format-2 file has a SITE record: 0xD's
   * (written by the fixture) has no frames, and the reports name it by its id. */
  ck_assert(a->described && d->described);
  ck_assert_uint_eq(d->nframes, 0);
  ck_assert_uint_eq(a->nframes, 2);
  ck_assert_str_eq(a->frames[1].function, "main");
  ck_assert(mg_site_is_free(c) && !mg_site_is_free(d));
  ck_assert_uint_eq(mg_site_calls(c), 3);
  ck_assert_uint_eq(mg_site_bytes(c), 150);
  ck_assert_uint_eq(mg_site_calls(a), 2);
  ck_assert_uint_eq(mg_site_bytes(a), 130);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Two files: two processes, totals add up, the same site id sums. */
START_TEST(test_two_processes_merge) {
  struct fx f1, f2;
  build_small_profile(&f1, 500);
  build_small_profile(&f2, 600);
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "one.msgpack", f1.buf.data, f1.buf.size);
  mg_profile_add_buffer(p, "two.msgpack", f2.buf.data, f2.buf.size);
  ck_assert_uint_eq(p->nprocesses, 2);
  ck_assert_uint_eq(p->nthreads, 4);
  ck_counts(&p->totals, 8, 2, 0, 6, 2, 2, 374, 300, 4, 74);
  ck_assert_uint_eq(p->nsites, 4);
  ck_counts(&mg_profile_find_site(p, 0xA)->counts, 4, 2, 0, 0, 0, 0, 260, 0, 2, 60);
  ck_assert_uint_eq(p->inputs[1].process->pid, 600);
  ck_counts(&p->inputs[1].process->counts, 4, 1, 0, 3, 1, 1, 187, 150, 2, 37);
  mg_profile_free(p);
  fx_destroy(&f1);
  fx_destroy(&f2);
}
END_TEST

/* A truncated file keeps every complete item's events. */
START_TEST(test_truncated_keeps_events) {
  struct fx f;
  build_small_profile(&f, 500);
  /* Objects: header, 3 sites, thread 2's chunk (4), thread 1's chunk (5), ...: cut in
   * thread 1's last item, the failed allocation. */
  const struct ms_chunk_header *h = (const struct ms_chunk_header *)(f.buf.data + f.starts[5]);
  size_t cut = f.starts[5] + sizeof *h + h->used - 1;
  struct mg_profile *p = mg_profile_new();
  const struct mg_input *in = mg_profile_add_buffer(p, "cut.msgpack", f.buf.data, cut);
  ck_assert_int_eq(in->problem.status, MG_DECODE_TRUNCATED);
  ck_assert_uint_eq(in->problem.offset, f.starts[5]);
  ck_assert_str_eq(in->problem.file, "cut.msgpack");
  ck_assert(mg_profile_has_data(p));
  ck_assert(!in->process->complete);
  /* Everything but the failed allocation (and the THREAD and END records after it). */
  ck_counts(&p->totals, 4, 0, 0, 3, 1, 1, 187, 150, 2, 37);
  mg_profile_free(p);
  /* Cut in its chunk header: only thread 2's events, P3 and P4 allocated, two unmatched
   * frees. */
  p = mg_profile_new();
  in = mg_profile_add_buffer(p, "cut.msgpack", f.buf.data, f.starts[5] + 10);
  ck_assert_int_eq(in->problem.status, MG_DECODE_TRUNCATED);
  ck_assert_uint_eq(in->problem.offset, f.starts[5]);
  ck_counts(&p->totals, 2, 0, 0, 2, 0, 2, 37, 0, 2, 37);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_bad_input_has_no_process) {
  struct mg_profile *p = mg_profile_new();
  const struct mg_input *in = mg_profile_add_buffer(p, "empty", "", 0);
  ck_assert_int_eq(in->problem.status, MG_DECODE_EMPTY);
  ck_assert_ptr_null(in->process);
  ck_assert(!mg_profile_has_data(p));
  in = mg_profile_add_file(p, "/nonexistent/memscope.x.1.msgpack");
  ck_assert_int_eq(in->problem.status, MG_DECODE_IO);
  ck_assert_uint_eq(p->ninputs, 2);
  ck_assert(!mg_profile_has_data(p));
  mg_profile_free(p);
}
END_TEST

/* --- The encoded window ------------------------------------------------------------------ */

/* Three threads whose chunks overlap in time (the replay keeps the batches that wait
 * behind other threads' items encoded: replay.c, "struct lazy"), 600 events a chunk, more
 * than the 256 decoded at a time: thread 1 mallocs, thread 2 frees thread 1's blocks 100
 * events later (after 100 mallocs of its own), thread 3 mallocs and reallocs its blocks;
 * then a chunk of thread 1 whose clock stepped back (queued item by item after its
 * encoded ones).  All times differ, so the replay's order is the times' but for that
 * chunk's first event, which steps back and comes right after its thread's event before
 * it (program order: replay.c): the test adds the sizes up in that order for the peak. */
#define EW_N 1200
#define EW_CHUNK 600
#define EW_LAG 100
#define EW_BACK 300
#define P1 0x7f0000100000ULL
#define P2 0x7f0000200000ULL
#define P3 0x7f0000300000ULL
#define P4 0x7f0000400000ULL

struct ew_event {
  uint64_t key; /* 2 x its time, + 1 for the one that steps back: the replay's order */
  int64_t delta;
};

static int by_key(const void *a, const void *b) {
  const struct ew_event *x = a, *y = b;
  return (x->key > y->key) - (x->key < y->key);
}

static uint64_t ew_file(struct fx *f) {
  static struct ew_event ev[3 * EW_N + EW_BACK];
  size_t n = 0;
  start(f);
  for (size_t c = 0; c < EW_N / EW_CHUNK; c++) {
    fx_events(f, 1, 101, EW_CHUNK);
    for (size_t i = c * EW_CHUNK; i < (c + 1) * EW_CHUNK; i++) {
      fx_alloc(f, SITE_MALLOC, 16, P1 + i * 16, 4 * i + 1);
      ev[n++] = (struct ew_event){2 * (4 * i + 1), 16};
    }
    fx_events(f, 2, 102, EW_CHUNK);
    for (size_t i = c * EW_CHUNK; i < (c + 1) * EW_CHUNK; i++) {
      if (i < EW_LAG) {
        fx_alloc(f, SITE_OTHER, 8, P2 + i * 16, 4 * i + 2);
        ev[n++] = (struct ew_event){2 * (4 * i + 2), 8};
      } else {
        fx_free(f, SITE_FREE, P1 + (i - EW_LAG) * 16, 4 * i + 2);
        ev[n++] = (struct ew_event){2 * (4 * i + 2), -16};
      }
    }
    fx_events(f, 3, 103, EW_CHUNK);
    for (size_t i = c * EW_CHUNK; i < (c + 1) * EW_CHUNK; i++) {
      if (i % 2 == 0) {
        fx_alloc(f, SITE_MALLOC, 32, P3 + i * 16, 4 * i + 3);
        ev[n++] = (struct ew_event){2 * (4 * i + 3), 32};
      } else { /* the block just allocated grows: released, then its result */
        fx_realloc(f, SITE_REALLOC, 64, P3 + i * 16, 4 * i + 3, P3 + (i - 1) * 16, 4 * i + 3);
        ev[n++] = (struct ew_event){2 * (4 * i + 3), 64 - 32};
      }
    }
  }
  /* The first event of thread 1's last chunk is earlier than the last one before it, and
   * gets the address that one got: in program order, it overwrites that one (16 bytes
   * no longer live, 8 bytes now), right after it. */
  fx_events(f, 1, 101, EW_BACK);
  for (size_t i = 0; i < EW_BACK; i++) {
    fx_alloc(f, SITE_OTHER, 8, i ? P4 + i * 16 : P1 + (EW_N - 1) * 16, 4 * (EW_N - 1 + i));
    ev[n++] = i ? (struct ew_event){2 * (4 * (EW_N - 1 + i)), 8}
                : (struct ew_event){2 * (4 * (EW_N - 1) + 1) + 1, 8 - 16};
  }
  fx_end(f, 4 * EW_N + 10, "exit");
  qsort(ev, n, sizeof *ev, by_key);
  int64_t live = 0, peak = 0;
  for (size_t i = 0; i < n; i++) {
    live += ev[i].delta;
    peak = live > peak ? live : peak;
  }
  return (uint64_t)peak;
}

START_TEST(test_encoded_window) {
  struct fx f;
  uint64_t peak = ew_file(&f);
  char path[] = "/tmp/memscope.window.XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, f.buf.data, f.buf.size), (ssize_t)f.buf.size);
  close(fd);
  /* From memory (the chunks' bytes copied), from the file (the reader's buffers taken
   * over), with one decoding thread and with two. */
  for (int how = 0; how < 3; how++) {
    struct mg_profile *p = mg_profile_new();
    const struct mg_input *in = how == 0 ? mg_profile_add_buffer(p, "w.msgpack", f.buf.data,
                                                                 f.buf.size)
                                         : NULL;
    if (how) {
      mg_profile_free(p);
      p = mg_profile_read_file(path, 0, NULL, (unsigned)how, NULL);
      in = &p->inputs[0];
    }
    ck_assert_msg(in->problem.status == MG_DECODE_OK, "%s", in->problem.message);
    const struct mg_process *proc = in->process;
    ck_assert_uint_eq(proc->late_events, 0);
    ck_assert_uint_eq(p->totals.unmatched_frees, 0);
    ck_assert_uint_eq(p->totals.frees, EW_N - EW_LAG + EW_N / 2); /* and realloc releases */
    ck_assert_uint_eq(p->totals.reallocs, EW_N / 2);
    ck_assert_uint_eq(p->totals.peak_live_bytes, peak);
    const struct mg_site *m = mg_profile_find_site(p, SITE_MALLOC);
    /* thread 1's last, never freed, but for the one overwritten */
    ck_assert_uint_eq(m->counts.live_blocks, EW_LAG - 1);
    ck_assert_uint_eq(m->counts.live_bytes, (EW_LAG - 1) * 16);
    ck_assert_uint_eq(mg_profile_find_site(p, SITE_REALLOC)->counts.live_bytes, EW_N / 2 * 64);
    ck_assert_uint_eq(mg_profile_find_site(p, SITE_OTHER)->counts.live_blocks,
                      EW_LAG + EW_BACK); /* the one that overwrote */
    ck_assert_uint_eq(mg_process_find_thread(proc, 1)->counts.allocations, EW_N + EW_BACK);
    ck_assert_uint_eq(p->totals.overwritten_blocks, 1);
    mg_profile_free(p);
  }
  unlink(path);
  fx_destroy(&f);
}
END_TEST

/* --- A waiting chunk read again from a file that changed (replay.c: decode_reread) ----- */

/* Thread 1 mallocs RR_N blocks (times 1, 3, 5, ...), thread 2 frees them (2, 4, 6, ...) in
 * one chunk of its own, which waits behind thread 1's and is read again from the file
 * 32 KiB at a time as it is replayed.  Just before that chunk is delivered, the file is
 * cut (or overwritten) RR_AT bytes into it: the frees from its first slice are replayed,
 * the rest are given up and counted, and the problem names the chunk. */
#define RR_N 40000
#define RR_AT 40000
#define RR_P 0x7f0000500000ULL
/* The frees' items: the first 10 bytes (its slot, its whole address), then 3 each, so
 * RR_AT is where the free of block RR_FREE_AT starts. */
#define RR_FREE_AT ((RR_AT - 10) / 3 + 1)
_Static_assert((RR_AT - 10) % 3 == 0, "RR_AT is where an item starts");

struct rr_reading {
  struct mg_profile *p;
  struct mg_process *proc;
  const char *path;
  /* 0: nothing happens to the file, 1: it is cut, 2: overwritten with zeros, 3: with a
   * free of address 0, 4: with a free of a slot no SITE record named */
  int how;
  uint64_t chunk;
};

static void rr_header(void *ctx, const struct mg_header_rec *h) {
  struct rr_reading *r = ctx;
  r->proc = mg_input_attach_process(&r->p->inputs[0], h);
}
static void rr_order(void *ctx, uint64_t *mins, size_t n) {
  struct rr_reading *r = ctx;
  mg_scan_suffix_min(mins, n);
  mg_replay_begin(r->p, r->proc, mins, n, 0);
}
static void rr_site(void *ctx, const struct mg_site_rec *s) {
  struct rr_reading *r = ctx;
  mg_process_add_site(r->p, r->proc, s);
}
static void rr_events(void *ctx, const struct mg_events_rec *e) {
  struct rr_reading *r = ctx;
  if (e->thread == 2 && r->how) {
    ck_assert_ptr_nonnull(e->reread); /* a file's chunk: read again */
    ck_assert_uint_gt(e->content_len, RR_AT + 32768);
    r->chunk = e->offset;
    if (r->how == 1) {
      ck_assert_int_eq(truncate(r->path, (off_t)(e->content_at + RR_AT)), 0);
    } else {
      uint8_t junk[64] = {0}; /* tag 0: no item kind */
      size_t len = sizeof junk;
      if (r->how > 2) { /* an item in place of the free of block RR_FREE_AT (RR_AT) */
        struct ms_codec_state st = {.prev_slot = 1, .prev_ptr = RR_P + (RR_FREE_AT - 1) * 16,
                                    .prev_ts = 2 * (RR_FREE_AT - 1) + 2};
        struct ms_codec_event ev = {.op = MS_ITEM_FREE, .slot = r->how == 3 ? 1 : 999,
                                    .ptr = r->how == 3 ? 0 : RR_P + RR_FREE_AT * 16,
                                    .ts = 2 * RR_FREE_AT + 2};
        len = (size_t)(ms_encode_event(junk, &st, &ev) - junk);
      }
      int fd = open(r->path, O_WRONLY);
      ck_assert_int_eq(pwrite(fd, junk, len, (off_t)(e->content_at + RR_AT)), (ssize_t)len);
      close(fd);
    }
  }
  mg_process_add_events(r->p, r->proc, e);
}
static void rr_end(void *ctx, const struct mg_end_rec *e) {
  struct rr_reading *r = ctx;
  mg_process_add_end(r->p, r->proc, e);
}

START_TEST(test_reread_changed_file) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 101, RR_N);
  for (size_t i = 0; i < RR_N; i++)
    fx_alloc(&f, SITE_MALLOC, 16, RR_P + i * 16, 2 * i + 1);
  fx_events(&f, 2, 102, RR_N + 1);
  for (size_t i = 0; i < RR_N; i++)
    fx_free(&f, SITE_FREE, RR_P + i * 16, 2 * i + 2);
  /* and a STACK item after its last event (a thread killed between the two): past the
   * chunk's last op, read again all the same */
  uint8_t st[MS_ITEM_STACK_BYTES(2)];
  static const uint64_t frames[2] = {0x401000, 0x402000};
  fx_event_bytes(&f, st, (size_t)(ms_encode_stack(st, 1, frames, 2) - st));
  fx_end(&f, 2 * RR_N + 10, "exit");
  static const struct mg_decode_callbacks cb = {.header = rr_header, .order = rr_order,
                                                .site = rr_site, .events = rr_events,
                                                .end = rr_end};
  for (int how = 0; how < 5; how++) {
    char path[] = "/tmp/memscope.reread.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, f.buf.data, f.buf.size), (ssize_t)f.buf.size);
    struct rr_reading r = {.p = mg_profile_new(), .path = path, .how = how};
    mg_profile_add_input(r.p, path);
    struct mg_decode_problem problem;
    struct mg_read_how rh = {.jobs = 1};
    ck_assert(mg_decode_fd(fd, f.buf.size, path, &cb, &r, &problem, &rh));
    close(fd);
    unlink(path); /* the replay holds a descriptor of its own: the file is still read */
    mg_profile_end_process(r.p, r.proc);
    const struct mg_decode_problem *pb = &r.proc->reread_problem;
    uint64_t lost = r.proc->reread_lost;
    const struct mg_site *m = mg_profile_find_site(r.p, SITE_MALLOC);
    if (how == 0) {
      ck_assert_int_eq(pb->status, MG_DECODE_OK);
      ck_assert_uint_eq(lost, 0);
    } else {
      ck_assert_int_eq(pb->status, how == 1 ? MG_DECODE_TRUNCATED : MG_DECODE_CORRUPT);
      ck_assert(pb->has_offset);
      ck_assert_uint_eq(pb->offset, r.chunk);
      ck_assert_ptr_nonnull(strstr(pb->message, how == 1 ? "shrank" : "changed"));
      /* the first slice's frees (32 KiB, two bytes and more each) were replayed */
      ck_assert_uint_gt(lost, 0);
      ck_assert_uint_lt(lost, RR_N - 32768 / 8);
    }
    /* every malloc counted; the frees replayed freed their blocks, the others are live */
    ck_assert_uint_eq(m->counts.allocations, RR_N);
    ck_assert_uint_eq(m->counts.live_blocks, lost);
    ck_assert_uint_eq(m->counts.live_bytes, lost * 16);
    ck_assert_uint_eq(mg_profile_find_site(r.p, SITE_FREE)->counts.frees, RR_N - lost);
    ck_assert_uint_eq(r.p->totals.unmatched_frees, 0);
    ck_assert_uint_eq(r.proc->late_events, 0);
    mg_profile_free(r.p);
  }
  fx_destroy(&f);
}
END_TEST

/* --- Stacks of a plain batch (stacks.h: mg_stacks_sample_ref and its inline hot path) -- */

/* One full-mode thread: PS_STACKS stacks defined at the start of its first chunk (stack
 * k: frames 0x1000 * k, 0x7000), then PS_N mallocs over two chunks, each at one of the
 * three sites and with one of the stacks, so that a stack is counted at another site
 * than the last time (the memo's site), its (site, stack) tally made while the tally map
 * grows (the memo's capacity), and some times step back (the stack's earliest time is
 * not its first).  Every (site, stack) pair's samples, calls and bytes, and each stack's
 * earliest time, must be what the events say. */
#define PS_STACKS 12
#define PS_N 3000
#define PS_P 0x7f0000800000ULL

static void ps_event(uint64_t i, uint64_t *site, uint64_t *stack, uint64_t *size, uint64_t *ts) {
  static const uint64_t sites[3] = {SITE_MALLOC, SITE_REALLOC, SITE_FREE};
  *site = sites[(i * 5 / 7) % 3];
  *stack = (i * 7) % PS_STACKS + 1;
  *size = 16 + i % 50;
  *ts = i % 97 == 96 ? 10 + i / 97 : 1000 + i; /* every 97th steps back */
}

START_TEST(test_plain_stacks_counted) {
  struct fx f;
  start(&f);
  uint32_t slots[4] = {0, fx_slot(&f, SITE_MALLOC), fx_slot(&f, SITE_REALLOC),
                       fx_slot(&f, SITE_FREE)};
  for (int chunk = 0; chunk < 2; chunk++) {
    size_t from = chunk ? PS_N / 2 : 0, to = chunk ? PS_N : PS_N / 2;
    fx_events(&f, 1, 101, (chunk ? 0 : PS_STACKS) + to - from);
    struct ms_codec_state st = {0};
    uint8_t buf[MS_ITEM_STACK_BYTES(2)];
    for (uint64_t k = 1; k <= PS_STACKS && !chunk; k++) {
      const uint64_t frames[2] = {0x1000 * k, 0x7000};
      fx_event_bytes(&f, buf, (size_t)(ms_encode_stack(buf, k, frames, 2) - buf));
    }
    for (size_t i = from; i < to; i++) {
      uint64_t site, stack, size, ts;
      ps_event(i, &site, &stack, &size, &ts);
      struct ms_codec_event e = {.op = MS_ITEM_ALLOC, .slot = slots[site], .size = size,
                                 .ptr = PS_P + i * 64, .ts = ts, .weight = 1.0,
                                 .stack = stack};
      fx_event_bytes(&f, buf, (size_t)(ms_encode_event(buf, &st, &e) - buf));
    }
  }
  fx_end(&f, 2 * PS_N, "exit");
  /* what the events say: per (site, stack) pair, and each stack's earliest time */
  uint64_t calls[4][PS_STACKS + 1] = {{0}}, bytes[4][PS_STACKS + 1] = {{0}};
  uint64_t first[PS_STACKS + 1];
  for (size_t k = 0; k <= PS_STACKS; k++)
    first[k] = UINT64_MAX;
  for (size_t i = 0; i < PS_N; i++) {
    uint64_t site, stack, size, ts;
    ps_event(i, &site, &stack, &size, &ts);
    calls[site][stack]++;
    bytes[site][stack] += size;
    first[stack] = ts < first[stack] ? ts : first[stack];
  }
  struct mg_profile *p = profile_of(&f);
  const struct mg_proc_stacks *s = p->inputs[0].process->stacks;
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_eq(s->nraw, PS_STACKS);
  size_t pairs = 0;
  for (size_t n = 0; n < s->nsamples; n++) {
    const struct mg_stack_tally *t = &s->samples[n];
    ck_assert_uint_ge(t->stack, 1);
    const struct mg_raw_stack *raw = &s->raw[t->stack - 1];
    ck_assert_uint_eq(raw->n, 2);
    uint64_t k = raw->addr[0] / 0x1000;
    ck_assert(k >= 1 && k <= PS_STACKS && t->site >= SITE_MALLOC && t->site <= SITE_FREE);
    ck_assert_uint_eq(raw->ts, first[k]);
    ck_assert_uint_eq(t->samples, calls[t->site][k]);
    ck_assert(t->calls.value == (double)calls[t->site][k]);
    ck_assert(t->bytes.value == (double)bytes[t->site][k]);
    ck_assert(t->live_blocks.value == (double)calls[t->site][k]); /* none freed */
    pairs++;
  }
  size_t want = 0;
  for (size_t site = 1; site <= 3; site++)
    for (size_t k = 1; k <= PS_STACKS; k++)
      want += calls[site][k] > 0;
  ck_assert_uint_eq(pairs, want);
  ck_assert_uint_gt(want, 16); /* more pairs than the tally map's first capacity */
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* --- The decoder's array handed back (replay.c: take_batch, give_home) ---------------- */

/* One thread, four chunks large enough for the decoder's arrays to be on huge pages
 * (over 2 MiB of entries): HA_A mallocs; HA_A frees of them, the first earlier than
 * every malloc (the clock stepped back), so that all of the first chunk still waits in
 * the array the replay took over when the decoder needs one for the second (handing that
 * one back would have the second chunk decoded over the waiting items); then HA_B
 * mallocs elsewhere, which are all replayed at once (their array goes back to the
 * decoder, larger chunks to come), and HA_B frees of them in order. */
#define HA_A 60000
#define HA_B 90000
#define HA_P1 0x7f0001000000ULL
#define HA_P2 0x7f0002000000ULL

START_TEST(test_home_array) {
  struct fx f;
  start(&f);
  uint64_t ts = 1000;
  fx_events(&f, 1, 101, HA_A);
  for (size_t i = 0; i < HA_A; i++)
    fx_alloc(&f, SITE_MALLOC, 16, HA_P1 + i * 16, ts++);
  fx_events(&f, 1, 101, HA_A);
  for (size_t i = 0; i < HA_A; i++)
    fx_free(&f, SITE_FREE, HA_P1 + i * 16, i ? ts++ : 10);
  fx_events(&f, 1, 101, HA_B);
  for (size_t i = 0; i < HA_B; i++)
    fx_alloc(&f, SITE_MALLOC, 32, HA_P2 + i * 32, ts++);
  fx_events(&f, 1, 101, HA_B);
  for (size_t i = 0; i < HA_B; i++)
    fx_free(&f, SITE_FREE, HA_P2 + i * 32, ts++);
  fx_end(&f, ts + 10, "exit");
  char path[] = "/tmp/memscope.home.XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, f.buf.data, f.buf.size), (ssize_t)f.buf.size);
  close(fd);
  for (int how = 0; how < 3; how++) { /* from memory; from the file, one and two threads */
    struct mg_profile *p = mg_profile_new();
    const struct mg_input *in = how == 0 ? mg_profile_add_buffer(p, "h.msgpack", f.buf.data,
                                                                 f.buf.size)
                                         : NULL;
    if (how) {
      mg_profile_free(p);
      p = mg_profile_read_file(path, 0, NULL, (unsigned)how, NULL);
      in = &p->inputs[0];
    }
    ck_assert_msg(in->problem.status == MG_DECODE_OK, "%s", in->problem.message);
    const struct mg_process *proc = in->process;
    ck_assert_uint_eq(proc->events, 2 * HA_A + 2 * HA_B);
    ck_assert_uint_eq(p->totals.unmatched_frees, 0);
    ck_assert_uint_eq(p->totals.frees, HA_A + HA_B);
    ck_assert_uint_eq(p->totals.overwritten_blocks, 0);
    ck_assert_uint_eq(p->totals.peak_live_bytes, HA_B * 32);
    const struct mg_site *m = mg_profile_find_site(p, SITE_MALLOC);
    ck_assert_uint_eq(m->counts.allocations, HA_A + HA_B);
    ck_assert_uint_eq(m->counts.bytes_allocated, HA_A * 16 + HA_B * 32);
    ck_assert_uint_eq(m->counts.live_blocks, 0);
    ck_assert_uint_eq(mg_process_find_thread(proc, 1)->counts.bytes_freed,
                      HA_A * 16 + HA_B * 32);
    mg_profile_free(p);
  }
  unlink(path);
  fx_destroy(&f);
}
END_TEST

Suite *replay_suite(void) {
  Suite *s = suite_create("replay");
  TCase *tc = tcase_create("ordering");
  tcase_add_test(tc, test_cross_thread_reuse);
  tcase_add_test(tc, test_equal_ts_free_first);
  tcase_add_test(tc, test_equal_ts_same_thread);
  tcase_add_test(tc, test_thread_steps_back);
  tcase_add_test(tc, test_thread_batches_step_back);
  tcase_add_test(tc, test_overwritten_block);
  suite_add_tcase(s, tc);
  tc = tcase_create("realloc");
  tcase_add_test(tc, test_realloc_moved);
  tcase_add_test(tc, test_realloc_in_place);
  tcase_add_test(tc, test_realloc_failed);
  tcase_add_test(tc, test_realloc_size_zero);
  tcase_add_test(tc, test_realloc_null_old);
  tcase_add_test(tc, test_realloc_unknown_old);
  suite_add_tcase(s, tc);
  tc = tcase_create("counters");
  tcase_add_test(tc, test_small_profile_counters);
  tcase_add_test(tc, test_thread_sites_kept_for_one);
  tcase_add_test(tc, test_encoded_window);
  tcase_add_test(tc, test_home_array);
  tcase_add_test(tc, test_plain_stacks_counted);
  tcase_add_test(tc, test_reread_changed_file);
  tcase_add_test(tc, test_two_processes_merge);
  tcase_add_test(tc, test_truncated_keeps_events);
  tcase_add_test(tc, test_bad_input_has_no_process);
  suite_add_tcase(s, tc);
  return s;
}
