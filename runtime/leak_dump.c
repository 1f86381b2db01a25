/* The end of a leaks-mode session: one ALLOC event (weight 1) for every block still
 * live, so that the merge replays exactly those as live at exit.
 *
 * Written in time order, each run of one thread's blocks as an EVENTS record of that
 * thread (at most 1024 events): the merge's replay then takes them in order without
 * holding any back.  Sorting is a heapsort in the taken array itself (no memory, no
 * malloc): n log n, about 0.3 s for a million blocks, once per session. */
#include "internal.h"

#define RUN_MAX 1024u

static int before(const struct ms_leak *a, const struct ms_leak *b) {
  if (a->ts != b->ts) return a->ts < b->ts;
  if (a->thread != b->thread) return a->thread < b->thread;
  return a->ptr < b->ptr;
}

static void sift(struct ms_leak *v, size_t n, size_t i) {
  struct ms_leak x = v[i];
  for (size_t c; (c = 2 * i + 1) < n; i = c) {
    if (c + 1 < n && before(&v[c], &v[c + 1])) c++;
    if (!before(&x, &v[c])) break;
    v[i] = v[c];
  }
  v[i] = x;
}

static void sort(struct ms_leak *v, size_t n) {
  for (size_t i = n / 2; i-- > 0;) sift(v, n, i);
  while (n > 1) {
    struct ms_leak top = v[0];
    v[0] = v[--n];
    v[n] = top;
    sift(v, n, 0);
  }
}

static void write_run(struct ms_wbuf *b, struct ms_event *ev, const struct ms_leak *run,
                      uint32_t n, const uint64_t *stacks) {
  for (uint32_t i = 0; i < n; i++)
    ev[i] = (struct ms_event){.site_id = run[i].site_id, .size = run[i].size,
                              .ptr = run[i].ptr, .ts = run[i].ts, .kind = MS_EV_ALLOC,
                              .weight = 1.0, .nstack = ms_leak_stack_frames(run[i].stack),
                              .stack_at = run[i].stack};
  b->len = 0;
  b->failed = 0;
  /* os_tid 0: the thread may be gone; its THREAD and COUNTERS records say it */
  ms_encode_events(b, run[0].thread, 0, ev, n, stacks);
  ms_output_write_locked(b);
}

void ms_leaks_write_locked(void) {
  struct ms_leak *all;
  size_t mapped, n = ms_leaks_take(&all, &mapped);
  struct ms_event *ev = n ? ms_os_map(RUN_MAX * sizeof *ev) : NULL;
  struct ms_wbuf b;
  if (ev && ms_wbuf_init(&b, RUN_MAX * MS_EVENT_MAX_ENCODED + MS_RECORD_OVERHEAD) == 0) {
    sort(all, n);
    const uint64_t *stacks = ms_leak_stacks();
    for (size_t i = 0; i < n;) {
      uint32_t k = 1;
      while (i + k < n && k < RUN_MAX && all[i + k].thread == all[i].thread) k++;
      write_run(&b, ev, &all[i], k, stacks);
      i += k;
    }
    ms_wbuf_release(&b);
  }
  ms_os_unmap(ev, RUN_MAX * sizeof *ev);
  ms_os_unmap(all, mapped);
}
