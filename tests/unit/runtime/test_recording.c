/* Full mode (ctest runs this with MEMSCOPE_MODE=full): recording through the real entry
 * points into a real file, read back independently: EVENTS chunks, exact counters,
 * thread records, many threads, errno, mode off, fork.  Check runs each test in its own
 * forked process, so each test writes its own file named after its own pid. */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "memscope.h"
#include "record_reader.h"

static const struct __memscope_frame alloc_frame[] = {{"alloc_here", "t.c", 10, 3}};
static const struct __memscope_frame free_frame[] = {{"free_here", "t.c", 20, 5}};
static struct __memscope_site sites[] = {
    {.id = 0x1111, .frames = alloc_frame, .nframes = 1, .api = MEMSCOPE_API_MALLOC},
    {.id = 0x2222, .frames = free_frame, .nframes = 1, .api = MEMSCOPE_API_FREE},
};
static struct __memscope_module module = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 2,
                                          .sites = sites, .name = "t.c"};

static char dir[64];

static void start_in_temp_dir(void) {
  ck_assert_msg(ms_config.mode == MS_MODE_FULL, "run with MEMSCOPE_MODE=full");
  make_temp_dir(dir, sizeof dir);
  strcpy(ms_config.out_dir, dir);
}

/* The last COUNTERS record of thread `thread`: its entry for site `id` (NULL if none). */
static const msgpack_object *last_counter(const struct record_list *l, uint64_t thread,
                                          uint64_t id) {
  const msgpack_object *found = NULL;
  uint64_t best_seq = 0;
  for (size_t i = 1; i < l->count; i++) {
    if (rec_type(&l->items[i]) != MS_REC_COUNTERS) continue;
    const msgpack_object *r = &l->items[i].data;
    if (rec_u64(r, MS_COUNTERS_THREAD) != thread || rec_u64(r, MS_COUNTERS_SEQ) < best_seq)
      continue;
    best_seq = rec_u64(r, MS_COUNTERS_SEQ);
    found = NULL;
    const msgpack_object *e = rec_field(r, MS_COUNTERS_ENTRIES);
    for (uint32_t k = 0; k < e->via.array.size; k++)
      if (rec_u64(&e->via.array.ptr[k], MS_COUNTER_SITE) == id) found = &e->via.array.ptr[k];
  }
  return found;
}

static void read_own_file(struct record_list *l) {
  char path[256];
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  records_from_file(l, path);
  ck_assert_uint_eq(l->trailing_bytes, 0);
}

/* Events of every EVENTS record (one per EVENTS chunk), in file order, with their
 * batch sizes. */
struct event_view {
  uint64_t kind, site, size, ptr, ts, thread;
};
static size_t collect_events(const struct record_list *l, struct event_view *out, size_t cap,
                             uint32_t *batches, size_t *nbatches) {
  size_t n = 0;
  *nbatches = 0;
  for (size_t i = 1; i < l->count; i++) {
    if (rec_type(&l->items[i]) != MS_REC_EVENTS) continue;
    const msgpack_object *r = &l->items[i].data;
    const msgpack_object *list = rec_field(r, MS_EVENTS_LIST);
    if (batches) batches[(*nbatches)++] = list->via.array.size;
    for (uint32_t k = 0; k < list->via.array.size; k++) {
      const msgpack_object *e = &list->via.array.ptr[k];
      ck_assert_uint_lt(n, cap);
      out[n++] = (struct event_view){rec_u64(e, MS_EV_KIND), rec_u64(e, MS_EV_SITE),
                                     rec_u64(e, MS_EV_SIZE), rec_u64(e, MS_EV_PTR),
                                     rec_u64(e, MS_EV_TS), rec_u64(r, MS_EVENTS_THREAD)};
    }
  }
  return n;
}

static size_t count_type(const struct record_list *l, uint64_t type) {
  size_t n = 0;
  for (size_t i = 1; i < l->count; i++) n += rec_type(&l->items[i]) == type;
  return n;
}

