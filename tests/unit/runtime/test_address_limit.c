/* Under an address-space limit (RLIMIT_AS) the runtime's own mappings can fail at any
 * time.  A stop and memscope_snapshot() each need an 8 MiB view of a thread's counts,
 * which was mapped at the first of them: a program that had lowered its limit by then
 * left no room for it, and the view was read through a NULL pointer (a crash at the
 * exit: hostile/address_limit).  Now the view is reserved at start, and a stop or a
 * snapshot under a limit that leaves no room for 8 MiB more counts exactly. */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"
#include "memscope.h"
#include "record_reader.h"

static const struct __memscope_frame frame[] = {{"f", "a.c", 1, 1}};
static struct __memscope_site sites[] = {
    {.id = 0xAA1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC},
    {.id = 0xAA2, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE},
};
static struct __memscope_module module = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 2,
                                          .sites = sites, .name = "a.c"};

static rlim_t address_space_now(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  rlim_t kib = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmSize:", 7) == 0) kib = (rlim_t)atol(line + 7);
  if (f) fclose(f);
  return kib * 1024;
}

START_TEST(a_stop_and_a_snapshot_under_a_tight_limit_count_exactly) {
  char dir[64], path[256];
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  for (int i = 0; i < 3; i++) __memscope_free(__memscope_malloc(100, &sites[0]), &sites[1]);

  /* 1 MiB more than the process has now: no 8 MiB mapping fits (the soft limit only) */
  struct rlimit old;
  ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
  struct rlimit tight = {address_space_now() + (1 << 20), old.rlim_max};
  ck_assert_int_eq(setrlimit(RLIMIT_AS, &tight), 0);
  struct memscope_snapshot s;
  memscope_snapshot(&s, NULL, 0);
  ck_assert_uint_eq(s.allocations, 3);
  ck_assert_uint_eq(s.frees, 3);
  ck_assert_uint_eq(s.bytes_allocated, 300);
  ck_assert_int_eq(memscope_stop(), 0);
  ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);

  /* The file: the thread's COUNTERS snapshot. */
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  struct record_list l;
  records_from_file(&l, path);
  uint64_t calls, bytes;
  site_totals(&l, sites[0].id, &calls, &bytes);
  ck_assert_uint_eq(calls, 3);
  ck_assert_uint_eq(bytes, 300);
  site_totals(&l, sites[1].id, &calls, &bytes);
  ck_assert_uint_eq(calls, 3);
  records_free(&l);
}
END_TEST

/* A thread that cannot be set up (no room for its table) drops its calls, and says so:
 * they were lost without a word (7,987 of 8,000 counted in a run of
 * hostile/programs/address_limit.c under its plain peak + 112 MiB, the file "complete").
 * The file's status block counts them for the process, so a thread that is never set up
 * (it ends under the limit) says so too; one set up later has none in its THREAD record. */
static sem_t go, done;
static int calls_while_limited = 5, calls_never_set_up = 3;
static pid_t worker_tid;
static void *worker(void *arg) {
  (void)arg;
  worker_tid = gettid();
  sem_wait(&go); /* (the limit is set now) */
  for (int i = 0; i < calls_while_limited; i++) __memscope_malloc(16, &sites[0]);
  sem_post(&done);
  sem_wait(&go); /* (lifted) */
  __memscope_free(__memscope_malloc(100, &sites[0]), &sites[1]);
  return NULL;
}

static sem_t go_short;
static void *short_lived(void *arg) {
  (void)arg;
  sem_wait(&go_short); /* (the limit is set now) */
  for (int i = 0; i < calls_never_set_up; i++) __memscope_malloc(24, &sites[0]);
  return NULL; /* ends without ever being set up */
}

START_TEST(threads_that_cannot_be_set_up_report_their_calls_dropped) {
  char dir[64], path[256];
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  __memscope_free(__memscope_malloc(100, &sites[0]), &sites[1]); /* main set up */
  sem_init(&go, 0, 0);
  sem_init(&done, 0, 0);
  sem_init(&go_short, 0, 0);
  pthread_t th, sh;
  ck_assert_int_eq(pthread_create(&th, NULL, worker, NULL), 0);
  ck_assert_int_eq(pthread_create(&sh, NULL, short_lived, NULL), 0);
  struct rlimit old;
  ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
  struct rlimit tight = {address_space_now() + (1 << 20), old.rlim_max};
  ck_assert_int_eq(setrlimit(RLIMIT_AS, &tight), 0);
  sem_post(&go_short);
  pthread_join(sh, NULL);
  sem_post(&go);
  sem_wait(&done);
  ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
  sem_post(&go);
  pthread_join(th, NULL);
  ck_assert_int_eq(memscope_stop(), 0);

  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  struct record_list l;
  records_from_file(&l, path);
  ck_assert_uint_eq(l.status.dropped_calls, (uint64_t)(calls_while_limited + calls_never_set_up));
  ck_assert_uint_eq(thread_dropped(&l, worker_tid), 0);
  uint64_t calls, bytes;
  site_totals(&l, sites[0].id, &calls, &bytes);
  ck_assert_uint_eq(calls, 2); /* main's and the worker's last: the limited ones dropped */
  records_free(&l);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_address_limit");
  TCase *tc = tcase_create("limit");
  tcase_set_timeout(tc, 60);
#if !defined(__has_feature)
#define __has_feature(x) 0
#endif
  /* (the sanitizers' runtimes map terabytes of shadow and more as they go) */
#if !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  tcase_add_test(tc, a_stop_and_a_snapshot_under_a_tight_limit_count_exactly);
  tcase_add_test(tc, threads_that_cannot_be_set_up_report_their_calls_dropped);
#endif
  suite_add_tcase(s, tc);
  return run_suite(s);
}
