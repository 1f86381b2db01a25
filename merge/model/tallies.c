/* The pairs' tallies in chunks that never move (tallies.h says why). */
#include "tallies.h"

#include <stdlib.h>

#include "replay.h"
#include "util.h"

/* Chunks double from 16 tallies (8 KB: a process with few pairs stays small) up to 4096
 * (2 MB); at most the last chunk's unused part is wasted. */
static size_t chunk_size(size_t k) { return k < 8 ? (size_t)16 << k : 4096; }

void mg_tallies_init(struct mg_tallies *t) {
  mg_map_init(&t->index, sizeof(struct mg_tally *));
  t->chunks = NULL;
  t->nchunks = t->chunks_cap = t->free_in_last = 0;
  t->est_chunks = NULL;
  t->nest_chunks = t->est_chunks_cap = t->est_free_in_last = 0;
}

void mg_tallies_destroy(struct mg_tallies *t) {
  for (size_t k = 0; k < t->nchunks; k++)
    free(t->chunks[k]);
  free(t->chunks);
  for (size_t k = 0; k < t->nest_chunks; k++)
    free(t->est_chunks[k]);
  free(t->est_chunks);
  mg_map_destroy(&t->index);
  mg_tallies_init(t);
}

struct mg_tally *mg_tallies_put(struct mg_tallies *t, uint64_t key) {
  bool existed;
  struct mg_tally **slot = mg_map_put(&t->index, key, &existed);
  if (existed)
    return *slot;
  if (!t->free_in_last) {
    MG_GROW(t->chunks, t->chunks_cap, t->nchunks + 1);
    t->free_in_last = chunk_size(t->nchunks);
    /* calloc: fresh tallies are zero, and a large chunk's pages come in as they are used */
    t->chunks[t->nchunks++] = mg_xcalloc(t->free_in_last, sizeof(struct mg_tally));
  }
  size_t last = t->nchunks - 1;
  *slot = &t->chunks[last][chunk_size(last) - t->free_in_last--];
  return *slot;
}

struct mg_tally_ests *mg_tallies_new_ests(struct mg_tallies *t) {
  if (!t->est_free_in_last) {
    MG_GROW(t->est_chunks, t->est_chunks_cap, t->nest_chunks + 1);
    t->est_free_in_last = chunk_size(t->nest_chunks);
    t->est_chunks[t->nest_chunks++] = mg_xcalloc(t->est_free_in_last, sizeof(struct mg_tally_ests));
  }
  size_t last = t->nest_chunks - 1;
  return &t->est_chunks[last][chunk_size(last) - t->est_free_in_last--];
}

struct mg_tally *mg_tallies_next(const struct mg_tallies *t, size_t *pos, uint64_t *key) {
  struct mg_tally **slot = mg_map_next(&t->index, pos, key);
  return slot ? *slot : NULL;
}