START_TEST(events_fill_growing_chunks_in_order) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  enum { PAIRS = 2500 };
  for (int i = 0; i < PAIRS; i++) {
    void *p = __memscope_malloc((size_t)i + 1, &sites[0]);
    __memscope_free(p, &sites[1]);
  }
  ms_thread_exit(&ms_self);

  struct record_list l;
  read_own_file(&l);
  char s[64];
  ck_assert_str_eq(rec_str(&l.items[0].data, 0, s, sizeof s), MS_FORMAT_MAGIC);
  ck_assert_uint_eq(count_type(&l, MS_REC_SITE), 2);
  ck_assert_uint_eq(rec_u64(&l.items[1].data, MS_SITE_ID), 0x1111); /* in table order */
  static struct event_view ev[2 * PAIRS];
  uint32_t batches[16];
  size_t nb;
  size_t n = collect_events(&l, ev, 2 * PAIRS, batches, &nb);
  ck_assert_uint_eq(n, 2 * PAIRS);
  /* chunks of 4, 8, 16 KiB ...: more than one, each fuller than the last but the last */
  ck_assert_uint_eq(nb, l.chunks[MS_CHUNK_EVENTS]);
  ck_assert_uint_ge(nb, 2);
  for (size_t b = 1; b + 1 < nb; b++) ck_assert_uint_gt(batches[b], batches[b - 1]);
  /* compact: at most 16 bytes per event, stacks included */
  ck_assert_uint_le(l.event_bytes, 16u * 2 * PAIRS);
  ck_assert_uint_eq(l.status.magic, MS_STATUS_MAGIC);
  ck_assert_uint_eq(l.status.flags, 0);
  for (int i = 0; i < PAIRS; i++) {
    struct event_view *a = &ev[2 * i], *f = &ev[2 * i + 1];
    ck_assert_uint_eq(a->kind, MS_EV_ALLOC);
    ck_assert_uint_eq(a->site, 0x1111);
    ck_assert_uint_eq(a->size, (uint64_t)i + 1);
    ck_assert_uint_ne(a->ptr, 0);
    ck_assert_uint_eq(f->kind, MS_EV_FREE);
    ck_assert_uint_eq(f->site, 0x2222);
    ck_assert_uint_eq(f->ptr, a->ptr);
    ck_assert_uint_le(a->ts, f->ts);
    if (i) ck_assert_uint_le(ev[2 * i - 1].ts, a->ts);
  }
  const msgpack_object *ca = last_counter(&l, ev[0].thread, 0x1111);
  ck_assert_ptr_nonnull(ca);
  ck_assert_uint_eq(rec_u64(ca, MS_COUNTER_CALLS), PAIRS);
  ck_assert_uint_eq(rec_u64(ca, MS_COUNTER_BYTES), (uint64_t)PAIRS * (PAIRS + 1) / 2);
  ck_assert_uint_eq(rec_u64(ca, MS_COUNTER_MIN), 1);
  ck_assert_uint_eq(rec_u64(ca, MS_COUNTER_MAX), PAIRS);
  const msgpack_object *cf = last_counter(&l, ev[0].thread, 0x2222);
  ck_assert_uint_eq(rec_u64(cf, MS_COUNTER_CALLS), PAIRS);
  ck_assert_uint_eq(count_type(&l, MS_REC_THREAD), 1);
  const msgpack_object *t = &l.items[l.written - 1].data; /* the last record written */
  ck_assert_uint_eq(rec_u64(t, 0), MS_REC_THREAD);
  ck_assert_uint_eq(rec_u64(t, MS_THREAD_ID), ev[0].thread);
  ck_assert_int_eq(rec_i64(t, MS_THREAD_OS_TID), ms_os_gettid());
  records_free(&l);
}
END_TEST

