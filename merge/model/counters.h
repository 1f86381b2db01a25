/* COUNTERS records: each thread's exact per-site counters (counters.c). */
#ifndef MEMSCOPE_MERGE_COUNTERS_H
#define MEMSCOPE_MERGE_COUNTERS_H

#include "profile.h"

/* Keeps the snapshot if it is the thread's latest so far (highest seq; on equal seq the
 * later record). */
void mg_counters_keep(struct mg_profile *p, struct mg_thread *thr,
                      const struct mg_counters_rec *c);

/* Puts the exact numbers of the process's snapshots into the replay's tallies (replay.h):
 * allocations, bytes allocated, reallocs and frees, and the allocation sizes.  In full
 * mode, counts the sites where they differ from what the events said. */
void mg_counters_apply(struct mg_profile *p, struct mg_process *proc, struct mg_tallies *tallies);

#endif
