/* The live-block table (live.h): the replay looks a block up on every allocation and
 * every free, so this is mg_map specialized to its one use: the key inside a 64-byte
 * slot, the value copied as a struct (no memcpy of a run-time size), no separate
 * occupancy array.  The hash and the policy are mg_map's (see live.h for why). */
#include "live.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* hashmap.c's slot_of: the splitmix64 finalizer, pointers being aligned. */
static inline size_t home_of(uint64_t key, size_t cap) {
  key ^= key >> 30;
  key *= 0xbf58476d1ce4e5b9ULL;
  key ^= key >> 27;
  key *= 0x94d049bb133111ebULL;
  key ^= key >> 31;
  return (size_t)key & (cap - 1);
}

void mg_live_destroy(struct live_table *t) {
  free(t->slots);
  *t = (struct live_table){0};
}

/* Index of ptr's slot, or of the empty slot where it would go.  cap must be > 0. */
static inline size_t find(const struct live_table *t, uint64_t ptr) {
  size_t mask = t->cap - 1, i = home_of(ptr, t->cap);
  while (t->slots[i].ptr && t->slots[i].ptr != ptr)
    i = (i + 1) & mask;
  return i;
}

static void rehash(struct live_table *t, size_t cap) {
  struct live_table old = *t;
  t->cap = cap;
  t->slots = mg_xcalloc(cap, sizeof *t->slots);
  mg_prefault(t->slots, cap * sizeof *t->slots); /* about to be filled */
  for (size_t i = 0; i < old.cap; i++)
    if (old.slots[i].ptr)
      t->slots[find(t, old.slots[i].ptr)] = old.slots[i];
  free(old.slots);
}

struct live_block *mg_live_put(struct live_table *t, uint64_t ptr, bool *existed) {
  if ((t->len + 1) * 2 > t->cap)
    rehash(t, t->cap ? t->cap * 2 : 16);
  struct live_slot *s = &t->slots[find(t, ptr)];
  *existed = s->ptr != 0;
  if (!*existed) {
    s->ptr = ptr;
    s->b = (struct live_block){0};
    t->len++;
  }
  return &s->b;
}

bool mg_live_remove(struct live_table *t, uint64_t ptr, struct live_block *out) {
  if (t->len == 0)
    return false;
  size_t mask = t->cap - 1, hole = find(t, ptr);
  if (!t->slots[hole].ptr)
    return false;
  *out = t->slots[hole].b;
  /* Backward shift: move later entries of the probe run into the hole when their home
   * does not lie (cyclically) between the hole and where they are. */
  for (size_t i = (hole + 1) & mask; t->slots[i].ptr; i = (i + 1) & mask) {
    size_t home = home_of(t->slots[i].ptr, t->cap);
    bool stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
    if (!stays) {
      t->slots[hole] = t->slots[i];
      hole = i;
    }
  }
  t->slots[hole].ptr = 0;
  t->len--;
  return true;
}

struct live_block *mg_live_next(const struct live_table *t, size_t *pos) {
  for (size_t i = *pos; i < t->cap; i++)
    if (t->slots[i].ptr) {
      *pos = i + 1;
      return &t->slots[i].b;
    }
  *pos = t->cap;
  return NULL;
}