START_TEST(sites_registered_later_are_appended) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  static const struct __memscope_frame late_frame[] = {{"late", "late.c", 1, 1}};
  static struct __memscope_site late_sites[] = {
      {.id = 0x3333, .frames = late_frame, .nframes = 1, .api = MEMSCOPE_API_REALLOC}};
  static struct __memscope_module late = {.abi_version = MEMSCOPE_ABI_VERSION, .nsites = 1,
                                          .sites = late_sites, .name = "late.c"};
  __memscope_register_module_v6(&late);
  ck_assert_uint_ne(late_sites[0].index, 0);
  ck_assert_uint_ne(late_sites[0].index, sites[0].index);
  ck_assert_uint_ne(late_sites[0].index, sites[1].index);
  struct record_list l;
  read_own_file(&l);
  ck_assert_uint_eq(count_type(&l, MS_REC_SITE), 3); /* two, then the late one, last */
  const msgpack_object *last = &l.items[l.written - 1].data;
  ck_assert_uint_eq(rec_u64(last, MS_SITE_SLOT), late_sites[0].index / 32);
  ck_assert_uint_eq(rec_u64(last, 0), MS_REC_SITE);
  ck_assert_uint_eq(rec_u64(last, MS_SITE_ID), 0x3333);
  ck_assert_uint_eq(rec_u64(last, MS_SITE_API), MEMSCOPE_API_REALLOC);
  records_free(&l);
  __memscope_unregister_module_v6(&late);
}
END_TEST

enum { THREADS = 8, PER_THREAD = 3000 };
static void *churn(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "churner");
  for (int i = 0; i < PER_THREAD; i++) __memscope_free(__memscope_malloc(16, &sites[0]), &sites[1]);
  return NULL;
}

START_TEST(each_thread_writes_its_events_and_record) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, churn, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);

  struct record_list l;
  read_own_file(&l);
  ck_assert_uint_eq(count_type(&l, MS_REC_THREAD), THREADS);
  static struct event_view ev[THREADS * PER_THREAD * 2];
  size_t nb;
  size_t n = collect_events(&l, ev, THREADS * PER_THREAD * 2, NULL, &nb);
  ck_assert_uint_eq(n, THREADS * PER_THREAD * 2);
  size_t per[THREADS + 2] = {0};
  for (size_t i = 0; i < n; i++) {
    ck_assert_uint_ge(ev[i].thread, 1);
    ck_assert_uint_le(ev[i].thread, THREADS);
    per[ev[i].thread]++;
  }
  for (int t = 1; t <= THREADS; t++) ck_assert_uint_eq(per[t], PER_THREAD * 2);
  char s[32];
  for (size_t i = 1; i < l.count; i++)
    if (rec_type(&l.items[i]) == MS_REC_THREAD) {
      ck_assert_str_eq(rec_str(&l.items[i].data, MS_THREAD_NAME, s, sizeof s), "churner");
      ck_assert_uint_gt(rec_u64(&l.items[i].data, MS_THREAD_END_NS),
                        rec_u64(&l.items[i].data, MS_THREAD_START_NS));
    }
  records_free(&l);
}
END_TEST

/* MODULE records: every image when the file opens, a dlopen'ed one after the next flush. */
START_TEST(modules_are_listed_with_build_ids) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  void *lib = dlopen("libresolv.so.2", RTLD_NOW);
  ck_assert_ptr_nonnull(lib);
  __memscope_free(__memscope_malloc(16, &sites[0]), &sites[1]);
  ms_modules_check(); /* (memscope_flush) */
  struct record_list l;
  read_own_file(&l);
  int program = 0, libc = 0, resolv = 0;
  char path[512], id[160], exe[512];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  ck_assert_int_gt(n, 0);
  exe[n] = 0;
  for (size_t i = 1; i < l.count; i++) {
    if (rec_type(&l.items[i]) != MS_REC_MODULE) continue;
    const msgpack_object *m = &l.items[i].data;
    rec_str(m, MS_MODULE_PATH, path, sizeof path);
    rec_str(m, MS_MODULE_BUILD_ID, id, sizeof id);
    /* the test binary, by its absolute path, linked with an id */
    program += strcmp(path, exe) == 0 && strlen(id) >= 16;
    libc += strstr(path, "libc.so") && strlen(id) >= 16 && rec_u64(m, MS_MODULE_BASE) > 0;
    resolv += strstr(path, "libresolv") != NULL;
  }
  ck_assert_int_ge(program, 1);
  ck_assert_int_ge(libc, 1);
  ck_assert_int_ge(resolv, 1);
  records_free(&l);
  dlclose(lib);
}
END_TEST

