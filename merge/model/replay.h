/* Replay of a process's events against a live-block map (replay.c). */
#ifndef MEMSCOPE_MERGE_REPLAY_H
#define MEMSCOPE_MERGE_REPLAY_H

#include "profile.h"

enum { MG_SEEN_ALLOC = 1, MG_SEEN_REALLOC = 2, MG_SEEN_FREE = 4 }; /* event kinds seen */
/* An estimate's running sums, as mg_est_add keeps them (its unit and upper end are set
 * once the pair's numbers go into a struct mg_counts: build.c). */
struct mg_tally_est {
  double value, var, n;
};
static inline void mg_tally_est_add(struct mg_tally_est *e, double w, double x) {
  struct mg_est full = {e->value, e->var, e->n, 0, 0};
  mg_est_add(&full, w, x); /* the same arithmetic, so the same bits */
  *e = (struct mg_tally_est){full.value, full.var, full.n};
}

/* A pair's weighted estimates (struct mg_counts's est_* of the same names). */
struct mg_tally_ests {
  struct mg_tally_est est_bytes_freed, est_live_blocks, est_live_bytes;
  struct mg_tally_est est_short_lived, est_cross_freed, est_cross_freed_bytes;
};

/* What the replay counts for a pair: the fields of struct mg_counts (same names and
 * meanings) that a pair can have, 136 bytes instead of 416.  A pair is the unit the merge
 * keeps most of (a site called by T threads is T pairs): docs/merge.md, "Memory per
 * site".  While every block it counts has weight 1 (every block in full mode), an
 * estimate's sums are integers that its counts give (est_bytes_freed: bytes_freed over
 * freed_blocks, ...): `est` stays NULL.  The first block of another weight (or a sum
 * that a double would not hold exactly) gives it its sums, taken from the counts, exactly
 * what adding each block as a double would have given (integers below 2^53). */
struct mg_tally_counts {
  uint64_t allocations, failed_allocations, reallocs, frees, null_frees, unmatched_frees;
  uint64_t bytes_allocated, bytes_freed, live_blocks, live_bytes, overwritten_blocks, samples;
  uint64_t freed_blocks, short_lived, cross_freed, cross_freed_bytes; /* while est is NULL */
  struct mg_tally_ests *est; /* in the tally store (tallies.h) */
};

/* The pair's estimates, from its sums or its counts. */
static inline struct mg_tally_ests mg_tally_ests_of(const struct mg_tally_counts *c) {
  if (c->est)
    return *c->est;
#define SUM(value, n) {(double)(value), 0, (double)(n)}
  return (struct mg_tally_ests){SUM(c->bytes_freed, c->freed_blocks),
                                SUM(c->live_blocks, c->live_blocks),
                                SUM(c->live_bytes, c->live_blocks),
                                SUM(c->short_lived, c->short_lived),
                                SUM(c->cross_freed, c->cross_freed),
                                SUM(c->cross_freed_bytes, c->cross_freed)};
#undef SUM
}

/* What one process's events say about one (thread, site) pair: the replay's output, kept
 * per pair so that COUNTERS snapshots (per thread and site) can correct it before it is
 * summed into threads, sites and the process. */
struct mg_tally {
  struct mg_tally_counts counts; /* from the events; est_* weighted */
  struct mg_sizes sizes;   /* allocations that returned a block, from the events */
  uint64_t null_returns;   /* allocation calls that returned NULL (failed, or size 0) */
  unsigned seen;           /* MG_SEEN_* */
  bool counted;            /* the thread has a COUNTERS snapshot ... */
  struct mg_sizes counter; /* ... and this is its entry for the site (summed) */
};

/* Key of a pair in the tally map: thread position in process->threads, site position in
 * profile->sites. */
static inline uint64_t mg_tally_key(uint32_t thread, uint32_t site) {
  return (uint64_t)thread << 32 | site;
}
static inline uint32_t mg_tally_thread(uint64_t key) { return (uint32_t)(key >> 32); }
static inline uint32_t mg_tally_site(uint64_t key) { return (uint32_t)key; }

/* Starts the replay of a process (proc->replay, proc->tallies).  order: for each EVENTS
 * record to come, in file order, the earliest time of it and of every later record
 * (scan.h's suffix minimums; the replay takes the array), or NULL when unknown.  window:
 * the most events held for ordering (0: MG_DEFAULT_WINDOW). */
void mg_replay_begin(struct mg_profile *p, struct mg_process *proc, uint64_t *order,
                     size_t norder, size_t window);

/* One EVENTS record of the thread at this position of process->threads: queued, and
 * whatever can no longer be reordered is replayed. */
void mg_replay_events(struct mg_profile *p, struct mg_process *proc, size_t thread,
                      const struct mg_events_rec *e);

/* The thread wrote its THREAD record: it no longer holds the window back (used only when
 * the order of batches is unknown). */
void mg_replay_thread_ended(struct mg_process *proc, size_t thread);

/* The end of the input: replays what is left, counts what is live at exit, sets the
 * process's peak, timeline, peak sites, interactions, and the sites' lifetime, chains and
 * times; frees the replay (the tallies stay). */
void mg_replay_finish(struct mg_profile *p, struct mg_process *proc);

#endif
