/* Exact counts from COUNTERS snapshots.
 *
 * A snapshot entry [site, calls, bytes, min, max] counts the calls at that site that did
 * something: at an allocation site (malloc, calloc, realloc, ...) the calls that returned
 * a block, with the sum, min and max of their requested sizes; at a free site the calls
 * with a non-NULL pointer.  Calls that returned NULL are always events (ALLOC with ptr 0),
 * so the replay knows them exactly in both modes.  From the two:
 *
 *   allocation site: allocations = calls, bytes allocated = bytes,
 *                    and at a realloc site reallocs = calls + calls that returned NULL;
 *   free site:       frees = calls.
 *
 * In full mode that is what the events say too (a disagreement is counted, and the
 * counters win); the frees made by realloc at realloc sites stay as the events count
 * them.  In sampled mode the events are a sample, so the counts they gave for these four
 * are dropped: realloc releases are not in "frees" there (docs/merge.md). */
#include "counters.h"

#include "replay.h"
#include "util.h"

void ms_counters_keep(struct ms_profile *p, struct ms_thread *thr,
                      const struct ms_counters_rec *c) {
  if (thr->has_counters && c->seq < thr->counters_seq)
    return; /* an older snapshot, written earlier or read from a later chunk */
  thr->has_counters = true;
  thr->counters_seq = c->seq;
  thr->ncounters = 0;
  MS_GROW(thr->counters, thr->counters_cap, c->nentries);
  for (size_t i = 0; i < c->nentries; i++) {
    const struct ms_counter_rec *e = &c->entries[i];
    thr->counters[thr->ncounters++] = (struct ms_counter){
        (uint32_t)ms_profile_site_slot(p, e->site), e->calls, e->bytes, e->min, e->max};
  }
}

/* What one site is in this process, from what is known about it here. */
struct site_facts {
  unsigned seen;        /* MS_SEEN_* over all threads */
  uint64_t calls, max;  /* counters over all threads */
};

/* The site's api when this tool knows it; else what happened there: realloc events make a
 * realloc site, allocation events an allocation site, free events a free site; without
 * events, counters with calls but no size are a free site's (format.h). */
static enum ms_api_kind site_kind(const struct ms_site *s, const struct site_facts *f) {
  enum ms_api_kind k = ms_api_kind(s->api);
  if (k != MS_API_UNKNOWN)
    return k;
  if (f->seen & MS_SEEN_REALLOC)
    return MS_API_REALLOC;
  if (f->seen & MS_SEEN_ALLOC)
    return MS_API_ALLOC;
  if (f->seen & MS_SEEN_FREE)
    return MS_API_FREE;
  return f->calls && f->max == 0 ? MS_API_FREE : MS_API_ALLOC;
}

static bool exact_counts_differ(const struct ms_counts *a, const struct ms_counts *b) {
  return a->allocations != b->allocations || a->bytes_allocated != b->bytes_allocated ||
         a->reallocs != b->reallocs || a->frees != b->frees;
}

void ms_counters_apply(struct ms_profile *p, struct ms_process *proc, struct ms_map *tallies) {
  /* The snapshots into the pairs' tallies. */
  for (size_t i = 0; i < proc->nthreads; i++) {
    struct ms_thread *thr = &proc->threads[i];
    for (size_t k = 0; k < thr->ncounters; k++) {
      const struct ms_counter *e = &thr->counters[k];
      struct ms_tally *t = ms_map_put(tallies, ms_tally_key((uint32_t)i, e->site), NULL);
      struct ms_sizes s = {e->calls, e->bytes, e->min, e->max};
      ms_sizes_add(&t->counter, &s);
    }
  }
  /* Per site, what tells its kind. */
  struct ms_map facts, disagree;
  ms_map_init(&facts, sizeof(struct site_facts));
  ms_map_init(&disagree, 1); /* a set: the values are unused */
  size_t pos = 0;
  uint64_t key;
  struct ms_tally *t;
  while ((t = ms_map_next(tallies, &pos, &key))) {
    struct site_facts *f = ms_map_put(&facts, ms_tally_site(key), NULL);
    f->seen |= t->seen;
    f->calls += t->counter.calls;
    if (t->counter.max > f->max)
      f->max = t->counter.max;
    t->counted = proc->threads[ms_tally_thread(key)].has_counters;
  }

  pos = 0;
  while ((t = ms_map_next(tallies, &pos, &key))) {
    /* A full-mode thread without a snapshot (cut off) keeps its events' counts, which
     * are exact; a sampled one has no exact counts left. */
    if (!t->counted && !proc->sampled)
      continue;
    const struct ms_site *site = &p->sites[ms_tally_site(key)];
    enum ms_api_kind kind = site_kind(site, ms_map_get(&facts, ms_tally_site(key)));
    struct ms_counts *c = &t->counts, before = *c;
    if (proc->sampled)
      c->allocations = c->bytes_allocated = c->reallocs = c->frees = 0;
    if (kind == MS_API_FREE) {
      c->frees = t->counter.calls;
    } else {
      c->allocations = t->counter.calls;
      c->bytes_allocated = t->counter.bytes;
      if (kind == MS_API_REALLOC)
        c->reallocs = t->counter.calls + t->null_returns;
      t->sizes = t->counter;
    }
    if (!proc->sampled && exact_counts_differ(&before, c))
      ms_map_put(&disagree, ms_tally_site(key), NULL);
  }
  proc->disagreeing_sites = ms_map_len(&disagree);
  ms_map_destroy(&facts);
  ms_map_destroy(&disagree);
}