START_TEST(events_after_finish_are_not_recorded) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  void *p = __memscope_malloc(10, &sites[0]);
  ms_thread_exit(&ms_self);
  __memscope_free(p, &sites[1]); /* after the thread's record: documented as not counted */
  struct record_list l;
  read_own_file(&l);
  ck_assert_uint_eq(rec_type(&l.items[l.written - 1]), MS_REC_THREAD);
  records_free(&l);
}
END_TEST

START_TEST(errno_survives_the_first_event) {
  start_in_temp_dir();
  errno = EDOM;
  void *p = __memscope_malloc(32, &sites[0]); /* first event: thread set-up, mmaps */
  ck_assert_int_eq(errno, EDOM);
  __memscope_free(p, &sites[1]);
  ck_assert_int_eq(errno, EDOM);
  void *huge = __memscope_malloc(SIZE_MAX / 2, &sites[0]);
  ck_assert_ptr_null(huge);
  ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

/* Times that step back on a thread (the TSC clock on a CPU whose counter lags, or an
 * unfenced read run early: docs/runtime.md, "The clock") are written as the thread's
 * latest time, so that the merge, which sorts a thread's events by time where their
 * times go back, keeps program order; a realloc's begin_ns never precedes it either. */
START_TEST(times_never_step_back_on_a_thread) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  void *p = __memscope_malloc(8, &sites[0]); /* sets the thread up */
  uint64_t t0 = ms_os_now_ns() + 1000000;
  struct ms_event ev[] = {
      {.site_id = 0x1111, .slot = 1, .size = 8, .ptr = 0x1000, .ts = t0, .kind = MS_EV_ALLOC,
       .weight = 1.0},
      {.site_id = 0x2222, .slot = 2, .ptr = 0x1000, .ts = t0 - 500, .kind = MS_EV_FREE,
       .weight = 1.0},
      {.site_id = 0x1111, .slot = 1, .size = 16, .ptr = 0x2000, .old_ptr = 0x3000,
       .ts = t0 - 100, .begin_delta = 50, .kind = MS_EV_REALLOC, .weight = 1.0},
      {.site_id = 0x1111, .slot = 1, .size = 8, .ptr = 0x4000, .ts = t0 + 7, .kind = MS_EV_ALLOC,
       .weight = 1.0},
  };
  for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) ms_thread_push_event(&ms_self, &ev[i]);
  __memscope_free(p, &sites[1]);
  ms_thread_exit(&ms_self);
  struct record_list l;
  read_own_file(&l);
  const msgpack_object *list = NULL;
  for (size_t i = 1; i < l.count; i++)
    if (rec_type(&l.items[i]) == MS_REC_EVENTS) list = rec_field(&l.items[i].data, MS_EVENTS_LIST);
  ck_assert_ptr_nonnull(list);
  ck_assert_uint_eq(list->via.array.size, 6); /* malloc, the four, free */
  const msgpack_object *e = list->via.array.ptr;
  ck_assert_uint_eq(rec_u64(&e[1], MS_EV_TS), t0);
  ck_assert_uint_eq(rec_u64(&e[2], MS_EV_TS), t0);     /* was t0 - 500 */
  ck_assert_uint_eq(rec_u64(&e[3], MS_EV_KIND), MS_EV_REALLOC);
  ck_assert_uint_eq(rec_u64(&e[3], MS_EV_TS), t0);     /* was t0 - 100 */
  ck_assert_uint_eq(rec_u64(&e[3], MS_EV_BEGIN_NS), t0); /* was t0 - 150 */
  ck_assert_uint_eq(rec_u64(&e[4], MS_EV_TS), t0 + 7); /* later: as it was */
  ck_assert_uint_ge(rec_u64(&e[5], MS_EV_TS), t0 + 7);
  records_free(&l);
}
END_TEST

