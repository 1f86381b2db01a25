/* Inline sites (ctest runs this with MEMSCOPE_SAMPLE_INTERVAL=16K): a module whose
 * malloc and free are counted in the thread's table, through a thread-local header, by
 * code written here exactly as include/memscope/abi.h says the pass emits it.  Exact
 * counts from several threads, samples that are all matched by their frees, counts in
 * the table the moment they are made, tracing turned off and on for a thread, a
 * session stopped by another thread (the headers disarmed), the fast path of a header
 * never armed (the scratch) and its calls reported dropped, and a module whose slots the
 * runtime cannot use. */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "memscope.h"
#include "record_reader.h"

/* The header, as the pass initialises it; a malloc site at tls_slot 32, a free site at
 * 64, then a site that calls the runtime (tls_slot 0) between them in site order. */
static __thread struct __memscope_tls_header block
    __attribute__((tls_model("initial-exec"))) = {.disarmed = 1,
                                                  .counters = __memscope_inline_scratch};
static void *tls_block(void) { return &block; }

static const struct __memscope_frame frame[] = {{"f", "i.c", 1, 1}};
static struct __memscope_site sites[] = {
    {.id = 0x1A, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC, .tls_slot = 32},
    {.id = 0x1C, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_CALLOC},
    {.id = 0x1F, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE, .tls_slot = 64},
};
static struct __memscope_module module = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 3,
                                          .sites = sites, .name = "i.c",
                                          .tls_block = tls_block, .tls_size = sizeof block};

/* The fast paths, as abi.h gives them. */
static void *inline_malloc(size_t size) {
  struct __memscope_tls_header *h = &block;
  uint64_t left = h->sample_left;
  h->sample_left = left - size;
  if (left <= size) return __memscope_malloc_inline_slow(size, &sites[0], h);
  struct __memscope_tls_alloc *s = (void *)((char *)h->counters + sites[0].tls_slot);
  s->calls++;
  s->bytes += size;
  if (size - s->lo > s->span) __memscope_inline_widen(s, size);
  return __memscope_real_malloc(size);
}

static void inline_free(void *p) {
  struct __memscope_tls_header *h = &block;
  /* relaxed atomic: what the pass emits in a function built with ThreadSanitizer */
  uint32_t index = h->disarmed << 20 | (uint32_t)(uintptr_t)p >> 12;
  if (__atomic_load_n(&__memscope_free_filter[index], __ATOMIC_RELAXED))
    __memscope_free_inline_slow(p, &sites[2], h);
  else
    ((struct __memscope_tls_alloc *)((char *)h->counters + sites[2].tls_slot))->calls++;
  __memscope_real_free(p);
}

static char dir[64];

static void start(void) {
  ck_assert_int_eq(ms_config.mode, MS_MODE_SAMPLED);
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
}

static void read_file(struct record_list *l) {
  char path[256];
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  records_from_file(l, path);
  ck_assert_uint_eq(l->trailing_bytes, 0);
}

/* Sizes 1..4000 in a fixed pseudo-random order; the thread's expected totals. */
struct work {
  int pairs;
  uint64_t seed, bytes, min, max;
};
static void *run_pairs(void *arg) {
  struct work *w = arg;
  w->min = UINT64_MAX;
  for (int i = 0; i < w->pairs; i++) {
    w->seed = w->seed * 6364136223846793005ull + 1442695040888963407ull;
    size_t size = 1 + (size_t)((w->seed >> 33) % 4000);
    char *p = inline_malloc(size);
    ck_assert_ptr_nonnull(p);
    p[size - 1] = 1;
    inline_free(p);
    w->bytes += size;
    if (size < w->min) w->min = size;
    if (size > w->max) w->max = size;
  }
  return NULL;
}

