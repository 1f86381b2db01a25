/* The memscope record format: the one definition shared by the runtime (writer) and
 * memscope-merge (reader).  docs/format.md describes it in prose; keep them in step.
 *
 * Version 2.  A file is written in place through shared mappings, so that whatever a
 * thread completed is in the file even if the process is then killed (SIGKILL, the OOM
 * killer): nothing waits in memory to be flushed.  Layout:
 *
 *   [0, MS_HEADER_REGION)   the header: the msgpack array
 *                           ["memscope", MS_FORMAT_VERSION, {meta map}], zeros after it,
 *                           and struct ms_file_status at MS_STATUS_OFFSET;
 *   then chunks, back to back, each at a multiple of MS_CHUNK_ALIGN, each starting with
 *   struct ms_chunk_header:
 *     RECORDS  msgpack records (below), the process's metadata stream;
 *     EVENTS   one thread's events in the compact encoding of event_codec.h;
 *     TABLE    a piece of one thread's per-site counters, updated in place.
 *
 * Space is reserved (fallocate) before a chunk is used, so a full disk stops recording
 * cleanly (ms_file_status) instead of raising SIGBUS.  A reader walks the chunks by
 * their sizes; where a chunk header is missing (a writer killed between reserving and
 * writing it) it looks for the next header at the next MS_CHUNK_ALIGN boundary.
 *
 * Records (msgpack) keep the version-1 shapes below.  Readers skip record types they do
 * not know (forward compatibility within a version); a new version number means an
 * incompatible change. */
#ifndef MEMSCOPE_FORMAT_H
#define MEMSCOPE_FORMAT_H

#define MS_FORMAT_MAGIC "memscope"
#define MS_FORMAT_VERSION 2

#include <stdint.h>

/* ---- The container (version 2) ------------------------------------------------------ */
#define MS_HEADER_REGION 16384u /* header array, zeros, status; the first chunk follows.
                                 * The header array ends before MS_STATUS_OFFSET. */
#define MS_CHUNK_ALIGN 4096u    /* chunk offsets and sizes are multiples of it */
#define MS_STATUS_OFFSET (MS_HEADER_REGION - 64u)
#define MS_CHUNK_MAGIC 0x4b43534du  /* "MSCK" in the file (little-endian) */
#define MS_STATUS_MAGIC 0x5453534du /* "MSST" */

enum ms_chunk_kind {
  /* Content: msgpack records back to back, `used` bytes of it complete.  `seq` numbers
   * the RECORDS chunks of a file in the order they were written (0, 1, ...); the records
   * of chunk n all precede those of chunk n + 1. */
  MS_CHUNK_RECORDS = 1,
  /* Content: one thread's items (event_codec.h), `used` bytes complete, in the thread's
   * program order; `thread` is the thread's index, `seq` the chunk's number in that
   * thread's stream (0, 1, ...).  Delta state starts afresh in every chunk; stack ids
   * are the thread's and last across its chunks. */
  MS_CHUNK_EVENTS = 2,
  /* A piece of thread `thread`'s counter table: the chunk's first MS_CHUNK_ALIGN bytes
   * are the header page (header, zeros); the rest is struct ms_table_slot[], the table's
   * slots from byte offset `seq` on (slot n of the table covers the site whose SITE
   * record has slot n; slot 0 collects unknown sites, slot 1 the thread's realloc
   * releases in `calls`).  The thread updates it in place as it counts; `used` is 0. */
  MS_CHUNK_TABLE = 3,
};

/* Every field little-endian; 32 bytes. */
struct ms_chunk_header {
  uint32_t magic;   /* MS_CHUNK_MAGIC */
  uint16_t kind;    /* enum ms_chunk_kind (never 0); a reader skips kinds it does not know */
  uint16_t flags;   /* 0; readers ignore it */
  uint32_t size;    /* bytes of the chunk, this header included: a multiple of
                     * MS_CHUNK_ALIGN, at least MS_CHUNK_ALIGN */
  uint32_t thread;  /* EVENTS, TABLE: the thread's index (THREAD records); else 0 */
  uint64_t seq;     /* see enum ms_chunk_kind */
  uint32_t used;    /* RECORDS, EVENTS: content bytes complete, after this header; the
                     * writer stores it after each whole record or item, so a reader
                     * never sees half of one */
  uint32_t os_tid;  /* EVENTS, TABLE: the thread's kernel id (a thread killed before its
                     * THREAD record is still named); else 0 */
};

/* One slot of a TABLE chunk: a site's exact counts in this thread since the thread was
 * set up (minus the thread's BASE record, when the file has one, for its session; the
 * size range then covers the thread's whole life). */
