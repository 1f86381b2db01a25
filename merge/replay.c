/* Replay: turns a process's events into counters.
 *
 * Each thread's events arrive in its program order, but the threads' batches arrive in
 * the order they were flushed, so a block freed by one thread and reused by another can
 * appear reused before it is freed.  The replay therefore merges the threads' streams by
 * timestamp.  format.h makes that safe: an allocation's time is taken after the allocator
 * returned and a free's before it is called, so a free always sorts before the reuse of
 * its address.  A realloc is split in two: the release of old_ptr at begin_ns and the
 * allocation of ptr at ts.
 *
 * Ordering rule: by timestamp; at equal timestamps, releases before allocations across
 * threads (the clock may be coarse); within one thread, always program order (a thread
 * may malloc and free a block within one clock tick).  A plain sort on (ts, release
 * first, sequence) would break the last rule, so this is a k-way merge of the per-thread
 * streams instead, each stream kept in program order. */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "memscope/format.h"
#include "util.h"

enum {
  OP_NONE = 0,      /* nothing to count but the call (realloc(NULL, 0) -> NULL) */
  OP_ALLOC = 1,     /* a block was returned */
  OP_FAILED = 2,    /* NULL returned for a non-zero size */
  OP_RELEASE = 3,   /* a block was given back */
  OP_NULL_FREE = 4, /* free(NULL) */
  OP_KIND = 0x7,
  OP_REALLOC = 0x8, /* flag: this item is a realloc call's result */
};

struct ms_item {
  uint64_t ts;
  uint64_t ptr;
  uint64_t size;
  uint32_t site; /* position in profile->sites */
  uint32_t op;
};

/* A live block, in the map keyed by its address. */
struct live_block {
  uint64_t size;
  uint32_t site;   /* allocating site, position in profile->sites */
  uint32_t thread; /* allocating thread, position in process->threads */
};

static inline bool is_release(const struct ms_item *it) {
  uint32_t k = it->op & OP_KIND;
  return k == OP_RELEASE || k == OP_NULL_FREE;
}

static void push(struct ms_thread *t, uint64_t ts, uint64_t ptr, uint64_t size, uint32_t site,
                 uint32_t op) {
  MS_GROW(t->items, t->items_cap, t->nitems + 1);
  t->items[t->nitems++] = (struct ms_item){ts, ptr, size, site, op};
}

void ms_replay_queue(struct ms_profile *p, struct ms_thread *t, const struct ms_events_rec *e) {
  for (size_t i = 0; i < e->nevents; i++) {
    const struct ms_event *ev = &e->events[i];
    uint32_t site = (uint32_t)ms_profile_site_slot(p, ev->site);
    switch (ev->kind) {
    case MS_EV_ALLOC:
      /* malloc(0) may return NULL: neither an allocation nor a failure. */
      if (ev->ptr)
        push(t, ev->ts, ev->ptr, ev->size, site, OP_ALLOC);
      else if (ev->size)
        push(t, ev->ts, 0, ev->size, site, OP_FAILED);
      break;
    case MS_EV_FREE:
      push(t, ev->ts, ev->ptr, 0, site, ev->ptr ? OP_RELEASE : OP_NULL_FREE);
      break;
    case MS_EV_REALLOC: {
      /* old_ptr is gone when realloc returned a block or was asked for 0 bytes; a
       * failed realloc leaves it allocated. */
      if (ev->old_ptr && (ev->ptr || ev->size == 0))
        push(t, ev->begin_ns, ev->old_ptr, 0, site, OP_RELEASE);
      uint32_t op = ev->ptr ? OP_ALLOC : ev->size ? OP_FAILED : OP_NONE;
      push(t, ev->ts, ev->ptr, ev->size, site, op | OP_REALLOC);
      break;
    }
    }
  }
}

/* --- Ordering ---------------------------------------------------------------------- */

/* A thread's stream should already be in time order (one clock, program order).  If it
 * is not, sort it by time, keeping program order among equal times (stable merge sort). */
static void sort_stream(struct ms_item *items, size_t n) {
  bool sorted = true;
  for (size_t i = 1; i < n && sorted; i++)
    sorted = items[i - 1].ts <= items[i].ts;
  if (sorted)
    return;
  struct ms_item *tmp = ms_xmalloc(n * sizeof *tmp);
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n;
      size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t a = lo, b = mid, k = lo;
      while (a < mid && b < hi)
        tmp[k++] = items[b].ts < items[a].ts ? items[b++] : items[a++];
      while (a < mid)
        tmp[k++] = items[a++];
      while (b < hi)
        tmp[k++] = items[b++];
    }
    memcpy(items, tmp, n * sizeof *tmp);
  }
  free(tmp);
}

