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
 * counters win), except after a full disk: events the runtime could not store
 * (the status block's lost_events) leave their calls counted, so events short of the
 * counters by no more than that are the loss it reports, not a disagreement; the frees
 * made by realloc at realloc sites stay as the events count them.  In sampled mode the
 * events are a sample, and in leaks mode only the blocks live at exit, so the counts they
 * gave for these four are dropped: realloc releases are not in "frees" there
 * (docs/merge.md).  Each thread's realloc releases (the snapshot's trailing
 * realloc_releases, when the runtime wrote one) are kept with its thread, from the same
 * latest snapshot. */
#include "counters.h"

#include "replay.h"
#include "util.h"

void mg_counters_keep(struct mg_profile *p, struct mg_thread *thr,
                      const struct mg_counters_rec *c) {
  if (thr->has_counters && c->seq < thr->counters_seq)
    return; /* an older snapshot, written earlier or read from a later chunk */
  thr->has_counters = true;
  thr->counters_seq = c->seq;
  thr->realloc_releases = c->realloc_releases;
  thr->has_realloc_releases = c->has_realloc_releases;
  thr->ncounters = 0;
  MG_GROW(thr->counters, thr->counters_cap, c->nentries);
  for (size_t i = 0; i < c->nentries; i++) {
    const struct mg_counter_rec *e = &c->entries[i];
    thr->counters[thr->ncounters++] = (struct mg_counter){
        (uint32_t)mg_profile_site_slot(p, e->site), e->calls, e->bytes, e->min, e->max};
  }
}

/* What one site is in this process, from what is known about it here. */
struct site_facts {
  unsigned seen;        /* MG_SEEN_* over all threads */
  uint64_t calls, max;  /* counters over all threads */
};

/* The site's api when this tool knows it; else what happened there: realloc events make a
 * realloc site, allocation events an allocation site, free events a free site; without
 * events, counters with calls but no size are a free site's (format.h). */
static enum mg_api_kind site_kind(const struct mg_site *s, const struct site_facts *f) {
  enum mg_api_kind k = mg_api_kind(s->api);
  if (k != MG_API_UNKNOWN)
    return k;
  if (f->seen & MG_SEEN_REALLOC)
    return MG_API_REALLOC;
  if (f->seen & MG_SEEN_ALLOC)
    return MG_API_ALLOC;
  if (f->seen & MG_SEEN_FREE)
    return MG_API_FREE;
  return f->calls && f->max == 0 ? MG_API_FREE : MG_API_ALLOC;
}

static bool exact_counts_differ(const struct mg_tally_counts *a,
                                const struct mg_tally_counts *b) {
  return a->allocations != b->allocations || a->bytes_allocated != b->bytes_allocated ||
         a->reallocs != b->reallocs || a->frees != b->frees;
}

/* The counters say one call more than the events: an allocation (with its bytes, and a
 * realloc's call) or a free.  A thread killed between counting a call and writing its
 * event leaves exactly that (format.h, TABLE chunks). */
static bool one_call_more(const struct mg_tally_counts *events,
                          const struct mg_tally_counts *counted) {
  uint64_t allocs = counted->allocations - events->allocations;
  uint64_t frees = counted->frees - events->frees;
  uint64_t reallocs = counted->reallocs - events->reallocs;
  if (allocs == 1 && frees == 0)
    return reallocs <= 1 && counted->bytes_allocated >= events->bytes_allocated;
  return allocs == 0 && frees == 1 && reallocs == 0 &&
         counted->bytes_allocated == events->bytes_allocated;
}

/* The calls the counters hold beyond the events when the events are only short (each
 * figure at most the counted one, as lost events leave them), else UINT64_MAX. */
static uint64_t calls_short(const struct mg_tally_counts *events,
                            const struct mg_tally_counts *counted) {
  if (events->allocations > counted->allocations || events->frees > counted->frees ||
      events->reallocs > counted->reallocs ||
      events->bytes_allocated > counted->bytes_allocated)
    return UINT64_MAX;
  return (counted->allocations - events->allocations) + (counted->frees - events->frees);
}