struct ms_table_slot {
  uint64_t calls;
  uint64_t bytes;
  uint64_t lo;   /* smallest size requested, when calls > 0 */
  uint64_t span; /* largest size - lo */
};

/* At MS_STATUS_OFFSET, 64 bytes, updated in place by the runtime (zero: nothing to say;
 * magic is set when the file is created). */
struct ms_file_status {
  uint32_t magic;       /* MS_STATUS_MAGIC */
  uint32_t flags;       /* MS_STATUS_* */
  uint64_t full_ns;     /* MS_STATUS_DISK_FULL: when the first reservation failed */
  uint64_t lost_events; /* events not written for want of space */
  uint32_t signal;      /* MS_STATUS_SIGNAL: the fatal signal's number */
  uint32_t signal_tid;  /* ... and the thread it hit (kernel tid) */
  uint64_t signal_ns;   /* ... and when */
  uint64_t chunk_end;   /* the writers' cursor: where the next chunk will go */
  uint64_t dropped_calls; /* calls neither counted nor recorded by threads that had no
                           * record (not set up: no memory, a fork under way, a signal
                           * during the set-up); a THREAD record's `dropped` counts the
                           * others.  Here, so that a thread never set up says so too. */
  uint64_t reserved[1];
};
enum {
  /* Space could not be reserved (ENOSPC, EDQUOT, RLIMIT_FSIZE): no chunk was added
   * after full_ns; counts and events from then on are missing (lost_events counts the
   * events). */
  MS_STATUS_DISK_FULL = 1,
  MS_STATUS_SIGNAL = 2, /* the process died of a fatal signal */
};


/* Header meta map keys (all optional for readers but always written). */
#define MS_META_PROGRAM "program"       /* str: program short name */
#define MS_META_PID "pid"               /* uint */
#define MS_META_PPID "ppid"             /* uint */
#define MS_META_MODE "mode"             /* str: "sampled" or "full" */
#define MS_META_SAMPLER "sampler"       /* str: "bytes" (exponential countdown), "tiered"
                                         * (size tiers + hot-site boost) or "all" (full) */
#define MS_META_SAMPLE_INTERVAL "sample_interval" /* uint: mean bytes between samples
                                                   * ("bytes" sampler), 0 otherwise */
#define MS_META_START_NS "start_ns"     /* uint: CLOCK_MONOTONIC at start */
#define MS_META_START_UNIX_NS "start_unix_ns" /* uint: CLOCK_REALTIME at start */
#define MS_META_RUNTIME_VERSION "runtime_version" /* str: the writing runtime's version,
                                                   * the project's ("0.1.0") */
#define MS_META_COMMAND_LINE "command_line" /* array of str: the program's arguments as
                                             * it started (/proc/self/cmdline, argv[0]
                                             * first), bounded: MS_COMMAND_LINE_* */
