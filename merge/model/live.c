/* The live-block table (live.h): the replay looks a block up on every allocation and
 * every free, so this is mg_map specialized to its one use: the value copied as a struct
 * (no memcpy of a run-time size), no occupancy array (address 0 marks an empty slot).
 * The hash and the policy are mg_map's (see live.h for why).
 *
 * Measured (bench/merge_bench -r, 8 threads, 40K blocks live at the end): the key inside
 * a 64-byte slot was slower than the keys apart: an allocation's probe then stalls on a
 * line of an 8 MB table, where the dense keys (1 MB) are mostly in cache and the new
 * block's line is only written.  Prefetching a thread's next address when its item
 * reached the merge's top did not help (as fast or slower, 8 and 500 threads), nor did
 * 16-byte slots pointing to blocks reused last freed first (1 thread: slower). */
#include "live.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* hashmap.c's slot_of before its mask: the splitmix64 finalizer, pointers being aligned. */
static inline uint64_t mix(uint64_t key) {
  key ^= key >> 30;
  key *= 0xbf58476d1ce4e5b9ULL;
  key ^= key >> 27;
  key *= 0x94d049bb133111ebULL;
  return key ^ key >> 31;
}

void mg_live_destroy(struct live_table *t) {
  free(t->keys);
  free(t->blocks);
  *t = (struct live_table){0};
}

/* Index of ptr's slot, or of the empty slot where it would go.  cap must be > 0. */
static inline size_t find(const struct live_table *t, uint64_t ptr) {
  size_t mask = t->cap - 1, i = mix(ptr) & mask;
  while (t->keys[i] && t->keys[i] != ptr)
    i = (i + 1) & mask;
  return i;
}

static void rehash(struct live_table *t, size_t cap) {
  struct live_table old = *t;
  t->cap = cap;
  t->keys = mg_xcalloc(cap, sizeof *t->keys);
  t->blocks = mg_xmalloc(cap * sizeof *t->blocks);
  mg_prefault(t->blocks, cap * sizeof *t->blocks); /* about to be filled */
  for (size_t i = 0; i < old.cap; i++)
    if (old.keys[i]) {
      size_t j = find(t, old.keys[i]);
      t->keys[j] = old.keys[i];
      t->blocks[j] = old.blocks[i];
    }
  free(old.keys);
  free(old.blocks);
}

struct live_block *mg_live_put(struct live_table *t, uint64_t ptr, bool *existed) {
  if ((t->len + 1) * 2 > t->cap)
    rehash(t, t->cap ? t->cap * 2 : 16);
  size_t i = find(t, ptr);
  *existed = t->keys[i] != 0;
  if (!*existed) {
    t->keys[i] = ptr;
    t->len++;
  }
  return &t->blocks[i];
}

bool mg_live_remove(struct live_table *t, uint64_t ptr, struct live_block *out) {
  if (t->len == 0)
    return false;
  size_t mask = t->cap - 1, hole = find(t, ptr);
  if (!t->keys[hole])
    return false;
  *out = t->blocks[hole];
  /* Backward shift: move later entries of the probe run into the hole when their home
   * does not lie (cyclically) between the hole and where they are. */
  for (size_t i = (hole + 1) & mask; t->keys[i]; i = (i + 1) & mask) {
    size_t home = mix(t->keys[i]) & mask;
    bool stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
    if (!stays) {
      t->keys[hole] = t->keys[i];
      t->blocks[hole] = t->blocks[i];
      hole = i;
    }
  }
  t->keys[hole] = 0;
  t->len--;
  return true;
}

struct live_block *mg_live_next(const struct live_table *t, size_t *pos) {
  for (size_t i = *pos; i < t->cap; i++)
    if (t->keys[i]) {
      *pos = i + 1;
      return &t->blocks[i];
    }
  *pos = t->cap;
  return NULL;
}
