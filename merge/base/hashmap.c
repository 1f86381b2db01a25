#include "hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Pointers are aligned and site ids may be sequential: mix all bits into the low ones
 * (the splitmix64 finalizer) before masking. */
static inline size_t slot_of(uint64_t key, size_t cap) {
  key ^= key >> 30;
  key *= 0xbf58476d1ce4e5b9ULL;
  key ^= key >> 27;
  key *= 0x94d049bb133111ebULL;
  key ^= key >> 31;
  return (size_t)key & (cap - 1);
}

static inline void *value_at(const struct mg_map *m, size_t i) {
  return m->values + i * m->value_size;
}

void mg_map_init(struct mg_map *m, size_t value_size) {
  memset(m, 0, sizeof *m);
  m->value_size = value_size;
}

void mg_map_destroy(struct mg_map *m) {
  free(m->keys);
  free(m->values);
  free(m->used);
  mg_map_init(m, m->value_size);
}

/* Index of key's slot, or of the empty slot where it would go.  cap must be > 0. */
static size_t find(const struct mg_map *m, uint64_t key) {
  size_t mask = m->cap - 1;
  size_t i = slot_of(key, m->cap);
  while (m->used[i] && m->keys[i] != key)
    i = (i + 1) & mask;
  return i;
}

void *mg_map_get(const struct mg_map *m, uint64_t key) {
  if (m->len == 0)
    return NULL;
  size_t i = find(m, key);
  return m->used[i] ? value_at(m, i) : NULL;
}

static void rehash(struct mg_map *m, size_t new_cap) {
  struct mg_map old = *m;
  m->cap = new_cap;
  m->len = 0;
  m->keys = mg_xmalloc(new_cap * sizeof *m->keys);
  m->values = mg_xmalloc(new_cap * m->value_size);
  mg_prefault(m->values, new_cap * m->value_size); /* about to be filled */
  m->used = mg_xcalloc(new_cap, 1);
  for (size_t i = 0; i < old.cap; i++) {
    if (!old.used[i])
      continue;
    size_t j = find(m, old.keys[i]);
    m->used[j] = 1;
    m->keys[j] = old.keys[i];
    memcpy(value_at(m, j), value_at(&old, i), m->value_size);
    m->len++;
  }
  free(old.keys);
  free(old.values);
  free(old.used);
}

void *mg_map_put(struct mg_map *m, uint64_t key, bool *existed) {
  /* Keep the load factor at most 1/2: probes stay short under linear probing. */
  if ((m->len + 1) * 2 > m->cap)
    rehash(m, m->cap ? m->cap * 2 : 16);
  size_t i = find(m, key);
  if (existed)
    *existed = m->used[i];
  if (!m->used[i]) {
    m->used[i] = 1;
    m->keys[i] = key;
    memset(value_at(m, i), 0, m->value_size);
    m->len++;
  }
  return value_at(m, i);
}

bool mg_map_remove(struct mg_map *m, uint64_t key, void *out) {
  if (m->len == 0)
    return false;
  size_t mask = m->cap - 1;
  size_t hole = find(m, key);
  if (!m->used[hole])
    return false;
  if (out)
    memcpy(out, value_at(m, hole), m->value_size);
  /* Backward shift: move later entries of the probe run into the hole when their home
   * slot does not lie (cyclically) between the hole and their current slot. */
  size_t i = hole;
  for (;;) {
    i = (i + 1) & mask;
    if (!m->used[i])
      break;
    size_t home = slot_of(m->keys[i], m->cap);
    bool stays = (hole <= i) ? (hole < home && home <= i) : (hole < home || home <= i);
    if (stays)
      continue;
    m->keys[hole] = m->keys[i];
    memcpy(value_at(m, hole), value_at(m, i), m->value_size);
    hole = i;
  }
  m->used[hole] = 0;
  m->len--;
  return true;
}

void *mg_map_next(const struct mg_map *m, size_t *pos, uint64_t *key) {
  for (size_t i = *pos; i < m->cap; i++) {
    if (m->used[i]) {
      *pos = i + 1;
      if (key)
        *key = m->keys[i];
      return value_at(m, i);
    }
  }
  *pos = m->cap;
  return NULL;
}

size_t *mg_map_probe(struct mg_map *m, uint64_t *h, mg_map_same_fn *same, const void *ctx,
                     bool *existed) {
  for (;; (*h)++) {
    size_t *slot = mg_map_put(m, *h, existed);
    if (!*existed || same(ctx, *slot - 1))
      return slot;
  }
}
