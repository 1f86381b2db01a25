/* A thread set up on an ended thread's record takes over its table in the file
 * (thread.c: kept, then retagged in table_attach).  Sites registered between the two
 * (another thread's dlopen, in hostile/stacks_storm) must not extend the kept table:
 * the retag would meet a piece it does not know.  With the table's four known pieces
 * that read the entry after the last and wrote a TABLE header at offset 5, over the
 * file's own header ("not a memscope file", 1 run of stacks_storm in 3).  Here the
 * registration runs from the test hook at that exact point, every time. */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "record_reader.h"

static const struct __memscope_frame frame[] = {{"reuse_here", "t.c", 10, 3}};
static struct __memscope_site sites[] = {
    {.id = 0x1111, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC},
    {.id = 0x2222, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE},
};
static struct __memscope_module module = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 2,
                                          .sites = sites, .name = "t.c"};

/* Later modules: each one's registration pushes the tables past their mapped end (4 KiB
 * at first, then 16 KiB granules): pieces 2, 3 and 4 of the first thread's table, then
 * the fifth, from the hook, on the second thread's kept table. */
#define LATE_SITES 2100
static struct __memscope_site late[LATE_SITES];
static struct __memscope_module late_mod[4];
static const uint32_t late_from[5] = {0, 200, 600, 1100, 2100};

static void late_modules_init(void) {
  for (uint32_t i = 0; i < LATE_SITES; i++)
    late[i] = (struct __memscope_site){.id = 0x10000 + i, .frames = frame, .nframes = 1,
                                       .api = MEMSCOPE_API_MALLOC};
  for (int m = 0; m < 4; m++)
    late_mod[m] = (struct __memscope_module){.abi_version = MEMSCOPE_ABI_VERSION,
                                             .nsites = late_from[m + 1] - late_from[m],
                                             .sites = &late[late_from[m]], .name = "late.c"};
}

static pthread_barrier_t step;
static pid_t tid_a, tid_b;

static void *first_thread(void *arg) {
  (void)arg;
  tid_a = gettid();
  __memscope_free(__memscope_malloc(100, &sites[0]), &sites[1]); /* its table: 1 piece */
  pthread_barrier_wait(&step); /* the main thread registers 3 modules: 4 pieces */
  pthread_barrier_wait(&step);
  __memscope_free(__memscope_malloc(300, &late[1050]), &sites[1]);
  return NULL; /* its record, table and all, kept for the next thread */
}

static void register_from_hook(void) {
  ms_thread_setup_test_hook = NULL;
  __memscope_register_module_v6(&late_mod[3]);
}

static void *second_thread(void *arg) {
  (void)arg;
  tid_b = gettid();
  __memscope_free(__memscope_malloc(200, &sites[0]), &sites[1]);
  __memscope_free(__memscope_malloc(400, &late[2000]), &sites[1]);
  return NULL;
}

/* TABLE chunks of the file by the kernel id in their header; 0 if a header is unreadable. */
static int count_tables(const char *path, pid_t tid, uint32_t *n) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  *n = 0;
  for (long off = MS_HEADER_REGION; off + (long)sizeof(struct ms_chunk_header) <= len;) {
    struct ms_chunk_header h;
    fseek(f, off, SEEK_SET);
    ck_assert_uint_eq(fread(&h, sizeof h, 1, f), 1);
    if (h.magic != MS_CHUNK_MAGIC) { /* (reserved, header not written: next page) */
      off += MS_CHUNK_ALIGN;
      continue;
    }
    if (h.size < MS_CHUNK_ALIGN || h.size % MS_CHUNK_ALIGN) {
      fclose(f);
      return 0;
    }
    *n += h.kind == MS_CHUNK_TABLE && h.os_tid == (uint32_t)tid;
    off += h.size;
  }
  fclose(f);
  return 1;
}

START_TEST(kept_table_is_not_extended_before_its_retag) {
  char dir[64], path[256];
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  late_modules_init();
  __memscope_register_module_v6(&module);
  pthread_barrier_init(&step, NULL, 2);
  pthread_t th;
  ck_assert_int_eq(pthread_create(&th, NULL, first_thread, NULL), 0);
  pthread_barrier_wait(&step);
  for (int m = 0; m < 3; m++) __memscope_register_module_v6(&late_mod[m]);
  pthread_barrier_wait(&step);
  pthread_join(th, NULL);
  ms_thread_setup_test_hook = register_from_hook;
  ck_assert_int_eq(pthread_create(&th, NULL, second_thread, NULL), 0);
  pthread_join(th, NULL);
  ck_assert_ptr_null(ms_thread_setup_test_hook); /* (the hook ran) */

  ck_assert_uint_eq(ms_chunks_headers_refused(), 0); /* (the guard had nothing to stop) */
  /* Pieces 2 to 4 by pwrite; the first through its mapped header page. */
  ck_assert_uint_eq(ms_chunks_retags_by_pwrite(), 3);
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  char head[10];
  ck_assert_uint_eq(fread(head, 1, sizeof head, f), sizeof head);
  fclose(f);
  ck_assert_mem_eq(head, "\x93\xa8memscope", sizeof head);
  /* The first thread's four pieces now name the second, which added a fifth. */
  uint32_t n;
  ck_assert(count_tables(path, tid_a, &n));
  ck_assert_uint_eq(n, 0);
  ck_assert(count_tables(path, tid_b, &n));
  ck_assert_uint_eq(n, 5);

  struct record_list l;
  records_from_file(&l, path);
  uint64_t calls, bytes;
  site_totals(&l, sites[0].id, &calls, &bytes);
  ck_assert_uint_eq(calls, 2);
  ck_assert_uint_eq(bytes, 300);
  site_totals(&l, sites[1].id, &calls, &bytes);
  ck_assert_uint_eq(calls, 4);
  site_totals(&l, late[1050].id, &calls, &bytes);
  ck_assert_uint_eq(calls, 1);
  ck_assert_uint_eq(bytes, 300);
  site_totals(&l, late[2000].id, &calls, &bytes);
  ck_assert_uint_eq(calls, 1);
  ck_assert_uint_eq(bytes, 400);
  records_free(&l);
}
END_TEST

