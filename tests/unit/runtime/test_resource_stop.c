/* (Also: the sampler thread takes its own faults, below.)
 * A resource tick against a session ending on another thread (the exit's stop): the tick
 * reads the file's size from the status block, which the session's end unmaps.  A tick
 * that had loaded the block's address just before read unmapped memory: the profiled
 * program died of SIGSEGV (hostile/gcc_build, once in ~350 runs under load).  A test
 * hook holds a tick at that exact point while this thread stops the session: the stop
 * must wait for the tick (it reads under the output lock), and the tick's RESOURCE
 * record, with the file's size, comes before END.  MEMSCOPE_RESOURCE_INTERVAL is unset
 * (no sampler thread, and the stop takes no tick of its own): a thread of the test takes
 * the tick the sampler would. */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "memscope.h"
#include "record_reader.h"

static const struct __memscope_frame frame[] = {{"f", "s.c", 1, 1}};
static struct __memscope_site sites[] = {
    {.id = 0xB1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC},
    {.id = 0xB2, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE},
};
static struct __memscope_module module = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 2,
                                          .sites = sites, .name = "s.c"};

static _Atomic int32_t ticker_tid;
static _Atomic int in_window, stop_done, stop_done_in_window = -1;

/* On the ticking thread, between the load of the status block's address and its read:
 * waits up to 1 s for the stop, which must not get through meanwhile. */
static void hold_tick(void) {
  if (ms_os_gettid() != atomic_load(&ticker_tid)) return;
  atomic_store(&in_window, 1);
  for (int i = 0; i < 1000 && !atomic_load(&stop_done); i++) usleep(1000);
  atomic_store(&stop_done_in_window, atomic_load(&stop_done));
}

static void *tick(void *arg) {
  atomic_store(&ticker_tid, ms_os_gettid());
  ms_resource_sample_now();
  return arg;
}

START_TEST(a_stop_waits_for_a_tick_reading_the_status_block) {
  ck_assert_uint_eq(ms_config.resource_interval_ns, 0);
  char dir[64];
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  __memscope_free(__memscope_malloc(8, &sites[0]), &sites[1]); /* the file, mapped */
  ck_assert_ptr_nonnull(ms_output_status());

  ms_chunks_file_bytes_test_hook = hold_tick;
  pthread_t th;
  ck_assert_int_eq(pthread_create(&th, NULL, tick, NULL), 0);
  for (int i = 0; i < 10000 && !atomic_load(&in_window); i++) usleep(1000);
  ck_assert_msg(atomic_load(&in_window), "the tick never reached the file's size");
  ck_assert_int_eq(memscope_stop(), 0); /* unmaps the status block */
  atomic_store(&stop_done, 1);
  pthread_join(th, NULL);
  ms_chunks_file_bytes_test_hook = NULL;
  ck_assert_msg(atomic_load(&stop_done_in_window) == 0,
                "the session ended while a tick was reading its status block");

  struct record_list l;
  char path[256];
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  records_from_file(&l, path);
  size_t resource = 0, end = 0;
  for (size_t i = 1; i < l.written; i++) {
    if (rec_type(&l.items[i]) == MS_REC_RESOURCE) {
      ck_assert_uint_eq(resource, 0); /* the one tick */
      resource = i;
      const msgpack_object *p = rec_field(&l.items[i].data, MS_RES_PROCESS);
      ck_assert_uint_eq(p->via.array.size, MS_RES_PROCESS_OWN_LEN);
      /* the header region at least: read from the live status block */
      ck_assert_uint_ge(rec_u64(p, MS_RES_OWN_FILE), MS_HEADER_REGION);
    }
    if (rec_type(&l.items[i]) == MS_REC_END) end = i;
  }
  ck_assert_msg(resource > 0, "no RESOURCE record");
  ck_assert_msg(end > resource, "RESOURCE at %zu, END at %zu", resource, end);
  records_free(&l);
}
END_TEST

/* The sampler thread takes no signal of the program's, but its own faults reach the
 * fatal-signal handler: blocked, a SIGSEGV there killed the process with no record. */
static unsigned long long blocked_of_thread_named(const char *name) {
  char path[300], buf[4096];
  for (int attempt = 0; attempt < 1000; attempt++, usleep(1000)) { /* (it starts soon) */
    DIR *tasks = opendir("/proc/self/task");
    ck_assert_ptr_nonnull(tasks);
    for (struct dirent *e; (e = readdir(tasks));) {
      if (e->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
      FILE *f = fopen(path, "r");
      if (!f) continue;
      int named = fgets(buf, sizeof buf, f) && strncmp(buf, name, strlen(name)) == 0;
      fclose(f);
      if (!named) continue;
      snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
      f = fopen(path, "r");
      ck_assert_ptr_nonnull(f);
      unsigned long long mask = 0;
      while (fgets(buf, sizeof buf, f))
        if (sscanf(buf, "SigBlk: %llx", &mask) == 1) break;
      fclose(f);
      closedir(tasks);
      return mask;
    }
    closedir(tasks);
  }
  ck_abort_msg("no thread named %s", name);
  return 0;
}

START_TEST(the_sampler_takes_its_own_faults) {
  ms_config.resource_interval_ns = 1000000000ull;
  ms_resource_ensure_started();
  unsigned long long mask = blocked_of_thread_named("memscope-res");
  ck_assert(!(mask & (1ull << (SIGSEGV - 1))));
  ck_assert(!(mask & (1ull << (SIGBUS - 1))));
  ck_assert(!(mask & (1ull << (SIGILL - 1))));
  ck_assert(!(mask & (1ull << (SIGFPE - 1))));
  ck_assert(mask & (1ull << (SIGINT - 1))); /* the program's signals stay out */
  ck_assert(mask & (1ull << (SIGALRM - 1)));
  ck_assert(mask & (1ull << (SIGUSR1 - 1)));
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_resource_stop");
  TCase *tc = tcase_create("resource_stop");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, a_stop_waits_for_a_tick_reading_the_status_block);
  tcase_add_test(tc, the_sampler_takes_its_own_faults);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
