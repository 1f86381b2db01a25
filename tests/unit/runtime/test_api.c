/* The public API (include/memscope.h) on real recordings: sessions started and stopped
 * into their own files, per-thread tracing, names, flush and dump, phases, snapshots.
 * ctest runs it in the default sampled mode with MEMSCOPE_SAMPLE_INTERVAL=64K. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "memscope.h"
#include "record_reader.h"

static const struct __memscope_frame frame[] = {{"f", "api.c", 1, 1}};
static struct __memscope_site sites[] = {
    {.id = 0xA1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC},
    {.id = 0xF1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE},
};
static struct __memscope_module module = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 2,
                                          .sites = sites, .name = "api.c"};

static void churn(int n, size_t size) {
  for (int i = 0; i < n; i++) __memscope_free(__memscope_malloc(size, &sites[0]), &sites[1]);
}

static void read_session(struct record_list *l, const char *dir, unsigned session) {
  char path[300];
  output_path_session(path, sizeof path, dir, ms_process.program, (long)getpid(), session);
  records_from_file(l, path);
}

static uint64_t calls_of(const struct record_list *l, uint64_t id) {
  uint64_t calls, bytes;
  site_totals(l, id, &calls, &bytes);
  return calls;
}

static int has_end(const struct record_list *l, const char *reason) {
  char s[32];
  for (size_t i = 1; i < l->count; i++)
    if (rec_type(&l->items[i]) == MS_REC_END &&
        !strcmp(rec_str(&l->items[i].data, MS_END_REASON, s, sizeof s), reason))
      return 1;
  return 0;
}

START_TEST(sessions_write_their_own_files) {
  char dir1[64], dir2[64];
  make_temp_dir(dir1, sizeof dir1);
  make_temp_dir(dir2, sizeof dir2);
  strcpy(ms_config.out_dir, dir1);
  ck_assert_int_eq(memscope_is_tracing(), 1); /* session 1 runs from the start */
  __memscope_register_module_v6(&module);
  churn(30, 16);
  ck_assert_int_eq(memscope_stop(), 0);
  ck_assert_int_eq(memscope_is_tracing(), 0);
  ck_assert_int_eq(memscope_stop(), -1);
  churn(100, 16); /* between sessions: not recorded anywhere */
  ck_assert_int_eq(memscope_start(dir2), 0);
  churn(50, 16);
  ck_assert_int_eq(memscope_stop(), 0);

  struct record_list l;
  read_session(&l, dir1, 1);
  ck_assert_uint_eq(calls_of(&l, 0xA1), 30);
  ck_assert(has_end(&l, "stop"));
  records_free(&l);
  read_session(&l, dir2, 2);
  ck_assert_uint_eq(calls_of(&l, 0xA1), 50); /* counts restarted with the session */
  ck_assert_uint_eq(calls_of(&l, 0xF1), 50);
  int sites_described = 0;
  for (size_t i = 1; i < l.count; i++) sites_described += rec_type(&l.items[i]) == MS_REC_SITE;
  ck_assert_int_eq(sites_described, 2); /* the new file describes every site again */
  records_free(&l);
  /* A missing directory is created (0700); one that cannot be says why. */
  char dir3[96];
  snprintf(dir3, sizeof dir3, "%s/new/sub", dir1);
  ck_assert_int_eq(memscope_start(dir3), 0);
  struct stat st;
  ck_assert_int_eq(stat(dir3, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0700);
  ck_assert_int_eq(memscope_stop(), 0);
  ck_assert_int_eq(memscope_start("/dev/null/dir"), -1);
  ck_assert_int_eq(errno, ENOTDIR);
}
END_TEST

/* The fatal-signal handler writes through the status pointer without a lock: a pointer
 * loaded just before a session's end (on another thread) must still reach memory of
 * ours afterwards, zeros nobody reads, and the next session's header reuses the place
 * (one region for the process, however many sessions).  Before, the end unmapped it: a
 * stray write died of SIGSEGV. */
START_TEST(a_status_pointer_outlives_its_session) {
  char dir1[64], dir2[64];
  make_temp_dir(dir1, sizeof dir1);
  make_temp_dir(dir2, sizeof dir2);
  strcpy(ms_config.out_dir, dir1);
  __memscope_register_module_v6(&module);
  churn(3, 16); /* (the file, and its status block, made on the first recorded call) */
  struct ms_file_status *st = ms_output_status();
  ck_assert_ptr_nonnull(st);
  ck_assert_int_eq(memscope_stop(), 0);
  ck_assert_ptr_null(ms_output_status());
  ck_assert_uint_eq(__atomic_load_n(&st->magic, __ATOMIC_RELAXED), 0); /* zeros now */
  __atomic_store_n(&st->signal, 11u, __ATOMIC_RELAXED); /* the late handler's write */
  ck_assert_int_eq(memscope_start(dir2), 0);
  churn(3, 16);
  ck_assert_ptr_eq(ms_output_status(), st); /* the same place, the new file's block */
  ck_assert_uint_eq(__atomic_load_n(&st->signal, __ATOMIC_RELAXED), 0);
  ck_assert_uint_eq(__atomic_load_n(&st->magic, __ATOMIC_RELAXED), MS_STATUS_MAGIC);
  ck_assert_int_eq(memscope_stop(), 0);
}
END_TEST