START_TEST(realloc_and_calloc_fields) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  char *a = __memscope_malloc(8, &sites[0]);
  char *b = __memscope_realloc(a, 100000, &sites[0]);
  void *c = __memscope_calloc(SIZE_MAX / 4, 8, &sites[0]); /* overflows: fails */
  ck_assert_ptr_null(c);
  __memscope_free(b, &sites[1]);
  ms_thread_exit(&ms_self);
  struct record_list l;
  read_own_file(&l);
  const msgpack_object *list = NULL;
  for (size_t i = 1; i < l.count; i++)
    if (rec_type(&l.items[i]) == MS_REC_EVENTS) list = rec_field(&l.items[i].data, MS_EVENTS_LIST);
  ck_assert_ptr_nonnull(list);
  ck_assert_uint_eq(list->via.array.size, 4);
  const msgpack_object *re = &list->via.array.ptr[1], *ca = &list->via.array.ptr[2];
  ck_assert_uint_eq(rec_u64(re, MS_EV_KIND), MS_EV_REALLOC);
  ck_assert_uint_eq(rec_u64(re, MS_EV_OLD_PTR), (uintptr_t)a);
  ck_assert_uint_eq(rec_u64(re, MS_EV_PTR), (uintptr_t)b);
  ck_assert_uint_eq(rec_u64(re, MS_EV_SIZE), 100000);
  ck_assert_uint_le(rec_u64(re, MS_EV_BEGIN_NS), rec_u64(re, MS_EV_TS));
  ck_assert_uint_eq(rec_u64(ca, MS_EV_PTR), 0);
  ck_assert_uint_eq(rec_u64(ca, MS_EV_SIZE), UINT64_MAX);
  records_free(&l);
}
END_TEST

/* Full mode's live bytes (memscope_snapshot) are exact: every block's requested size,
 * followed through reallocs (grown in place or moved, shrunk, to 0) and frees by another
 * thread, and given back when freed. */
static void *free_elsewhere(void *p) {
  __memscope_free(p, &sites[1]);
  return NULL;
}

static double live_now(void) {
  struct memscope_snapshot snap;
  memscope_snapshot(&snap, NULL, 0);
  return snap.live_bytes_estimate;
}

START_TEST(snapshot_live_bytes_are_exact) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  double before = live_now(); /* (what the runtime's own start allocated: not counted) */
  char *a = __memscope_malloc(100, &sites[0]);
  char *b = __memscope_calloc(3, 1000, &sites[0]);
  ck_assert_double_eq(live_now() - before, 3100.0);
  a = __memscope_realloc(a, 70000, &sites[0]); /* moves */
  ck_assert_double_eq(live_now() - before, 73000.0);
  a = __memscope_realloc(a, 50, &sites[0]); /* shrinks */
  ck_assert_double_eq(live_now() - before, 3050.0);
  pthread_t th;
  pthread_create(&th, NULL, free_elsewhere, b); /* its thread's count goes below 0 */
  pthread_join(th, NULL);
  ck_assert_double_eq(live_now() - before, 50.0);
  ck_assert_ptr_null(__memscope_realloc(a, 0, &sites[0])); /* glibc: frees it */
  ck_assert_double_eq(live_now() - before, 0.0);
  __memscope_free(NULL, &sites[1]);
  ck_assert_double_eq(live_now() - before, 0.0);
}
END_TEST

START_TEST(mode_off_writes_nothing) {
  start_in_temp_dir();
  atomic_store(&ms_session_on, 0); /* as MEMSCOPE_MODE=off leaves it: no session */
  __memscope_register_module_v6(&module);
  for (int i = 0; i < 5000; i++) __memscope_free(__memscope_malloc(64, &sites[0]), &sites[1]);
  ms_thread_exit(&ms_self);
  DIR *d = opendir(dir);
  int files = 0;
  for (struct dirent *e; (e = readdir(d));) files += e->d_name[0] != '.';
  closedir(d);
  ck_assert_int_eq(files, 0);
}
END_TEST

