/* The replay's live blocks: address -> block, one entry per block live at that moment
 * (live.c). */
#ifndef MEMSCOPE_MERGE_LIVE_H
#define MEMSCOPE_MERGE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hashmap.h"

/* A live block, as the replay reads and writes it. */
struct live_block {
  uint64_t size;
  double weight;
  uint64_t ts;          /* when it was allocated */
  uint64_t chain_first; /* size before the first realloc of its chain */
  uint32_t chain;       /* reallocs that led to this block (0: a plain allocation) */
  uint32_t site;        /* allocating site, position in profile->sites */
  uint32_t thread;      /* allocating thread, position in process->threads */
  uint32_t stack;       /* its stack in the process (stacks.h), 0: none */
};

/* A live block as the table holds it: 32 bytes, one to a half cache line, where the
 * whole block takes 48 (and every other one straddles two lines).  A realloc chain's
 * first size goes in place of the stack, which a realloc's result never has
 * (LIVE_FIRST); anything else that does not fit (a weight other than 1, in sampled mode,
 * a chain_first beyond 32 bits or a chain beyond LIVE_CHAIN_MAX) is kept beside, in
 * `extra`, with the chain, and LIVE_EXTRA says so: full mode never goes there. */
struct live_slot {
  uint64_t size, ts;
  uint32_t site, thread;
  uint32_t stack; /* or chain_first with LIVE_FIRST */
  uint32_t chain; /* the count, and LIVE_FIRST or LIVE_EXTRA */
};
#define LIVE_EXTRA 0x80000000u
#define LIVE_FIRST 0x40000000u
#define LIVE_CHAIN_MAX 0x3fffffffu

/* Linear probing, Robin Hood order, backward-shift deletion (no tombstones: a replay
 * churns), at most two thirds full (live.c: why).  A block's home slot keeps nearby addresses near: the
 * address's 16-byte granule within its 256-byte region, after a place per region from a
 * hash (Fibonacci: consecutive regions spread evenly).
 * A program allocates and frees next to what it just touched, so the replay's probes
 * stay on a few cache lines instead of one random line per event.  Robin Hood order
 * (along a run of slots, homes never decrease) lets a lookup stop early and a removal
 * stop at the first block in its home, so a run of densely packed blocks costs nothing
 * (live.c). */
struct live_table {
  /* Slot i: address keys[i] (0: empty; a live block never has address 0) and its block
   * blocks[i].  Apart, so that probing reads a dense array (8 slots to a cache line) and
   * a new block's write, the one other access, does not stall the replay. */
  uint64_t *keys;
  struct live_slot *blocks;
  size_t cap; /* 0 or a power of two */
  size_t len;
  struct mg_map extra; /* address -> struct live_extra, for the LIVE_EXTRA blocks */
};

void mg_live_destroy(struct live_table *t);
/* Puts block b at ptr (!= 0).  When a block was there already, it is replaced, copied to
 * *old first, and the result is true. */
bool mg_live_put(struct live_table *t, uint64_t ptr, const struct live_block *b,
                 struct live_block *old);
/* Removes ptr; copies its block to out and returns true when it was there. */
bool mg_live_remove(struct live_table *t, uint64_t ptr, struct live_block *out);
/* A block's home slot (the layout above): a place per 256-byte region from a Fibonacci
 * hash (one multiply; splitmix64's finalizer, tried first, took 18 instructions a
 * lookup), then the address's 16-byte granule within the region.  cap > 0. */
static inline size_t mg_live_home(const struct live_table *t, uint64_t ptr) {
  uint64_t region = ((ptr >> 8) * 0x9E3779B97F4A7C15ull) >> 24;
  return (size_t)(region * 16 + (ptr >> 4 & 15)) & (t->cap - 1);
}

/* Starts loading the lines a put or remove of ptr looks at first (its home slot's key
 * and block).  The replay calls it a few items ahead: on a table larger than the cache
 * (a real program's live set), the misses then overlap instead of stalling each event
 * (Lua's binary-trees, 170K blocks live at the peak: the merge 10% faster). */
static inline void mg_live_prefetch(const struct live_table *t, uint64_t ptr) {
  if (t->cap == 0)
    return;
  size_t i = mg_live_home(t, ptr);
  __builtin_prefetch(&t->keys[i], 1);
  __builtin_prefetch(&t->blocks[i], 1);
}

/* Iteration, in slot order: start with *pos = 0; copies the next block to *out, false
 * at the end.  No change meanwhile. */
bool mg_live_next(const struct live_table *t, size_t *pos, struct live_block *out);

#endif
