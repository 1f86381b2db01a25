/* Inline sites in the shared form (abi.h; docs/pass.md, "Which modules"): modules whose
 * malloc and free are counted through the runtime's header __memscope_shared_tls plus
 * a slot base of their own, by code written here as abi.h says the pass emits it for
 * -fPIC code.  The base is MEMSCOPE_UNREGISTERED_BASE until the module registers, then
 * its first inline slot's offset - 32; counts from several threads are exact; the calls
 * of a module not registered yet land in the table's last slots and nowhere else, and
 * count in the module's own slots once it registers; the header of a thread that ended
 * points at the scratch again. */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "memscope.h"
#include "record_reader.h"

/* Two modules, as the pass emits them: a malloc site (tls_slot 32) and a free site
 * (tls_slot 64) each, and a slot base at the unregistered value. */
static const struct __memscope_frame frame[] = {{"f", "s.c", 1, 1}};
static struct __memscope_site sites_a[] = {
    {.id = 0x5A, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC, .tls_slot = 32},
    {.id = 0x5F, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE, .tls_slot = 64},
};
static struct __memscope_site sites_b[] = {
    {.id = 0x6A, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC, .tls_slot = 32},
    {.id = 0x6F, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE, .tls_slot = 64},
};
static int64_t base_a = MEMSCOPE_UNREGISTERED_BASE, base_b = MEMSCOPE_UNREGISTERED_BASE;
static struct __memscope_module module_a = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 2,
                                            .sites = sites_a, .name = "a.c", .slot_base = &base_a};
static struct __memscope_module module_b = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 2,
                                            .sites = sites_b, .name = "b.c", .slot_base = &base_b};

/* The fast paths of abi.h, in the shared form: counters + base + tls_slot. */
static struct __memscope_tls_alloc *slot(struct __memscope_tls_header *h, const int64_t *base,
                                        const struct __memscope_site *s) {
  return (void *)((char *)h->counters + *(volatile const int64_t *)base + s->tls_slot);
}

static void *shared_malloc(struct __memscope_site *sites, const int64_t *base, size_t size) {
  struct __memscope_tls_header *h = &__memscope_shared_tls;
  uint64_t left = h->sample_left;
  h->sample_left = left - size;
  if (left <= size) return __memscope_malloc_inline_slow(size, &sites[0], h);
  struct __memscope_tls_alloc *s = slot(h, base, &sites[0]);
  s->calls++;
  s->bytes += size;
  if (size - s->lo > s->span) __memscope_inline_widen(s, size);
  return __memscope_real_malloc(size);
}

static void shared_free(struct __memscope_site *sites, const int64_t *base, void *p) {
  struct __memscope_tls_header *h = &__memscope_shared_tls;
  uint32_t index = h->disarmed << 20 | (uint32_t)(uintptr_t)p >> 12;
  if (__atomic_load_n(&__memscope_free_filter[index], __ATOMIC_RELAXED)) {
    if (p || h->disarmed) __memscope_free_inline_slow(p, &sites[1], h);
  } else {
    slot(h, base, &sites[1])->calls++;
  }
  __memscope_real_free(p);
}

static char dir[64];

static void start(void) {
  ck_assert_int_eq(ms_config.mode, MS_MODE_SAMPLED);
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
}

static void read_file(struct record_list *l) {
  char path[256];
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  records_from_file(l, path);
  ck_assert_uint_eq(l->trailing_bytes, 0);
}

struct work {
  struct __memscope_site *sites;
  const int64_t *base;
  int pairs;
  uint64_t seed, bytes;
};
static void *run_pairs(void *arg) {
  struct work *w = arg;
  for (int i = 0; i < w->pairs; i++) {
    w->seed = w->seed * 6364136223846793005ull + 1442695040888963407ull;
    size_t size = 1 + (size_t)((w->seed >> 33) % 4000);
    char *p = shared_malloc(w->sites, w->base, size);
    ck_assert_ptr_nonnull(p);
    p[size - 1] = 1;
    shared_free(w->sites, w->base, p);
    w->bytes += size;
  }
  return NULL;
}

/* Slot `index` (a byte offset) of the calling thread's table. */
static const struct ms_site_counter *table_slot(uint64_t index) {
  return (const struct ms_site_counter *)((const char *)ms_self.rec->counters + index);
}

/* Registration sets the base (and nothing else of the module's); three threads and
 * two modules sharing the runtime's header count exactly, in the file. */
