/* Decoding of memscope record files (include/memscope/format.h).
 *
 * A decoder is pushed bytes (from a file, a buffer, or later a pipe or the runtime
 * itself) and hands each complete record, validated and converted to the C structs
 * below, to the caller's callbacks.  It never holds more than the record in progress.
 *
 * Policy on bad input: the first problem (invalid msgpack, a record of the wrong shape,
 * the end of input inside a record...) stops decoding of that input; everything decoded
 * before it has already been delivered.  Records of unknown types, and events of unknown
 * kinds, are skipped and counted: that is how the format grows within a version.  Known
 * records and events may carry more elements than this reader knows; the extra trailing
 * elements are ignored for the same reason. */
#ifndef MEMSCOPE_MERGE_DECODE_H
#define MEMSCOPE_MERGE_DECODE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- Decoded records ----------------------------------------------------------------
 * Strings are NUL-terminated, NULL for msgpack nil or an absent key.  Everything a
 * callback receives (strings and arrays included) is valid only during the call. */

enum {
  MG_HEADER_HAS_PID = 1 << 0,
  MG_HEADER_HAS_PPID = 1 << 1,
  MG_HEADER_HAS_START_NS = 1 << 2,
  MG_HEADER_HAS_START_UNIX_NS = 1 << 3,
  MG_HEADER_HAS_SAMPLE_INTERVAL = 1 << 4,
};

struct mg_header_rec {
  uint64_t version;
  const char *program;
  const char *mode;    /* "sampled" or "full" */
  const char *sampler; /* "bytes", "tiered", "all" */
  uint64_t pid, ppid, start_ns, start_unix_ns;
  uint64_t sample_interval; /* mean bytes between samples (bytes sampler), else 0 */
  unsigned present; /* MG_HEADER_HAS_* for the numeric keys that were there */
  const char *runtime_version; /* NULL when the file does not say */
  const char *const *command_line; /* argv, argv[0] first; NULL when the file does not say */
  size_t ncommand_line;
  bool command_line_truncated; /* arguments were left out (or could not be read) */
};

struct mg_frame_rec {
  const char *function;
  const char *file;
  uint32_t line, column; /* 0 when unknown */
};

struct mg_site_rec {
  uint64_t offset; /* of the record in the input */
  uint64_t id;
  uint32_t api; /* enum memscope_api, possibly one this reader does not know */
  uint32_t flags; /* MS_SITE_FLAG_* */
  uint32_t slot;  /* the site's slot in counter tables and EVENTS chunks (>= 2) */
  size_t nframes;
  const struct mg_frame_rec *frames; /* innermost first */
};

struct mg_thread_rec {
  uint64_t offset;
  uint64_t thread; /* the runtime's thread index */
  uint64_t os_tid;
  const char *name;
  uint64_t start_ns, end_ns;
  uint64_t dropped; /* events the runtime could not record (0 when absent) */
};

/* One event; old_ptr and begin_ns are 0 except for MS_EV_REALLOC.  weight, alignment
 * and phase are those of a sampled MS_EV_ALLOC; every other event has weight 1,
 * alignment 0, phase 0. */
struct mg_event {
  uint32_t kind;  /* enum ms_event_kind */
  uint32_t phase; /* the PHASE id current when it happened, 0: none */
  uint64_t site;
  uint64_t size;
  uint64_t ptr;
  uint64_t ts;
  uint64_t old_ptr;
  uint64_t begin_ns;
  double weight;      /* allocations this event stands for (1/probability), >= 1 */
  uint64_t alignment; /* 0: the allocator's default */
  /* A sampled MS_EV_ALLOC's call stack (MS_EV_STACK): return addresses, innermost
   * first; NULL and 0 when the event has none. */
  const uint64_t *stack;
  uint32_t nstack;
};

/* A full-mode event as a plain batch carries it (MG_EVENTS_PLAIN): 32 bytes where
 * struct mg_event takes 88, since the replay reads every one.  A malloc or free is one
 * entry; a realloc that gave its old block back is two, in the replay's order: the
 * release of old_ptr at begin_ns (kind MG_PLAIN_RELEASE), then its result at ts (kind
 * MS_EV_REALLOC, as a realloc that released nothing is alone). */
