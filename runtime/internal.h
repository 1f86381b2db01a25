/* libmemscope internals, grouped by the file that defines them.
 *
 * Rules for every file here: never call malloc or anything that may (stdio, most of
 * libc's formatting), take memory from os.c's mappings; reach the kernel only through
 * os.c (the ms_os_* functions below); nothing on the hot path (the hooks*.c entry points
 * and the inline recorder of record.h) may lock, use a shared atomic, make a syscall or
 * read a clock, except where an event is recorded (sampled, or full mode). */
#ifndef MEMSCOPE_RUNTIME_INTERNAL_H
#define MEMSCOPE_RUNTIME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

#include "clock.h"
#include "memscope/abi.h"
#include "memscope/event_codec.h"
#include "memscope/format.h"

#define MS_EXPORT __attribute__((visibility("default")))
#define MS_LIKELY(x) __builtin_expect(!!(x), 1)
#define MS_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- os.c: the only contact with the kernel -------------------------------------------
 * Every system call the runtime makes for itself is one of these (os.c says what is left
 * outside on purpose: the program's own mmap/munmap forwarded by the hooks, the loader,
 * pthread).  The clock is the one inline member: CLOCK_MONOTONIC nanoseconds, from the
 * TSC where it is invariant (~20 ns, no syscall), else through the vDSO (clock.h), only
 * read where an event needs its time (every event in full mode). */
static inline uint64_t ms_os_now_ns(void) { return ms_clock_now_ns(); }
/* The same, for a time read before the call it stamps (a free, a realloc's start). */
static inline uint64_t ms_os_before_ns(void) { return ms_clock_before_ns(); }
/* CLOCK_MONOTONIC_COARSE: the same clock at the kernel tick's resolution (1-4 ms), a
 * vDSO read of a few ns with no rdtsc: the allocation time of leaks mode's blocks. */
static inline uint64_t ms_os_coarse_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
/* Asymmetric fences (os.c): a frequent store-then-load on one side, a rare one on the
 * other.  The frequent side stores, calls ms_fence_light() and loads; the rare side
 * stores, calls ms_os_fence_heavy() (a membarrier: every running thread of the process
 * executes a full fence) and loads.  Then one of them sees the other's store. */
/* 1: membarrier registered and working (set at init and in a fork child; turned off for
 * good when a call fails later: os.c) */
