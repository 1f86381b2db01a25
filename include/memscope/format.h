/* The memscope record format: the one definition shared by the runtime (writer) and
 * memscope-merge (reader).  docs/format.md describes it in prose; keep them in step.
 *
 * A file is a sequence of msgpack objects.  The first is the header array
 *   ["memscope", MS_FORMAT_VERSION, {meta map}]
 * and every later object is a record array whose element 0 is an enum ms_record.
 * Writers append whole records with one write(2) each, so a file cut short (crash,
 * full disk) is readable up to its last complete record.  Readers skip record types
 * they do not know (forward compatibility within a version); a new version number
 * means an incompatible change. */
#ifndef MEMSCOPE_FORMAT_H
#define MEMSCOPE_FORMAT_H

#define MS_FORMAT_MAGIC "memscope"
#define MS_FORMAT_VERSION 1

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
#define MS_FILE_SUFFIX ".msgpack"

enum ms_record {
  /* [MS_REC_SITE, site_id, api, frames, flags]
   *   frames: array of [function|nil, file|nil, line, column], innermost first;
   *   flags (optional, 0 when absent): MS_SITE_FLAG_* */
  MS_REC_SITE = 1,
  /* [MS_REC_THREAD, thread, os_tid, name|nil, start_ns, end_ns, dropped]
   *   written when a thread ends (end_ns 0 when written at process exit while running);
   *   dropped (optional, 0 when absent): events the thread did not record because the
   *   runtime was busy on it (a signal handler allocating inside an allocation) */
  MS_REC_THREAD = 2,
  /* [MS_REC_EVENTS, thread, os_tid, events]
   *   events: array of event arrays, in the thread's program order (see ms_event_kind) */
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
   * A thread writes a snapshot when it flushes and when it ends, and the exiting
   * process writes one for each thread still running; a reader keeps, per thread, the
   * snapshot with the highest seq. */
  MS_REC_COUNTERS = 5,
  /* [MS_REC_PHASE, id, label, ts]: memscope_phase() named phase `id` (from 1); sampled
   * allocations carry the id of the phase current when they happened */
  MS_REC_PHASE = 6,
  /* [MS_REC_RESOURCE, ts, process, threads]: one tick of the resource sampler
   * (MEMSCOPE_RESOURCE_INTERVAL).  process: [rss_bytes, vsize_bytes, minor_faults,
   * major_faults, user_ns, system_ns, read_bytes, write_bytes, voluntary_switches,
   * involuntary_switches] (cumulative since the process started, but rss and vsize);
   * threads: array of [os_tid, user_ns, system_ns] for the threads recording then. */
  MS_REC_RESOURCE = 7,
  /* [MS_REC_MODULE, path, base, build_id, ts]: a loaded ELF image (the program, its
   * libraries, dlopen'ed ones): path as the loader knows it ("" for the program: see the
   * header's program), load bias, GNU build-id as lowercase hex ("" when none).  Every
   * loaded image when the file opens, and again whenever images were loaded or unloaded
   * since (checked at each flush); readers key them by (path, base). */
  MS_REC_MODULE = 8,
};

/* Record field positions, shared so writer and reader cannot disagree. */
enum {
  MS_SITE_ID = 1, MS_SITE_API = 2, MS_SITE_FRAMES = 3, MS_SITE_LEN = 4,
  MS_SITE_FLAGS = 4, MS_SITE_FLAGS_LEN = 5,
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
  MS_RES_PROCESS_LEN = 10,
  MS_RES_THREAD_TID = 0, MS_RES_THREAD_UTIME = 1, MS_RES_THREAD_STIME = 2,
  MS_RES_THREAD_LEN = 3,
  MS_MODULE_PATH = 1, MS_MODULE_BASE = 2, MS_MODULE_BUILD_ID = 3, MS_MODULE_TS = 4,
  MS_MODULE_LEN = 5,
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