START_TEST(counts_are_exact_and_samples_matched) {
  start();
  enum { THREADS = 3, PAIRS = 20000 };
  pthread_t t[THREADS];
  struct work w[THREADS];
  for (int i = 0; i < THREADS; i++) {
    w[i] = (struct work){.pairs = PAIRS, .seed = (uint64_t)i + 7};
    pthread_create(&t[i], NULL, run_pairs, &w[i]);
  }
  uint64_t bytes = 0, min = UINT64_MAX, max = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(t[i], NULL);
    bytes += w[i].bytes;
    if (w[i].min < min) min = w[i].min;
    if (w[i].max > max) max = w[i].max;
  }
  ms_session_stop("test", 0);

  struct record_list l;
  read_file(&l);
  uint64_t calls, counted_bytes, frees, free_bytes;
  site_totals(&l, 0x1A, &calls, &counted_bytes);
  site_totals(&l, 0x1F, &frees, &free_bytes);
  ck_assert_uint_eq(calls, THREADS * PAIRS);
  ck_assert_uint_eq(counted_bytes, bytes);
  ck_assert_uint_eq(frees, THREADS * PAIRS);
  /* min and max of each thread's last COUNTERS record */
  uint64_t seen_min = UINT64_MAX, seen_max = 0;
  size_t allocs = 0, matched = 0;
  for (size_t i = 1; i < l.count; i++) {
    const msgpack_object *r = &l.items[i].data;
    if (rec_type(&l.items[i]) == MS_REC_COUNTERS) {
      const msgpack_object *e = rec_field(r, MS_COUNTERS_ENTRIES);
      for (uint32_t k = 0; k < e->via.array.size; k++)
        if (rec_u64(&e->via.array.ptr[k], MS_COUNTER_SITE) == 0x1A) {
          uint64_t lo = rec_u64(&e->via.array.ptr[k], MS_COUNTER_MIN);
          uint64_t hi = rec_u64(&e->via.array.ptr[k], MS_COUNTER_MAX);
          if (lo < seen_min) seen_min = lo;
          if (hi > seen_max) seen_max = hi;
        }
    }
    if (rec_type(&l.items[i]) != MS_REC_EVENTS) continue;
    const msgpack_object *list = rec_field(r, MS_EVENTS_LIST);
    for (uint32_t k = 0; k < list->via.array.size; k++) {
      const msgpack_object *e = &list->via.array.ptr[k];
      uint64_t ptr = rec_u64(e, MS_EV_PTR);
      ck_assert_uint_ne(ptr, 0);
      if (rec_u64(e, MS_EV_KIND) == MS_EV_ALLOC) {
        ck_assert_uint_eq(rec_u64(e, MS_EV_SITE), 0x1A);
        allocs++;
      } else {
        ck_assert_uint_eq(rec_u64(e, MS_EV_KIND), MS_EV_FREE);
        ck_assert_uint_eq(rec_u64(e, MS_EV_SITE), 0x1F);
        matched++;
      }
    }
  }
  ck_assert_uint_eq(seen_min, min);
  ck_assert_uint_eq(seen_max, max);
  /* ~120 MB allocated at one sample per 16 KiB on average: thousands of samples. */
  ck_assert_uint_gt(allocs, 2000);
  ck_assert_uint_eq(matched, allocs);
  records_free(&l);
}
END_TEST

START_TEST(tracing_off_for_a_thread_is_not_counted) {
  start();
  struct work on1 = {.pairs = 500, .seed = 1}, off = {.pairs = 700, .seed = 2},
              on2 = {.pairs = 300, .seed = 3};
  run_pairs(&on1);
  ck_assert_int_eq(memscope_thread_tracing(0), 1);
  run_pairs(&off);
  ck_assert_int_eq(memscope_thread_tracing(1), 0);
  run_pairs(&on2);
  ms_thread_exit(&ms_self);

  struct record_list l;
  read_file(&l);
  uint64_t calls, bytes, frees, unused;
  site_totals(&l, 0x1A, &calls, &bytes);
  site_totals(&l, 0x1F, &frees, &unused);
  ck_assert_uint_eq(calls, 800);
  ck_assert_uint_eq(bytes, on1.bytes + on2.bytes);
  ck_assert_uint_eq(frees, 800);
  records_free(&l);
}
END_TEST

/* A thread that goes on allocating after another thread stopped the session: its
 * counts stop with the session (its blocks disarmed), its record is complete. */
static _Atomic int phase;
static void *until_stopped(void *arg) {
  struct work *w = arg;
  run_pairs(w); /* counted */
  atomic_store(&phase, 1);
  while (atomic_load(&phase) != 2) usleep(100);
  struct work after = {.pairs = 1000, .seed = 9};
  run_pairs(&after); /* the session is over */
  ck_assert_uint_eq(block.disarmed, 1);
  ck_assert_uint_eq(block.sample_left, 0);
  return NULL;
}