extern int ms_asym_fences;
void ms_os_asym_fences_init(void);
void ms_os_fence_heavy(void);
static inline void ms_fence_light(void) {
  if (MS_LIKELY(__atomic_load_n(&ms_asym_fences, __ATOMIC_RELAXED)))
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* the compiler keeps the order */
  else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
/* Memory: anonymous private mappings. */
uint64_t ms_os_maps(void); /* mmap calls made since start (a test hook) */
void *ms_os_map(size_t size);             /* zeroed pages, NULL on failure */
void *ms_os_reserve(size_t size);         /* the same, pages taken only when touched */
void ms_os_discard(void *p, size_t size); /* back to zero pages (NULL: nothing) */
void *ms_os_reserve_inaccessible(size_t size); /* address space only (PROT_NONE), NULL */
int ms_os_make_rw(void *p, size_t size);  /* reserved pages usable: 0 or -errno */
void ms_os_unmap(void *p, size_t size);   /* NULL: nothing */
void *ms_os_remap(void *p, size_t old_size, size_t new_size); /* NULL on failure */
size_t ms_os_page_size(void);
/* Files and descriptors: every descriptor is close-on-exec; -errno on failure. */
int ms_os_write_all(int fd, const void *buf, size_t len);     /* 0 or -errno */
int ms_os_pwrite_all(int fd, const void *buf, size_t len, uint64_t off); /* 0 or -errno */
int ms_os_create_file(const char *path); /* O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW, 0600 */
int ms_os_open_rdwr(const char *path);   /* an existing file, O_RDWR|O_NOFOLLOW */
/* Space for [off, off + len) taken now (fallocate, or zeros written where the
 * filesystem has none), the file grown to cover it: 0, or -errno (-EFBIG past
 * RLIMIT_FSIZE, checked first so that no SIGXFSZ is raised). */
int ms_os_reserve_file(int fd, uint64_t off, uint64_t len);
/* A shared read-write mapping of [off, off + len) of fd, at `fixed` (replacing what is
 * there) or anywhere (NULL): the mapping, or NULL. */
void *ms_os_map_file(int fd, uint64_t off, size_t len, void *fixed);
void ms_os_populate(void *p, size_t len); /* a shared mapping's pages written in now */
/* [p, p + size) replaced by private zero pages (reserved only): 0 or -errno. */
int ms_os_zero_fixed(void *p, size_t size);
void ms_os_truncate(int fd, uint64_t len);
void ms_os_close(int fd);                /* < 0: nothing */
struct ms_os_file_id {
  uint64_t dev, ino;
};
int ms_os_file_id(int fd, struct ms_os_file_id *id); /* fstat: 0 or -errno */
/* fd moved to a high number (the original closed): just above the soft RLIMIT_NOFILE
 * when the hard limit allows and it is under `ceiling`, else as high as is free under
 * min(limit, ceiling); fd itself when nothing higher is free. */
int ms_os_move_fd_high(int fd, int ceiling);
#define MS_FD_CEILING 4096 /* never above: a huge limit would grow the fd table */
/* A whole (small) file into buf, NUL-terminated, at most cap - 1 bytes: the bytes read,
 * -1 when it cannot be opened.  A result of cap - 1 may mean the file is longer. */
ssize_t ms_os_read_file(const char *path, char *buf, size_t cap);
size_t ms_os_readlink(const char *path, char *buf, size_t cap); /* NUL-terminated, 0: none */
int ms_os_getcwd(char *buf, size_t cap);                         /* 0 or -errno */
/* The directory and its missing parents, as mkdir -p with mode 0700: 0 or -errno. */
int ms_os_make_dirs(const char *dir);
/* Processes, threads, time. */
uint64_t ms_os_getpid(void);
uint64_t ms_os_getppid(void);
int32_t ms_os_gettid(void);
int ms_os_thread_alive(int32_t tid);      /* 0 once the kernel no longer knows it */
void ms_os_read_task_comm(int32_t tid, char out[16]); /* another thread's name, "" */
void ms_os_thread_name(char out[16]);     /* calling thread's name, "" if unknown */
void ms_os_yield(void);
void ms_os_sleep_ns(uint64_t ns);
uint64_t ms_os_unix_ns(void);             /* CLOCK_REALTIME */
uint64_t ms_os_clock_ticks_per_s(void);   /* the unit of /proc's CPU times */
int ms_os_secure_exec(void);              /* AT_SECURE: setuid, setgid, capabilities */
const unsigned char *ms_os_exec_random(void); /* AT_RANDOM: 16 bytes, or NULL */
/* Signals.  Installs handler (SA_SIGINFO, SA_ONSTACK, nothing blocked) for sig only
 * while its disposition is the default: 1 when installed. */
int ms_os_signal_take_default(int sig, void (*handler)(int, siginfo_t *, void *));
/* Back to the default action for sig, and sig raised again when asked. */
void ms_os_signal_default(int sig, int raise_again);
/* Messages (no stdio: it may allocate). */
const char *ms_os_strerror(int err);      /* errno's description, signal-safe */
void ms_os_warn(const char *msg, const char *detail); /* one line on stderr */
/* "/proc/self/task/<tid>/<leaf>" into buf; 0 when it does not fit. */
int ms_os_task_path(char *buf, size_t cap, int32_t tid, const char *leaf);

/* ---- text.c: short strings in a fixed buffer (no malloc, no stdio) -------------- */
/* Appends s (or decimal v) to buf at *pos, bounded by cap; returns 0 when it did not fit. */
int ms_text_append_str(char *buf, size_t cap, size_t *pos, const char *s);
int ms_text_append_u64(char *buf, size_t cap, size_t *pos, uint64_t v);

/* ---- real_alloc.h: the allocator underneath (inline) ---------------------------- */
#include "real_alloc.h"

/* ---- wbuf.c: a growable byte buffer on mmap, the msgpack packer's sink ------------- */
struct ms_wbuf {
  char *data;
  size_t len;
  size_t cap;
  int failed; /* a growth failed: contents are incomplete, do not write them */
  int fixed;  /* data is caller memory (e.g. on the stack): never grow it */
};
/* A wbuf over caller memory, for records small enough for the stack. */
#define MS_WBUF_FIXED(array) {.data = (array), .len = 0, .cap = sizeof(array), .failed = 0, .fixed = 1}
int ms_wbuf_init(struct ms_wbuf *b, size_t cap);
void ms_wbuf_release(struct ms_wbuf *b);
int ms_wbuf_append(struct ms_wbuf *b, const void *data, size_t len);

/* ---- encode.c: msgpack encoding of the records of format.h into a wbuf ------------- */
/* One recorded event, as the slow paths report it (thread.c encodes it into the
 * thread's EVENTS chunk; leak_dump.c into msgpack). */
struct ms_event {
  uint64_t site_id;
  uint32_t slot;        /* the site's slot (site->index / 32): EVENTS chunks name it */
  uint64_t size;
  uint64_t ptr;
  uint64_t ts;
  uint64_t old_ptr;     /* realloc only */
  uint32_t kind;        /* enum ms_event_kind */
  uint32_t begin_delta; /* realloc only: ts - begin_ns, saturated */
  double weight;        /* sampled allocations: allocations this one stands for (1/p) */
  uint32_t align;       /* sampled allocations: requested alignment, 0 = default */
  uint32_t phase;       /* sampled allocations: memscope_phase() id current then, 0 = none */
  uint32_t nstack;      /* sampled allocations: frames in the thread's stack buffer
                         * (ms_thread_stack_room), or leak_dump's ... */
  uint32_t stack_at;    /* ... starting here */
};
/* Largest msgpack encoding of one event but for its stack's frames (9 bytes each, which
 * grow the buffer when there are any); leak_dump.c's buffers are sized with it. */
#define MS_EVENT_MAX_ENCODED 80
#define MS_RECORD_OVERHEAD 64

struct ms_process_meta {
  const char *program;
  uint64_t pid, ppid;
  const char *mode;
  const char *sampler;
  uint64_t sample_interval;
  uint64_t start_ns, start_unix_ns;
  const char *runtime_version;
  const char *const *args; /* the command line: nargs strings */
  uint32_t nargs;
  uint8_t args_truncated;  /* args is not the whole command line */
};
void ms_encode_header(struct ms_wbuf *b, const struct ms_process_meta *meta);
void ms_encode_site(struct ms_wbuf *b, const struct __memscope_site *site);
void ms_encode_thread(struct ms_wbuf *b, uint32_t index, int32_t os_tid, const char *name,
                      uint64_t start_ns, uint64_t end_ns, uint64_t dropped);
void ms_encode_events(struct ms_wbuf *b, uint32_t index, int32_t os_tid,
                      const struct ms_event *events, uint32_t n, const uint64_t *stacks);
void ms_encode_end(struct ms_wbuf *b, uint64_t end_ns, const char *reason);
struct ms_site_counter;
/* A BASE record of every non-zero slot of base[0..nslots) (nothing when all are 0). */
void ms_encode_base(struct ms_wbuf *b, uint32_t index, const struct ms_site_counter *base,
                    uint32_t nslots);
void ms_encode_phase(struct ms_wbuf *b, uint32_t id, const char *label, uint64_t ts);
struct ms_resource_thread {
  int32_t tid;
  uint64_t user_ns, system_ns;
};
struct ms_resource_sample {
  uint64_t ts;
  uint64_t process[MS_RES_PROCESS_OWN_LEN]; /* indexed by MS_RES_RSS ... MS_RES_OWN_FILE */
  uint32_t nthreads;
  struct ms_resource_thread *threads;
};
void ms_encode_resource(struct ms_wbuf *b, const struct ms_resource_sample *s);
void ms_encode_module(struct ms_wbuf *b, const char *path, uint64_t base, const char *build_id,
                      uint64_t ts);
struct ms_site_counter;
/* A COUNTERS record of every non-zero site slot of counters[0..nslots), with slot
 * MS_SLOT_RELEASES's calls as its realloc_releases. */
void ms_encode_counters(struct ms_wbuf *b, uint32_t index, int32_t os_tid, uint32_t seq,
                        const struct ms_site_counter *counters, uint32_t nslots);

/* ---- config.c: settings read once from the environment ----------------------------- */
/* MS_MODE_OFF: no session at start (memscope_start() may begin one, sampled). */
/* MS_MODE_LEAKS: every live block kept exactly (leak_table.c), no event stream. */
enum ms_mode { MS_MODE_OFF = 0, MS_MODE_SAMPLED = 1, MS_MODE_FULL = 2, MS_MODE_LEAKS = 3 };
enum ms_sampler_kind {
  MS_SAMPLER_ALL = 0,   /* full mode: every event */
  MS_SAMPLER_BYTES = 1, /* exponential byte countdown (default) */
  MS_SAMPLER_TIERED = 2 /* fixed size tiers with a hot-site boost (sampler.c) */
};
/* Mean bytes between samples: jemalloc's default (2^19), see docs/sampling.md. */
#define MS_DEFAULT_SAMPLE_INTERVAL (512u * 1024u)
/* Frames kept per stack: MEMSCOPE_STACK_DEPTH's maximum, and its defaults for sampled
 * mode and for the modes that record every allocation (full, leaks); why these:
 * docs/runtime.md, "Stacks".  Uninstrumented samples take at least
 * MS_UNINSTRUMENTED_STACK_DEPTH (sampler.c). */
#define MS_STACK_MAX 64
#define MS_SAMPLED_STACK_DEPTH 64
#define MS_EVERY_EVENT_STACK_DEPTH 16
#define MS_OUT_DIR_MAX 4096
struct ms_config {
  enum ms_mode mode;
  enum ms_sampler_kind sampler;
  uint64_t sample_interval;
  uint64_t resource_interval_ns; /* MEMSCOPE_RESOURCE_INTERVAL, 0 = no resource sampler */
  int uninstrumented;            /* MEMSCOPE_UNINSTRUMENTED: count uninstrumented code */
  uint32_t stack_depth;          /* MEMSCOPE_STACK_DEPTH: frames on instrumented samples */
  int signals;                   /* MEMSCOPE_SIGNALS: write what we can on a fatal signal */
  int seeded;                    /* MEMSCOPE_SEED was given: sampling is reproducible */
  uint64_t seed;                 /* MEMSCOPE_SEED */
  int clock_monotonic;           /* MEMSCOPE_CLOCK=monotonic: clock_gettime, not the TSC */
  int secure;                    /* AT_SECURE (setuid, setgid, capabilities): no variable
                                  * is read and no session starts by itself */
  char out_dir[MS_OUT_DIR_MAX];  /* absolute, resolved at start */
};
extern struct ms_config ms_config;
void ms_config_load(void);
const char *ms_mode_name(enum ms_mode mode);
const char *ms_sampler_name(enum ms_sampler_kind kind);

/* ---- output.c: the session's output file ---------------------------------------------
 * A container of chunks (format.h, version 2), created when the session starts
 * (O_EXCL, 0600, a random part in the name): the header region with its status block
 * mapped shared, then records appended to RECORDS chunks through their mappings (whole
 * records, `used` stored after each).  The descriptor is kept high and checked before
 * each use.  Safe from any thread; takes the output lock (never on the hot path). */
void ms_output_write(const struct ms_wbuf *b);
void ms_output_lock(void);
int ms_output_trylock(void); /* 1 when taken */
/* ms_output_lock for a recording: 0 (not taken) when a fork is under way (init.c's
 * ms_lock_unless_forking). */
int ms_output_lock_recording(void);
void ms_output_unlock(void);
int ms_output_write_locked(const struct ms_wbuf *b); /* caller holds the lock; 1: in the file */
/* Creates the session's file if it is not there yet: 0, or -errno (warned once). */
int ms_output_open_locked(void);
int ms_output_is_open_locked(void);
void ms_output_open_now(void); /* the same, taking the lock (init.c's ms_init_at_load) */
/* dir made absolute against the current directory: 0 or -errno. */
int ms_output_resolve_dir(const char *dir, char out[MS_OUT_DIR_MAX]);
void ms_output_after_fork_child(void);
/* Ends the file of a session (caller holds the lock): later writes go nowhere until
 * a session creates the next one. */
void ms_output_close_locked(void);
/* Set by the fatal-signal handler: the file is written to, never created, meanwhile. */
extern volatile int ms_output_in_signal;
/* Counts the files created: a thread's chunks and table belong to the file of the
 * generation it noted (a new session's file, a fork child's, is another). */
extern _Atomic uint32_t ms_output_gen;
/* Our descriptor for the open file (checked, reopened if the program took the number),
 * -1 when there is none.  Lock held. */
int ms_output_fd_locked(void);
/* The open file's status block (mapped), NULL when none: read lock-free. */
struct ms_file_status *ms_output_status(void);
/* One warning line naming the file, once per file (lock held). */
void ms_output_warn_locked(const char *what, int err);

/* ---- chunks.c: chunks of the output file, reserved then mapped ----------------------
 * A chunk of `size` bytes (a multiple of MS_CHUNK_ALIGN) at the file's cursor: space
 * reserved, the header written, [MS_CHUNK_ALIGN, size) of it filled from `init` (NULL:
 * zeros), [map_from, size) mapped shared at `fixed` (NULL: anywhere).  The mapping, or
 * NULL: no file, no room (the status block says so from then on), an error (warned).
 * Output lock held. */
void *ms_chunk_add_locked(uint16_t kind, uint32_t thread, int32_t os_tid, uint64_t seq,
                          uint32_t size, uint32_t map_from, void *fixed, const void *init,
                          uint64_t *at); /* *at: the chunk's offset in the file (NULL: not wanted) */
/* The header of the chunk at `at` rewritten (a TABLE chunk handed to another thread,
 * thread.c): through `mapped` (its first page, mapped; NULL: by pwrite).  1 when written. */
int ms_chunk_retag_locked(uint64_t at, void *mapped, uint16_t kind, uint32_t thread,
                          int32_t os_tid, uint64_t seq, uint32_t size);
int ms_chunks_full(void);  /* no room: the file takes no chunk any more */
/* Chunk headers refused since start: asked below MS_HEADER_REGION, unaligned or of a
 * size a reader cannot walk by (a runtime bug; warned once, never written). */
uint64_t ms_chunks_headers_refused(void);
/* Chunk headers retagged by pwrite since start (not through their mapping: thread.c). */
uint64_t ms_chunks_retags_by_pwrite(void);
/* Test hooks (thread.c): TABLE pieces written with their content by a pwrite; records
 * reserved (one mmap each: a table, its header page, frames and stack ids). */
uint64_t ms_threads_table_copies(void);
uint64_t ms_threads_records_reserved(void);
/* The session's file is being closed (no chunk is added to it after): the space its
 * last window reserved past its last chunk is given back, so that it ends there. */
void ms_chunks_trim_locked(int fd);
/* Tables are mapped page by page over their reserved memory: only where a page is a
 * chunk's alignment (4 KiB); elsewhere they stay in memory (COUNTERS at exit). */
int ms_page_size_ok(void);
void ms_chunks_reset(void); /* a new file */
/* The file's size as memscope has written it: the chunks' end, or past it the window
 * reserved ahead, whose pages are written in when it is mapped (the resource sampler's
 * own_file_bytes, so that write_bytes can leave them out).  Output lock held: the status
 * block it reads is unmapped when a session ends. */
uint64_t ms_chunks_file_bytes_locked(void);
/* Tests only: called between its load of the status block's address and its read. */
extern void (*ms_chunks_file_bytes_test_hook)(void);
/* A chunk's mapping let go by its owner (not the output lock): part of a window kept
 * mapped until its last chunk goes (chunks.c), else unmapped now. */
void ms_chunk_release(void *p, size_t size);
/* A fork child unmaps the parent's windows its threads' chunks kept mapped. */
void ms_chunks_after_fork_child(void);
void ms_chunks_note_lost(uint64_t events); /* events not stored for want of room */

/* ---- sites.c: registered site tables ------------------------------------------------ */
/* Encodes every registered site into b (output lock held: called when the file opens). */
void ms_sites_encode_all_locked(struct ms_wbuf *b);
/* Per-thread counters have MS_MAX_SITES slots; sites get the first MS_SITE_SLOTS, those
 * registered beyond share slot 0 (site id 0, "unknown") with calls from sites not yet
 * registered.  Slot 1 (MS_SLOT_RELEASES, thread.c) is the thread's, not a site's: sites
 * start at 2.  The last MEMSCOPE_INLINE_SLOTS_MAX + 1 slots are where the inline sites
 * of a shared-form module without slots count (abi.h, MEMSCOPE_UNREGISTERED_BASE):
 * never in the file, never read. */
#define MS_MAX_SITES MEMSCOPE_TABLE_SLOTS
#define MS_SITE_SLOTS (MS_MAX_SITES - MEMSCOPE_INLINE_SLOTS_MAX - 1)
_Static_assert(MEMSCOPE_UNREGISTERED_BASE / 32 + 1 == MS_SITE_SLOTS,
               "an unregistered module's first inline slot is the first one past the sites'");
uint32_t ms_sites_slots_in_use(void);           /* 1 + highest index given, at least 2 */
uint64_t ms_sites_id_of_index(uint32_t index);  /* 0 for slots 0 and 1 */
int ms_sites_index_is_free(uint32_t index);     /* a free-like site (free, delete, munmap) */

/* ---- thread.c: per-thread recording state ------------------------------------------- */
/* Exact per-site counts.  The minimum is kept as its complement so that zeroed memory
 * is a valid empty counter and both bounds update with a "greater than" test.  A
 * range reset for a new session is lo = MS_RANGE_EMPTY (every size widens it). */
struct ms_site_counter {
  uint64_t calls;
  uint64_t bytes;
  uint64_t lo;   /* smallest size (when calls > 0) */
  uint64_t span; /* largest size - lo */
};
#define MS_RANGE_EMPTY UINT64_MAX
/* Slot 1 of every thread's table counts, in its `calls`, the thread's realloc-like calls
 * (realloc, reallocarray, instrumented or interposed) that released a non-NULL old
 * block: that returned a block for it (moved or not), or freed it (size 0, glibc).  The
 * rest of the slot is unused.  With it, live blocks = allocations - frees - releases
 * exactly in every mode (a realloc site's calls count the blocks it returned, not the
 * ones it took back).  Written as the COUNTERS record's trailing element (format.h).
 *
 * Why a slot of the table and not elsewhere: the realloc fast path already holds the
 * table's address, so the count is one `add` to the table's first page, which the
 * thread has touched anyway (slot 0 and the first 126 sites), and it is a counter like
 * the others for every reader: copied with the table (stop, dump, snapshots, even of a
 * thread gone without its destructor), a session's part is minus `base`, a fork child's
 * table is zeroed.  A per-site field would grow every counter from 32 to 40 bytes (more
 * pages and cache lines on the malloc/free paths, for a realloc-only figure); a field of
 * the TLS state (struct ms_thread) costs the same add but is only readable through the
 * thread pointer, i.e. not for a thread gone without its destructor, and needs its own
 * reset on set-up, sessions and fork; one in struct ms_thread_rec costs a load more. */
#define MS_SLOT_RELEASES 1u
#define MS_SLOT_FIRST_SITE 2u

/* What other threads may read of a thread (stop, exit, snapshots): kept in the
 * runtime's own memory, never in the thread's TLS or stack, so that nothing points into
 * a thread's memory after it is gone.  Linked in the registry while the thread records;
 * the registry lock guards the links and the thread's release of it. */
#define MS_TABLE_PIECES_MAX 4
struct ms_thread_rec {
  struct ms_thread_rec *prev, *next;
  uint32_t index; /* 1, 2, ... in order of set-up */
  int32_t os_tid;
  uint64_t start_ns;
  /* Counts since the thread was set up, never reset while it lives: a session's counts
   * are these minus `base`, the counts when the session started (NULL: zero). */
  struct ms_site_counter *counters;
  struct ms_site_counter *base;
  uint32_t base_session;       /* the session `base` belongs to */
  _Atomic uint32_t joined;     /* the last session the thread recorded in */
  uintptr_t tp;                /* its thread pointer: where its inline headers are */
  _Atomic int64_t est_live;    /* sampled bytes allocated minus freed, weighted */
  _Atomic uint64_t dropped;    /* events dropped: the runtime was re-entered (a signal) */
  struct ms_site_counter *inline_shadow; /* full mode: where its inline headers point
                                          * (inline_tls.c), NULL until then */
  uint8_t born;                /* started by our pthread_create: exits through its
                                * destructor, so its TLS is valid while it is linked */
  _Atomic uint8_t reading_loader_list; /* in dl_iterate_phdr now (loader.c: a fork
                                        * waits) */
  char name[64];               /* memscope_set_thread_name(), "" = ask the kernel */
  /* Set by the thread (full mode) from its slow path's session check until its event
   * is stored: a stop or the exit waits for it to clear, so that counts and events
   * end at the same call (ms_threads_quiesce_locked). */
  _Atomic uint32_t in_event;
  /* Its table's pages [0, table_mapped) are a TABLE chunk's of file table_gen (0: none,
   * anonymous memory); registry lock. */
  uint32_t table_gen;
  uint32_t table_mapped;
  /* Where those chunks are in the file (their headers, for the next thread that takes
   * the table over: thread.c); table_pieces past MS_TABLE_PIECES_MAX: not all known. */
  struct {
    uint64_t at;
    uint32_t from, size;
  } table_piece[MS_TABLE_PIECES_MAX];
  uint32_t table_pieces;
  uint8_t table_kept; /* an ended thread's table, zeroed: the next taker retags it */
  uint8_t table_blank; /* just reserved, nothing counted in it: zeros (its owner's) */
  /* Kept for the next thread when its own ends (thread.c): a sample's frames, its
   * stack ids (emptied). */
  uint64_t *frames;
  struct ms_stack_ids *stack_ids;
};

struct ms_thread {
  /* Hot: the recorder's fast path touches only these. */
  struct ms_site_counter *counters; /* NULL: not recording (not set up, finished, off) */
  uint64_t sample_left;             /* bytes to the next sample point; an allocation of
                                     * at least this many takes the slow path (0: all) */
  uint8_t record_all;               /* full mode: every call is an event */
  volatile uint8_t busy;            /* inside the runtime's slow path: a re-entry (from
                                     * the runtime's own calls or a signal handler) is
                                     * not recorded */
  uint8_t finished;                 /* its destructors ran: never set up again */
  uint8_t born;                     /* started by our pthread_create */
  uint8_t disabled;                 /* memscope_thread_tracing(0) */
  uint8_t in_loader;                /* inside dlopen, dlclose or dl_iterate_phdr
                                     * (loader.c): no stack, the list lock may be held */
  /* Its EVENTS chunk (format.h): sampled events (all events in full mode) are encoded
   * straight into it, `used` stored after each. */
  uint8_t *ev_chunk;            /* mapped, NULL: none yet */
  uint32_t ev_size, ev_used;    /* its size, content bytes stored */
  uint32_t ev_next_size;        /* the next one's size (they grow) */
  uint32_t ev_gen;              /* the file (ms_output_gen) the chunks belong to */
  uint64_t ev_seq;              /* the next chunk's number in that file */
  struct ms_codec_state ev_state;
  uint64_t last_ts; /* the latest event time written: a thread's times never go back */
  struct ms_stack_ids *stack_ids; /* stacks already written in that file */
  uint64_t *frames;             /* a sample's stack, captured here (mapped on the first) */
  /* Cold, the owner's alone. */
  uint32_t session; /* the session it joined (its events go to that session's file) */
  uint64_t rng;     /* xorshift64* state of this thread's sampler */
  struct ms_site_counter *counters_mem; /* = rec->counters; counters is it or NULL */
  struct ms_thread_rec *rec;            /* NULL until set up */
  char name[64];    /* a name given before set-up */
  uint64_t dropped_early; /* events dropped before set-up (a signal during it) */
  /* libunwind's signal masks (stacks.c): while a capture has blocked every signal
   * itself, the mask to restore (else NULL), and libunwind's own sigprocmask calls in it,
   * skipped; unw_warm once a capture made few of them (its trace cache knows the paths).
   * unw_stepped: captures unwound step by step, before the thread's trace cache
   * (MS_UNW_STEP_CAPTURES). */
  const void *unw_mask_saved;
  uint32_t unw_mask_calls;
  uint8_t unw_warm;
  uint8_t unw_stepped;
};
/* A site's counters in a thread's table: the runtime gives each site, as its `index`,
 * the byte offset of its slot (slot * 32), which saves a shift on the hot path. */
static inline struct ms_site_counter *ms_site_counter(struct ms_site_counter *table,
                                                     const struct __memscope_site *site) {
  return (struct ms_site_counter *)((char *)table + site->index);
}
extern __thread struct ms_thread ms_self __attribute__((tls_model("initial-exec")));
/* The calling thread's thread pointer: where its static TLS (inline headers) is. */
static inline uintptr_t ms_thread_pointer(void) { return (uintptr_t)__builtin_thread_pointer(); }

/* The counters pointer, as the fast path reads it (only the owner writes it now; the
 * relaxed atomic keeps TSan quiet about the signal handler's reads). */
static inline struct ms_site_counter *ms_thread_counters(struct ms_thread *t) {
  return __atomic_load_n(&t->counters, __ATOMIC_RELAXED);
}
/* Sets the thread up on its first event of a session and joins new sessions; returns 0
 * when it does not record (no session, thread tracing off, finished, re-entered, out of
 * memory), having detached its counters and disarmed its inline headers.  The common
 * case (set up, in the session, not re-entered) is the inline test of ms_thread_ensure;
 * counters are NULL whenever the thread is finished or disabled. */
int ms_thread_ensure_slow(struct ms_thread *t);
/* Whether the calling thread is set up (it has counters for a free to count in). */
static inline int ms_thread_is_set_up(const struct ms_thread *t) { return t->rec != NULL; }
/* Encodes ev into the thread's EVENTS chunk (a new one when it has no room); an event
 * with a stack (nstack frames in ms_thread_stack_room) defines it first if new. */
void ms_thread_push_event(struct ms_thread *t, const struct ms_event *ev);
/* The same for an event already in the codec's terms (its op final, its times as read:
 * ts and begin_ns are moved up to the thread's last time here, e->ts too), with nstack
 * frames in ms_thread_stack_room (0: none).  Full mode's lane (full.h) calls it when
 * its inline store cannot: a stack, a new chunk, a session that ended. */
void ms_thread_push_item(struct ms_thread *t, struct ms_codec_event *e, uint32_t nstack);
/* Room for a stack of up to `frames` (at most MS_STACK_MAX) for the event pushed next,
 * MS_STACK_ROOM frames long (the unwinder writes there: ms_stack_capture); NULL: none. */
uint64_t *ms_thread_stack_room(struct ms_thread *t, uint32_t frames);
/* The calling thread's part of ending a session: thread record written (end_ns 0: it
 * goes on running), with a COUNTERS snapshot when `snapshot` (a stop) or when its table
 * is not all in the file (process exit, fatal signal: the table is the truth).  With
 * `rebase`, the session that begins as this one ends: the same snapshot is its base
 * (no call falls between).  Both locks held. */
void ms_thread_finish_session_locked(struct ms_thread *t, uint64_t end_ns, uint32_t rebase,
                                     int snapshot);
/* The calling thread ends now: what its destructor does (tests call it directly). */
void ms_thread_exit(struct ms_thread *t);
/* A pthread_create'd thread starts: its destructor is armed at once (thread_create.c). */
void ms_thread_born(void);
void ms_thread_init_process(void);    /* once, from runtime init */
void ms_thread_after_fork_child(void);
void ms_threads_lock(void); /* the registry, held across fork and session changes */
void ms_threads_unlock(void);
int ms_threads_trylock(void); /* 1 when taken */
/* Waits (registry lock held) until no other thread reads the loader's list, at most
 * timeout_ns (loader.c's fork). */
void ms_threads_wait_loader_readers_locked(uint64_t timeout_ns);
/* The kernel thread ids of the recording threads (up to max); how many were written. */
uint32_t ms_threads_tids(struct ms_resource_thread *out, uint32_t max);
/* Waits (a bounded time) until no other thread is between its session check and its
 * event's store; ms_session_closing set.  Registry lock held. */
void ms_threads_quiesce_locked(void);
/* A thread record (end 0) for every other thread that recorded in the session, with a
 * counters record as above (`snapshot`); `rebase` as above (0: none).  Both locks held. */
void ms_threads_write_running_locked(uint32_t rebase, int snapshot);
/* A BASE record for every thread whose base for `session` is not zero (the session's
 * file was just created).  Both locks held. */
void ms_threads_write_bases_locked(uint32_t session);
/* Sites up to slot `slots` are about to be given out: every table in the current file
 * is extended to cover them first (their new pages untouched).  Both locks held. */
void ms_threads_extend_tables_locked(uint32_t slots);
/* Tests only (tests/unit/runtime/test_thread_reuse.c): run on a thread just set up,
 * before it joins its session (no lock held, the thread busy).  NULL: nothing. */
extern void (*ms_thread_setup_test_hook)(void);
/* Tests only (the same file): run during set-up once the thread's record is in the
 * registry and before the thread holds it (no lock held, the thread busy). */
extern void (*ms_thread_setup_window_test_hook)(void);
/* Tests only (test_recording.c): run on a thread that has just joined a session, before
 * its first call announces itself (no lock held, the thread busy). */
extern void (*ms_thread_join_test_hook)(void);
/* Tests only: called by realloc's slow paths right after the allocator's realloc
 * returned, with the old block's address (a load per slow realloc). */
extern void (*ms_realloc_test_hook)(const void *old);
/* A new session begins (both locks held, before it is published): every set-up
 * thread's counts now become its base. */
void ms_threads_take_baselines_locked(uint32_t session);
/* Sums over the threads of the current session, for memscope_snapshot(). */
struct memscope_snapshot;
struct memscope_thread_counts;
size_t ms_threads_snapshot(struct memscope_snapshot *out, struct memscope_thread_counts *threads,
                           size_t max);
/* A call was neither counted nor recorded: the runtime was busy on this thread (a signal
 * handler's call), a fork held it up, or the thread could not be set up (no memory). */
static inline void ms_thread_note_dropped_n(struct ms_thread *t, uint64_t n) {
  if (t->rec) { /* its THREAD record says so */
    atomic_fetch_add_explicit(&t->rec->dropped, n, memory_order_relaxed);
    return;
  }
  /* No record (none could be made, or a signal came during the set-up): the file's
   * status block counts it for the process, since this thread may never get one. */
  struct ms_file_status *st = ms_output_status();
  if (st)
    __atomic_fetch_add(&st->dropped_calls, n, __ATOMIC_RELAXED);
  else
    t->dropped_early += n; /* (no file: moved to its record at set-up) */
}
static inline void ms_thread_note_dropped(struct ms_thread *t) { ms_thread_note_dropped_n(t, 1); }

/* ---- thread_create.c: pthread_create, interposed -------------------------------------
 * Threads the program starts get their destructor armed at once (so that a thread that
 * never allocated is never set up after its destructors ran) and a stack enlarged by
 * the static TLS our inline headers take from it. */
void ms_thread_create_init(void); /* runtime init: finds the real pthread_create */
void ms_thread_create_lock(void);   /* its free list, held across fork (taken last) */
void ms_thread_create_unlock(void);

/* ---- sampled_set.c: which live blocks were sampled --------------------------------
 * __memscope_free_filter[ms_filter_slot(p)] is non-zero when p may be a sampled block:
 * one load on every free.  The slot is the address's low 32 bits over 4 KiB
 * (MEMSCOPE_FILTER_SHIFT, abi.h), which inline frees compute with one `shld` into the
 * header's `disarmed` (a disarmed header reads the filter's second half, all set);
 * slot 0 is always set, so a NULL pointer takes the slow path.  In full mode every slot
 * is set, so every free does. */
extern uint8_t __memscope_free_filter[2 * MEMSCOPE_FILTER_HALF];
static inline uint32_t ms_filter_slot(uintptr_t p) { return (uint32_t)p >> MEMSCOPE_FILTER_SHIFT; }
/* A relaxed atomic load: the same single instruction as a plain one on x86, and no data
 * race with the compare-and-swap updates of sampled allocations on other threads. */
static inline int ms_maybe_sampled(uintptr_t p) {
  return __atomic_load_n(&__memscope_free_filter[ms_filter_slot(p)], __ATOMIC_RELAXED) != 0;
}
void ms_sampled_set_init(int every_free); /* every_free: full mode */
/* Bytes of address space per slot of the exact table (16 up to 4 KiB: sampled_set.c). */
uint32_t ms_sampled_set_slot_bytes(void);
/* Adds a sampled block standing for `est_bytes` (weight x size); 0 when the set is full. */
int ms_sampled_insert(uintptr_t p, int64_t est_bytes);
/* 1 when p was sampled (and is no more); *est_bytes is what it stood for. */
int ms_sampled_remove(uintptr_t p, int64_t *est_bytes);
/* The live set and the thread's live estimate together (sampler.c, full.c), t->busy
 * held: what a thread's blocks stand for, added and taken off by the thread that
 * allocates or frees them (only the owner writes r->est_live: a plain load and store, no
 * locked instruction; memscope_snapshot() sums every thread's).  In full mode the weight
 * is 1: the sum is the exact bytes live.  Inline: a call each was ~10 instructions of
 * every full-mode event. */
static inline void ms_est_add(struct ms_thread *t, int64_t est) {
  _Atomic int64_t *live = &t->rec->est_live;
  atomic_store_explicit(live, atomic_load_explicit(live, memory_order_relaxed) + est,
                        memory_order_relaxed);
}
/* p (not NULL) becomes live, standing for est bytes: 1 when the set keeps it. */
static inline int ms_live_insert(struct ms_thread *t, const void *p, int64_t est) {
  int kept = ms_sampled_insert((uintptr_t)p, est);
  if (kept) ms_est_add(t, est);
  return kept;
}
/* p is freed: 1 when the set had it. */
static inline int ms_live_remove(struct ms_thread *t, const void *p) {
  int64_t est = 0;
  int had = ms_sampled_remove((uintptr_t)p, &est);
  if (had) ms_est_add(t, -est);
  return had;
}
/* Leaks mode's record of a live block (leak_table.c). */
struct ms_leak {
  uintptr_t ptr;    /* 0: an empty slot */
  uint64_t size;
  uint64_t site_id;
  uint64_t ts;      /* ms_os_coarse_ns() when allocated */
  uint32_t thread;  /* the allocating thread's index */
  uint32_t stack;   /* leak_stacks.c's reference, 0: none */
};
void ms_leaks_insert(const struct ms_leak *b);
/* p leaves the table: 1 when it was live, its record then in *out (NULL: not wanted). */
int ms_leaks_take_out(uintptr_t p, struct ms_leak *out);
/* A realloc's old block leaves the live set (leaks mode: the live-block table) before
 * the call, as a free's does before it reaches the allocator: once the call returns, the
 * allocator may have handed that address to another thread, whose new block the set
 * would then lose (or swap weights with) when the old one is removed after the call.
 * `taken` 0: not done (no old block, not in the set's filter, or the thread busy or not
 * set up: the old block is removed after the call); 1: done, `had` whether the set kept
 * it, `est` what it stood for (leaks mode: `leak`, its record).  Costs nothing on the
 * fast paths: only realloc's slow paths come here. */
struct ms_realloc_old {
  int taken, had;
  int64_t est;
  struct ms_leak leak;
};
static inline void ms_realloc_take_old(struct ms_thread *t, const void *old,
                                       struct ms_realloc_old *o) {
  o->taken = o->had = 0;
  o->est = 0;
  if (!old || !t->rec || t->busy || !ms_maybe_sampled((uintptr_t)old)) return;
  t->busy = 1;
  if (ms_config.mode == MS_MODE_LEAKS) {
    o->had = ms_leaks_take_out((uintptr_t)old, &o->leak);
  } else {
    o->had = ms_sampled_remove((uintptr_t)old, &o->est);
    if (o->had) ms_est_add(t, -o->est);
  }
  t->busy = 0;
  o->taken = 1;
}
/* After the call: a failed call left the old block live, so it goes back.  1 when the
 * old block was taken before the call (the caller does not remove it again). */
static inline int ms_realloc_settle_old(struct ms_thread *t, const void *old, int released,
                                        const struct ms_realloc_old *o) {
  if (!o || !o->taken) return 0;
  if (!released && o->had && !t->busy) {
    t->busy = 1;
    if (ms_config.mode == MS_MODE_LEAKS)
      ms_leaks_insert(&o->leak);
    else
      ms_live_insert(t, old, o->est);
    t->busy = 0;
  }
  return 1;
}
/* A realloc made by a slow path: its old block out of the live set first, then the
 * allocator, then the tests' hook; ms_realloc_settle_old after.  The old block is gone
 * (`released`) when the call returned a block, or freed it (size 0, glibc). */
static inline void *ms_realloc_taking_old(struct ms_thread *t, void *old, size_t size,
                                          struct ms_realloc_old *o) {
  ms_realloc_take_old(t, old, o);
  void *p = ms_real_realloc(old, size);
  if (MS_UNLIKELY(ms_realloc_test_hook != NULL)) ms_realloc_test_hook(old);
  return p;
}
static inline int ms_realloc_released(const void *old, uint64_t size, const void *p) {
  return old && (p || size == 0);
}
/* Weighted bytes of sampled blocks freed by threads that have ended. */
extern _Atomic int64_t ms_est_live_of_ended_threads;

/* ---- leak_table.c: leaks mode's exact live blocks ----------------------------------
 * Inserted by every allocation and removed by every free of a recording thread, in
 * leaks mode only, with ms_self.busy set (a shard's spin lock is held meanwhile). */
/* (struct ms_leak, ms_leaks_insert, ms_leaks_take_out: above, with ms_realloc_old) */
int ms_leaks_remove(uintptr_t p); /* 1 when p was live */
uint64_t ms_leaks_live_bytes(void); /* exact, for memscope_snapshot() */
uint64_t ms_leaks_lost(void);       /* blocks not kept for want of memory */
/* Every live block, into a mapping of *mapped bytes (*out, to ms_os_unmap), emptying the
 * table; the count. */
size_t ms_leaks_take(struct ms_leak **out, size_t *mapped);
/* In a fork child (no lock of the table is held across fork): emptied. */
void ms_leaks_after_fork_child(void);
/* leak_stacks.c: distinct stacks, kept once; references are never 0 for a stack. */
uint32_t ms_leak_stack_intern(const uint64_t *frames, uint32_t n);
const uint64_t *ms_leak_stacks(void); /* frames of reference r start at [r] */
uint32_t ms_leak_stack_frames(uint32_t ref);
void ms_leak_stacks_after_fork_child(void); /* kept (not locked across fork) */
/* leak_dump.c: the live blocks as ALLOC events, at the end of a session (both locks
 * held); the table is empty after. */
void ms_leaks_write_locked(void);

/* ---- sampler.c: the sampling decision and the slow paths of record.h ----------------- */
void ms_sampler_seed(struct ms_thread *t, uint64_t seed);
/* Draws the distance to the next sample point: exponential with mean `mean` bytes, at
 * most MS_SAMPLE_LEFT_MAX (a countdown above it has wrapped around). */
#define MS_SAMPLE_LEFT_MAX ((uint64_t)INT64_MAX)
uint64_t ms_sampler_next_interval(uint64_t *rng, uint64_t mean);
/* Probability that the byte sampler picks an allocation of `size` bytes, and the weight
 * 1/p its sample carries. */
double ms_sampler_probability(uint64_t size, uint64_t mean);
double ms_sampler_tiered_probability(uint64_t size, uint64_t site_calls);
/* Whether an allocation of `size` is sampled: its weight (1/p), 0 when it is not; moves
 * the countdown *left (the thread's, or an inline module's). */
double ms_sample_choose(struct ms_thread *t, uint64_t *left, uint64_t site_calls, uint64_t size);
/* A sampled allocation of p (already counted). */
void ms_sample_record(struct ms_thread *t, const struct __memscope_site *site, uint64_t size,
                      const void *p, uint64_t align, double weight);
/* ms_sample_record in three parts, for callers that unwind from their own frame
 * (record.h, ms_sample_record_here), t->busy held by the caller throughout:
 * keep puts p in the live set (0: no event follows); room gives where its stack goes
 * and how deep (NULL: none); push stores the event, with nstack frames in the room. */
int ms_sample_keep(struct ms_thread *t, const void *p, uint64_t size, double weight);
uint64_t *ms_sample_stack_room(struct ms_thread *t, const struct __memscope_site *site,
                               uint32_t *depth);
void ms_sample_push(struct ms_thread *t, const struct __memscope_site *site, uint64_t size,
                    const void *p, uint64_t align, double weight, uint64_t ts,
                    uint32_t nstack);
void ms_record_failure(struct ms_thread *t, const struct __memscope_site *site, uint64_t size,
                       uint64_t align);
/* A free of p at ts (its event when the set had p); o: a realloc's old block, already
 * taken out of the set before the call (ms_realloc_take_old), or NULL. */
void ms_sample_free(struct ms_thread *t, const struct __memscope_site *site, const void *p,
                    uint64_t ts, const struct ms_realloc_old *o);
/* A free of p on a recording thread's slow path: counted in *calls (not when p is NULL),
 * and recorded when p may be sampled (every free in full mode). */
void ms_free_count(struct ms_thread *t, const struct __memscope_site *site, const void *p,
                   uint64_t *calls);
/* Leaks mode's slow paths, shorter than the sampling ones (no decision, no event): an
 * allocation of p (counted already) into the table; a free on a recording thread,
 * counted in *calls (not when p is NULL) and taken out of the table: 0 in other modes. */
void ms_leak_alloc(struct ms_thread *t, const struct __memscope_site *site, uint64_t size,
                   const void *p);
int ms_leak_free(struct ms_thread *t, const void *p, uint64_t *calls);
/* Leaks mode: a free (p, or a realloc's old block) that the thread does not record
 * still ends the block's life in the table. */
void ms_leak_forget(struct ms_thread *t, const void *p);
/* A size outside a counter's range so far: moves lo or span (record.h). */
void ms_count_widen(struct ms_site_counter *c, uint64_t size);
/* What the fast paths of record.h decline (not set up, sampled, full mode, failures),
 * on the calling thread: after the allocator returned p ... */
void ms_alloc_slow(const struct __memscope_site *site, uint64_t size, const void *p,
                   uint64_t align);
/* ... before the free ... */
void ms_free_slow(const struct __memscope_site *site, const void *p);
/* ... after a realloc-like call; begin from ms_begin_realloc(old) and o from
 * ms_realloc_take_old before it (o NULL: not taken). */
void ms_realloc_slow(const struct __memscope_site *site, const void *old, uint64_t size,
                     const void *p, uint64_t begin, const struct ms_realloc_old *o);
/* The same, making the call too. */
void *ms_malloc_slow(size_t size, const struct __memscope_site *site);
void ms_free_slow_then_free(void *p, const struct __memscope_site *site);
void *ms_widen_then_malloc(struct ms_site_counter *c, size_t size);
void *ms_realloc_slow_call(void *old, size_t size, const struct __memscope_site *site);

/* ---- inline_tls.c: the thread-local headers of inline sites (abi.h) ---------------- */
_Static_assert(sizeof(struct ms_site_counter) == sizeof(struct __memscope_tls_alloc),
               "an inline slot is a counter");
/* Table slots the inline sites of m need (its largest tls_slot / 32): 0 when it has
 * none, or tls_slots the pass does not make (the module is then never armed). */
uint32_t ms_inline_span(const struct __memscope_module *m);
/* m's inline sites count at (char *)table + delta + tls_slot: its local-exec headers
 * are armed so, a shared-form module's slot base is set to delta.  0 when it cannot be
 * kept (local-exec headers stay disarmed). */
int ms_inline_register(const struct __memscope_module *m, uint32_t delta);
/* The calling thread's headers: armed for the session it joins (not in full mode);
 * disarmed (every call to the slow path, counters kept: the table is still there);
 * reset: disarmed and pointing at the scratch (the table goes away: exit, fork). */
void ms_inline_arm_self(struct ms_thread *t);
void ms_inline_disarm_self(void);
void ms_inline_reset_self(void);
/* The calling thread set up and recording (h armed for it, unless in full mode): 1; 0
 * (h disarmed) when it does not record.  For the slow entries (inline_slow.c). */
int ms_inline_ready(struct ms_thread *t, struct __memscope_tls_header *h,
                    const struct __memscope_site *site);
/* Bytes of static TLS the inline headers take from every thread (thread_create.c). */
size_t ms_inline_tls_bytes(void);
/* Full mode: the inline calls r's thread made in the window of abi.h (a signal
 * handler's), counted in its shadow and not recorded: dropped events. */
uint64_t ms_inline_dropped(const struct ms_thread_rec *r);
/* The calls counted in the scratch (the window of abi.h on a header that points there: a
 * thread not set up yet, or one whose table went) and not yet claimed by any thread: now
 * claimed by the caller, who reports them dropped.  Process-wide, so exact in sum even
 * when two threads' windows overlap. */
uint64_t ms_inline_scratch_claim(void);
/* A countdown of the calling thread found wrapped, about to be overwritten: a window of
 * abi.h was taken on that header (no countdown is wrapped otherwise).  Reports the calls
 * the scratch holds that no thread reported (ms_inline_scratch_claim) as the thread's
 * dropped events; outside a session they belong to none and are only claimed.  Cold. */
void ms_inline_window_taken(struct ms_thread *t);
void ms_inline_rec_release(struct ms_thread_rec *r); /* its shadow unmapped */
void ms_inline_rec_clear(struct ms_thread_rec *r);   /* its shadow zeroed (fork child) */

/* ---- session.c: whether, and into which file, the process is tracing ---------------
 * A session is a file: it starts at process start (unless MEMSCOPE_MODE=off) or at
 * memscope_start(), and ends at memscope_stop() or exit.  Threads are never stopped
 * by another: each notices a new session (or none) in its own slow path, and what it
 * counted belongs to the session whose start and end snapshots enclose it (thread.c). */
extern _Atomic uint32_t ms_session_gen;  /* current or last session, 0 = none yet */
extern _Atomic int ms_session_on;
static inline int ms_tracing(void) { return atomic_load_explicit(&ms_session_on, memory_order_acquire); }
static inline uint32_t ms_session(void) {
  return atomic_load_explicit(&ms_session_gen, memory_order_acquire);
}
/* The calling thread is about to hold the runtime's locks outside a slow path (start,
 * stop, dump, snapshot): marked busy, so that a signal handler's allocation meanwhile
 * is dropped instead of waiting on those locks. */
static inline uint8_t ms_busy_begin(void) {
  uint8_t was = ms_self.busy;
  ms_self.busy = 1;
  return was;
}
static inline void ms_busy_end(uint8_t was) { ms_self.busy = was; }

/* Set while a stop, the exit or a fatal signal ends the session: full-mode threads
 * record nothing more (their slow paths see it after announcing their event:
 * ms_thread_ensure).  Other modes go on counting (a free counted on the fast path and
 * its allocation not counted would leave the table inconsistent). */
extern _Atomic int ms_session_closing;

/* thread.c's ms_thread_ensure, inline: the slow paths call it on every event.  In full
 * mode every call comes here, and the thread announces its event (a store and a
 * fence, light on this side: ms_fence_light, then the session checks): whoever ends the session sets
 * ms_session_closing first and then waits for the announcement to clear (the event
 * stored, ms_thread_push_event), so no call is counted without its event or the
 * reverse.  Other modes' counts are not events: no announcement. */
/* Its common case, no call: the event announced (full mode), then 1 when the thread is
 * set up and in the session, which is still open; 0 for ms_thread_ensure_slow to decide
 * (announcing again before it is harmless: the same store, the same fence). */
static inline int ms_thread_ready(struct ms_thread *t) {
  struct ms_thread_rec *r = t->rec;
  int announce = t->record_all && r;
  if (announce) { /* (the closer's side: ms_threads_quiesce_locked) */
    atomic_store_explicit(&r->in_event, 1, memory_order_relaxed);
    ms_fence_light();
  }
  /* The closing flag before the session (an acquire): a stop that ran whole since the
   * announcement's fence has cleared the flag again, and has turned the session off
   * before that, so a thread that reads the flag cleared then reads the session off.
   * (In the other order a thread could read the session on, then the flag cleared.) */
  return ms_thread_counters(t) && !t->busy &&
         !(announce && atomic_load_explicit(&ms_session_closing, memory_order_acquire)) &&
         t->session == ms_session() && ms_tracing();
}
static inline int ms_thread_ensure(struct ms_thread *t) {
  if (MS_LIKELY(ms_thread_ready(t))) return 1;
  int ok = ms_thread_ensure_slow(t);
  if (!ok && t->rec) atomic_store_explicit(&t->rec->in_event, 0, memory_order_release);
  return ok;
}
void ms_session_init(void);              /* runtime init: session 1 unless mode off */
int ms_session_start(const char *dir);   /* 0 or -errno */
/* 0, or -1 when none was running; the calling thread's record ends at end_ns (0: runs on) */
int ms_session_stop(const char *reason, uint64_t end_ns);
/* Phases (memscope_phase): the current id, labels interned once, written to the file. */
extern _Atomic uint32_t ms_current_phase;
uint32_t ms_phase_intern(const char *label);
void ms_phases_encode_all_locked(struct ms_wbuf *b);

/* ---- init.c: process lifecycle ------------------------------------------------------ */
extern struct ms_process_meta ms_process;
/* The arguments of a command line in /proc/self/cmdline's form (each ends in a NUL; the
 * last may not) in buf[0..len), buf[len] == 0: pointers into buf for at most max of
 * them, into args; returns how many.  `whole`: buf holds all of the file; otherwise an
 * argument that runs to len is cut and left out.  *truncated is set when any is left
 * out. */
uint32_t ms_command_line_split(const char *buf, size_t len, int whole, const char **args,
                               uint32_t max, uint8_t *truncated);
void ms_runtime_init(void); /* idempotent; every entry point's slow path calls it */
/* For a lock that the fork handlers hold across fork (the registry, the output) taken by
 * a recording: 1 when taken; 0, not taken, when glibc's part of a fork under way has
 * lasted 500 ms (init.c), and at once for a thread that already gave up in that fork.
 * A recording may be a signal handler's on a thread inside malloc, and glibc's fork
 * waits for that thread's arena lock after the handlers ran: waiting for the fork there
 * never ends.  The caller drops what it was recording and says so. */
int ms_lock_unless_forking(void *pthread_mutex);
/* Tests only (tests/unit/runtime/test_recording.c): run by the fork's prepare handler
 * once it holds every lock and glibc's part is about to start.  NULL: nothing. */
extern void (*ms_fork_test_hook)(void);
int ms_runtime_ready(void);

/* ---- resource.c: the resource sampler thread (MEMSCOPE_RESOURCE_INTERVAL) -------- */
/* Starts it once per process; never from a call that may be a signal handler's: the
 * constructor, memscope_start(), a fork child's atfork handler (resource.c). */
void ms_resource_ensure_started(void);
void ms_resource_sample_now(void);      /* one RESOURCE record, from any thread */
void ms_resource_after_fork_child(void);
void ms_resource_lock(void); /* its table, held across fork (taken before the others) */
void ms_resource_unlock(void);

/* ---- modules.c: loaded images (MODULE records) ------------------------------------ */
void ms_modules_encode_all(struct ms_wbuf *b); /* every image now (file opening) */
void ms_modules_check(void);                   /* writes them again if any came or went */

/* ---- stack_ids.c: a thread's stacks in its EVENTS stream, written once each ---------- */
struct ms_stack_ids;
/* The id of the stack frames[0..n) of an event at the site in `slot` (created when
 * needed: NULL *ids); *is_new when the caller must write its STACK item first.  0: no
 * memory. */
uint64_t ms_stack_id(struct ms_stack_ids **ids, uint32_t slot, const uint64_t *frames,
                     uint32_t n, int *is_new);
void ms_stack_ids_release(struct ms_stack_ids **ids);
void ms_stack_ids_clear(struct ms_stack_ids *ids); /* empty, ids from 1 again (NULL: nothing) */
size_t ms_stack_ids_bytes(void); /* what one takes (thread.c reserves it with a record) */
/* A stack's hash, for the tables that intern stacks (stack_ids.c, leak_stacks.c). */
static inline uint64_t ms_hash_frames(const uint64_t *frames, uint32_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  for (uint32_t i = 0; i < n; i++) {
    h ^= frames[i];
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  return h;
}

/* ---- stacks.c: call stacks of sampled allocations (libunwind, loaded at start) ----- */
void ms_stacks_init(void);     /* from ms_init_at_load only (dlopen) */
void ms_stacks_thread_start(void); /* a new thread, before its start routine */
int ms_stacks_available(void);
/* unwind_pool.c: libunwind's trace caches reused across threads (its mmap and munmap) */
void ms_unwind_pool_init(void);
void *ms_unwind_pool_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int ms_unwind_pool_munmap(void *addr, size_t len);
uint64_t ms_unwind_pool_caches(void); /* trace caches libunwind asked for (tests) */
/* A thread's first captures unwound step by step, no trace cache (stacks.c). */
#define MS_UNW_STEP_CAPTURES 16u
/* Return addresses of the calling code, innermost first, the runtime's frames left out:
 * at most max of them at the start of room, which holds MS_STACK_ROOM frames (libunwind
 * writes there, the runtime's frames with them).  Out of line: the unwind goes through
 * this function's frame too (ms_stack_take does not). */
#define MS_RUNTIME_FRAMES_MAX 16u /* runtime frames on top of a stack, at most */
/* A thread's frame buffer (thread.c, kept with its record): a capture's return addresses
 * (MS_STACK_MAX and the runtime's frames on top), then, from MS_FRAMES_SCRATCH_AT, the
 * context and cursor of a step-by-step unwind (stacks.c), which on the stack took 2 KiB
 * more of it: a new page for each thread, a fault (~20-40 us on the test VM). */
#define MS_FRAMES_BYTES 4096u
#define MS_FRAMES_SCRATCH_AT 1024u
_Static_assert((MS_STACK_MAX + MS_RUNTIME_FRAMES_MAX) * sizeof(uint64_t) <= MS_FRAMES_SCRATCH_AT,
               "frames fit before the scratch");
#define MS_STACK_ROOM (MS_STACK_MAX + MS_RUNTIME_FRAMES_MAX)
uint32_t ms_stack_capture(uint64_t *room, uint32_t max);
/* The halves of a capture around libunwind's call, so that the call can be made from the
 * caller's own frame (ms_stack_take): begin gives the unwinder (NULL: no stack now) and
 * how many frames to ask it for; end takes the runtime's frames out of what it gave. */
typedef int (*ms_backtrace_fn)(void **buffer, int size);
ms_backtrace_fn ms_stack_begin(uint32_t *max, uint32_t *want);
uint32_t ms_stack_end(uint64_t *room, int n, uint32_t max);
/* ms_stack_capture made from the calling function's frame, into which it is inlined: a
 * frame that libunwind walks through costs ~80 instructions and a chain of dependent
 * loads (its trace cache's slot, then the return address: ~10 ns), for nothing, since
 * the runtime's frames are left out.  A thread whose unwinds do not find their frames in
 * libunwind's trace cache yet takes the out-of-line path, which blocks signals around
 * the whole unwind (stacks.c). */
static inline __attribute__((always_inline)) uint32_t ms_stack_take(struct ms_thread *t,
                                                                    uint64_t *room,
                                                                    uint32_t max) {
  if (MS_UNLIKELY(!t->unw_warm)) return ms_stack_capture(room, max);
  uint32_t want = 0;
  ms_backtrace_fn fn = ms_stack_begin(&max, &want);
  if (!fn) return 0;
  return ms_stack_end(room, fn((void **)room, (int)want), max);
}

/* ---- loader.c: when the loader's list of modules may be read; dlopen, dlclose ------ */
int ms_loader_list_enter(void); /* 1: read it now, then ms_loader_list_leave; 0: not now */
void ms_loader_list_leave(void);
/* Fork (registry lock held): readers under way are waited for, no new one starts. */
void ms_loader_fork_prepare(void);
void ms_loader_fork_parent(void);
void ms_loader_fork_child(void);

/* ---- signals.c: note a fatal signal in the file, then die as before ---------------- */
void ms_signals_install(void);

#endif

/* Every runtime function goes to one section, so that stacks can leave out our frames
 * (stacks.c): after every declaration, so each runtime file's definitions are in it.
 * gcc has no such pragma: runtime/CMakeLists.txt renames its objects' text sections. */
#ifdef __clang__
#pragma clang section text = "memscope_text"
#endif
