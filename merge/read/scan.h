/* The pre-scan: where each thread's next batch starts in time, before decoding.
 *
 * A file holds each thread's EVENTS records in its program order, but the threads'
 * records interleave in flush order, so an event read now may belong before events of
 * other threads read earlier.  The replay may only act on an event once no later record
 * can hold an earlier one.  A quick pass over the file (msgpack skipped, not decoded)
 * gives, for each EVENTS record in file order, the earliest time in it; from those the
 * replay knows, after record k, that everything before min(first time of records k+1..)
 * is final (replay.c).  The pass allocates 8 bytes per EVENTS record. */
#ifndef MEMSCOPE_MERGE_SCAN_H
#define MEMSCOPE_MERGE_SCAN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The earliest time of each EVENTS record, in file order; UINT64_MAX for a record with no
 * event.  The pass stops quietly at the first thing it cannot skip (the decoder will
 * report it).  *mins is malloc'd (NULL when none); returns the count. */
size_t mg_scan_buffer(const void *data, size_t len, uint64_t **mins);
/* The same for a regular file open as fd (read with pread: its offset is left alone),
 * once its header has been decoded: a foreign file is refused on its first bytes, before
 * any of this.  Only the first `size` bytes (its size when opened) are read, and the pass
 * stops where the decoder will stop too: invalid msgpack, a record that is not an array
 * [type, ...], or a length or count that runs past the end of the file.  So garbage after
 * a valid header costs no more than the decoder reads of it. */
struct mg_scan {
  uint64_t *mins; /* malloc'd (NULL when none) */
  size_t n;
  /* Where a record starts that a string, binary or extension length carries past the
   * end of the file, UINT64_MAX when none: the decoder, from there, would only wait for
   * bytes that never come, and may report the record truncated without reading it
   * (mg_decoder_finish_at). */
  uint64_t cut;
  uint64_t bytes; /* bytes read; also added to *progress when not NULL */
};
void mg_scan_fd(int fd, uint64_t size, struct mg_scan *s, _Atomic uint64_t *progress);

/* Turns the per-record minimums into suffix minimums in place: mins[k] becomes the
 * earliest time of records k..n-1. */
void mg_scan_suffix_min(uint64_t *mins, size_t n);

#endif
