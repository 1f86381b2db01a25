/* Builds memscope record files in memory, following include/memscope/format.h (version
 * 2), for the merge unit tests: the header region (header, zeros, status block), records
 * packed into RECORDS chunks, each EVENTS record as an EVENTS chunk of its thread (compact
 * items, event_codec.h), TABLE chunks, BASE records.  A record goes into the RECORDS
 * chunk at the end of the file, or a new one when another chunk came since.  Every
 * object's start offset in the file (an EVENTS record's: its chunk's) is remembered so
 * tests can cut the buffer at exact places.  buf holds the whole file at every moment. */
#ifndef MEMSCOPE_TEST_MERGE_FIXTURE_H
#define MEMSCOPE_TEST_MERGE_FIXTURE_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "memscope/abi.h"
#include "memscope/format.h"

#define FX_MAX_OBJECTS 256

#define FX_MAX_SLOTS 256
#define FX_MAX_THREADS 64

struct fx {
  msgpack_sbuffer buf; /* the file */
  msgpack_packer pk;   /* packs into the header, then into RECORDS chunks */
  size_t starts[FX_MAX_OBJECTS]; /* start offset of each object written, header first */
  size_t nobjects;
  size_t events_left;  /* events still expected in the open EVENTS record */
  size_t entries_left; /* entries still expected in the open COUNTERS record */
  /* fx_counters_releases: the trailing realloc_releases, packed after the last entry */
  int releases_pending;
  uint64_t releases;
  /* The container */
  int header_done;
  size_t header_len;     /* records go to chunks from the first fx_mark after the header */
  size_t records_at;   /* the RECORDS chunk being filled (0: none) */
  uint64_t records_seq;
  size_t events_at;    /* the EVENTS chunk being filled (0: none) */
  uint64_t events_thread;
  int events_record;   /* the open events are an EVENTS record's (fx_events_record) */
  uint8_t codec[24];   /* struct ms_codec_state of the open EVENTS chunk */
  uint64_t slot_ids[FX_MAX_SLOTS]; /* site id of each slot (from 2) */
  uint8_t slot_named[FX_MAX_SLOTS]; /* a SITE record names it */
  size_t sites_at; /* a RECORDS chunk with room for the SITE records of sites that events
                    * use before (or without) an fx_site: api 0, no frames */
  uint32_t nslots;
  uint64_t thread_ids[FX_MAX_THREADS]; /* per thread: its index, chunks, stacks */
  uint64_t thread_chunks[FX_MAX_THREADS], thread_stacks[FX_MAX_THREADS];
  size_t nthreads;
};

struct fx_frame {
  const char *function, *file;
  uint32_t line, column;
};

void fx_init(struct fx *f);
void fx_destroy(struct fx *f);

/* Call before packing any object by hand, so its offset is recorded. */
void fx_mark(struct fx *f);
void fx_str(struct fx *f, const char *s); /* NULL packs nil */

/* ["memscope", version, {program, pid, ppid, mode, start_ns, start_unix_ns}] */
void fx_header_version(struct fx *f, uint64_t version, const char *program, uint64_t pid);
void fx_header(struct fx *f, const char *program, uint64_t pid);
/* The same with mode "sampled", sampler "bytes" and this sample_interval. */
void fx_header_sampled(struct fx *f, const char *program, uint64_t pid, uint64_t interval);
void fx_site(struct fx *f, uint64_t id, uint32_t api, size_t nframes,
             const struct fx_frame *frames);
/* [MS_REC_SITE, id, api, frames, flags] */
void fx_site_flags(struct fx *f, uint64_t id, uint32_t api, size_t nframes,
                   const struct fx_frame *frames, uint32_t flags);
/* [MS_REC_MODULE, path, base, build_id, ts] */
void fx_loaded_module(struct fx *f, const char *path, uint64_t base, const char *build_id, uint64_t ts);
void fx_thread(struct fx *f, uint64_t thread, uint64_t tid, const char *name, uint64_t start_ns,
               uint64_t end_ns);