void mg_counters_apply(struct mg_profile *p, struct mg_process *proc, struct mg_tallies *tallies) {
  /* The snapshots into the pairs' tallies. */
  for (size_t i = 0; i < proc->nthreads; i++) {
    struct mg_thread *thr = &proc->threads[i];
    for (size_t k = 0; k < thr->ncounters; k++) {
      const struct mg_counter *e = &thr->counters[k];
      struct mg_tally *t = mg_tallies_put(tallies, mg_tally_key((uint32_t)i, e->site));
      struct mg_sizes s = {e->calls, e->bytes, e->min, e->max};
      mg_sizes_add(&t->counter, &s);
    }
  }
  /* Per site, what tells its kind. */
  struct mg_map facts, disagree, short_sites;
  mg_map_init(&facts, sizeof(struct site_facts));
  mg_map_init(&disagree, 1); /* a set: the values are unused */
  mg_map_init(&short_sites, 1);
  /* Lost events (a full disk) may explain events short of the counters: those sites are
   * kept apart until the sum of what they lack is known. */
  uint64_t lost = proc->status.lost_events, short_calls = 0, slack = 0;
  size_t pos = 0;
  uint64_t key;
  struct mg_tally *t;
  while ((t = mg_tallies_next(tallies, &pos, &key))) {
    struct site_facts *f = mg_map_put(&facts, mg_tally_site(key), NULL);
    f->seen |= t->seen;
    f->calls += t->counter.calls;
    if (t->counter.max > f->max)
      f->max = t->counter.max;
    t->counted = proc->threads[mg_tally_thread(key)].has_counters;
  }

  /* Sampled and leaks modes record only some calls as events: their counts are dropped. */
  bool partial = proc->sampled || proc->leaks;
  pos = 0;
  while ((t = mg_tallies_next(tallies, &pos, &key))) {
    /* A full-mode thread without a snapshot (cut off) keeps its events' counts, which
     * are exact; a sampled one has no exact counts left. */
    if (!t->counted && !partial)
      continue;
    const struct mg_site *site = &p->sites[mg_tally_site(key)];
    enum mg_api_kind kind = site_kind(site, mg_map_get(&facts, mg_tally_site(key)));
    struct mg_tally_counts *c = &t->counts, before = *c;
    if (partial)
      c->allocations = c->bytes_allocated = c->reallocs = c->frees = 0;
    if (kind == MG_API_FREE) {
      c->frees = t->counter.calls;
    } else {
      c->allocations = t->counter.calls;
      c->bytes_allocated = t->counter.bytes;
      if (kind == MG_API_REALLOC)
        c->reallocs = t->counter.calls + t->null_returns;
      t->sizes = t->counter;
    }
    if (!partial && exact_counts_differ(&before, c)) {
      /* A thread counted from its table may be one event short, once: killed between
       * counting a call and storing its event.  Not in a file that ended in order (its
       * END record): a stop and the exit wait for the calls under way and let none count
       * after them (docs/runtime.md), so there one call more is a disagreement (the
       * runtime's: a thread that joined as the exit ended the session did that). */
      struct mg_thread *thr = &proc->threads[mg_tally_thread(key)];
      bool cut_mid_call = thr->from_table && !proc->complete && !thr->tolerated;
      uint64_t lacking = lost ? calls_short(&before, c) : UINT64_MAX;
      if (lacking != UINT64_MAX) {
        /* (a thread counted from its table may lack one call more: killed mid-call) */
        if (cut_mid_call) {
          thr->tolerated = true;
          slack++;
        }
        mg_map_put(&short_sites, mg_tally_site(key), NULL);
        short_calls += lacking;
      } else if (cut_mid_call && one_call_more(&before, c)) {
        thr->tolerated = true;
      } else {
        mg_map_put(&disagree, mg_tally_site(key), NULL);
      }
    }
  }
  /* More calls short than events lost: the loss does not explain them (a lost event is
   * one counted call at most; a NULL return's or free(NULL)'s is none). */
  if (short_calls <= lost + slack) {
    proc->short_sites = mg_map_len(&short_sites);
    proc->short_calls = short_calls;
  } else {
    size_t at = 0;
    uint64_t site;
    while (mg_map_next(&short_sites, &at, &site))
      mg_map_put(&disagree, site, NULL);
  }
  proc->disagreeing_sites = mg_map_len(&disagree);
  mg_map_destroy(&facts);
  mg_map_destroy(&disagree);
  mg_map_destroy(&short_sites);
}
