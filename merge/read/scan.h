/* The pre-scan: where each batch of events starts in time, before decoding.
 *
 * A file holds each thread's events in its program order (EVENTS chunks, and leaks
 * mode's EVENTS records), but the threads' batches interleave, so an event read now may
 * belong before events of other threads read earlier.  The replay may only act on an
 * event once no later batch can hold an earlier one.  A quick look at each batch (msgpack
 * skipped, not decoded; a chunk's first event only) gives its earliest time; from those
 * the replay knows, after batch k, that everything before min(first time of batches
 * k+1..) is final (replay.c).  8 bytes per batch. */
#ifndef MEMSCOPE_MERGE_SCAN_H
#define MEMSCOPE_MERGE_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* Appends to *mins (*n of *cap, MG_GROW's) the earliest time of each EVENTS record among
 * the msgpack records in data (a RECORDS chunk's content, no header), UINT64_MAX for a
 * record with no event.  Stops quietly at the first thing it cannot skip (the decoder
 * will report it). */
void mg_scan_records(const void *data, size_t len, uint64_t **mins, size_t *n, size_t *cap);

/* The earliest time in an EVENTS chunk's content (event_codec.h): its first event's ts
 * (begin_ns for a realloc); UINT64_MAX when it holds no event, 0 when its first items
 * are bad (the decoder reports them; meanwhile nothing is final).  Reads only as far as
 * the first event. */
uint64_t mg_scan_events_chunk(const void *content, size_t len);

/* The size of the msgpack object at data (a file's header), 0 when it does not end
 * within len bytes or is not msgpack. */
size_t mg_scan_object_size(const void *data, size_t len);

/* Turns the per-record minimums into suffix minimums in place: mins[k] becomes the
 * earliest time of records k..n-1. */
void mg_scan_suffix_min(uint64_t *mins, size_t n);

#endif