START_TEST(thread_tracing_leaves_a_thread_out) {
  char dir[64];
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  churn(10, 16);
  ck_assert_int_eq(memscope_thread_tracing(0), 1);
  churn(1000, 16);
  ck_assert_int_eq(memscope_thread_tracing(1), 0);
  churn(5, 16);
  memscope_flush();
  struct record_list l;
  read_session(&l, dir, 1);
  ck_assert_uint_eq(calls_of(&l, 0xA1), 15);
  records_free(&l);
}
END_TEST

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage;
static void *named_worker(void *arg) {
  (void)arg;
  memscope_set_thread_name("a-name-longer-than-the-kernel-allows");
  churn(77, 32);
  pthread_mutex_lock(&gate);
  stage = 1;
  pthread_cond_broadcast(&cv);
  while (stage != 2) pthread_cond_wait(&cv, &gate);
  pthread_mutex_unlock(&gate);
  return NULL;
}

START_TEST(dump_names_and_snapshot_see_running_threads) {
  char dir[64];
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  pthread_t th;
  pthread_create(&th, NULL, named_worker, NULL);
  pthread_mutex_lock(&gate);
  while (stage != 1) pthread_cond_wait(&cv, &gate);
  pthread_mutex_unlock(&gate);

  void *kept[8];
  for (int i = 0; i < 8; i++) kept[i] = __memscope_malloc(4 << 20, &sites[0]); /* p ~ 1 */
  struct memscope_snapshot snap;
  struct memscope_thread_counts per[4];
  size_t n = memscope_snapshot(&snap, per, 4);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(snap.threads, 2);
  ck_assert_uint_eq(snap.allocations, 85);
  ck_assert_uint_eq(snap.frees, 77);
  ck_assert_uint_eq(snap.bytes_allocated, 77 * 32 + 8 * (4u << 20));
  ck_assert_msg(snap.live_bytes_estimate > 30.0 * (1 << 20) &&
                    snap.live_bytes_estimate < 34.0 * (1 << 20),
                "live estimate %f", snap.live_bytes_estimate);
  for (int i = 0; i < 8; i++) __memscope_free(kept[i], &sites[1]);
  memscope_snapshot(&snap, NULL, 0);
  ck_assert_msg(snap.live_bytes_estimate < 1.0 * (1 << 20), "after frees %f",
                snap.live_bytes_estimate);

  memscope_dump();
  struct record_list l;
  read_session(&l, dir, 1);
  ck_assert_uint_eq(calls_of(&l, 0xA1), 85); /* the worker's 77 and ours, both exact */
  char name[80];
  int named = 0;
  for (size_t i = 1; i < l.count; i++)
    if (rec_type(&l.items[i]) == MS_REC_THREAD)
      named += !strcmp(rec_str(&l.items[i].data, MS_THREAD_NAME, name, sizeof name),
                       "a-name-longer-than-the-kernel-allows");
  ck_assert_int_eq(named, 1);
  records_free(&l);
  pthread_mutex_lock(&gate);
  stage = 2;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&gate);
  pthread_join(th, NULL);
}
END_TEST

START_TEST(phases_label_sampled_events) {
  char dir[64];
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  ck_assert_int_eq(memscope_phase("load"), 1);
  void *a = __memscope_malloc(8 << 20, &sites[0]);
  ck_assert_int_eq(memscope_phase("serve"), 2);
  void *b = __memscope_malloc(8 << 20, &sites[0]);
  ck_assert_int_eq(memscope_phase("load"), 1); /* labels are interned */
  ck_assert_int_eq(memscope_phase(NULL), 0);
  void *c = __memscope_malloc(8 << 20, &sites[0]);
  memscope_flush();
  struct record_list l;
  read_session(&l, dir, 1);
  char label[32];
  int phases = 0;
  uint64_t seen[3] = {9, 9, 9};
  int k = 0;
  for (size_t i = 1; i < l.count; i++) {
    if (rec_type(&l.items[i]) == MS_REC_PHASE) {
      phases++;
      rec_str(&l.items[i].data, MS_PHASE_LABEL, label, sizeof label);
      ck_assert_str_eq(label, rec_u64(&l.items[i].data, MS_PHASE_ID) == 1 ? "load" : "serve");
    }
    if (rec_type(&l.items[i]) != MS_REC_EVENTS) continue;
    const msgpack_object *list = rec_field(&l.items[i].data, MS_EVENTS_LIST);
    for (uint32_t e = 0; e < list->via.array.size && k < 3; e++) {
      const msgpack_object *ev = &list->via.array.ptr[e];
      seen[k++] = ev->via.array.size > MS_EV_PHASE ? rec_u64(ev, MS_EV_PHASE) : 0;
    }
  }
  ck_assert_int_eq(phases, 2);
  ck_assert_uint_eq(seen[0], 1);
  ck_assert_uint_eq(seen[1], 2);
  ck_assert_uint_eq(seen[2], 0);
  records_free(&l);
  free(a), free(b), free(c);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_api");
  TCase *tc = tcase_create("api");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, sessions_write_their_own_files);
  tcase_add_test(tc, a_status_pointer_outlives_its_session);
  tcase_add_test(tc, thread_tracing_leaves_a_thread_out);
  tcase_add_test(tc, dump_names_and_snapshot_see_running_threads);
  tcase_add_test(tc, phases_label_sampled_events);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
