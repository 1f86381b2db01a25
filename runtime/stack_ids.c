/* Stack ids of a thread's EVENTS stream (event_codec.h): a stack is written once, as a
 * STACK item, and its events carry its id.
 *
 * A per-thread open-addressing table from a 64-bit hash of the frames to the id, in
 * os.c memory (reserved, pages taken as used), bounded: when it is half full it is
 * emptied, and stacks seen again get new ids (a new STACK item each: correct, a few
 * bytes more).  Equality is by hash alone: two different stacks of one thread with
 * the same 64-bit hash (odds about n^2 / 2^65) would share an id.  Owner only. */
#include <string.h>

#include "internal.h"

#define MS_STACK_IDS_SLOTS 8192u /* a power of two; 128 KiB reserved per thread */

struct ms_stack_ids {
  uint64_t next_id; /* ids count up from 1, never reused within a file */
  uint32_t used;
  struct {
    uint64_t hash; /* 0: empty */
    uint64_t id;
  } slot[MS_STACK_IDS_SLOTS];
};

uint64_t ms_stack_id(struct ms_stack_ids **ids, const uint64_t *frames, uint32_t n,
                     int *is_new) {
  struct ms_stack_ids *s = *ids;
  if (!s && !(s = *ids = ms_os_reserve(sizeof *s))) return 0;
  if (s->used >= MS_STACK_IDS_SLOTS / 2) { /* full: start again (ids go on counting) */
    uint64_t next = s->next_id;
    ms_os_discard(s, sizeof *s);
    s->next_id = next;
  }
  uint64_t h = ms_hash_frames(frames, n);
  if (!h) h = 1; /* 0 marks an empty slot */
  for (uint32_t i = (uint32_t)h & (MS_STACK_IDS_SLOTS - 1);; i = (i + 1) & (MS_STACK_IDS_SLOTS - 1)) {
    if (s->slot[i].hash == h) {
      *is_new = 0;
      return s->slot[i].id;
    }
    if (!s->slot[i].hash) {
      s->slot[i].hash = h;
      s->slot[i].id = ++s->next_id;
      s->used++;
      *is_new = 1;
      return s->slot[i].id;
    }
  }
}

void ms_stack_ids_release(struct ms_stack_ids **ids) {
  ms_os_unmap(*ids, sizeof **ids);
  *ids = NULL;
}