/* Forks a child that allocates 222 bytes, frees them and exits; its pid, once it ended. */
static pid_t fork_a_child_that_allocates(void) {
  pid_t child = fork();
  if (child == 0) {
    __memscope_free(__memscope_malloc(222, &sites[0]), &sites[1]);
    ms_thread_exit(&ms_self);
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0);
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return child;
}

START_TEST(fork_child_writes_its_own_file) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  void *before = __memscope_malloc(111, &sites[0]); /* buffered in the parent */
  pid_t child = fork_a_child_that_allocates();
  __memscope_free(before, &sites[1]);
  ms_thread_exit(&ms_self);

  struct record_list l;
  static struct event_view ev[16];
  size_t nb;
  read_own_file(&l);
  size_t n = collect_events(&l, ev, 16, NULL, &nb);
  ck_assert_uint_eq(n, 2); /* the parent's malloc(111) and its free, not the child's */
  ck_assert_uint_eq(ev[0].size, 111);
  records_free(&l);

  char path[256];
  output_path(path, sizeof path, dir, ms_process.program, (long)child);
  records_from_file(&l, path);
  ck_assert_uint_eq(count_type(&l, MS_REC_SITE), 2); /* the child's file is self-contained */
  n = collect_events(&l, ev, 16, NULL, &nb);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(ev[0].size, 222);
  ck_assert_uint_eq(ev[0].thread, 1);
  records_free(&l);
}
END_TEST

/* Drops noted before a thread's set-up (a handler's calls during it) belong to the
 * process they happened in: a fork child's thread starts with none of its parent's. */
START_TEST(a_fork_child_starts_without_its_parents_early_drops) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  ck_assert(!ms_thread_is_set_up(&ms_self));
  ms_self.dropped_early = 5; /* as if a handler's calls were dropped during a set-up */
  pid_t child = fork_a_child_that_allocates();
  __memscope_free(__memscope_malloc(111, &sites[0]), &sites[1]);
  ms_thread_exit(&ms_self);

  struct record_list l;
  read_own_file(&l);
  ck_assert_uint_eq(thread_dropped(&l, ms_os_gettid()), 5); /* the parent keeps its own */
  records_free(&l);
  char path[256];
  output_path(path, sizeof path, dir, ms_process.program, (long)child);
  records_from_file(&l, path);
  ck_assert_uint_eq(thread_dropped(&l, (long)child), 0); /* (its thread's tid is its pid) */
  records_free(&l);
}
END_TEST

/* During a fork, a recording on a thread that gave up waiting once in that fork (likely
 * the thread the fork waits for, its handler on top of malloc) gives up at once; the
 * next fork, or another thread, waits the full 500 ms again.  (A thread whose signals
 * kept coming waited 500 ms a signal: hostile/fork_signals made 1 fork in 2 s.)  A
 * helper thread tries a held lock while the fork's prepare handler waits for it. */
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static sem_t ready, try_now, tried;
/* [fork][try]: tries 0 and 1 the helper's, 2 the forking thread's */
static double waited_s[2][3]; /* how long each try took */
static int taken[2][3];
static int fork_index;

static void try_held_lock(int k) {
  uint64_t t0 = ms_os_now_ns();
  taken[fork_index][k] = ms_lock_unless_forking(&held);
  waited_s[fork_index][k] = (double)(ms_os_now_ns() - t0) / 1e9;
}
static void *helper_tries(void *arg) {
  (void)arg;
  sem_post(&ready); /* (its start is done: a thread's set-up takes locks the fork holds) */
  for (int f = 0; f < 2; f++) {
    sem_wait(&try_now);
    for (int k = 0; k < 2; k++) try_held_lock(k);
    sem_post(&tried);
  }
  return NULL;
}
static void during_fork(void) {
  sem_post(&try_now);
  sem_wait(&tried);
  try_held_lock(2); /* the forking thread: not the one that gave up */
}

