/* Reading a whole record file (format.h, version 2): the header region, the status block,
 * then the chunks (container.c).
 *
 * The chunks are walked by their sizes; where no valid chunk header is found (a writer
 * killed between reserving a chunk and writing its header leaves zeros) the walk resumes
 * at the next MS_CHUNK_ALIGN boundary.  Then, through the decoder's callbacks:
 *   header, status (when the block says something, or bytes were skipped),
 *   order (each batch's earliest time, scan.h), the RECORDS chunks' records in `seq`
 *   order, a COUNTERS snapshot made from the TABLE chunks (minus the BASE record) for each
 *   thread that wrote no COUNTERS record, and the EVENTS chunks as EVENTS batches: in file
 *   order, each thread's in `seq` order, decoded on `jobs` threads, delivered in order.
 * Unknown chunk kinds go to `unknown` (their kind as the type).  Memory: the chunks'
 * index (48 bytes a chunk), the sites' slots, the threads' tables and stacks, and the
 * chunks in flight; never the whole file.
 *
 * Problems, one per file as for the decoder (the first wins; the records' before the
 * container's): the header's and the records' (decode.h); a chunk that runs past the end
 * of the file is read as far as it goes and reported truncated; a bad EVENTS item stops
 * its chunk (the events before it stay) and is reported with its offset; the other chunks
 * are still read. */
#ifndef MEMSCOPE_MERGE_CONTAINER_H
#define MEMSCOPE_MERGE_CONTAINER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct mg_read_how {
  _Atomic uint64_t *progress; /* bytes read are added to it as they are used (may be NULL) */
  unsigned jobs; /* threads decoding EVENTS chunks; 0 or 1: on the calling thread */
};

/* Decodes a file (path "-" is standard input, spooled to a temporary file first, since
 * chunks are not read in file order), filling *problem (status MG_DECODE_OK when the
 * input was fine); returns true when it was.  how may be NULL. */
bool mg_decode_file(const char *path, const struct mg_decode_callbacks *cb, void *ctx,
                    struct mg_decode_problem *problem, const struct mg_read_how *how);
/* The same for an open regular file of this size (the caller closes it). */
bool mg_decode_fd(int fd, uint64_t size, const char *name, const struct mg_decode_callbacks *cb,
                  void *ctx, struct mg_decode_problem *problem, const struct mg_read_how *how);
/* The same for a file in memory. */
bool mg_decode_buffer(const char *name, const void *data, size_t len,
                      const struct mg_decode_callbacks *cb, void *ctx,
                      struct mg_decode_problem *problem);

#endif
