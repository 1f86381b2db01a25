/* Builds memscope record files in memory, following include/memscope/format.h, for the
 * merge unit tests.  Every object's start offset is remembered so tests can cut the
 * buffer at exact places. */
#ifndef MEMSCOPE_TEST_MERGE_FIXTURE_H
#define MEMSCOPE_TEST_MERGE_FIXTURE_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "memscope/abi.h"
#include "memscope/format.h"

#define FX_MAX_OBJECTS 256

struct fx {
  msgpack_sbuffer buf;
  msgpack_packer pk;
  size_t starts[FX_MAX_OBJECTS]; /* start offset of each object written, header first */
  size_t nobjects;
  size_t events_left;  /* events still expected in the open EVENTS record */
  size_t entries_left; /* entries still expected in the open COUNTERS record */
  /* fx_counters_releases: the trailing realloc_releases, packed after the last entry */
  int releases_pending;
  uint64_t releases;
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
/* An EVENTS record of n events: follow with exactly n fx_alloc/fx_free/fx_realloc. */
void fx_events(struct fx *f, uint64_t thread, uint64_t tid, size_t n);
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

#endif