START_TEST(a_thread_that_gave_up_in_a_fork_gives_up_at_once) {
  pthread_mutex_lock(&held);
  sem_init(&try_now, 0, 0);
  sem_init(&tried, 0, 0);
  pthread_t helper;
  sem_init(&ready, 0, 0);
  pthread_create(&helper, NULL, helper_tries, NULL);
  sem_wait(&ready);
  ms_fork_test_hook = during_fork;
  for (fork_index = 0; fork_index < 2; fork_index++) {
    pid_t child = fork();
    if (child == 0) _exit(0);
    int status;
    waitpid(child, &status, 0);
    ck_assert(WIFEXITED(status));
  }
  ms_fork_test_hook = NULL;
  pthread_join(helper, NULL);
  for (int f = 0; f < 2; f++) {
    for (int k = 0; k < 3; k++) ck_assert_int_eq(taken[f][k], 0);
    /* The first try of each fork waits (a fresh fork, the helper's first), as does the
     * forking thread's own; the helper's second, in the same fork, does not. */
    ck_assert_msg(waited_s[f][0] >= 0.45, "fork %d, first try: %.3f s", f, waited_s[f][0]);
    ck_assert_msg(waited_s[f][1] < 0.25, "fork %d, second try: %.3f s", f, waited_s[f][1]);
    ck_assert_msg(waited_s[f][2] >= 0.45, "fork %d, another thread: %.3f s", f,
                  waited_s[f][2]);
  }
  pthread_mutex_unlock(&held);
}
END_TEST

/* A thread joins the session just as the exit (or a stop) ends it: the end runs whole
 * between the thread's join and its first call's announcement (the hook holds the thread
 * there).  Its call must then be neither counted nor recorded.  It used to check only the
 * closing flag after announcing, which the end had cleared again by then, so it counted
 * its malloc in its table (the file's: at exit the table is the thread's count) and then
 * dropped the event (the session was over): one count without its event, what
 * hostile/join_at_end saw about once in 300 exits under load. */
static sem_t joined, ended;
static void wait_for_the_end(void) {
  ms_thread_join_test_hook = NULL; /* (once) */
  sem_post(&joined);
  while (sem_wait(&ended) != 0) {
  }
}

static void *one_pair_late(void *arg) {
  (void)arg;
  __memscope_free(__memscope_malloc(24, &sites[0]), &sites[1]);
  return NULL;
}

static void end_while_a_thread_joins(const char *reason) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  __memscope_free(__memscope_malloc(16, &sites[0]), &sites[1]); /* (the main thread's) */
  sem_init(&joined, 0, 0);
  sem_init(&ended, 0, 0);
  ms_thread_join_test_hook = wait_for_the_end;
  pthread_t th;
  ck_assert_int_eq(pthread_create(&th, NULL, one_pair_late, NULL), 0);
  while (sem_wait(&joined) != 0) {
  }
  ck_assert_int_eq(ms_session_stop(reason, ms_os_now_ns()), 0);
  sem_post(&ended);
  pthread_join(th, NULL);
  struct record_list l;
  read_own_file(&l);
  ck_assert_uint_eq(count_type(&l, MS_REC_END), 1);
  static struct event_view ev[16];
  size_t nb, n = collect_events(&l, ev, 16, NULL, &nb);
  uint64_t events[2] = {0, 0}, calls[2], bytes;
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 2; k++) events[k] += ev[i].site == sites[k].id && ev[i].ptr;
  for (int k = 0; k < 2; k++) {
    site_totals(&l, sites[k].id, &calls[k], &bytes);
    ck_assert_msg(calls[k] == events[k], "%s, site %d: %llu calls counted, %llu events", reason,
                  k, (unsigned long long)calls[k], (unsigned long long)events[k]);
    ck_assert_uint_eq(calls[k], 1); /* the main thread's pair only */
  }
  records_free(&l);
}

START_TEST(a_thread_joining_as_the_exit_ends_the_session_counts_nothing) {
  end_while_a_thread_joins("exit");
}
END_TEST

START_TEST(a_thread_joining_as_a_stop_ends_the_session_counts_nothing) {
  end_while_a_thread_joins("stop");
}
END_TEST

/* A stop or the exit that gives up waiting for a call under way (1 s) ends the session
 * before the call's event is stored: the event is dropped, and the call leaves the
 * counts too (at exit the thread's table is the file's count).  The realloc hook holds a
 * full-mode thread between its announcement and its count until the exit's end is done.
 * Before, the file kept the realloc counted without its event. */