START_TEST(counts_through_the_shared_header_are_exact) {
  start();
  __memscope_register_module_v6(&module_a);
  __memscope_register_module_v6(&module_b);
  ck_assert_int_eq(base_a, (int64_t)sites_a[0].index - 32);
  ck_assert_int_eq(base_a, (int64_t)sites_a[1].index - 64);
  ck_assert_int_eq(base_b, (int64_t)sites_b[0].index - 32);
  ck_assert_int_ne(base_a, base_b);
  enum { THREADS = 3, PAIRS = 20000 };
  pthread_t t[THREADS];
  struct work w[THREADS];
  uint64_t bytes_a = 0, bytes_b = 0;
  for (int i = 0; i < THREADS; i++) {
    w[i] = (struct work){.sites = i == 1 ? sites_b : sites_a, .base = i == 1 ? &base_b : &base_a,
                         .pairs = PAIRS, .seed = (uint64_t)i + 3};
    pthread_create(&t[i], NULL, run_pairs, &w[i]);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(t[i], NULL);
    *(i == 1 ? &bytes_b : &bytes_a) += w[i].bytes;
  }
  ms_session_stop("test", 0);
  struct record_list l;
  read_file(&l);
  uint64_t calls, bytes, frees, unused;
  site_totals(&l, 0x5A, &calls, &bytes);
  ck_assert_uint_eq(calls, 2 * PAIRS);
  ck_assert_uint_eq(bytes, bytes_a);
  site_totals(&l, 0x5F, &frees, &unused);
  ck_assert_uint_eq(frees, 2 * PAIRS);
  site_totals(&l, 0x6A, &calls, &bytes);
  ck_assert_uint_eq(calls, PAIRS);
  ck_assert_uint_eq(bytes, bytes_b);
  site_totals(&l, 0x6F, &frees, &unused);
  ck_assert_uint_eq(frees, PAIRS);
}
END_TEST

/* A module whose code runs before it registers (another library's constructor calling
 * into it) counts, through a header armed for another module, in the table's last
 * slots: no other site's count moves.  Once registered it counts in its own slots. */
START_TEST(an_unregistered_module_counts_in_the_last_slots_only) {
  start();
  __memscope_register_module_v6(&module_a);
  struct work a = {.sites = sites_a, .base = &base_a, .pairs = 1000, .seed = 5};
  run_pairs(&a); /* arms the header (a sample point, a slow path) */
  ck_assert_uint_eq(__memscope_shared_tls.disarmed, 0);
  ck_assert_ptr_eq(__memscope_shared_tls.counters, (void *)ms_self.rec->counters);
  ck_assert_int_eq(base_b, MEMSCOPE_UNREGISTERED_BASE);
  /* a size the countdown takes without a sample point: the fast path */
  uint64_t taken = 0;
  while (__memscope_shared_tls.sample_left > 64 + 100 && taken < 10) {
    shared_free(sites_b, &base_b, shared_malloc(sites_b, &base_b, 100));
    taken++;
  }
  ck_assert_uint_gt(taken, 0);
  const struct ms_site_counter *zone = table_slot((uint64_t)MEMSCOPE_UNREGISTERED_BASE + 32);
  ck_assert_uint_eq(zone->calls, taken);
  /* The free site's: on the fast path in the last slots; a free whose 4 KiB of address
   * hold a sampled block (the free filter's grain: where the allocator put it, as under
   * a sanitizer's allocator) takes the slow path, which counts an unregistered site in
   * slot 0, "unknown".  Either way no registered site's count moves. */
  uint64_t unknown = table_slot(0)->calls;
  ck_assert_uint_eq(zone[1].calls + unknown, taken);
  ck_assert_uint_eq(MEMSCOPE_UNREGISTERED_BASE / 32 + 1, MS_SITE_SLOTS);
  ck_assert_uint_eq(table_slot(sites_a[0].index)->calls, 1000);
  ck_assert_uint_eq(table_slot(sites_a[1].index)->calls, 1000);
  /* registered: its own slots, below the last ones */
  __memscope_register_module_v6(&module_b);
  ck_assert_int_eq(base_b, (int64_t)sites_b[0].index - 32);
  ck_assert_uint_lt(sites_b[1].index, (uint64_t)MS_SITE_SLOTS * 32);
  struct work b = {.sites = sites_b, .base = &base_b, .pairs = 700, .seed = 6};
  run_pairs(&b);
  ck_assert_uint_eq(table_slot(sites_b[0].index)->calls, 700);
  ck_assert_uint_eq(table_slot(sites_b[0].index)->bytes, b.bytes);
  ck_assert_uint_eq(table_slot(sites_b[1].index)->calls, 700);
  ck_assert_uint_eq(zone->calls, taken);
}
END_TEST

/* A thread's shared header is armed with its table and goes back to the scratch (and
 * disarmed) when the thread ends, so that a late call writes nowhere it should not. */
static void *arm_and_report(void *arg) {
  struct work w = {.sites = sites_a, .base = &base_a, .pairs = 200, .seed = 9};
  run_pairs(&w);
  *(int *)arg = __memscope_shared_tls.counters == (void *)ms_self.rec->counters &&
                __memscope_shared_tls.releases_at == (int32_t)(MS_SLOT_RELEASES * 32);
  return NULL;
}
START_TEST(the_header_is_armed_with_the_table) {
  start();
  __memscope_register_module_v6(&module_a);
  int armed = 0;
  pthread_t t;
  pthread_create(&t, NULL, arm_and_report, &armed);
  pthread_join(t, NULL);
  ck_assert_int_eq(armed, 1);
  /* this thread: never set up, its header as initialised */
  ck_assert_uint_eq(__memscope_shared_tls.disarmed, 1);
  ck_assert_ptr_eq(__memscope_shared_tls.counters, __memscope_inline_scratch);
}
END_TEST

int main(void) {
  Suite *s = suite_create("inline_shared");
  TCase *tc = tcase_create("inline_shared");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, counts_through_the_shared_header_are_exact);
  tcase_add_test(tc, an_unregistered_module_counts_in_the_last_slots_only);
  tcase_add_test(tc, the_header_is_armed_with_the_table);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