/* An EVENTS chunk of the thread with n events (its header names tid): follow with
 * exactly n fx_alloc/fx_free/fx_realloc/fx_sampled.../fx_event_bytes. */
void fx_events(struct fx *f, uint64_t thread, uint64_t tid, size_t n);
/* The same as a msgpack EVENTS record in the RECORDS stream, [MS_REC_EVENTS, thread, tid,
 * events], each event in its array form (what leaks mode writes at a session's end). */
void fx_events_record(struct fx *f, uint64_t thread, uint64_t tid, size_t n);
/* One event of the open chunk or record as raw bytes (a bad item, a hand-made array);
 * returns its offset in the file. */
size_t fx_event_bytes(struct fx *f, const void *p, size_t len);
/* Raw bytes in the RECORDS stream, after fx_mark (invalid msgpack, a record cut short). */
void fx_record_bytes(struct fx *f, const void *p, size_t len);
void fx_alloc(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts);
/* A sampled allocation: [1, site, size, ptr, ts, weight (float64), alignment]. */
void fx_sampled(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                double weight, uint64_t alignment);
/* The same with the phase id current at the time: [..., weight, alignment, phase]. */
void fx_sampled_phase(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                      double weight, uint64_t alignment, uint32_t phase);
/* The same with a stack: [..., weight, alignment, phase, [addr, ...]] (innermost first). */
void fx_sampled_stack(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                      double weight, uint32_t phase, size_t nstack, const uint64_t *stack);
void fx_free(struct fx *f, uint64_t site, uint64_t ptr, uint64_t ts);
void fx_realloc(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                uint64_t old_ptr, uint64_t begin_ns);
void fx_end(struct fx *f, uint64_t end_ns, const char *reason);
/* [MS_REC_PHASE, id, label, ts] */
void fx_phase(struct fx *f, uint32_t id, const char *label, uint64_t ts);
/* A COUNTERS record of n entries: follow with exactly n fx_counter. */
void fx_counters(struct fx *f, uint64_t thread, uint64_t tid, uint64_t seq, size_t n);
void fx_counter(struct fx *f, uint64_t site, uint64_t calls, uint64_t bytes, uint64_t min,
                uint64_t max);
/* The same as written by runtimes that count realloc releases:
 * [MS_REC_COUNTERS, thread, tid, seq, entries, realloc_releases] (the last element is
 * packed after the n-th fx_counter, or at once when n is 0). */
void fx_counters_releases(struct fx *f, uint64_t thread, uint64_t tid, uint64_t seq, size_t n,
                          uint64_t releases);

/* The slot a site id has in this file (0 for id 0).  Format 2 events name sites by slot,
 * so an event at a site no fx_site named makes the fixture write a SITE record for it
 * (api 0, no frames: what the merge knows of such a site) in room kept for that in a
 * RECORDS chunk before the EVENTS chunk. */
uint32_t fx_slot(struct fx *f, uint64_t site);
/* [MS_REC_BASE, thread, [[slot, calls, bytes, 0, 0] ...]] for n slots. */
void fx_base(struct fx *f, uint64_t thread, size_t n, const uint32_t *slots,
             const uint64_t *calls, const uint64_t *bytes);
/* A TABLE chunk of the thread: slots [first, first + n) of its table. */
void fx_table(struct fx *f, uint64_t thread, size_t first, size_t n,
              const struct ms_table_slot *slots);
/* The status block (magic set). */
void fx_status(struct fx *f, const struct ms_file_status *s);
/* A chunk of any kind with raw content (unknown kinds, hand-made EVENTS). */
void fx_chunk(struct fx *f, uint16_t kind, uint32_t thread, uint64_t seq, const void *content,
              size_t len);
/* n zero bytes (a multiple of MS_CHUNK_ALIGN: a chunk reserved, its header never written)
 * or anything else at the end of the file. */
void fx_raw(struct fx *f, const void *data, size_t len);

#endif
