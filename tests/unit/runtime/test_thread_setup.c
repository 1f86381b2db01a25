/* A signal handler that allocates while its thread is being set up: its calls are not
 * counted (the runtime is busy on that thread) and must be reported as dropped.  The
 * drops noted before the thread holds its record were once copied into the record under
 * the registry lock; a handler between that copy and the thread taking the record added
 * to the thread's early count after it had been read, and its pair was neither counted
 * nor dropped (what hostile/sessions' signal case asserts never happens).  Now a thread
 * without a record counts its drops in the file's status block.  The test hook raises
 * the signal at that exact point, every time. */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "record_reader.h"

static const struct __memscope_frame frame[] = {{"setup_here", "t.c", 10, 3}};
static struct __memscope_site sites[] = {
    {.id = 0x3331, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC},
    {.id = 0x3332, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE},
    {.id = 0x3333, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC}, /* handler's */
    {.id = 0x3334, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE},
};
static struct __memscope_module module = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 4,
                                          .sites = sites, .name = "t.c"};

static volatile sig_atomic_t handler_pairs;
static void on_signal(int sig) {
  (void)sig;
  __memscope_free(__memscope_malloc(48, &sites[2]), &sites[3]);
  handler_pairs++;
}

/* `pending` signals, each handled before raise() returns. */
static int pending;
static void raise_from_hook(void) {
  for (; pending > 0; pending--) raise(SIGUSR1);
}

static pid_t tid;
static void *one_pair(void *arg) {
  (void)arg;
  tid = gettid();
  __memscope_free(__memscope_malloc(100, &sites[0]), &sites[1]);
  return NULL;
}

static void run_case(int signals, uint64_t *dropped, uint64_t *calls, uint64_t *handler_calls) {
  char dir[64], path[256];
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
  pending = signals;
  ms_thread_setup_window_test_hook = raise_from_hook;
  pthread_t th;
  ck_assert_int_eq(pthread_create(&th, NULL, one_pair, NULL), 0);
  pthread_join(th, NULL);
  ms_thread_setup_window_test_hook = NULL;
  ck_assert_int_eq(pending, 0); /* (the hook ran) */
  ck_assert_int_eq(handler_pairs, signals);
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  struct record_list l;
  records_from_file(&l, path);
  uint64_t bytes, c2, c3;
  /* (a thread with no record yet: the status block counts them, not its THREAD record) */
  ck_assert_uint_eq(thread_dropped(&l, tid), 0);
  *dropped = l.status.dropped_calls;
  site_totals(&l, sites[0].id, calls, &bytes);
  site_totals(&l, sites[2].id, &c2, &bytes);
  site_totals(&l, sites[3].id, &c3, &bytes);
  *handler_calls = c2 + c3;
  records_free(&l);
}

/* Every call the handler made in the window is reported dropped: 2 per pair, none
 * counted; the thread's own pair is counted. */
START_TEST(handler_calls_during_setup_are_dropped_not_lost) {
  uint64_t dropped, calls, handler_calls;
  run_case(3, &dropped, &calls, &handler_calls);
  ck_assert_uint_eq(handler_calls, 0);
  ck_assert_uint_eq(dropped, 6);
  ck_assert_uint_eq(calls, 1);
}
END_TEST

/* Without a signal nothing is dropped (the early count starts from zero). */
START_TEST(no_signal_no_drop) {
  uint64_t dropped, calls, handler_calls;
  run_case(0, &dropped, &calls, &handler_calls);
  ck_assert_uint_eq(handler_calls, 0);
  ck_assert_uint_eq(dropped, 0);
  ck_assert_uint_eq(calls, 1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_thread_setup");
  TCase *tc = tcase_create("setup");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, handler_calls_during_setup_are_dropped_not_lost);
  tcase_add_test(tc, no_signal_no_drop);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