struct mg_plain_event {
  uint64_t ts, ptr;
  uint64_t size; /* 0 for a free or a release */
  /* The replay queues the entries it takes over (mg_events_rec.plain_home) in place:
   * the same 32 bytes, with site and op where the decoder put slot and kind. */
  union {
    uint32_t slot; /* the site's slot (a SITE record named it, and it is below
                    * MG_PLAIN_SLOTS) */
    uint32_t site; /* the replay's: position in profile->sites */
  };
  union {
    uint32_t kind; /* MS_EV_ALLOC, MS_EV_FREE, MS_EV_REALLOC or MG_PLAIN_RELEASE */
    uint32_t op;   /* the replay's: kind, flags and stack (replay.c) */
  };
};
#define MG_PLAIN_SLOTS (1u << 22)
enum { MG_PLAIN_RELEASE = 0x103 }; /* 0x100 | MS_EV_REALLOC: not an event kind */

/* The stacks a plain batch's allocations name, in a table that holds for the whole
 * input: entry k's stack is ref[k] (0: none), whose frames are frames[spans[ref - 1].at ..]
 * (spans[ref - 1].n of them).  A reference names one stack of one thread for the whole
 * input, so a reader of many batches may remember what it made of it (source says which
 * input's table it is). */
struct mg_frames_span {
  size_t at;
  uint32_t n;
};
struct mg_stack_refs {
  const uint32_t *ref;
  const struct mg_frames_span *spans;
  const uint64_t *frames;
  const void *source;
};

struct mg_reread;
struct mg_events_rec {
  uint64_t offset; /* of the record, or of the EVENTS chunk */
  uint64_t thread;
  uint64_t os_tid;
  size_t nevents;
  /* In the thread's program order: `events`, or `plain` (events NULL) when facts has
   * MG_EVENTS_PLAIN and the decoder could give them so (an EVENTS chunk's): nplain
   * entries for nevents events (a realloc may take two). */
  const struct mg_event *events;
  const struct mg_plain_event *plain;
  size_t nplain;
  /* Where the decoder keeps `plain` between chunks (NULL: nowhere, the entries are only
   * lent): a consumer may take the array over instead of copying its entries, and leave
   * an array of its own (or NULL) there, with its capacity in *plain_home_cap, for the
   * decoder's next chunk. */
  struct mg_plain_event **plain_home;
  size_t *plain_home_cap;
  struct mg_stack_refs plain_stacks; /* ref NULL when no entry has a stack */
  /* A plain chunk's bytes as read (lent for the call; NULL when not a chunk's), from
   * which mg_plain_again (events.h) gives the same entries again: a consumer that must
   * keep the entries a while may keep these bytes instead (a quarter of the size). */
  const uint8_t *content;
  size_t content_len;
  /* Where the reader keeps the buffer that holds content (NULL: the bytes are only
   * lent): a consumer may take it over (malloc'd, *content_home_cap bytes) and leave a
   * malloc'd buffer of its own (or NULL) there, with its capacity, for the next chunk. */
  uint8_t **content_home;
  size_t *content_home_cap;
  /* Where content lies in the file, to be read again (reread.h; NULL: not a file's): a
   * consumer may keep only (reread, content_at) and read the bytes again when it needs
   * them, holding a reference (mg_reread_hold) meanwhile.  offset is the chunk's. */
  struct mg_reread *reread;
  uint64_t content_at;
  size_t nskipped;               /* events of unknown kinds, left out of `events` */
  /* What the decoder learnt on the way, so that the model can skip passes over a batch
   * (0: nothing known, every event is looked at).  MG_EVENTS_PLAIN: every event is a
   * full-mode malloc, free or realloc (weight 1, phase 0; a malloc's stack is in
   * plain_stacks, a realloc's is of no use); then `allocated` is the number of ALLOC
   * events that returned a block and `allocated_bytes` the sum of their sizes. */
  unsigned facts;
  uint64_t allocated, allocated_bytes;
};
enum { MG_EVENTS_PLAIN = 1 };

/* One site's exact counters in a COUNTERS snapshot. */
struct mg_counter_rec {
  uint64_t site;
  uint64_t calls, bytes, min, max; /* min and max are 0 when calls is 0 */
};