START_TEST(stopping_disarms_other_threads) {
  start();
  struct work w = {.pairs = 1500, .seed = 5};
  pthread_t t;
  pthread_create(&t, NULL, until_stopped, &w);
  while (atomic_load(&phase) != 1) usleep(100);
  ck_assert_int_eq(memscope_stop(), 0);
  atomic_store(&phase, 2);
  pthread_join(t, NULL);

  struct record_list l;
  read_file(&l);
  uint64_t calls, bytes;
  site_totals(&l, 0x1A, &calls, &bytes);
  ck_assert_uint_eq(calls, 1500);
  ck_assert_uint_eq(bytes, w.bytes);
  records_free(&l);
}
END_TEST

/* Slot `index` (a byte offset) of the calling thread's table. */
static const struct ms_site_counter *table_slot(uint32_t index) {
  return (const struct ms_site_counter *)((const char *)ms_self.rec->counters + index);
}

/* The inline sites got consecutive slots in tls_slot order, the other site its own
 * after them; the header points so that counters + tls_slot is the site's slot; every
 * call is in the table as soon as it is made, with no flush (a SIGKILL then loses
 * nothing). */
START_TEST(inline_calls_are_in_the_table_at_once) {
  start();
  ck_assert_uint_ne(sites[0].index, 0);
  ck_assert_uint_eq(sites[2].index, sites[0].index + 32);
  ck_assert_uint_eq(sites[1].index, sites[0].index + 64);
  struct work w = {.pairs = 3000, .seed = 11};
  run_pairs(&w);
  ck_assert_ptr_eq((char *)block.counters + sites[0].tls_slot, table_slot(sites[0].index));
  ck_assert_ptr_eq((char *)block.counters + sites[2].tls_slot, table_slot(sites[2].index));
  ck_assert_uint_eq(block.disarmed, 0);
  const struct ms_site_counter *m = table_slot(sites[0].index), *f = table_slot(sites[2].index);
  ck_assert_uint_eq(m->calls, 3000);
  ck_assert_uint_eq(m->bytes, w.bytes);
  ck_assert_uint_eq(f->calls, 3000);
  ck_assert_uint_eq(table_slot(sites[1].index)->calls, 0);
  /* more after a flush: the table goes on counting where it is */
  memscope_flush();
  struct work w2 = {.pairs = 500, .seed = 12};
  run_pairs(&w2);
  ck_assert_uint_eq(m->calls, 3500);
  ck_assert_uint_eq(m->bytes, w.bytes + w2.bytes);
  ck_assert_uint_eq(f->calls, 3500);
  /* the thread ends: its headers point at the scratch again, not at a released table */
  ms_thread_exit(&ms_self);
  ck_assert_ptr_eq(block.counters, __memscope_inline_scratch);
  ck_assert_uint_eq(block.sample_left, 0);
}
END_TEST

/* A signal handler that mallocs between a fast path's subtraction and its slow call
 * finds sample_left wrapped and takes the fast path on a header never armed: it counts
 * in the scratch, nowhere that matters (and does not crash on a NULL pointer). */
static void *never_armed(void *arg) {
  (void)arg;
  ck_assert_ptr_eq(block.counters, __memscope_inline_scratch);
  block.sample_left = (uint64_t)0 - 100; /* the window, as the handler sees it */
  uint64_t before = __memscope_inline_scratch[sites[0].tls_slot / 32].calls;
  void *p = inline_malloc(10);
  ck_assert_ptr_nonnull(p);
  ck_assert_uint_eq(__memscope_inline_scratch[sites[0].tls_slot / 32].calls, before + 1);
  ck_assert_ptr_null(ms_self.rec); /* the runtime never saw it */
  block.sample_left = 0;
  __memscope_real_free(p);
  return NULL;
}

START_TEST(a_header_never_armed_counts_in_the_scratch) {
  start();
  pthread_t t;
  pthread_create(&t, NULL, never_armed, NULL);
  pthread_join(t, NULL);
}
END_TEST