static __thread struct __memscope_tls_header late_block
    __attribute__((tls_model("initial-exec"))) = {.disarmed = 1,
                                                  .counters = __memscope_inline_scratch};
static void *late_block_of(void) { return &late_block; }
static struct __memscope_site late_sites[] = {
    {.id = 0x5551, .frames = alloc_frame, .nframes = 1, .api = MEMSCOPE_API_REALLOC,
     .tls_slot = 32},
};
static struct __memscope_module late_module = {
    .abi_version = MEMSCOPE_ABI_VERSION, .nsites = 1, .sites = late_sites, .name = "late.c",
    .tls_block = late_block_of, .tls_size = sizeof late_block};

static void wait_for_the_end_in_realloc(const void *old) {
  (void)old;
  ms_realloc_test_hook = NULL; /* (once) */
  sem_post(&joined);
  while (sem_wait(&ended) != 0) {
  }
}

static void *one_late_realloc(void *arg) {
  (void)arg;
  __memscope_free(__memscope_malloc(8, &sites[0]), &sites[1]); /* (joined: the table) */
  ms_realloc_test_hook = wait_for_the_end_in_realloc;
  __memscope_real_free(__memscope_realloc_inline_slow(NULL, 40, &late_sites[0], &late_block));
  return NULL;
}

START_TEST(a_call_the_exit_stopped_waiting_for_leaves_the_counts) {
  start_in_temp_dir();
  __memscope_register_module_v6(&module);
  __memscope_register_module_v6(&late_module);
  sem_init(&joined, 0, 0);
  sem_init(&ended, 0, 0);
  pthread_t th;
  ck_assert_int_eq(pthread_create(&th, NULL, one_late_realloc, NULL), 0);
  while (sem_wait(&joined) != 0) {
  }
  ck_assert_int_eq(ms_session_stop("exit", ms_os_now_ns()), 0); /* (waits 1 s, in vain) */
  sem_post(&ended);
  pthread_join(th, NULL);
  struct record_list l;
  read_own_file(&l);
  static struct event_view ev[16];
  size_t nb, n = collect_events(&l, ev, 16, NULL, &nb);
  uint64_t events = 0, calls, bytes;
  for (size_t i = 0; i < n; i++) events += ev[i].site == late_sites[0].id;
  site_totals(&l, late_sites[0].id, &calls, &bytes);
  ck_assert_uint_eq(events, 0);
  ck_assert_msg(calls == 0, "the realloc: %llu calls counted, no event", (unsigned long long)calls);
  site_totals(&l, sites[0].id, &calls, &bytes);
  ck_assert_uint_eq(calls, 1); /* (the thread's pair before) */
  records_free(&l);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_recording");
  TCase *tc = tcase_create("recording");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, events_fill_growing_chunks_in_order);
  tcase_add_test(tc, sites_registered_later_are_appended);
  tcase_add_test(tc, each_thread_writes_its_events_and_record);
  tcase_add_test(tc, events_after_finish_are_not_recorded);
  tcase_add_test(tc, modules_are_listed_with_build_ids);
  tcase_add_test(tc, errno_survives_the_first_event);
  tcase_add_test(tc, realloc_and_calloc_fields);
  tcase_add_test(tc, times_never_step_back_on_a_thread);
  tcase_add_test(tc, snapshot_live_bytes_are_exact);
  tcase_add_test(tc, mode_off_writes_nothing);
  tcase_add_test(tc, fork_child_writes_its_own_file);
  tcase_add_test(tc, a_thread_that_gave_up_in_a_fork_gives_up_at_once);
  tcase_add_test(tc, a_fork_child_starts_without_its_parents_early_drops);
  tcase_add_test(tc, a_thread_joining_as_the_exit_ends_the_session_counts_nothing);
  tcase_add_test(tc, a_thread_joining_as_a_stop_ends_the_session_counts_nothing);
  tcase_add_test(tc, a_call_the_exit_stopped_waiting_for_leaves_the_counts);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
