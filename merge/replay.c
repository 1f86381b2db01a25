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
 * streams instead, each stream kept in program order.
 *
 * Sampled mode changes nothing here but the arithmetic: each allocation carries its
 * weight (1 in full mode), and what the replay measures about blocks (freed, live at exit,
 * the peak) is also summed as a weighted estimate with its variance (struct ms_est). */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "memscope/format.h"
#include "util.h"

enum {
  OP_NONE = 0,      /* NULL returned for size 0: neither an allocation nor a failure */
  OP_ALLOC = 1,     /* a block was returned */
  OP_FAILED = 2,    /* NULL returned for a non-zero size */
  OP_RELEASE = 3,   /* a block was given back */
  OP_NULL_FREE = 4, /* free(NULL) */
  OP_KIND = 0x7,
  OP_REALLOC = 0x8, /* flag: this item is a realloc call's result */
  OP_HALF = 0x10,   /* flag: this item is the release of a realloc's old block */
};

struct ms_item {
  uint64_t ts;
  uint64_t ptr;
  uint64_t size;
  double weight; /* of an allocation: how many allocations it stands for */
  uint32_t site; /* position in profile->sites */
  uint32_t op;
};

/* A live block, in the map keyed by its address. */
struct live_block {
  uint64_t size;
  double weight;
  uint32_t site;   /* allocating site, position in profile->sites */
  uint32_t thread; /* allocating thread, position in process->threads */
};

static inline bool is_release(const struct ms_item *it) {
  uint32_t k = it->op & OP_KIND;
  return k == OP_RELEASE || k == OP_NULL_FREE;
}

static void push(struct ms_thread *t, uint64_t ts, uint64_t ptr, uint64_t size, double weight,
                 uint32_t site, uint32_t op) {
  MS_GROW(t->items, t->items_cap, t->nitems + 1);
  t->items[t->nitems++] = (struct ms_item){ts, ptr, size, weight, site, op};
}

void ms_replay_queue(struct ms_profile *p, struct ms_thread *t, const struct ms_events_rec *e) {
  for (size_t i = 0; i < e->nevents; i++) {
    const struct ms_event *ev = &e->events[i];
    uint32_t site = (uint32_t)ms_profile_site_slot(p, ev->site);
    switch (ev->kind) {
    case MS_EV_ALLOC: {
      /* malloc(0) may return NULL: neither an allocation nor a failure. */
      uint32_t op = ev->ptr ? OP_ALLOC : ev->size ? OP_FAILED : OP_NONE;
      push(t, ev->ts, ev->ptr, ev->size, ev->weight, site, op);
      break;
    }
    case MS_EV_FREE:
      push(t, ev->ts, ev->ptr, 0, 1.0, site, ev->ptr ? OP_RELEASE : OP_NULL_FREE);
      break;
    case MS_EV_REALLOC: {
      /* old_ptr is gone when realloc returned a block or was asked for 0 bytes; a
       * failed realloc leaves it allocated. */
      if (ev->old_ptr && (ev->ptr || ev->size == 0))
        push(t, ev->begin_ns, ev->old_ptr, 0, 1.0, site, OP_RELEASE | OP_HALF);
      uint32_t op = ev->ptr ? OP_ALLOC : ev->size ? OP_FAILED : OP_NONE;
      push(t, ev->ts, ev->ptr, ev->size, 1.0, site, op | OP_REALLOC);
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
  struct ms_process *proc;
  struct ms_map live;     /* address -> struct live_block */
  struct ms_map *tallies; /* ms_tally_key -> struct ms_tally */
  /* The live heap as the replay goes, for the peak: exact, and estimated from weights. */
  uint64_t live_bytes, peak;
  struct ms_est est_live, est_peak;
};

/* The pair's tally; valid until the next call (the map may grow). */
static struct ms_tally *tally(struct replay *r, uint32_t thread, uint32_t site) {
  return ms_map_put(r->tallies, ms_tally_key(thread, site), NULL);
}

static void heap_grows(struct replay *r, const struct live_block *b) {
  r->live_bytes += b->size;
  if (r->live_bytes > r->peak)
    r->peak = r->live_bytes;
  ms_est_add(&r->est_live, b->weight, (double)b->size);
  if (r->est_live.value > r->est_peak.value)
    r->est_peak = r->est_live;
}

static void heap_shrinks(struct replay *r, const struct live_block *b) {
  r->live_bytes -= b->size;
  double x = (double)b->size;
  r->est_live.value -= b->weight * x;
  r->est_live.var -= (b->weight * b->weight - b->weight) * x * x;
}

static void apply(struct replay *r, uint32_t thread, const struct ms_item *it) {
  struct ms_tally *t = tally(r, thread, it->site);
  struct ms_counts *c = &t->counts;
  t->seen |= it->op & (OP_REALLOC | OP_HALF) ? MS_SEEN_REALLOC
             : is_release(it)              ? MS_SEEN_FREE
                                           : MS_SEEN_ALLOC;
  if (it->op & OP_REALLOC)
    c->reallocs++;
  switch (it->op & OP_KIND) {
  case OP_ALLOC: {
    c->allocations++;
    c->bytes_allocated += it->size;
    struct ms_sizes one = {1, it->size, it->size, it->size};
    ms_sizes_add(&t->sizes, &one);
    if (r->proc->sampled && !(it->op & OP_REALLOC))
      c->samples++;
    bool existed;
    struct live_block *b = ms_map_put(&r->live, it->ptr, &existed);
    if (existed) { /* the old block was freed where we could not see it */
      heap_shrinks(r, b);
      tally(r, b->thread, b->site)->counts.overwritten_blocks++;
    }
    *b = (struct live_block){it->size, it->weight, it->site, thread};
    heap_grows(r, b);
    break;
  }
  case OP_FAILED:
    c->failed_allocations++;
    t->null_returns++;
    break;
  case OP_NONE:
    t->null_returns++;
    break;
  case OP_RELEASE: {
    c->frees++;
    struct live_block b;
    if (ms_map_remove(&r->live, it->ptr, &b)) {
      c->bytes_freed += b.size;
      ms_est_add(&c->est_bytes_freed, b.weight, (double)b.size);
      heap_shrinks(r, &b);
    } else {
      c->unmatched_frees++;
    }
    break;
  }
  case OP_NULL_FREE:
    c->null_frees++;
    break;
  }
}

void ms_replay_process(struct ms_process *proc, struct ms_map *tallies) {
  struct replay r = {.proc = proc, .tallies = tallies};
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
    struct ms_counts *c = &tally(&r, b->thread, b->site)->counts;
    c->live_blocks++;
    c->live_bytes += b->size;
    ms_est_add(&c->est_live_blocks, b->weight, 1.0);
    ms_est_add(&c->est_live_bytes, b->weight, (double)b->size);
  }
  ms_map_destroy(&r.live);
  proc->counts.peak_live_bytes = r.peak;
  proc->counts.est_peak_live_bytes = r.est_peak;

  for (size_t i = 0; i < proc->nthreads; i++) {
    struct ms_thread *t = &proc->threads[i];
    free(t->items);
    t->items = NULL;
    t->nitems = t->items_cap = 0;
  }
}
