/* Replay of a process's events against a live-block map (replay.c). */
#ifndef MEMSCOPE_MERGE_REPLAY_H
#define MEMSCOPE_MERGE_REPLAY_H

#include "profile.h"

/* What one process's events say about one (thread, site) pair: the replay's output, kept
 * per pair so that COUNTERS snapshots (per thread and site) can correct it before it is
 * summed into threads, sites and the process. */
enum { MS_SEEN_ALLOC = 1, MS_SEEN_REALLOC = 2, MS_SEEN_FREE = 4 }; /* event kinds seen */
struct ms_tally {
  struct ms_counts counts; /* from the events; est_* weighted */
  struct ms_sizes sizes;   /* allocations that returned a block, from the events */
  uint64_t null_returns;   /* allocation calls that returned NULL (failed, or size 0) */
  unsigned seen;           /* MS_SEEN_* */
  bool counted;            /* the thread has a COUNTERS snapshot ... */
  struct ms_sizes counter; /* ... and this is its entry for the site (summed) */
};

/* Key of a pair in the tally map: thread position in process->threads, site position in
 * profile->sites. */
static inline uint64_t ms_tally_key(uint32_t thread, uint32_t site) {
  return (uint64_t)thread << 32 | site;
}
static inline uint32_t ms_tally_thread(uint64_t key) { return (uint32_t)(key >> 32); }
static inline uint32_t ms_tally_site(uint64_t key) { return (uint32_t)key; }

/* Queues a batch of events of one thread for the replay, in its program order. */
void ms_replay_queue(struct ms_profile *p, struct ms_thread *t, const struct ms_events_rec *e);

/* Replays all queued events of the process in time order into `tallies` (a map of
 * struct ms_tally, initialised by the caller), sets the process's peak live bytes, and
 * frees the queues. */
void ms_replay_process(struct ms_process *proc, struct ms_map *tallies);

#endif