#define MS_META_COMMAND_LINE_TRUNCATED "command_line_truncated" /* bool: command_line is
                                             * not all of it (cut to the bounds, or the
                                             * kernel's copy could not be read) */
/* Bounds of command_line: the arguments that fit whole in the first
 * MS_COMMAND_LINE_MAX_BYTES bytes of /proc/self/cmdline (each argument's NUL included),
 * at most MS_COMMAND_LINE_MAX_ARGS of them. */
#define MS_COMMAND_LINE_MAX_BYTES 4096
#define MS_COMMAND_LINE_MAX_ARGS 64

/* Output file name: <dir>/memscope.<program>.<pid>.<unique>.msgpack, <unique> 8 hex
 * digits drawn at random (two hosts or containers with the same pid never collide); a
 * process's later sessions (memscope_start) add their number:
 * memscope.<program>.<pid>.<unique>.<n>.msgpack, n >= 2. */
#define MS_FILE_PREFIX "memscope."
#define MS_FILE_SUFFIX ".msgpack" /* (the records are msgpack; the container is not) */

enum ms_record {
  /* [MS_REC_SITE, site_id, api, frames, flags, slot]
   *   frames: array of [function|nil, file|nil, line, column], innermost first;
   *   flags: MS_SITE_FLAG_*; slot: the site's slot in every thread's counter table and
   *   in EVENTS chunks (0 and 1 are never a site's; two SITE records with one slot
   *   are the same site written again) */
  MS_REC_SITE = 1,
  /* [MS_REC_THREAD, thread, os_tid, name|nil, start_ns, end_ns, dropped]
   *   written when a thread ends (end_ns 0 when written at process exit while running);
   *   dropped (optional, 0 when absent): events the thread did not record because the
   *   runtime was busy on it (a signal handler allocating inside an allocation) */
  MS_REC_THREAD = 2,
  /* [MS_REC_EVENTS, thread, os_tid, events]
   *   events: array of event arrays, in the thread's program order (see ms_event_kind).
   *   Version 2 writes events in EVENTS chunks; this record carries only leaks mode's
   *   live blocks at the end of a session. */
  MS_REC_EVENTS = 3,
  /* [MS_REC_END, end_ns, reason]: the process finished writing; reason is a str */
  MS_REC_END = 4,
  /* [MS_REC_COUNTERS, thread, os_tid, seq, entries, realloc_releases]: the thread's
   * exact per-site counters, cumulative since the session (the file) started.  entries:
   * array of [site_id, calls, bytes, min_size, max_size] (free sites: bytes, min, max
   * are 0).  realloc_releases (optional: absent from files of older runtimes, which
   * readers must accept; uint): the thread's realloc-like calls (realloc, reallocarray)
   * that released a non-NULL old block (returned a block for it, or freed it for size
   * 0), so that its live blocks are allocations - frees - realloc_releases exactly.
   * A thread writes one when it ends, and memscope_stop() one for each thread still
   * running; a reader keeps, per thread, the snapshot with the highest seq.  A thread
   * with no COUNTERS record (still running at exit, or killed) is counted from its
   * TABLE chunks instead. */
  MS_REC_COUNTERS = 5,
  /* [MS_REC_PHASE, id, label, ts]: memscope_phase() named phase `id` (from 1); sampled
   * allocations carry the id of the phase current when they happened */
  MS_REC_PHASE = 6,
  /* [MS_REC_RESOURCE, ts, process, threads]: one tick of the resource sampler
   * (MEMSCOPE_RESOURCE_INTERVAL).  process: [rss_bytes, vsize_bytes, minor_faults,
   * major_faults, user_ns, system_ns, read_bytes, write_bytes, voluntary_switches,
   * involuntary_switches] (cumulative since the process started, but rss and vsize),
   * then (optional: older runtimes wrote 10 elements, which readers must accept)
   * own_file_bytes, the size memscope's own output file had reached (its chunks so
   * far), so that a reader can tell the program's storage writes from memscope's;
   * threads: array of [os_tid, user_ns, system_ns] for the threads recording then. */
  MS_REC_RESOURCE = 7,
  /* [MS_REC_MODULE, path, base, build_id, ts]: a loaded ELF image (the program, its
   * libraries, dlopen'ed ones): path as the loader knows it ("" for the program: see the
   * header's program), load bias, GNU build-id as lowercase hex ("" when none).  Every
   * loaded image when the file opens, and again whenever images were loaded or unloaded
   * since (checked at each flush); readers key them by (path, base). */
  MS_REC_MODULE = 8,
  /* [MS_REC_BASE, thread, entries]: a session after the first: thread `thread`'s table
   * when this session began (entries as in COUNTERS, with slots instead of site ids:
   * [slot, calls, bytes, 0, 0]); its TABLE chunks minus these are the session's. */
  MS_REC_BASE = 9,
};

/* Record field positions, shared so writer and reader cannot disagree. */
enum {
  MS_SITE_ID = 1, MS_SITE_API = 2, MS_SITE_FRAMES = 3, MS_SITE_FLAGS = 4, MS_SITE_SLOT = 5,
  MS_SITE_LEN = 6,
  MS_FRAME_FUNCTION = 0, MS_FRAME_FILE = 1, MS_FRAME_LINE = 2, MS_FRAME_COLUMN = 3,
  MS_FRAME_LEN = 4,
  MS_THREAD_ID = 1, MS_THREAD_OS_TID = 2, MS_THREAD_NAME = 3, MS_THREAD_START_NS = 4,
  MS_THREAD_END_NS = 5, MS_THREAD_LEN = 6, MS_THREAD_DROPPED = 6, MS_THREAD_DROPPED_LEN = 7,
  MS_EVENTS_THREAD = 1, MS_EVENTS_OS_TID = 2, MS_EVENTS_LIST = 3, MS_EVENTS_LEN = 4,
  MS_END_NS = 1, MS_END_REASON = 2, MS_END_LEN = 3,
  MS_COUNTERS_THREAD = 1, MS_COUNTERS_OS_TID = 2, MS_COUNTERS_SEQ = 3,
  MS_COUNTERS_ENTRIES = 4, MS_COUNTERS_LEN = 5,
  MS_COUNTERS_REALLOC_RELEASES = 5, MS_COUNTERS_RELEASES_LEN = 6, /* (optional) */
  MS_COUNTER_SITE = 0, MS_COUNTER_CALLS = 1, MS_COUNTER_BYTES = 2, MS_COUNTER_MIN = 3,
  MS_COUNTER_MAX = 4, MS_COUNTER_LEN = 5,
  MS_PHASE_ID = 1, MS_PHASE_LABEL = 2, MS_PHASE_TS = 3, MS_PHASE_LEN = 4,
  MS_RES_TS = 1, MS_RES_PROCESS = 2, MS_RES_THREADS = 3, MS_RES_LEN = 4,
  MS_RES_RSS = 0, MS_RES_VSIZE = 1, MS_RES_MINFLT = 2, MS_RES_MAJFLT = 3, MS_RES_UTIME = 4,
  MS_RES_STIME = 5, MS_RES_READ = 6, MS_RES_WRITE = 7, MS_RES_VCSW = 8, MS_RES_IVCSW = 9,
  MS_RES_PROCESS_LEN = 10, MS_RES_OWN_FILE = 10, MS_RES_PROCESS_OWN_LEN = 11, /* (optional) */
  MS_RES_THREAD_TID = 0, MS_RES_THREAD_UTIME = 1, MS_RES_THREAD_STIME = 2,
  MS_RES_THREAD_LEN = 3,
  MS_MODULE_PATH = 1, MS_MODULE_BASE = 2, MS_MODULE_BUILD_ID = 3, MS_MODULE_TS = 4,
  MS_MODULE_LEN = 5,
  MS_BASE_THREAD = 1, MS_BASE_ENTRIES = 2, MS_BASE_LEN = 3,
};

/* Site flags. */
enum {
  /* Calls made by code that was not compiled with the pass (libc, libstdc++, any
   * library), caught by the runtime's malloc interposition.  One such site per api, with
   * no frames and the id MS_UNINSTRUMENTED_SITE_ID(api); its sampled allocations carry a
   * stack (MS_EV_STACK) that says where they came from. */
  MS_SITE_FLAG_UNINSTRUMENTED = 1,
};
#define MS_UNINSTRUMENTED_SITE_ID(api) (0x4d53554e494e0000ull | (unsigned long long)(api))

/* Events.  Every event is an array starting [kind, site_id, size, ptr, ts_ns]; realloc
 * appends [old_ptr, begin_ns]; a sampled allocation appends [weight, alignment]
 * (weight: float64, the number of allocations this sample stands for, 1/probability;
 * alignment: uint, 0 = the allocator's default).  Timestamps are CLOCK_MONOTONIC ns.
 *
 * In full mode every call is an event.  In sampled mode ALLOC events are the sampled
 * allocations (with their weight), FREE events are the frees of sampled blocks only,
 * and a realloc appears as a FREE of the old block (if it was sampled, at begin) and
 * an ALLOC of the new one (if sampled); exact totals come from COUNTERS records.
 * An allocation's time is taken after the allocator returned and a free's before it
 * was called, so across threads a block's free never sorts after the reuse of its
 * address; a realloc frees old_ptr at begin_ns and allocates ptr at ts_ns.
 * site_id 0 means "no known site". */
enum ms_event_kind {
  MS_EV_ALLOC = 1,   /* malloc/calloc: size = bytes requested, ptr = result (0 = failed) */
  MS_EV_FREE = 2,    /* free: size 0, ptr = argument (0 = free(NULL)) */
  MS_EV_REALLOC = 3, /* realloc(old_ptr, size) returned ptr (0 = failed, or freed when size 0) */
};
enum {
  MS_EV_KIND = 0, MS_EV_SITE = 1, MS_EV_SIZE = 2, MS_EV_PTR = 3, MS_EV_TS = 4,
  MS_EV_LEN = 5,
  MS_EV_OLD_PTR = 5, MS_EV_BEGIN_NS = 6, MS_EV_REALLOC_LEN = 7,
  MS_EV_WEIGHT = 5, MS_EV_ALIGN = 6, MS_EV_SAMPLED_LEN = 7,
  MS_EV_PHASE = 7, MS_EV_SAMPLED_PHASE_LEN = 8, /* [..., weight, alignment, phase] */
  /* [..., weight, alignment, phase (0: none), stack]: stack is an array of uint
   * instruction addresses, innermost first, each a return address (symbolize addr - 1):
   * the first is in the function that called the allocation function. */
  MS_EV_STACK = 8, MS_EV_SAMPLED_STACK_LEN = 9,
};

#endif
