/* The live-block table (live.h): the replay looks a block up on every allocation and
 * every free, so this is a map specialized to its one use: the value copied as a struct
 * (no memcpy of a run-time size), no occupancy array (address 0 marks an empty slot),
 * and a home slot that keeps nearby addresses in nearby slots.
 *
 * Measured (bench/merge_bench, 8 threads, 40K blocks live at the end): with a random
 * home (splitmix64 of the address) a quarter of the whole merge went to the miss of each
 * probe on a random line of the keys (1 MB) and of the blocks (6 MB); with the region's
 * granule as the home the probes of a thread's next block fall on the line of its last.
 * Also measured earlier and not kept: the key inside a 64-byte slot (slower: every probe
 * then touches the big array), prefetching each thread's next address on every put
 * (the bench's table is cached: no gain; the replay's prefetch a few items ahead, kept,
 * pays on a real program's larger table), 16-byte slots pointing to blocks reused last
 * freed first; with region homes, filling the table to
 * 3/4 (slower: regions collide) or starting it at 256K slots (slower: sparser).
 * Regions of 256 bytes, not 1 KiB: Lua's heap is dense, and with 64 granules a region
 * the runs where regions' places collide grew long, about 300 instructions per put or
 * remove (callgrind, Lua binary-trees); with 16, about 100 (the whole merge 24% fewer
 * instructions, 15% less CPU time), for 2-5% more CPU time on the synthetic 8-thread
 * bench, whose threads' blocks sit in regions of their own.
 * The arrays are on huge pages (mg_xmalloc_huge) once they are 2 MiB: Lua's
 * binary-trees (170K blocks live, 28 MB of table) spent much of each probe's time on
 * TLB misses; with them the merge takes 15% less CPU time.  Slots of 32 bytes (live.h),
 * not the 48 of a whole block: one line per block instead of two for every other one,
 * and 6 MB less at Lua's peak.  A chain's first size in the slot, in the stack's place:
 * a third of Lua's blocks are realloc results, and a map beside for them cost 10% of
 * the merge (a random line per put and remove). */
#include "live.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* How far the block in slot i is from its home. */
static inline size_t distance(const struct live_table *t, size_t i) {
  return (i - mg_live_home(t, t->keys[i])) & (t->cap - 1);
}

/* What a LIVE_EXTRA block keeps beside its slot. */
struct live_extra {
  double weight;
  uint64_t chain_first;
  uint32_t chain;
};

void mg_live_destroy(struct live_table *t) {
  free(t->keys);
  free(t->blocks);
  if (t->extra.value_size)
    mg_map_destroy(&t->extra);
  *t = (struct live_table){0};
}

/* The block of slot i (at ptr) whole: its extra taken back out of the map when it has
 * one (`take`), else only read. */
static inline void unpack(struct live_table *t, size_t i, uint64_t ptr, bool take,
                          struct live_block *out) {
  const struct live_slot *s = &t->blocks[i];
  /* chain_first is read only in a chain (chain > 0); the replay sets it to the size
   * otherwise, and so does this */
  *out = (struct live_block){s->size, 1.0, s->ts, s->size, s->chain & LIVE_CHAIN_MAX,
                             s->site, s->thread, s->stack};
  if (s->chain & LIVE_FIRST) {
    out->chain_first = s->stack;
    out->stack = 0;
  } else if (__builtin_expect(s->chain & LIVE_EXTRA, 0)) {
    struct live_extra x;
    if (take)
      mg_map_remove(&t->extra, ptr, &x);
    else
      x = *(const struct live_extra *)mg_map_get(&t->extra, ptr);
    out->weight = x.weight;
    out->chain_first = x.chain_first;
    out->chain = x.chain;
  }
}

/* Block b into slot i (at ptr), in the map what does not fit. */
static inline void pack(struct live_table *t, size_t i, uint64_t ptr, const struct live_block *b) {
  struct live_slot *s = &t->blocks[i];
  *s = (struct live_slot){b->size, b->ts, b->site, b->thread, b->stack, b->chain};
  if (__builtin_expect(b->weight == 1.0 && b->chain <= LIVE_CHAIN_MAX, 1)) {
    if (!b->chain)
      return;
    if (b->stack == 0 && b->chain_first <= UINT32_MAX) {
      s->stack = (uint32_t)b->chain_first;
      s->chain |= LIVE_FIRST;
      return;
    }
  }
  s->chain = LIVE_EXTRA;
  if (!t->extra.value_size)
    mg_map_init(&t->extra, sizeof(struct live_extra));
  *(struct live_extra *)mg_map_put(&t->extra, ptr, NULL) =
      (struct live_extra){b->weight, b->chain_first, b->chain};
}

