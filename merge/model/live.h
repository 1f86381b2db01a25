/* The replay's live blocks: address -> block, one entry per block live at that moment
 * (live.c). */
#ifndef MEMSCOPE_MERGE_LIVE_H
#define MEMSCOPE_MERGE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A live block. */
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

/* Linear probing, Robin Hood order, backward-shift deletion (no tombstones: a replay
 * churns), at most half full.  A block's home slot keeps nearby addresses near: the
 * address's 16-byte granule within its 1 KiB region, after a place per region from a
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
  struct live_block *blocks;
  size_t cap; /* 0 or a power of two */
  size_t len;
};

void mg_live_destroy(struct live_table *t);
/* The block for ptr (!= 0): the existing one (*existed), or a new slot whose block the
 * caller fills (left unset: it is written whole anyway).  Valid until the next put or
 * remove. */
struct live_block *mg_live_put(struct live_table *t, uint64_t ptr, bool *existed);
/* Removes ptr; copies its block to out and returns true when it was there. */
bool mg_live_remove(struct live_table *t, uint64_t ptr, struct live_block *out);
/* Iteration: start with *pos = 0; the next block or NULL.  No change meanwhile. */
struct live_block *mg_live_next(const struct live_table *t, size_t *pos);

#endif