/* A thread's position in the merge: the heap orders threads by their next item. */
struct cursor {
  const struct ms_item *next, *end;
  uint32_t thread; /* position in process->threads; breaks ties deterministically */
};

static bool cursor_before(const struct cursor *a, const struct cursor *b) {
  if (a->next->ts != b->next->ts)
    return a->next->ts < b->next->ts;
  bool ra = is_release(a->next), rb = is_release(b->next);
  if (ra != rb)
    return ra;
  return a->thread < b->thread;
}

static void sift_down(struct cursor *heap, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && cursor_before(&heap[l], &heap[m]))
      m = l;
    if (r < n && cursor_before(&heap[r], &heap[m]))
      m = r;
    if (m == i)
      return;
    struct cursor c = heap[i];
    heap[i] = heap[m];
    heap[m] = c;
    i = m;
  }
}

/* --- Counting ---------------------------------------------------------------------- */

struct replay {
  struct ms_profile *p;
  struct ms_process *proc;
  struct ms_map live; /* address -> struct live_block */
};

/* Every event counts at the process, the thread that made it and its site. */
#define COUNT(r, thr, site_slot, field, v)                         \
  do {                                                             \
    uint64_t v_ = (v);                                             \
    (r)->proc->counts.field += v_;                                 \
    (r)->proc->threads[(thr)].counts.field += v_;                  \
    (r)->p->sites[(site_slot)].counts.field += v_;                 \
  } while (0)

static void apply(struct replay *r, uint32_t thread, const struct ms_item *it) {
  if (it->op & OP_REALLOC)
    COUNT(r, thread, it->site, reallocs, 1);
  switch (it->op & OP_KIND) {
  case OP_ALLOC: {
    COUNT(r, thread, it->site, allocations, 1);
    COUNT(r, thread, it->site, bytes_allocated, it->size);
    bool existed;
    struct live_block *b = ms_map_put(&r->live, it->ptr, &existed);
    if (existed) /* the old block was freed where we could not see it */
      COUNT(r, b->thread, b->site, overwritten_blocks, 1);
    *b = (struct live_block){it->size, it->site, thread};
    break;
  }
  case OP_FAILED:
    COUNT(r, thread, it->site, failed_allocations, 1);
    break;
  case OP_RELEASE: {
    COUNT(r, thread, it->site, frees, 1);
    struct live_block b;
    if (ms_map_remove(&r->live, it->ptr, &b))
      COUNT(r, thread, it->site, bytes_freed, b.size);
    else
      COUNT(r, thread, it->site, unmatched_frees, 1);
    break;
  }
  case OP_NULL_FREE:
    COUNT(r, thread, it->site, null_frees, 1);
    break;
  }
}

void ms_replay_process(struct ms_profile *p, struct ms_process *proc) {
  struct replay r = {.p = p, .proc = proc};
  ms_map_init(&r.live, sizeof(struct live_block));

  struct cursor *heap = ms_xmalloc((proc->nthreads ? proc->nthreads : 1) * sizeof *heap);
  size_t n = 0;
  for (size_t i = 0; i < proc->nthreads; i++) {
    struct ms_thread *t = &proc->threads[i];
    sort_stream(t->items, t->nitems);
    if (t->nitems)
      heap[n++] = (struct cursor){t->items, t->items + t->nitems, (uint32_t)i};
  }
  for (size_t i = n / 2; i-- > 0;)
    sift_down(heap, n, i);
  while (n > 0) {
    apply(&r, heap[0].thread, heap[0].next);
    if (++heap[0].next == heap[0].end)
      heap[0] = heap[--n];
    sift_down(heap, n, 0);
  }
  free(heap);

  /* What is still in the map was never freed: live at exit, counted where allocated. */
  size_t pos = 0;
  struct live_block *b;
  while ((b = ms_map_next(&r.live, &pos, NULL))) {
    COUNT(&r, b->thread, b->site, live_blocks, 1);
    COUNT(&r, b->thread, b->site, live_bytes, b->size);
  }
  ms_map_destroy(&r.live);

  for (size_t i = 0; i < proc->nthreads; i++) {
    struct ms_thread *t = &proc->threads[i];
    free(t->items);
    t->items = NULL;
    t->nitems = t->items_cap = 0;
  }
}
