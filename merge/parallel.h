/* Reading many inputs on every core (parallel.c), and finding them in directories
 * (inputs.c). */
#ifndef MEMSCOPE_MERGE_PARALLEL_H
#define MEMSCOPE_MERGE_PARALLEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct ms_read_options {
  unsigned jobs; /* reading threads; 0: one per core */
  const uint64_t *pid; /* keep only processes with this pid (NULL: all) */
  /* Called on the calling thread about five times a second while reading, with the bytes
   * read so far and the total expected (each file is read twice: scan.h). */
  void (*progress)(void *ctx, uint64_t done, uint64_t total);
  /* Called on the calling thread once per input, in input order, once it is combined. */
  void (*input_done)(void *ctx, const struct ms_input *in);
  void *ctx;
};

/* Reads every path (each one process, "-" standard input) into p, in parallel; the result
 * is the same as ms_profile_add_file on each in order. */
void ms_profile_add_files(struct ms_profile *p, char *const *paths, size_t n,
                          const struct ms_read_options *opt);

/* The inputs named by args: files as given; for a directory, every file under it named
 * memscope.*.msgpack, in name order.  *out is malloc'd (each string too).  A directory
 * without any is reported through problem(ctx, arg, message) and contributes nothing;
 * returns the count. */
size_t ms_expand_inputs(char *const *args, size_t nargs, char ***out,
                        void (*problem)(void *ctx, const char *arg, const char *message),
                        void *ctx);

#endif
