/* Stack ids of a thread's EVENTS stream (event_codec.h): a stack is written once, as a
 * STACK item, and its events carry its id.
 *
 * A per-thread open-addressing table from a 64-bit hash of the frames to the id, in
 * os.c memory (reserved, pages taken as used), bounded: when it is half full it is
 * emptied, and stacks seen again get new ids (a new STACK item each: correct, a few
 * bytes more).  It starts at MS_STACK_IDS_FIRST slots (4 KiB) and doubles, emptied, each
 * time it is half full, up to MS_STACK_IDS_SLOTS: a thread with a few stacks touches
 * one page, and a table handed to the next thread (thread.c keeps them) is emptied with
 * a 13 KiB memset (the memo below and the first slots).  Equality is by hash alone:
 * two different stacks of one thread with the same 64-bit hash (odds about n^2 / 2^65)
 * would share an id.  Owner only. */
#include <string.h>

#include "internal.h"

#define MS_STACK_IDS_SLOTS 8192u /* a power of two; 128 KiB reserved per thread */
#define MS_STACK_IDS_FIRST 256u  /* slots in use at first (a power of two) */

/* The last stack of each site (by its slot, direct-mapped), compared frame by frame: a
 * site that allocates from the same place again (the common case in full mode, where
 * every call is an event) gets its id back without the hash over its frames (a chain of
 * dependent multiplies) and the probe: ~25 instructions instead of ~80 at 4 frames.  An
 * id found so is the one the same frames got before, whose STACK item is earlier in the
 * thread's stream (ids are never reused within a file, even when the table is emptied;
 * ms_stack_ids_clear empties this too). */
#define MS_STACK_MEMO 64u        /* sites remembered, a power of two (10 KiB) */
#define MS_STACK_MEMO_FRAMES 16u /* the deepest stack remembered: full mode's default */

struct ms_stack_ids {
  uint64_t next_id; /* ids count up from 1, never reused within a file */
  uint32_t used;
  uint32_t cap; /* slots in use now (0: MS_STACK_IDS_FIRST) */
  struct {
    uint32_t slot; /* the site's slot + 1 (0: empty) */
    uint32_t n;
    uint64_t id;
    uint64_t frames[MS_STACK_MEMO_FRAMES];
  } memo[MS_STACK_MEMO];
  struct {
    uint64_t hash; /* 0: empty */
    uint64_t id;
  } slot[MS_STACK_IDS_SLOTS];
};

/* The id of the table's (hash), made when new. */
static uint64_t lookup(struct ms_stack_ids *s, const uint64_t *frames, uint32_t n,
                       int *is_new) {
  if (!s->cap) s->cap = MS_STACK_IDS_FIRST;
  if (s->used >= s->cap / 2) { /* full: start again, larger if it may (ids go on counting) */
    if (s->cap < MS_STACK_IDS_SLOTS) {
      memset(s->slot, 0, s->cap * sizeof s->slot[0]);
      s->cap *= 2;
      s->used = 0;
    } else {
      uint64_t next = s->next_id;
      ms_os_discard(s, sizeof *s);
      s->next_id = next;
      s->cap = MS_STACK_IDS_SLOTS;
    }
  }
  uint64_t h = ms_hash_frames(frames, n);
  if (!h) h = 1; /* 0 marks an empty slot */
  uint32_t mask = s->cap - 1;
  for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
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

uint64_t ms_stack_id(struct ms_stack_ids **ids, uint32_t slot, const uint64_t *frames,
                     uint32_t n, int *is_new) {
  struct ms_stack_ids *s = *ids;
  if (!s && !(s = *ids = ms_os_reserve(sizeof *s))) return 0;
  if (n > MS_STACK_MEMO_FRAMES) return lookup(s, frames, n, is_new);
  __typeof__(s->memo[0]) *m = &s->memo[slot & (MS_STACK_MEMO - 1)];
  if (m->slot == slot + 1 && m->n == n) {
    uint32_t i = 0;
    while (i < n && m->frames[i] == frames[i]) i++;
    if (i == n) {
      *is_new = 0;
      return m->id;
    }
  }
  uint64_t id = lookup(s, frames, n, is_new);
  if (id) {
    m->slot = slot + 1;
    m->n = n;
    m->id = id;
    memcpy(m->frames, frames, n * sizeof *frames);
  }
  return id;
}

void ms_stack_ids_clear(struct ms_stack_ids *s) {
  /* No id made since the last clear (ids count from 1): nothing written, the memo and
   * slots are zeros already.  A new record's table (fresh pages: the memset faulted 4 of
   * them in, ~20-40 us each on the test VM) and one cleared when its thread ended. */
  if (!s || s->next_id == 0) return;
  if (s->cap > MS_STACK_IDS_FIRST) /* (grown: its pages back, rather than a long memset) */
    ms_os_discard(s, sizeof *s);
  else
    memset(s, 0, sizeof *s - sizeof s->slot + MS_STACK_IDS_FIRST * sizeof s->slot[0]);
  s->next_id = 0;
  s->used = 0;
  s->cap = MS_STACK_IDS_FIRST;
}

void ms_stack_ids_release(struct ms_stack_ids **ids) {
  ms_os_unmap(*ids, sizeof **ids);
  *ids = NULL;
}

size_t ms_stack_ids_bytes(void) { return sizeof(struct ms_stack_ids); }
