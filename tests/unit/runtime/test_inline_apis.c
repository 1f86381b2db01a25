/* Inline sites of calloc and realloc (ctest runs this with MEMSCOPE_SAMPLE_INTERVAL=16K):
 * code written here exactly as include/memscope/abi.h says the pass emits it, against the
 * runtime's slow entries (runtime/inline_slow.c).  The header's releases_at leads to the
 * thread's release counter (the table's slot 1) once armed; exact calls, bytes and
 * releases from several threads, with samples (each one matched by its free or its
 * realloc); realloc(NULL, n), realloc(p, 0) and a calloc that overflows; and that the
 * kept calls go on to the allocator in one jump each (x86-64). */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "memscope.h"
#include "record_reader.h"

static __thread struct __memscope_tls_header block
    __attribute__((tls_model("initial-exec"))) = {.disarmed = 1,
                                                  .counters = __memscope_inline_scratch};
static void *tls_block(void) { return &block; }

static const struct __memscope_frame frame[] = {{"f", "a.c", 1, 1}};
static struct __memscope_site sites[] = {
    {.id = 0x2C, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_CALLOC, .tls_slot = 32},
    {.id = 0x2E, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_REALLOC, .tls_slot = 64},
    {.id = 0x2F, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE, .tls_slot = 96},
};
static struct __memscope_module module = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 3,
                                          .sites = sites, .name = "a.c",
                                          .tls_block = tls_block, .tls_size = sizeof block};

static struct __memscope_tls_alloc *slot(const struct __memscope_site *s) {
  return (void *)((char *)block.counters + s->tls_slot);
}
static void count(struct __memscope_tls_alloc *s, uint64_t n) {
  s->calls++;
  s->bytes += n;
  if (n - s->lo > s->span) __memscope_inline_widen(s, n);
}
static int filter(const void *p) {
  uint32_t index = block.disarmed << 20 | (uint32_t)(uintptr_t)p >> 12;
  return __atomic_load_n(&__memscope_free_filter[index], __ATOMIC_RELAXED) != 0;
}

/* The fast paths, as abi.h gives them. */
static void *inline_calloc(size_t k, size_t m) {
  uint64_t n;
  if (__builtin_mul_overflow(k, m, &n)) n = UINT64_MAX;
  uint64_t left = block.sample_left;
  block.sample_left = left - n;
  if (left <= n) return __memscope_calloc_inline_slow(k, m, &sites[0], &block);
  count(slot(&sites[0]), n);
  return __memscope_real_calloc(k, m);
}

static void *inline_realloc(void *old, size_t n) {
  uint64_t left = block.sample_left;
  block.sample_left = left - n;
  if (old ? filter(old) || n == 0 || left <= n : left <= n)
    return __memscope_realloc_inline_slow(old, n, &sites[1], &block);
  if (old) ++*(uint64_t *)((char *)block.counters + block.releases_at);
  count(slot(&sites[1]), n);
  return __memscope_real_realloc(old, n);
}

static void inline_free(void *p) {
  if (filter(p)) {
    if (p || block.disarmed) __memscope_free_inline_slow(p, &sites[2], &block);
  } else {
    slot(&sites[2])->calls++;
  }
  __memscope_real_free(p);
}

static char dir[64];

static void start(void) {
  ck_assert_int_eq(ms_config.mode, MS_MODE_SAMPLED);
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
}

/* Per thread: ITERS x { p = realloc(NULL, a); p = realloc(p, b); q = calloc(k, 16);
 * free(q); free(p) }, sizes from the seed; every 10th iteration realloc(p, 0) instead
 * of the free. */
struct work {
  int iters;
  uint64_t seed, realloc_bytes, calloc_bytes, zeroed, releases;
};
static void *run(void *arg) {
  struct work *w = arg;
  for (int i = 0; i < w->iters; i++) {
    w->seed = w->seed * 6364136223846793005ull + 1442695040888963407ull;
    size_t a = 1 + (size_t)((w->seed >> 33) % 3000), b = 1 + (size_t)((w->seed >> 45) % 3000);
    size_t k = 1 + (size_t)((w->seed >> 20) % 50);
    char *p = inline_realloc(NULL, a);
    ck_assert_ptr_nonnull(p);
    p[a - 1] = 1;
    p = inline_realloc(p, b);
    ck_assert_ptr_nonnull(p);
    w->realloc_bytes += a + b;
    w->releases++;
    char *q = inline_calloc(k, 16);
    ck_assert_ptr_nonnull(q);
    ck_assert_int_eq(q[k * 16 - 1], 0);
    w->calloc_bytes += k * 16;
    inline_free(q);
    if (i % 10 == 0) {
      ck_assert_ptr_null(inline_realloc(p, 0)); /* frees p (glibc) */
      w->zeroed++;
      w->releases++;
    } else {
      inline_free(p);
    }
  }
  inline_free(NULL); /* nothing to count */
  ck_assert_ptr_null(inline_calloc(SIZE_MAX / 2, 4)); /* a failure, not counted */
  return NULL;
}

