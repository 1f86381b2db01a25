/* An open-addressing hash map from uint64_t keys to fixed-size values.
 *
 * Used for the live-block map (pointer -> block), and for site and thread lookups.  Any
 * key is allowed, including 0.  Linear probing with backward-shift deletion, so removals
 * leave no tombstones and a map that churns (malloc/free replay) never degrades.
 * Value pointers returned by get/put stay valid only until the next put or remove. */
#ifndef MEMSCOPE_MERGE_HASHMAP_H
#define MEMSCOPE_MERGE_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_map {
  uint64_t *keys;
  unsigned char *values; /* cap * value_size bytes */
  unsigned char *used;   /* 1 when the slot holds an entry */
  size_t cap;            /* 0 or a power of two */
  size_t len;
  size_t value_size;
};

void mg_map_init(struct mg_map *m, size_t value_size);
void mg_map_destroy(struct mg_map *m);

/* The value stored for key, or NULL. */
void *mg_map_get(const struct mg_map *m, uint64_t key);
/* The value slot for key, created zero-filled when missing; *existed (may be NULL) says
 * which. */
void *mg_map_put(struct mg_map *m, uint64_t key, bool *existed);
/* Removes key; copies its value to out (may be NULL) and returns true when it was there. */
bool mg_map_remove(struct mg_map *m, uint64_t key, void *out);

/* Iteration: start with *pos = 0; returns the next value (and its key) or NULL at the
 * end.  The map must not change during the iteration. */
void *mg_map_next(const struct mg_map *m, size_t *pos, uint64_t *key);

/* Keys kept elsewhere (strings, arrays) are found by their hash: the map (of size_t)
 * holds hash -> position + 1, and equal hashes probe on to *h + 1, *h + 2, ...  Returns
 * the slot of the entry at whose position `same(ctx, position)` is true (*existed), or a
 * new slot for the caller to fill with its position + 1 (!*existed); *h ends as the slot's
 * key. */
typedef bool mg_map_same_fn(const void *ctx, size_t pos);
size_t *mg_map_probe(struct mg_map *m, uint64_t *h, mg_map_same_fn *same, const void *ctx,
                     bool *existed);

static inline size_t mg_map_len(const struct mg_map *m) { return m->len; }

#endif
