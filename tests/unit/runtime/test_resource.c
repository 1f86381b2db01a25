/* The resource sampler (ctest sets MEMSCOPE_RESOURCE_INTERVAL=20ms): RESOURCE records at
 * about that rate, plausible process figures, cumulative counters that never go back,
 * and the CPU time of a busy recording thread. */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "memscope.h"
#include "record_reader.h"

static const struct __memscope_frame frame[] = {{"f", "r.c", 1, 1}};
static struct __memscope_site sites[] = {
    {.id = 0xA1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC},
    {.id = 0xF1, .frames = frame, .nframes = 1, .api = MEMSCOPE_API_FREE},
};
static struct __memscope_module module = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 2,
                                          .sites = sites, .name = "r.c"};
static _Atomic int32_t burner_tid;

static void *burn(void *arg) {
  burner_tid = ms_os_gettid();
  __memscope_free(__memscope_malloc(8, &sites[0]), &sites[1]); /* now a recording thread */
  /* 150 ms of this thread's own CPU time, however loaded the machine is (at most 10 s). */
  struct timespec cpu, wall, start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  volatile uint64_t x = 0;
  do {
    for (int i = 0; i < 100000; i++) x += (uint64_t)i;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    clock_gettime(CLOCK_MONOTONIC, &wall);
  } while (cpu.tv_sec * 1000000000L + cpu.tv_nsec < 150000000L && wall.tv_sec - start.tv_sec < 10);
  return arg;
}

START_TEST(resource_records_make_a_timeline) {
  ck_assert_uint_eq(ms_config.resource_interval_ns, 20000000);
  char dir[64];
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
  __memscope_register_module_v6(&module);
  __memscope_free(__memscope_malloc(8, &sites[0]), &sites[1]); /* starts the sampler */
  pthread_t th;
  pthread_create(&th, NULL, burn, NULL);
  pthread_join(th, NULL);
  memscope_stop(); /* writes a last tick */

  struct record_list l;
  char path[256];
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  records_from_file(&l, path);
  int ticks = 0, saw_burner_cpu = 0;
  uint64_t last_ts = 0, last_cpu = 0, last_minflt = 0;
  for (size_t i = 1; i < l.count; i++) {
    if (rec_type(&l.items[i]) != MS_REC_RESOURCE) continue;
    ticks++;
    const msgpack_object *r = &l.items[i].data;
    const msgpack_object *p = rec_field(r, MS_RES_PROCESS);
    uint64_t ts = rec_u64(r, MS_RES_TS), rss = rec_u64(p, MS_RES_RSS);
    uint64_t cpu = rec_u64(p, MS_RES_UTIME) + rec_u64(p, MS_RES_STIME);
    ck_assert_uint_ge(ts, last_ts);
    ck_assert_uint_gt(rss, 100 << 10);                   /* a process has some memory */
    ck_assert_uint_gt(rec_u64(p, MS_RES_VSIZE), rss);
    ck_assert_uint_ge(cpu, last_cpu);                    /* cumulative, never back */
    ck_assert_uint_ge(rec_u64(p, MS_RES_MINFLT), last_minflt);
    last_ts = ts, last_cpu = cpu, last_minflt = rec_u64(p, MS_RES_MINFLT);
    const msgpack_object *threads = rec_field(r, MS_RES_THREADS);
    for (uint32_t k = 0; k < threads->via.array.size; k++) {
      const msgpack_object *t = &threads->via.array.ptr[k];
      if (rec_i64(t, MS_RES_THREAD_TID) == burner_tid && rec_u64(t, MS_RES_THREAD_UTIME) > 0)
        saw_burner_cpu = 1;
    }
  }
  /* At least 150 ms at 20 ms a tick: 7 or more, unless the sampler itself was starved. */
  ck_assert_msg(ticks >= 3 && ticks <= 600, "%d resource ticks", ticks);
  ck_assert_uint_gt(last_cpu, 100000000); /* the burner's 150 ms of CPU, in 10 ms ticks */
  ck_assert_msg(saw_burner_cpu, "no tick saw the busy thread's CPU time");
  records_free(&l);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_resource");
  TCase *tc = tcase_create("resource");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, resource_records_make_a_timeline);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
