/* Replay of a process's events against a live-block map (replay.c). */
#ifndef MEMSCOPE_MERGE_REPLAY_H
#define MEMSCOPE_MERGE_REPLAY_H

#include "profile.h"

/* Queues a batch of events of one thread for the replay, in its program order. */
void ms_replay_queue(struct ms_profile *p, struct ms_thread *t, const struct ms_events_rec *e);

/* Replays all queued events of the process in time order, fills the counters of the
 * process, its threads and the sites, and frees the queues. */
void ms_replay_process(struct ms_profile *p, struct ms_process *proc);

#endif