START_TEST(releases_lead_to_the_thread_counter) {
  start();
  void *p = inline_realloc(NULL, 10); /* the first call arms the header */
  ck_assert_ptr_nonnull(p);
  ck_assert_uint_eq(block.disarmed, 0);
  ck_assert_ptr_eq((char *)block.counters + block.releases_at,
                   (char *)&ms_self.counters_mem[MS_SLOT_RELEASES].calls);
  uint64_t before = ms_self.counters_mem[MS_SLOT_RELEASES].calls;
  /* Sample points aside (16 KiB apart), the next ones are fast: each counts one release. */
  block.sample_left = 1 << 30;
  for (int i = 0; i < 100; i++) p = inline_realloc(p, 20 + (size_t)i);
  ck_assert_uint_eq(ms_self.counters_mem[MS_SLOT_RELEASES].calls, before + 100);
  ck_assert_uint_eq(slot(&sites[1])->calls, 101);
  inline_free(p);
  ms_session_stop("test", 0);
}
END_TEST

START_TEST(counts_and_releases_are_exact) {
  start();
  enum { THREADS = 3, ITERS = 5000 };
  pthread_t t[THREADS];
  struct work w[THREADS];
  for (int i = 0; i < THREADS; i++) {
    w[i] = (struct work){.iters = ITERS, .seed = (uint64_t)i + 3};
    pthread_create(&t[i], NULL, run, &w[i]);
  }
  uint64_t realloc_bytes = 0, calloc_bytes = 0, zeroed = 0, releases = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(t[i], NULL);
    realloc_bytes += w[i].realloc_bytes;
    calloc_bytes += w[i].calloc_bytes;
    zeroed += w[i].zeroed;
    releases += w[i].releases;
  }
  ms_session_stop("test", 0);

  struct record_list l;
  char path[256];
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  records_from_file(&l, path);
  uint64_t reallocs, rbytes, callocs, cbytes, frees, unused;
  site_totals(&l, 0x2E, &reallocs, &rbytes);
  site_totals(&l, 0x2C, &callocs, &cbytes);
  site_totals(&l, 0x2F, &frees, &unused);
  /* realloc(p, 0) returns no block: not a call that counts */
  ck_assert_uint_eq(reallocs, 2 * THREADS * ITERS);
  ck_assert_uint_eq(rbytes, realloc_bytes);
  ck_assert_uint_eq(callocs, THREADS * ITERS);
  ck_assert_uint_eq(cbytes, calloc_bytes);
  ck_assert_uint_eq(frees, 2 * THREADS * ITERS - zeroed);
  /* Each thread's last COUNTERS record (highest seq): its releases.  The main thread's
   * and the workers': 3 + 1 threads at most, by record index. */
  uint64_t seq_of[16] = {0}, releases_of[16] = {0};
  for (size_t i = 1; i < l.count; i++) {
    if (rec_type(&l.items[i]) != MS_REC_COUNTERS) continue;
    const msgpack_object *r = &l.items[i].data;
    uint64_t thread = rec_u64(r, MS_COUNTERS_THREAD), seq = rec_u64(r, MS_COUNTERS_SEQ);
    ck_assert_uint_lt(thread, 16);
    ck_assert_uint_gt(r->via.array.size, MS_COUNTERS_REALLOC_RELEASES);
    if (seq >= seq_of[thread]) {
      seq_of[thread] = seq;
      releases_of[thread] = rec_u64(r, MS_COUNTERS_REALLOC_RELEASES);
    }
  }
  uint64_t seen_releases = 0;
  for (int i = 0; i < 16; i++) seen_releases += releases_of[i];
  ck_assert_uint_eq(seen_releases, releases);
  records_free(&l);
}
END_TEST

/* The calls inline sites keep go on to the allocator in one instruction on x86-64:
 * `jmp *disp32(%rip)` (ff 25) through ms_real's own field, as malloc's and free's do
 * (clang would load a two-argument tail call's pointer into a register first).  Not
 * under a sanitizer, whose instrumentation of the C forwarders (malloc's, free's) comes
 * first. */
#if !defined(__has_feature)
#define __has_feature(x) 0
#endif
#if defined(__x86_64__) && !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define MS_TEST_ONE_JUMP 1
#endif
#if MS_TEST_ONE_JUMP
static const void *jump_target(const void *fn) {
  const unsigned char *c = fn;
  static const unsigned char endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa}; /* (-fcf-protection) */
  if (!memcmp(c, endbr64, sizeof endbr64)) c += sizeof endbr64;
  ck_assert_msg(c[0] == 0xff && c[1] == 0x25, "%p does not start with jmp *disp32(%%rip)", fn);
  int32_t disp;
  memcpy(&disp, c + 2, sizeof disp);
  return c + 6 + disp;
}
#endif

START_TEST(kept_calls_are_one_jump) {
#if MS_TEST_ONE_JUMP
  ck_assert_ptr_eq(jump_target((const void *)__memscope_real_malloc), &ms_real.malloc);
  ck_assert_ptr_eq(jump_target((const void *)__memscope_real_free), &ms_real.free);
  ck_assert_ptr_eq(jump_target((const void *)__memscope_real_calloc), &ms_real.calloc);
  ck_assert_ptr_eq(jump_target((const void *)__memscope_real_realloc), &ms_real.realloc);
  ck_assert_ptr_eq(jump_target((const void *)__memscope_real_aligned_alloc), &ms_real.aligned_alloc);
  ck_assert_ptr_eq(jump_target((const void *)__memscope_real_posix_memalign), &ms_real.posix_memalign);
  ck_assert_ptr_eq(jump_target((const void *)__memscope_real_memalign), &ms_real.memalign);
#endif
}
END_TEST

int main(void) {
  Suite *s = suite_create("inline_apis");
  TCase *tc = tcase_create("inline_apis");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, releases_lead_to_the_thread_counter);
  tcase_add_test(tc, counts_and_releases_are_exact);
  tcase_add_test(tc, kept_calls_are_one_jump);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
