/* The replay's tallies: one struct mg_tally per (thread, site) pair that had an event or a
 * COUNTERS entry, found by mg_tally_key.
 *
 * A map of tally-sized values would keep half its slots empty (load <= 1/2) and copy
 * every value each time it doubles: for 160K pairs that was 390 MB at the peak.  Here the
 * map holds only a pointer per pair (17 bytes a slot), and the tallies live in chunks that
 * never move, allocated as pairs appear: memory is one tally per pair that exists, and a
 * tally's address stays good for the whole replay (the replay's hints rely on it).
 * Iteration follows the map, so the order is what a map of tallies gave (reports sum
 * doubles in that order). */
#ifndef MEMSCOPE_MERGE_TALLIES_H
#define MEMSCOPE_MERGE_TALLIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hashmap.h"

struct mg_tally;
struct mg_tally_ests;

struct mg_tallies {
  struct mg_map index;      /* key -> struct mg_tally * */
  struct mg_tally **chunks; /* chunk k holds MG_TALLY_CHUNK(k) tallies */
  size_t nchunks, chunks_cap;
  size_t free_in_last;      /* tallies not yet handed out in the last chunk */
  struct mg_tally_ests **est_chunks; /* the same, for pairs' weighted sums (replay.h) */
  size_t nest_chunks, est_chunks_cap, est_free_in_last;
};

void mg_tallies_init(struct mg_tallies *t);
void mg_tallies_destroy(struct mg_tallies *t);
/* The pair's tally, zero-filled when new; its address never changes. */
struct mg_tally *mg_tallies_put(struct mg_tallies *t, uint64_t key);
/* Room for a pair's weighted sums, zero-filled; it never moves. */
struct mg_tally_ests *mg_tallies_new_ests(struct mg_tallies *t);
/* Iteration in the index's order: start with *pos = 0; NULL at the end. */
struct mg_tally *mg_tallies_next(const struct mg_tallies *t, size_t *pos, uint64_t *key);
static inline size_t mg_tallies_len(const struct mg_tallies *t) { return mg_map_len(&t->index); }

#endif