struct mg_counters_rec {
  uint64_t offset;
  uint64_t thread;
  uint64_t os_tid;
  uint64_t seq; /* the snapshot with the highest seq of a thread is its latest */
  size_t nentries;
  const struct mg_counter_rec *entries;
  /* The thread's realloc-like calls that released a non-NULL old block (the record's
   * optional trailing element, format.h); 0 and has_realloc_releases false when the
   * record has none (an older runtime). */
  uint64_t realloc_releases;
  bool has_realloc_releases;
  /* Not a record: the thread's TABLE chunks (minus its BASE record), for a thread that
   * wrote no COUNTERS record (killed, or still running at exit).  Its last call may be
   * counted without its event (killed between the two). */
  bool from_table;
};

/* A session after the first: a thread's table when the session began,
 * [MS_REC_BASE, thread, entries]; entries' `site` is a slot, min and max are 0. */
struct mg_base_rec {
  uint64_t offset;
  uint64_t thread;
  size_t nentries;
  const struct mg_counter_rec *entries;
};

/* The file's status block (format.h, struct ms_file_status), when it says something. */
struct mg_status_rec {
  uint32_t flags;       /* MS_STATUS_* */
  uint64_t full_ns;     /* MS_STATUS_DISK_FULL: when recording stopped */
  uint64_t lost_events; /* ... and the events it could not write */
  uint32_t signal;      /* MS_STATUS_SIGNAL: the fatal signal */
  uint32_t signal_tid;  /* ... the thread it hit (kernel tid) */
  uint64_t signal_ns;   /* ... and when */
  uint64_t dropped_calls; /* calls of threads that had no record, not recorded */
  uint64_t skipped_bytes; /* bytes outside any chunk that were not zeros (garbage) */
};

/* memscope_phase() named a phase: [MS_REC_PHASE, id, label, ts]. */
struct mg_phase_rec {
  uint64_t offset;
  uint32_t id;       /* from 1 */
  const char *label; /* NULL for nil */
  uint64_t ts;       /* when it was named; 0 when written again for a new file */
};

/* A loaded ELF image: [MS_REC_MODULE, path, base, build_id, ts]. */
struct mg_module_rec {
  uint64_t offset;
  const char *path;     /* "" for the program in files that predate absolute paths */
  uint64_t base;        /* load bias */
  const char *build_id; /* lowercase hex, "" when none */
  uint64_t ts;
};

struct mg_end_rec {
  uint64_t offset;
  uint64_t end_ns;
  const char *reason;
};

/* One thread of a RESOURCE tick: [os_tid, user_ns, system_ns] or, from newer runtimes,
 * [os_tid, user_ns, system_ns, read_bytes, write_bytes] (has_io says which). */
struct mg_resource_thread_rec {
  uint64_t os_tid;
  uint64_t user_ns, system_ns; /* CPU time since the thread started */
  uint64_t read_bytes, write_bytes; /* I/O since the thread started; 0 without has_io */
  bool has_io;
};

/* A tick of the resource sampler: [MS_REC_RESOURCE, ts, process, threads].  Everything
 * but rss and vsize is cumulative since the process (or thread) started. */
struct mg_resource_rec {
  uint64_t offset;
  uint64_t ts;
  uint64_t rss, vsize; /* bytes */
  uint64_t minor_faults, major_faults;
  uint64_t user_ns, system_ns;
  uint64_t read_bytes, write_bytes;
  uint64_t voluntary_switches, involuntary_switches;
  uint64_t own_file_bytes; /* memscope's own file's size then; 0 from older runtimes */
  size_t nthreads;
  const struct mg_resource_thread_rec *threads;
};