/* Where ptr is (*found), or the slot where it belongs: an empty one, or the first whose
 * block lies nearer its own home than ptr would (Robin Hood order).  cap > 0. */
static inline size_t find(const struct live_table *t, uint64_t ptr, bool *found) {
  size_t mask = t->cap - 1, i = mg_live_home(t, ptr);
  for (size_t d = 0;; d++, i = (i + 1) & mask) {
    uint64_t k = t->keys[i];
    if (k == ptr || k == 0) {
      *found = k != 0;
      return i;
    }
    if (distance(t, i) < d) {
      *found = false;
      return i;
    }
  }
}

/* Puts ptr in slot i (from find): the blocks from i to the next empty slot move one
 * slot on, which keeps the order.  Returns i. */
static size_t insert_at(struct live_table *t, size_t i, uint64_t ptr) {
  size_t mask = t->cap - 1, e = i;
  while (t->keys[e])
    e = (e + 1) & mask;
  for (; e != i; e = (e - 1) & mask) {
    size_t from = (e - 1) & mask;
    t->keys[e] = t->keys[from];
    t->blocks[e] = t->blocks[from];
  }
  t->keys[i] = ptr;
  t->len++;
  return i;
}

static void rehash(struct live_table *t, size_t cap) {
  struct live_table old = *t;
  t->cap = cap;
  t->len = 0;
  t->keys = mg_xmalloc_huge(cap * sizeof *t->keys);
  memset(t->keys, 0, cap * sizeof *t->keys);
  t->blocks = mg_xmalloc_huge(cap * sizeof *t->blocks);
  mg_prefault(t->blocks, cap * sizeof *t->blocks); /* about to be filled */
  for (size_t i = 0; i < old.cap; i++)
    if (old.keys[i]) {
      bool found;
      size_t j = insert_at(t, find(t, old.keys[i], &found), old.keys[i]);
      t->blocks[j] = old.blocks[i];
    }
  free(old.keys);
  free(old.blocks);
}

bool mg_live_put(struct live_table *t, uint64_t ptr, const struct live_block *b,
                 struct live_block *old) {
  /* Two thirds full at most, not half: the table takes a quarter less memory on
   * average (the C++ pool file of docs/merge.md: peak RSS 57 -> 41 MB), for about 25%
   * more instructions in put and remove (3% of the merge) and no CPU time lost
   * (fewer fresh pages to fault in and zero, about 10 us each on the CI VM).  A
   * quarter of a table doubled for a few more blocks is never used. */
  if ((t->len + 1) * 3 > t->cap * 2)
    rehash(t, t->cap ? t->cap * 2 : 16);
  bool existed;
  size_t i = find(t, ptr, &existed);
  if (existed)
    unpack(t, i, ptr, true, old);
  else
    i = insert_at(t, i, ptr);
  pack(t, i, ptr, b);
  return existed;
}

bool mg_live_remove(struct live_table *t, uint64_t ptr, struct live_block *out) {
  if (t->len == 0)
    return false;
  bool found;
  size_t mask = t->cap - 1, hole = find(t, ptr, &found);
  if (!found)
    return false;
  unpack(t, hole, ptr, true, out);
  /* Backward shift: the blocks after it move one slot back, up to an empty slot or a
   * block in its home (in Robin Hood order, none after it can be nearer its own). */
  for (size_t i = (hole + 1) & mask; t->keys[i] && distance(t, i) > 0; i = (i + 1) & mask) {
    t->keys[hole] = t->keys[i];
    t->blocks[hole] = t->blocks[i];
    hole = i;
  }
  t->keys[hole] = 0;
  t->len--;
  return true;
}

bool mg_live_next(const struct live_table *t, size_t *pos, struct live_block *out) {
  for (size_t i = *pos; i < t->cap; i++)
    if (t->keys[i]) {
      *pos = i + 1;
      unpack((struct live_table *)t, i, t->keys[i], false, out); /* only reads */
      return true;
    }
  *pos = t->cap;
  return false;
}
