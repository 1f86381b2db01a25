/* Test tool: a format-2 file's exact totals, read through record_reader.c (independently
 * of memscope-merge), one "key value" line each, for the hostile tests' assertions:
 *   allocations, frees   calls of the instrumented sites (latest COUNTERS of each thread,
 *                        or its TABLE chunks when it has none)
 *   alloc_events, free_events   events that returned / released a block (ptr != 0)
 *   disagree             instrumented sites whose calls differ from their events
 *                        (meaningful in full mode, where every call is an event)
 *   threads, end         THREAD records; 1 when the END record is there
 *   status_flags, lost_events, signal   the status block
 * Usage: v2_summary FILE */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "memscope/abi.h"
#include "record_reader.h"

#define MAX_SITES 4096

struct site {
  uint64_t id, calls, events;
  int is_free, uninstrumented;
};
static struct site sites[MAX_SITES];
static size_t nsites;

static struct site *site_of(uint64_t id) {
  for (size_t i = 0; i < nsites; i++)
    if (sites[i].id == id) return &sites[i];
  return NULL;
}

static const char *path;

/* A Check test, so that a file the reader rejects says why (record_reader asserts). */
START_TEST(summary) {
  struct record_list l;
  records_from_file(&l, path);
  ck_assert_msg(l.format == 2, "%s: not a format-2 file", path);
  enum { MAX_THREADS = 4096 };
  static const msgpack_object *latest[MAX_THREADS];
  static uint64_t best[MAX_THREADS];
  uint64_t threads = 0, end = 0;
  for (size_t i = 1; i < l.count; i++) {
    const msgpack_object *r = &l.items[i].data;
    switch (rec_type(&l.items[i])) {
    case MS_REC_SITE:
      if (nsites < MAX_SITES && !site_of(rec_u64(r, MS_SITE_ID))) {
        uint64_t api = rec_u64(r, MS_SITE_API);
        sites[nsites++] = (struct site){
            .id = rec_u64(r, MS_SITE_ID),
            .is_free = api == MEMSCOPE_API_FREE || api == MEMSCOPE_API_DELETE ||
                       api == MEMSCOPE_API_DELETE_ARRAY || api == MEMSCOPE_API_MUNMAP,
            .uninstrumented = (rec_u64(r, MS_SITE_FLAGS) & MS_SITE_FLAG_UNINSTRUMENTED) != 0};
      }
      break;
    case MS_REC_COUNTERS: {
      uint64_t t = rec_u64(r, MS_COUNTERS_THREAD), seq = rec_u64(r, MS_COUNTERS_SEQ);
      if (t < MAX_THREADS && (!latest[t] || seq >= best[t])) latest[t] = r, best[t] = seq;
      break;
    }
    case MS_REC_EVENTS: {
      const msgpack_object *list = rec_field(r, MS_EVENTS_LIST);
      for (uint32_t k = 0; k < list->via.array.size; k++) {
        const msgpack_object *e = &list->via.array.ptr[k];
        struct site *s = site_of(rec_u64(e, MS_EV_SITE));
        if (s && rec_u64(e, MS_EV_PTR)) s->events++;
      }
      break;
    }
    case MS_REC_THREAD:
      threads++;
      break;
    case MS_REC_END:
      end = 1;
      break;
    }
  }
  for (int t = 0; t < MAX_THREADS; t++) {
    if (!latest[t]) continue;
    const msgpack_object *e = rec_field(latest[t], MS_COUNTERS_ENTRIES);
    for (uint32_t k = 0; k < e->via.array.size; k++) {
      struct site *s = site_of(rec_u64(&e->via.array.ptr[k], MS_COUNTER_SITE));
      if (s) s->calls += rec_u64(&e->via.array.ptr[k], MS_COUNTER_CALLS);
    }
  }
  uint64_t allocs = 0, frees = 0, alloc_ev = 0, free_ev = 0, disagree = 0;
  for (size_t i = 0; i < nsites; i++) {
    const struct site *s = &sites[i];
    if (s->uninstrumented) continue;
    *(s->is_free ? &frees : &allocs) += s->calls;
    *(s->is_free ? &free_ev : &alloc_ev) += s->events;
    disagree += s->calls != s->events;
    if (getenv("V2_SITES"))
      printf("site %#llx %s calls %llu events %llu\n", (unsigned long long)s->id,
             s->is_free ? "free" : "alloc", (unsigned long long)s->calls,
             (unsigned long long)s->events);
  }
  printf("allocations %llu\nfrees %llu\nalloc_events %llu\nfree_events %llu\ndisagree %llu\n"
         "threads %llu\nend %llu\nstatus_flags %u\nlost_events %llu\nsignal %u\n"
         "event_bytes %zu\n",
         (unsigned long long)allocs, (unsigned long long)frees, (unsigned long long)alloc_ev,
         (unsigned long long)free_ev, (unsigned long long)disagree, (unsigned long long)threads,
         (unsigned long long)end, l.status.flags, (unsigned long long)l.status.lost_events,
         l.status.signal, l.event_bytes);
  records_free(&l);
}
END_TEST

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: v2_summary FILE\n");
    return 2;
  }
  path = argv[1];
  Suite *s = suite_create("v2_summary");
  TCase *tc = tcase_create("file");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, summary);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_SILENT);
  int failed = srunner_ntests_failed(sr);
  if (failed) {
    TestResult **r = srunner_failures(sr);
    fprintf(stderr, "v2_summary: %s:%d: %s\n", tr_lfile(r[0]), tr_lno(r[0]), tr_msg(r[0]));
  }
  srunner_free(sr);
  return failed ? 1 : 0;
}
