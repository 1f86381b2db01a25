/* EVENTS chunks (format.h, event_codec.h): one chunk's compact items decoded into the
 * decoder's mg_event batch (events.c).  Decoding needs only the chunk and the file's
 * slot -> site map, so chunks are decoded on any thread; what links a thread's chunks,
 * its stacks (defined once, used by id in later chunks too), is resolved where they are
 * delivered, in the thread's order (mg_stack_ids_*). */
#ifndef MEMSCOPE_MERGE_EVENTS_H
#define MEMSCOPE_MERGE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "memscope/event_codec.h"
#include "hashmap.h"

/* The SITE records' slots: slot -> site id (0 for a slot no record named). */
struct mg_slots {
  uint64_t *ids; /* ids[slot] for the slots below `n`, 0 when none */
  size_t n, cap;
  struct mg_map far; /* slots beyond what an array should hold (corrupt or odd files) */
};
void mg_slots_init(struct mg_slots *s);
void mg_slots_destroy(struct mg_slots *s);
/* False when the slot already names another site. */
bool mg_slots_set(struct mg_slots *s, uint32_t slot, uint64_t id);
uint64_t mg_slots_site(const struct mg_slots *s, uint32_t slot);
/* Whether a SITE record named the slot. */
bool mg_slots_known(const struct mg_slots *s, uint32_t slot);

/* One chunk decoded: n events, in `plain` (nplain entries) when every one of them is a
 * full-mode malloc, free or realloc of a named slot (is_plain), else in `events`. */
struct mg_chunk_events {
  struct mg_event *events;
  size_t n, cap;
  struct mg_plain_event *plain;
  size_t nplain, plain_cap;
  bool is_plain;
  uint64_t *stack_ids; /* the stack id of each event (0: none), when stack_ids_used */
  size_t stack_ids_cap;
  bool stack_ids_used; /* some event of the chunk has a stack */
  /* A plain chunk's entries' stacks, from stack_ids (mg_stack_ids_resolve): references
   * into the file's table (mg_stack_refs), when stack_ids_used. */
  uint32_t *stack_refs;
  size_t stack_refs_cap;
  /* The STACK items it defines: id, frames at frames[at .. at + n). */
  struct mg_chunk_stack {
    uint64_t id;
    size_t at;
    uint32_t n;
  } *stacks;
  size_t nstacks, stacks_cap;
  /* mg_events_rec's facts, allocated and allocated_bytes */
  unsigned facts;
  uint64_t allocated, allocated_bytes;
  uint64_t *frames;
  size_t nframes, frames_cap;
  /* A bad item stopped the chunk here (what came before it is in events). */
  bool bad;
  uint64_t bad_offset; /* in the file */
  char message[160];
};

/* Decodes len bytes of content (starting at file offset `at`) into c (emptied first; its
 * arrays are reused). */
void mg_chunk_events_decode(struct mg_chunk_events *c, const uint8_t *content, size_t len,
                            uint64_t at, const struct mg_slots *slots);
void mg_chunk_events_free(struct mg_chunk_events *c);

/* A plain chunk's entries again, from its bytes (content, as mg_chunk_events_decode
 * took it, which said is_plain): up to max (at least 2: a realloc may give two) from *pp,
 * of items that start before stop (<= end: a part of the chunk read again, whose items
 * up to stop are whole before end), with the item codec's state *st (zeros at the
 * chunk's start); returns how many, 0 at the end.  An item that is not what was decoded
 * before (the bytes changed) ends it: *pp goes to end and *bad (when not NULL) is set.
 * For a reader that keeps chunks encoded until it needs their events (the replay's
 * window: model/replay.c), which gives with sites1 (nsites1 of them) what each entry's
 * `site` is (sites1[slot] - 1: a slot beyond them or without one is an item that changed)
 * and with *ops its `op`s, one per entry in order (*ops moves past them). */
size_t mg_plain_again(const uint8_t **pp, const uint8_t *end, const uint8_t *stop,
                      struct ms_codec_state *st, struct mg_plain_event *out, size_t max,
                      const uint32_t *sites1, size_t nsites1, const uint32_t **ops,
                      bool *bad);
/* The most bytes an item of a plain chunk takes (a STACK item of MS_ITEM_STACK_MAX
 * frames): a part read again whose items start before its end minus this is whole. */
#define MG_PLAIN_ITEM_BYTES MS_ITEM_STACK_BYTES(MS_ITEM_STACK_MAX)

/* A file's stacks, per thread, by id: filled from each chunk in the thread's order, and
 * each event's id turned into its frames. */
struct mg_stack_ids {
  struct mg_map ids; /* (thread, id) -> position + 1 in spans */
  struct mg_frames_span *spans;
  size_t nspans, spans_cap;
  uint64_t *frames;
  size_t nframes, frames_cap;
  uint64_t unknown; /* events that named a stack never defined */
};
void mg_stack_ids_init(struct mg_stack_ids *t);
void mg_stack_ids_destroy(struct mg_stack_ids *t);
/* Learns the chunk's stacks and points its events at their frames, or a plain chunk's
 * entries at their references in the table (valid until the next call: refs_of). */
void mg_stack_ids_resolve(struct mg_stack_ids *t, uint64_t thread, struct mg_chunk_events *c);
/* A resolved plain chunk's stacks as a batch hands them over (ref NULL: none). */
struct mg_stack_refs mg_stack_ids_refs(const struct mg_stack_ids *t,
                                       const struct mg_chunk_events *c);

#endif
