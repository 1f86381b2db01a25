/* Leaks mode (ctest runs this with MEMSCOPE_MODE=leaks): a realloc's old block leaves the
 * live-block table before the allocator sees the call, as a free's does.  Once the call
 * returns, another thread may be given the old address and record its own block there;
 * the old block's removal after the call took that block's record, and a leak of it was
 * never reported.  A realloc that fails keeps its block's record as it was. */
#define _GNU_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "memscope.h"
#include "record_reader.h"

static const struct __memscope_frame frame[] = {{"f", "l.c", 1, 1}};
static struct __memscope_site sites[] = {
    {.id = 0xA1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC},
    {.id = 0xF1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE},
    {.id = 0xC1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_REALLOC},
};
static struct __memscope_module module = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 3,
                                          .sites = sites, .name = "l.c"};
static char dir[64];

static int hook_found_old;
static void take_over_old_address(const void *old) {
  hook_found_old = ms_leaks_remove((uintptr_t)old);
  struct ms_leak other = {.ptr = (uintptr_t)old, .size = 777, .site_id = 0xBEEF};
  ms_leaks_insert(&other); /* "another thread's" block, given the old address */
}

/* The table's record of p (emptying the table): its size, 0 when it has none. */
static uint64_t recorded_size(const void *p, size_t *records) {
  struct ms_leak *all;
  size_t mapped, n = ms_leaks_take(&all, &mapped);
  uint64_t size = 0;
  *records = 0;
  for (size_t i = 0; i < n; i++)
    if (all[i].ptr == (uintptr_t)p) {
      size = all[i].size;
      ++*records;
    }
  if (all) munmap(all, mapped);
  return size;
}

START_TEST(a_realloc_takes_its_old_block_out_of_the_table_before_the_call) {
  ck_assert_int_eq(ms_config.mode, MS_MODE_LEAKS);
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  char *a = __memscope_malloc(4 << 20, &sites[0]);
  ms_realloc_test_hook = take_over_old_address;
  char *b = __memscope_realloc(a, 8 << 20, &sites[2]);
  ms_realloc_test_hook = NULL;
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_ne(a, b);          /* (mmapped blocks: glibc moves them) */
  ck_assert_int_eq(hook_found_old, 0); /* a was out of the table before the call returned */
  size_t records;
  ck_assert_uint_eq(recorded_size(a, &records), 777); /* the other block survives whole */
  ck_assert_uint_eq(records, 1);

  /* A failed realloc: the old block keeps its record (size, site). */
  char *c = __memscope_malloc(4 << 20, &sites[0]);
  ck_assert_ptr_null(__memscope_realloc(c, (size_t)1 << 62, &sites[2]));
  ck_assert_uint_eq(recorded_size(c, &records), 4 << 20);
  ck_assert_uint_eq(records, 1);
  __memscope_free(b, &sites[1]);
  __memscope_free(c, &sites[1]);
}
END_TEST

/* The same through an inline site's slow path, on a thread whose tracing is off: its
 * realloc is not recorded, yet its old block leaves the table, and before the call. */
static __thread struct __memscope_tls_header block
    __attribute__((tls_model("initial-exec"))) = {.disarmed = 1,
                                                  .counters = __memscope_inline_scratch};

START_TEST(an_inline_realloc_of_a_thread_not_tracing_takes_its_old_block_out_first) {
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  char *a = __memscope_malloc(4 << 20, &sites[0]);
  ck_assert_int_eq(memscope_thread_tracing(0), 1);
  ms_realloc_test_hook = take_over_old_address;
  hook_found_old = -1;
  char *b = __memscope_realloc_inline_slow(a, 8 << 20, &sites[2], &block);
  ms_realloc_test_hook = NULL;
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_ne(a, b);
  ck_assert_int_eq(hook_found_old, 0); /* out before the call returned */
  size_t records;
  ck_assert_uint_eq(recorded_size(a, &records), 777); /* the other block kept */
  ck_assert_uint_eq(records, 1);

  /* Failed: the old block keeps its record. */
  ck_assert_int_eq(memscope_thread_tracing(1), 0);
  char *c = __memscope_malloc(4 << 20, &sites[0]);
  ck_assert_int_eq(memscope_thread_tracing(0), 1);
  ck_assert_ptr_null(__memscope_realloc_inline_slow(c, (size_t)1 << 62, &sites[2], &block));
  ck_assert_uint_eq(recorded_size(c, &records), 4 << 20);
  ck_assert_uint_eq(records, 1);
  ck_assert_int_eq(memscope_thread_tracing(1), 0);
  __memscope_free(b, &sites[1]);
  __memscope_free(c, &sites[1]);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_leaks_realloc");
  TCase *tc = tcase_create("leaks");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, a_realloc_takes_its_old_block_out_of_the_table_before_the_call);
  tcase_add_test(tc, an_inline_realloc_of_a_thread_not_tracing_takes_its_old_block_out_first);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
