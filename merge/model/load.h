/* Loading many inputs into one profile on every core (load.c): each input is read into a
 * profile of its own by read/parallel.c's pool, and combined into the whole strictly in
 * input order (combine.c). */
#ifndef MEMSCOPE_MERGE_LOAD_H
#define MEMSCOPE_MERGE_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct mg_read_options {
  unsigned jobs; /* reading threads; 0: one per core.  With fewer files than that, each
                  * file's EVENTS chunks are decoded on the cores left (container.h) */
  const uint64_t *pid; /* keep only processes with this pid (NULL: all) */
  /* Called on the calling thread about five times a second while reading, with the bytes
   * read so far and the total expected (the files' sizes). */
  void (*progress)(void *ctx, uint64_t done, uint64_t total);
  /* Called on the calling thread once per input, in input order, once it is combined. */
  void (*input_done)(void *ctx, const struct mg_input *in);
  void *ctx;
};

/* Reads every path (each one process, "-" standard input) into p, in parallel; the result
 * is the same as mg_profile_add_file on each in order. */
void mg_profile_add_files(struct mg_profile *p, char *const *paths, size_t n,
                          const struct mg_read_options *opt);

#endif