static void *one_pair(void *arg) {
  *(pid_t *)arg = gettid();
  __memscope_free(__memscope_malloc(100, &sites[0]), &sites[1]);
  return NULL;
}

/* A table of one piece (no site registered after it was made) goes to the next thread
 * through its mapped header page: no pwrite, and the header names that thread. */
START_TEST(one_piece_table_is_retagged_through_its_mapping) {
  char dir[64], path[256];
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  pthread_t th;
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(pthread_create(&th, NULL, one_pair, i ? (void *)&tid_b : (void *)&tid_a),
                     0);
    pthread_join(th, NULL);
  }
  ck_assert_uint_eq(ms_chunks_retags_by_pwrite(), 0);
  ck_assert_uint_eq(ms_chunks_headers_refused(), 0);
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  uint32_t n;
  ck_assert(count_tables(path, tid_a, &n));
  ck_assert_uint_eq(n, 0);
  ck_assert(count_tables(path, tid_b, &n));
  ck_assert_uint_eq(n, 1);
  struct record_list l;
  records_from_file(&l, path);
  uint64_t calls, bytes;
  site_totals(&l, sites[0].id, &calls, &bytes);
  ck_assert_uint_eq(calls, 2);
  ck_assert_uint_eq(bytes, 200);
  records_free(&l);
}
END_TEST

/* Threads started together, all alive at once (none can take an ended one's record):
 * each record is one mmap (its table, the table's header page, its frame buffer and stack
 * ids), its table's first piece in the file one more, and a blank table is not copied
 * into the file (no pwrite of its zeros).  Each thread samples with a stack (a 1 MiB
 * request: sampled at a 64 KiB interval but once in 10^7), so frames and stack ids are
 * used.  Before, each such thread made four mmaps and wrote its table by pwrite. */
#define TOGETHER 16
static pthread_barrier_t together;

static void *sample_and_wait(void *arg) {
  (void)arg;
  __memscope_free(__memscope_malloc(1u << 20, &sites[0]), &sites[1]);
  pthread_barrier_wait(&together); /* (all alive: none ended yet) */
  return NULL;
}

START_TEST(threads_together_take_one_mmap_per_record) {
  char dir[64], path[256];
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  __memscope_free(__memscope_malloc(100, &sites[0]), &sites[1]); /* (the file, this record) */
  ck_assert(ms_stacks_available());
  uint64_t maps = ms_os_maps(), copies = ms_threads_table_copies();
  uint64_t reserved = ms_threads_records_reserved();
  pthread_barrier_init(&together, NULL, TOGETHER + 1);
  pthread_t th[TOGETHER];
  for (int i = 0; i < TOGETHER; i++)
    ck_assert_int_eq(pthread_create(&th[i], NULL, sample_and_wait, NULL), 0);
  pthread_barrier_wait(&together);
  uint64_t maps_made = ms_os_maps() - maps; /* (before the threads end) */
  for (int i = 0; i < TOGETHER; i++) pthread_join(th[i], NULL);
  ck_assert_uint_eq(ms_threads_records_reserved() - reserved, TOGETHER);
  ck_assert_uint_eq(ms_threads_table_copies() - copies, 0);
  /* 2 a thread, plus the file's windows (12 KiB a thread: 1 for 16) and a page of
   * pthread_create's start records: at most 4 more (four a thread before: 64). */
  ck_assert_uint_ge(maps_made, 2 * TOGETHER);
  ck_assert_uint_le(maps_made, 2 * TOGETHER + 4);

  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  struct record_list l;
  records_from_file(&l, path);
  uint64_t calls, bytes;
  site_totals(&l, sites[0].id, &calls, &bytes);
  ck_assert_uint_eq(calls, TOGETHER + 1);
  ck_assert_uint_eq(bytes, (uint64_t)TOGETHER * (1u << 20) + 100);
  site_totals(&l, sites[1].id, &calls, &bytes);
  ck_assert_uint_eq(calls, TOGETHER + 1);
  ck_assert_uint_ge(l.chunks[MS_CHUNK_EVENTS], TOGETHER); /* (each thread sampled) */
  records_free(&l);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_thread_reuse");
  TCase *tc = tcase_create("reuse");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, kept_table_is_not_extended_before_its_retag);
  tcase_add_test(tc, one_piece_table_is_retagged_through_its_mapping);
  tcase_add_test(tc, threads_together_take_one_mmap_per_record);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