/* Every callback may be NULL. */
struct mg_decode_callbacks {
  void (*header)(void *ctx, const struct mg_header_rec *h);
  void (*site)(void *ctx, const struct mg_site_rec *s);
  void (*thread)(void *ctx, const struct mg_thread_rec *t);
  void (*events)(void *ctx, const struct mg_events_rec *e);
  void (*end)(void *ctx, const struct mg_end_rec *e);
  void (*unknown)(void *ctx, uint64_t type, uint64_t offset); /* a skipped record */
  void (*counters)(void *ctx, const struct mg_counters_rec *c);
  void (*phase)(void *ctx, const struct mg_phase_rec *p);
  void (*module)(void *ctx, const struct mg_module_rec *m);
  void (*resource)(void *ctx, const struct mg_resource_rec *r);
  void (*base)(void *ctx, const struct mg_base_rec *b);
  /* Files (container.h), not records: */
  void (*status)(void *ctx, const struct mg_status_rec *s);
  /* Once the file's chunks are known, before any events: for each batch of events to
   * come (EVENTS records and chunks, in the order they will be delivered), its earliest
   * time (UINT64_MAX when it has none).  The callee takes the malloc'd array (may be
   * NULL when n is 0). */
  void (*order)(void *ctx, uint64_t *mins, size_t n);
};

/* --- Problems ---------------------------------------------------------------------- */

enum mg_decode_status {
  MG_DECODE_OK = 0,
  MG_DECODE_IO,           /* cannot open or read the input */
  MG_DECODE_EMPTY,        /* no bytes at all */
  MG_DECODE_NOT_MSGPACK,  /* invalid msgpack before the header was complete */
  MG_DECODE_NOT_MEMSCOPE, /* valid msgpack, but the first object is not our header */
  MG_DECODE_VERSION,      /* our header, a format version this reader does not read */
  MG_DECODE_BAD_HEADER,   /* our header, version ok, but malformed */
  MG_DECODE_CORRUPT,      /* after the header: invalid msgpack or a record of a bad shape */
  MG_DECODE_TRUNCATED,    /* input ends inside an object */
  MG_DECODE_NOMEM,        /* an object too large to decode (usually a corrupt length) */
};

struct mg_decode_problem {
  enum mg_decode_status status;
  const char *file;  /* the name given to the decoder (not copied) */
  bool has_offset;
  uint64_t offset;   /* byte offset in the input where the problem is */
  char message[256]; /* what is wrong, without file name or offset */
};

/* "FILE: offset N: message" (or "FILE: message" without an offset) into buf. */
void mg_decode_problem_format(const struct mg_decode_problem *p, char *buf, size_t size);

/* --- Decoding ------------------------------------------------------------------------ */

struct mg_decoder;

/* name is used in problems and must outlive the decoder; cb is copied. */
struct mg_decoder *mg_decoder_new(const char *name, const struct mg_decode_callbacks *cb,
                                  void *ctx);
void mg_decoder_free(struct mg_decoder *d);

/* Decodes what it can of the next len bytes; callbacks run from inside.  Returns false
 * once decoding has stopped on a problem (later calls do nothing). */
bool mg_decoder_feed(struct mg_decoder *d, const void *data, size_t len);
/* End of input: reports an empty or truncated input.  Returns true when the whole input
 * was fine. */
bool mg_decoder_finish(struct mg_decoder *d);

/* From now on, the bytes fed start at this offset of the file (the content of a chunk,
 * container.h): offsets in problems and records are the file's. */
void mg_decoder_at(struct mg_decoder *d, uint64_t file_offset);
/* Bytes fed of an object not complete yet (0 between records). */
size_t mg_decoder_pending(const struct mg_decoder *d);
/* Stops decoding on a problem found by the caller (the container's). */
void mg_decoder_fail(struct mg_decoder *d, enum mg_decode_status status, uint64_t offset,
                     const char *message);

/* The problem that stopped decoding (status MG_DECODE_OK when none). */
const struct mg_decode_problem *mg_decoder_problem(const struct mg_decoder *d);
/* Bytes of complete objects decoded so far: where the next record starts. */
uint64_t mg_decoder_offset(const struct mg_decoder *d);
/* Complete records delivered so far (the header not included), skipped ones included. */
uint64_t mg_decoder_records(const struct mg_decoder *d);

/* Opens a record file for reading: a regular file only (a FIFO or a device may never
 * end and would be read forever: refused at once, as is a directory).  Returns the
 * descriptor and its size in *size (may be NULL), or -1 with *problem filled (status
 * MG_DECODE_IO). */
int mg_decode_open(const char *path, struct mg_decode_problem *problem, uint64_t *size);

/* Reading whole files (format 2: a container of chunks) is container.h's. */

#endif