/* The same window on a thread's first call, a signal handler's malloc and free in it:
 * the malloc counts in the scratch, which no report reads; the thread's slow call finds
 * its countdown still wrapped and reports it dropped.  Every call is counted or dropped:
 * the thread's pair counted, the handler's free counted (its slow path sets the thread
 * up), the handler's malloc dropped.  Before, it was in neither (dropped 0): the odd
 * shortfall hostile/sessions' signal case could show. */
static void window_handler(int sig) {
  (void)sig;
  inline_free(inline_malloc(48));
}

static pid_t window_tid;
static void *first_call_in_window(void *arg) {
  (void)arg;
  window_tid = gettid();
  ck_assert_ptr_null(ms_self.rec);
  /* inline_malloc(100), with the signal between its subtraction and its slow call */
  struct __memscope_tls_header *h = &block;
  uint64_t left = h->sample_left;
  h->sample_left = left - 100;
  ck_assert_uint_le(left, 100);
  raise(SIGUSR1);
  ck_assert_ptr_nonnull(ms_self.rec); /* (set up by the handler's free) */
  void *p = __memscope_malloc_inline_slow(100, &sites[0], h);
  ck_assert_ptr_nonnull(p);
  inline_free(p);
  return NULL;
}

START_TEST(a_window_before_set_up_is_reported_dropped) {
  start();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = window_handler;
  ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
  pthread_t t;
  pthread_create(&t, NULL, first_call_in_window, NULL);
  pthread_join(t, NULL);
  struct record_list l;
  read_file(&l);
  uint64_t mallocs, frees, bytes;
  site_totals(&l, 0x1A, &mallocs, &bytes);
  ck_assert_uint_eq(mallocs, 1);
  ck_assert_uint_eq(bytes, 100);
  site_totals(&l, 0x1F, &frees, &bytes);
  ck_assert_uint_eq(frees, 2);
  ck_assert_uint_eq(thread_dropped(&l, window_tid), 1);
  records_free(&l);
}
END_TEST

/* tls_slots the pass does not make (not a multiple of 32): the runtime gives the inline
 * sites no slot and never arms the module; its calls all take the slow entries and
 * count in slot 0 ("unknown"), the other site as usual. */
static __thread struct __memscope_tls_header odd_block
    __attribute__((tls_model("initial-exec"))) = {.disarmed = 1,
                                                  .counters = __memscope_inline_scratch};
static void *odd_tls_block(void) { return &odd_block; }
static struct __memscope_site odd_sites[] = {
    {.id = 0x2A, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC, .tls_slot = 40},
    {.id = 0x2C, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_CALLOC},
};
static struct __memscope_module odd_module = {
    .abi_version = MEMSCOPE_ABI_VERSION, .nsites = 2, .sites = odd_sites, .name = "odd.c",
    .tls_block = odd_tls_block, .tls_size = sizeof odd_block};

START_TEST(a_module_with_odd_slots_is_never_armed) {
  start();
  __memscope_register_module_v6(&odd_module);
  ck_assert_uint_eq(odd_sites[0].index, 0);
  ck_assert_uint_ne(odd_sites[1].index, 0);
  for (int i = 0; i < 5; i++) {
    ck_assert_uint_eq(odd_block.sample_left, 0); /* the fast path goes slow */
    odd_block.sample_left -= 100;                 /* (its subtraction) */
    void *p = __memscope_malloc_inline_slow(100, &odd_sites[0], &odd_block);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(odd_block.disarmed, 1);
    ck_assert_uint_eq(odd_block.sample_left, 0);
    ck_assert_ptr_eq(odd_block.counters, __memscope_inline_scratch);
    __memscope_real_free(p);
  }
  ck_assert_uint_eq(table_slot(0)->calls, 5);
  ck_assert_uint_eq(table_slot(0)->bytes, 500);
}
END_TEST

int main(void) {
  Suite *s = suite_create("inline");
  TCase *tc = tcase_create("inline");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, counts_are_exact_and_samples_matched);
  tcase_add_test(tc, tracing_off_for_a_thread_is_not_counted);
  tcase_add_test(tc, stopping_disarms_other_threads);
  tcase_add_test(tc, inline_calls_are_in_the_table_at_once);
  tcase_add_test(tc, a_header_never_armed_counts_in_the_scratch);
  tcase_add_test(tc, a_window_before_set_up_is_reported_dropped);
  tcase_add_test(tc, a_module_with_odd_slots_is_never_armed);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
