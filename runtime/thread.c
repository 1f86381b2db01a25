/* Per-thread recording state.
 *
 * Two parts.  The hot part lives in initial-exec TLS (struct ms_thread, one
 * segment-relative access) and is touched by its owner only.  What other threads read
 * (a stop, the exit, a snapshot, a fatal signal) is a record (struct ms_thread_rec) in
 * the runtime's own memory, linked in the registry: nothing ever points into a thread's
 * TLS or stack, so a thread that is gone cannot be read through a stale pointer.
 *
 * On the thread's first event it takes from mmap its counters: MS_MAX_SITES slots of
 * 32 bytes reserved (8 MiB of address space, MAP_NORESERVE); slot 1 counts its realloc
 * releases (MS_SLOT_RELEASES), handled as the sites' slots are (base, fork, exit).
 *
 * Nothing waits in memory to be written (format.h, version 2):
 *   - the slots in use are the file's: TABLE chunks mapped shared over the table's
 *     reserved address space (MAP_FIXED), so every count is in the file the moment it
 *     is made, by the same instructions as before (the hot path does not change).  A
 *     thread moves its table into each session's file when it joins it (a copy, then
 *     the mapping); sites registered later extend every table first (sites.c);
 *   - events are encoded (event_codec.h) straight into the thread's current EVENTS
 *     chunk, `used` stored after each: small chunks first (threads with few events
 *     reserve little), growing to MS_EVENTS_MAX.
 * So a SIGKILL, the OOM killer, exit with threads running or a crash loses nothing a
 * thread completed.  All of it goes back when the thread ends, so 20,000 short-lived
 * threads cost no more than the ones alive at once.
 *
 * Sessions without stopping anyone.  A thread's counts (its table, where its inline
 * sites count too) only grow while it lives.  When a session starts, the starter copies every
 * set-up thread's counts into that thread's `base`; what the thread counted in the
 * session is its counts minus its base, computed whenever it is written.  So a call is
 * in the session whose start and end snapshots enclose it, in exactly one, however the
 * threads race with memscope_start/memscope_stop, and no thread ever writes into
 * another's memory.  Each thread notices a new session (or none) in its own slow path:
 * it drops events buffered for an older one, empties the size ranges of sites it has
 * not called in the new one, and (no session) stops counting.
 *
 * Thread exit: a pthread key's destructor writes the thread's counts and thread record
 * and unlinks it.  It re-arms itself until the next-to-last destructor round, so
 * allocations made by other keys' destructors are still counted; after it the thread is
 * `finished` and is never set up again.  Threads started by pthread_create are born
 * with the destructor armed (thread_create.c), so even one that never allocated is
 * finished before glibc's last clean-up (whose free(NULL) used to set it up again). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "internal.h"
#include "memscope.h"

#define MS_COUNTERS_BYTES ((size_t)MS_MAX_SITES * sizeof(struct ms_site_counter))
/* The counters are reserved with one page before them: the header page of the table's
 * first TABLE chunk, mapped with it (one mmap), so that the next thread to take the
 * table over retags it with two stores instead of an fstat and a pwrite. */
#define MS_TABLE_HEAD ((size_t)MS_CHUNK_ALIGN)
#define MS_TABLE_SPAN (MS_TABLE_HEAD + MS_COUNTERS_BYTES) /* what a table reserves */
/* The start of a table's reservation: its first chunk's header page. */
static char *table_head(struct ms_site_counter *counters) {
  return (char *)counters - MS_TABLE_HEAD;
}
/* EVENTS chunks: the first is one page, each next twice the last, up to 1 MiB in full
 * mode (every call an event: ~1 new chunk per 100,000 events) and 64 KiB otherwise. */
#define MS_EVENTS_FIRST MS_CHUNK_ALIGN
#define MS_EVENTS_MAX_FULL (1u << 20)
#define MS_EVENTS_MAX_SAMPLED (64u << 10)
/* Table chunks added for sites registered later cover at least this much. */
#define MS_TABLE_GRANULE (16u << 10)
_Static_assert(MS_STACK_MAX <= MS_ITEM_STACK_MAX, "a stack fits one STACK item");
/* Records are carved from mappings of this size and reused, never unmapped. */
#define MS_REC_CHUNK_BYTES (64u * 1024u)

__thread struct ms_thread ms_self __attribute__((tls_model("initial-exec")));
static __thread uint8_t destructor_rounds __attribute__((tls_model("initial-exec")));

static pthread_key_t thread_key;
static _Atomic uint32_t next_thread_index = 1;
_Atomic int64_t ms_est_live_of_ended_threads;

/* The registry: records of set-up threads, and the free records to reuse: bare ones, and
 * idle ones (an ended thread's, with its table and buffers, for the next thread). */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ms_thread_rec *registry;
static struct ms_thread_rec *free_recs;
static struct ms_thread_rec *idle_recs;
static uint32_t idle_count;
/* Idle records kept at most (each: a table's pages, a page of frames, a page of stack
 * ids; 8 MiB of address space): past it an ended thread's are given back. */
#define MS_IDLE_RECS_MAX 1024u
/* A thread's COUNTERS and THREAD records are encoded here (output lock). */
static struct ms_wbuf own_buf;
/* A thread's counts in the current session, computed for encoding (output lock). */
static struct ms_site_counter *session_counts;
/* COUNTERS records carry increasing numbers in the order they are written (output
 * lock), so the newest snapshot of a thread is the one with the highest, whoever wrote
 * it: the thread itself, a dump, a stop. */
static uint32_t counters_seq;

void ms_threads_lock(void) { pthread_mutex_lock(&registry_lock); }
void ms_threads_unlock(void) { pthread_mutex_unlock(&registry_lock); }
int ms_threads_trylock(void) { return pthread_mutex_trylock(&registry_lock) == 0; }

void ms_threads_wait_loader_readers_locked(uint64_t timeout_ns) {
  /* (not this thread: a fork from a signal handler may have interrupted its own read) */
  const struct ms_thread_rec *mine = ms_self.rec;
  uint64_t until = ms_os_now_ns() + timeout_ns;
  for (const struct ms_thread_rec *r = registry; r; r = r->next)
    while (r != mine && atomic_load_explicit(&r->reading_loader_list, memory_order_acquire) &&
           ms_os_now_ns() < until)
      ms_os_sleep_ns(20000);
}

/* ---- records ------------------------------------------------------------------------ */

/* A record for a new thread: an idle one if there is one (its table zeroed, its
 * buffers kept), else a bare one. */
static struct ms_thread_rec *rec_take_locked(void) {
  struct ms_thread_rec *r = idle_recs;
  if (r) {
    struct ms_thread_rec keep = *r;
    idle_recs = r->next;
    idle_count--;
    memset(r, 0, sizeof *r);
    r->counters = keep.counters;
    r->base = keep.base;
    r->table_gen = keep.table_gen;
    r->table_mapped = keep.table_mapped;
    memcpy(r->table_piece, keep.table_piece, sizeof r->table_piece);
    r->table_pieces = keep.table_pieces;
    r->table_kept = keep.table_kept;
    r->frames = keep.frames;
    r->stack_ids = keep.stack_ids;
    return r;
  }
  if (!free_recs) {
    size_t n = MS_REC_CHUNK_BYTES / sizeof(struct ms_thread_rec);
    struct ms_thread_rec *chunk = ms_os_map(MS_REC_CHUNK_BYTES);
    if (!chunk) return NULL;
    for (size_t i = 0; i < n; i++) {
      chunk[i].next = free_recs;
      free_recs = &chunk[i];
    }
  }
  r = free_recs;
  free_recs = r->next;
  memset(r, 0, sizeof *r);
  return r;
}

static void registry_add_locked(struct ms_thread_rec *r) {
  r->prev = NULL;
  r->next = registry;
  if (registry) registry->prev = r;
  registry = r;
}

static void rec_unlink_locked(struct ms_thread_rec *r) {
  if (r->prev)
    r->prev->next = r->next;
  else if (registry == r)
    registry = r->next;
  if (r->next) r->next->prev = r->prev;
  atomic_fetch_add_explicit(&ms_est_live_of_ended_threads,
                            atomic_load_explicit(&r->est_live, memory_order_relaxed),
                            memory_order_relaxed);
  r->prev = r->next = NULL;
}

/* r's memory back to the system, r to the bare records (registry lock held; r is
 * unlinked and its thread no longer uses its counters). */
static void rec_free_locked(struct ms_thread_rec *r) {
  if (r->counters)
    ms_os_unmap(table_head(r->counters), MS_TABLE_SPAN);
  ms_os_unmap(r->base, MS_COUNTERS_BYTES);
  ms_os_unmap(r->frames, MS_FRAMES_BYTES);
  ms_stack_ids_release(&r->stack_ids);
  ms_inline_rec_release(r);
  memset(r, 0, sizeof *r);
  r->next = free_recs;
  free_recs = r;
}

/* Unlinks r and gives its memory back (registry lock held; r's thread no longer uses
 * its counters). */
static void rec_release_locked(struct ms_thread_rec *r) {
  rec_unlink_locked(r);
  rec_free_locked(r);
}

/* Whether r's thread is still there (its name may be asked of the kernel, its record
 * is kept).  A thread started by our pthread_create unlinks itself from its destructor:
 * linked means alive.  Another thread (one the runtime did not see start) could have
 * been set up after its destructors ran: ask the kernel. */
static int rec_alive(const struct ms_thread_rec *r) {
  return r->born || r->tp == ms_thread_pointer() || ms_os_thread_alive(r->os_tid);
}

/* ---- counts of a session ------------------------------------------------------------ */

/* r's cumulative counts (its inline sites' among them) into out[0..slots). */
__attribute__((no_sanitize("thread"))) static void cumulative_counts(
    const struct ms_thread_rec *r, struct ms_site_counter *out, uint32_t slots) {
  memcpy(out, r->counters, (size_t)slots * sizeof *out);
}

/* r's counts in the current session into session_counts (output lock held); returns the
 * number of sites it called.  With `rebase` (a session that begins now, as this one
 * ends), the same snapshot becomes r's base for it, so that each call falls in exactly
 * one of the two. */
static uint32_t session_view_locked(struct ms_thread_rec *r, uint32_t slots, uint32_t rebase) {
  if (!session_counts) return 0; /* (reserved at start: ms_thread_init_process) */
  struct ms_site_counter *v = session_counts;
  cumulative_counts(r, v, slots);
  const struct ms_site_counter *base = r->base && r->base_session == ms_session() ? r->base : NULL;
  if (rebase && !r->base) r->base = ms_os_reserve(MS_COUNTERS_BYTES);
  struct ms_site_counter *next = rebase ? r->base : NULL;
  uint32_t used = 0;
  for (uint32_t i = 0; i < slots; i++) {
    uint64_t calls = v[i].calls, bytes = v[i].bytes;
    if (base) {
      v[i].calls -= base[i].calls;
      v[i].bytes -= base[i].bytes;
    }
    if (next) {
      next[i].calls = calls;
      next[i].bytes = bytes;
    }
    if (v[i].lo == MS_RANGE_EMPTY) v[i].lo = v[i].span = 0; /* caught mid-update */
    used += v[i].calls != 0;
  }
  if (next) r->base_session = rebase;
  return used;
}

/* session_counts, as left by session_view_locked, as r's COUNTERS record: 1 when it is
 * in the file.  (No view, when its 8 MiB could not be mapped, not even at start, under
 * an address-space limit: 0, as for a write that failed.) */
static int write_counters_locked(const struct ms_thread_rec *r, struct ms_wbuf *b) {
  if (!session_counts) return 0;
  uint32_t slots = ms_sites_slots_in_use();
  b->len = 0;
  b->failed = 0;
  ms_encode_counters(b, r->index, r->os_tid, ++counters_seq, session_counts, slots);
  return ms_output_write_locked(b);
}

/* A thread's name: the one given to memscope_set_thread_name(), else the kernel's (read
 * from /proc for another thread: stop and exit paths only). */
static void thread_name(const struct ms_thread_rec *r, char name[64]) {
  memset(name, 0, 64);
  if (r->name[0]) {
    memcpy(name, r->name, 63);
    return;
  }
  if (r->tp == ms_thread_pointer()) {
    ms_os_thread_name(name);
    return;
  }
  ms_os_read_task_comm(r->os_tid, name);
}

static void write_thread_record_locked(const struct ms_thread_rec *r, struct ms_wbuf *b,
                                       uint64_t end_ns) {
  char name[64];
  thread_name(r, name);
  uint64_t dropped = atomic_load_explicit(&r->dropped, memory_order_relaxed) + ms_inline_dropped(r);
  b->len = 0;
  b->failed = 0;
  ms_encode_thread(b, r->index, r->os_tid, name, r->start_ns, end_ns, dropped);
  ms_output_write_locked(b);
}

/* ---- set-up, sessions, exit --------------------------------------------------------- */

/* Finishes in the next-to-last round: late enough for most other keys' destructors, and
 * before the last round, where sanitizer runtimes tear down their own thread state. */
static void thread_key_destructor(void *unused);

void ms_thread_init_process(void) {
  pthread_key_create(&thread_key, thread_key_destructor);
  /* The stops' and snapshots' view, reserved now (address space only until a stop): a
   * program that lowers its RLIMIT_AS later may leave no room for it then. */
  session_counts = ms_os_reserve(MS_COUNTERS_BYTES);
}

void ms_thread_born(void) {
  ms_self.born = 1;
  pthread_setspecific(thread_key, &ms_self); /* any non-NULL value arms the destructor */
}

/* The thread's EVENTS chunk is let go: what it stored stays in the file. */
static void events_drop(struct ms_thread *t) {
  ms_chunk_release(t->ev_chunk, t->ev_size);
  t->ev_chunk = NULL;
  t->ev_size = t->ev_used = 0;
}

/* Its events start afresh (a new file: numbering, sizes and stack ids too). */
static void events_reset(struct ms_thread *t) {
  events_drop(t);
  t->ev_next_size = MS_EVENTS_FIRST;
  t->ev_gen = 0;
  t->ev_seq = 0;
  ms_stack_ids_clear(t->stack_ids);
}

/* The thread's buffers go to its record, for the next thread that takes it. */
static void own_buffers_to_rec(struct ms_thread *t, struct ms_thread_rec *r) {
  events_reset(t);
  r->frames = t->frames;
  r->stack_ids = t->stack_ids;
  t->frames = NULL;
  t->stack_ids = NULL;
}

/* ---- the table in the file ----------------------------------------------------------- */

static uint32_t table_bytes(uint32_t slots, uint32_t granule) {
  uint64_t b = (uint64_t)slots * sizeof(struct ms_site_counter);
  b = (b + granule - 1) / granule * granule;
  return b > MS_COUNTERS_BYTES ? (uint32_t)MS_COUNTERS_BYTES : (uint32_t)b;
}

/* Tables whose content was written into the file by a pwrite (a thread moving its
 * counts into a new session's file), and records reserved (test hooks: a blank table
 * needs none; one mmap a record). */
static _Atomic uint64_t table_copies, records_reserved;
uint64_t ms_threads_table_copies(void) { return atomic_load(&table_copies); }
uint64_t ms_threads_records_reserved(void) { return atomic_load(&records_reserved); }

/* r's table [from, to) becomes a TABLE chunk of the current file, mapped over it: with
 * what the table holds there now when `copy` (the owner moving it: nobody else writes
 * it meanwhile), else zeros (pages no site uses yet).  Both locks held. */
static int table_map_locked(struct ms_thread_rec *r, uint32_t from, uint32_t to, int copy) {
  char *at = (char *)r->counters + from;
  uint32_t size = MS_CHUNK_ALIGN + (to - from);
  uint64_t off;
  /* The first piece's header page too, at the page reserved before the counters
   * (MS_TABLE_HEAD); later pieces' header pages would fall on the counters before them. */
  uint32_t map_from = from == 0 ? 0 : MS_CHUNK_ALIGN;
  if (copy) atomic_fetch_add_explicit(&table_copies, 1, memory_order_relaxed);
  if (!ms_chunk_add_locked(MS_CHUNK_TABLE, r->index, r->os_tid, from, size, map_from,
                           at - (MS_CHUNK_ALIGN - map_from), copy ? at : NULL, &off))
    return 0;
  if (from == 0) r->table_pieces = 0; /* (a new file's table: its first piece) */
  if (r->table_pieces < MS_TABLE_PIECES_MAX) {
    r->table_piece[r->table_pieces].at = off;
    r->table_piece[r->table_pieces].from = from;
    r->table_piece[r->table_pieces].size = size;
  }
  r->table_pieces++;
  return 1;
}

/* A kept table (an ended thread's, zeroed) becomes r's: each piece's header names r's
 * thread from now on.  The ended thread wrote its COUNTERS record before (a reader takes
 * its counts from there, never from a table), so a kill before or between these stores
 * loses nothing.  The first piece's header is mapped (table_map_locked): stores, no
 * system call; a later piece's (sites registered after the table was made) a pwrite.
 * 0: a header could not be written, or a piece is not known (the table is let go). */
static int table_retag_locked(struct ms_thread_rec *r) {
  r->table_kept = 0;
  if (r->table_pieces > MS_TABLE_PIECES_MAX) return 0;
  for (uint32_t i = 0; i < r->table_pieces; i++) {
    void *mapped = r->table_piece[i].from == 0 ? table_head(r->counters) : NULL;
    if (!ms_chunk_retag_locked(r->table_piece[i].at, mapped, MS_CHUNK_TABLE, r->index,
                               r->os_tid, r->table_piece[i].from, r->table_piece[i].size))
      return 0;
  }
  return 1;
}

/* r's table leaves the file: private zeros again (one mmap over it, its header page's
 * too). */
static void table_detach(struct ms_thread_rec *r) {
  ms_os_zero_fixed(table_head(r->counters), MS_TABLE_SPAN);
  r->table_gen = 0;
  r->table_mapped = 0;
  r->table_pieces = 0;
  r->table_kept = 0;
}

/* The calling thread's table moves into the session's file (created if need be): every
 * slot in use.  On failure (no room) it stays where it is: counts go on, in memory. */
static void table_attach(struct ms_thread_rec *r) {
  /* A blank table (just reserved, nothing counted: its thread counts only once this
   * returns) is the file's zeros already: its piece needs no pwrite of its content, nor
   * the faults of reading it (a page table and zero pages per thread).  Not blank from
   * here on, whatever happens below. */
  int blank = r->table_blank;
  r->table_blank = 0;
  /* (not while a fork is under way: init.c; the table then stays in memory, as above) */
  if (!ms_lock_unless_forking(&registry_lock)) return;
  if (!ms_output_lock_recording()) {
    ms_threads_unlock();
    return;
  }
  if (ms_page_size_ok() && ms_output_open_locked() == 0) {
    uint32_t gen = atomic_load_explicit(&ms_output_gen, memory_order_acquire);
    uint32_t want = table_bytes(ms_sites_slots_in_use(), MS_CHUNK_ALIGN);
    if (r->table_kept && (r->table_gen != gen || !table_retag_locked(r))) table_detach(r);
    if (r->table_gen != gen && table_map_locked(r, 0, want, !blank)) {
      r->table_gen = gen;
      r->table_mapped = want;
    } else if (r->table_gen == gen && r->table_mapped < want &&
               table_map_locked(r, r->table_mapped, want, 0)) {
      r->table_mapped = want; /* (a kept table, from before sites registered since) */
    }
  }
  ms_output_unlock();
  ms_threads_unlock();
}

/* Every table of the file covers `slots` now.  Not a kept table (a thread set up on an
 * ended thread's record, not yet moved into its session): its taker's table_attach
 * retags its pieces, then extends it.  Extending it here, between the two, added a piece
 * the retag did not expect: past MS_TABLE_PIECES_MAX it read the entry after the last,
 * and wrote a header at offset `table_pieces` (5), over the file's own (stacks_storm,
 * whose dlopen loop registers sites while its threads start). */
void ms_threads_extend_tables_locked(uint32_t slots) {
  uint32_t gen = atomic_load_explicit(&ms_output_gen, memory_order_acquire);
  if (!ms_output_is_open_locked()) return;
  uint32_t need = table_bytes(slots, MS_CHUNK_ALIGN);
  uint32_t want = table_bytes(slots, MS_TABLE_GRANULE);
  for (struct ms_thread_rec *r = registry; r; r = r->next)
    if (r->table_gen == gen && !r->table_kept && r->table_mapped < need &&
        table_map_locked(r, r->table_mapped, want, 0))
      r->table_mapped = want;
}

/* Whether r's table in the file holds all of its counts (its inline sites' included):
 * then a COUNTERS snapshot at exit would only be older than it.  Not when the table is
 * not the file's (no room, a session it has not joined). */
static int table_is_truth(const struct ms_thread_rec *r) {
  return r->table_gen == atomic_load_explicit(&ms_output_gen, memory_order_acquire) &&
         r->table_mapped >= table_bytes(ms_sites_slots_in_use(), MS_CHUNK_ALIGN);
}

/* ---- set-up ------------------------------------------------------------------------- */

/* A new record's memory in one reservation (one mmap, not three: each takes the
 * process's mmap lock for writing, against every page fault of the program): its table's
 * address space, the header page before it (MS_TABLE_HEAD), then its frame buffer and its
 * stack ids, pages taken when written.  Each part is given back on its own (munmap of a
 * part of a mapping).  The table is blank: zeros, nothing counted in it yet, so its first
 * piece in the file needs no copy (table_attach).  0: no memory. */
static size_t stack_ids_span(void) {
  return (ms_stack_ids_bytes() + MS_CHUNK_ALIGN - 1) / MS_CHUNK_ALIGN * MS_CHUNK_ALIGN;
}

static int counters_reserve(struct ms_thread_rec *r) {
  /* (parts given back on their own: only where a page is MS_CHUNK_ALIGN) */
  int extras = ms_page_size_ok() && !r->frames && !r->stack_ids;
  char *p = ms_os_reserve(MS_TABLE_SPAN + (extras ? MS_FRAMES_BYTES + stack_ids_span() : 0));
  if (!p) return 0;
  r->counters = (struct ms_site_counter *)(p + MS_TABLE_HEAD);
  r->table_blank = 1;
  if (extras) {
    r->frames = (uint64_t *)(p + MS_TABLE_SPAN);
    r->stack_ids = (struct ms_stack_ids *)(p + MS_TABLE_SPAN + MS_FRAMES_BYTES);
  }
  atomic_fetch_add_explicit(&records_reserved, 1, memory_order_relaxed);
  return 1;
}

void (*ms_thread_setup_test_hook)(void); /* (a load per thread set-up) */
void (*ms_thread_setup_window_test_hook)(void); /* (the same) */
void (*ms_thread_join_test_hook)(void); /* (a load per join) */

/* The thread's first recording event in this process: a record (an ended thread's,
 * with its table, when there is one: no system call), the registry. */
static int thread_setup(struct ms_thread *t) {
  struct ms_thread_rec *r = NULL;
  if (!ms_lock_unless_forking(&registry_lock)) { /* a fork under way: init.c */
    ms_thread_note_dropped(t);
    return 0;
  }
  r = rec_take_locked();
  if (r && !r->counters && !counters_reserve(r)) {
    rec_free_locked(r);
    r = NULL;
  }
  if (r) {
    r->index = atomic_fetch_add_explicit(&next_thread_index, 1, memory_order_relaxed);
    r->os_tid = ms_os_gettid();
    r->start_ns = ms_os_now_ns();
    r->tp = ms_thread_pointer();
    r->born = t->born;
    memcpy(r->name, t->name, sizeof r->name);
    registry_add_locked(r);
  }
  pthread_mutex_unlock(&registry_lock);
  if (!r) { /* no memory for a record or its table (an address-space limit): this call is */
    ms_thread_note_dropped(t); /* dropped, and said so if the thread is set up later */
    return 0;
  }
  if (MS_UNLIKELY(ms_thread_setup_window_test_hook != NULL)) ms_thread_setup_window_test_hook();
  t->rec = r;
  /* The drops noted while the thread had no record (a signal handler's calls during its
   * set-up) move to r only now: until t->rec is set a handler adds to dropped_early, and
   * once it is set to r->dropped, never to both.  Copied under the lock above, the drops
   * of a handler between that copy and this store were lost: calls neither counted nor
   * reported dropped (unit/runtime_thread_setup). */
  atomic_signal_fence(memory_order_seq_cst);
  atomic_fetch_add_explicit(&r->dropped, t->dropped_early, memory_order_relaxed);
  t->dropped_early = 0;
  t->counters_mem = r->counters;
  t->frames = r->frames;
  t->stack_ids = r->stack_ids;
  r->frames = NULL;
  r->stack_ids = NULL;
  t->session = 0;
  events_reset(t);
  if (!t->born) pthread_setspecific(thread_key, t); /* arms the destructor */
  if (MS_UNLIKELY(ms_thread_setup_test_hook != NULL)) ms_thread_setup_test_hook();
  return 1;
}

/* The thread joins `session`: its table moves into the session's file, its events go
 * to new chunks there, the size ranges of sites it has not called since the session's
 * start are emptied, its sampler restarts and its inline headers are armed (their
 * sites' ranges are the table's). */
static void join_session(struct ms_thread *t, uint32_t session) {
  struct ms_thread_rec *r = t->rec;
  t->session = session;
  events_reset(t);
  table_attach(r);
  t->record_all = ms_config.mode == MS_MODE_FULL;
  const struct ms_site_counter *base = r->base && r->base_session == session ? r->base : NULL;
  uint32_t slots = ms_sites_slots_in_use();
  for (uint32_t i = 0; i < slots; i++) {
    struct ms_site_counter *c = &r->counters[i];
    if (c->calls && c->calls == (base ? base[i].calls : 0)) {
      c->lo = MS_RANGE_EMPTY;
      c->span = 0;
    }
  }
  /* MEMSCOPE_SEED: the thread's draws depend on the seed and its index only, so a program
   * that starts its threads in the same order samples the same allocations again. */
  ms_sampler_seed(t, ms_config.seeded
                         ? ms_config.seed ^ ((uint64_t)r->index * 0x9E3779B97F4A7C15ull)
                         : ms_os_now_ns() ^ ((uint64_t)r->os_tid << 32) ^ (uintptr_t)t);
  ms_inline_arm_self(t);
  atomic_store_explicit(&r->joined, session, memory_order_relaxed);
}

/* Stops counting until the next slow path finds a session to join. */
static void detach(struct ms_thread *t) {
  __atomic_store_n(&t->counters, NULL, __ATOMIC_RELAXED);
  ms_inline_disarm_self();
}

int ms_thread_ensure_slow(struct ms_thread *t) {
  if (MS_UNLIKELY(t->busy)) { /* re-entered: a signal handler interrupted the runtime */
    ms_thread_note_dropped(t);
    return 0;
  }
  if (t->finished || t->disabled) return 0;
  if (t->record_all && atomic_load_explicit(&ms_session_closing, memory_order_seq_cst)) return 0;
  if (ms_runtime_ready()) {
    if (!ms_tracing()) { /* mode off, or stopped: no work */
      if (t->counters) detach(t); /* once: later calls find it detached */
      return 0;
    }
    if (t->counters && t->session == ms_session()) return 1;
  }
  int saved_errno = errno;
  t->busy = 1; /* what init and set-up allocate (through libc) is not recorded */
  ms_runtime_init();
  int ok = ms_tracing() && (t->rec || thread_setup(t));
  if (ok) {
    uint32_t session = ms_session();
    if (t->session != session) {
      join_session(t, session);
      if (MS_UNLIKELY(ms_thread_join_test_hook != NULL)) ms_thread_join_test_hook();
    }
    __atomic_store_n(&t->counters, t->counters_mem, __ATOMIC_RELAXED);
    /* (not the resource sampler: this may be a signal handler's call, resource.c) */
    /* A thread that just joined a full-mode session announces its event as
     * ms_thread_ensure does (it could not before: record_all was not set yet), or a
     * stop meanwhile would not wait for it and would keep its count without its event.
     * Then the session is checked again, closing flag first: a stop or the exit that
     * ran whole since the check above (while the thread set up and joined) has cleared
     * the flag by now, and only finds the session off.  Checking the flag alone, such a
     * thread counted its call after the end and dropped its event (at exit its table is
     * the file's count: hostile/join_at_end, about 1 exit in 300 under load). */
    if (t->record_all) {
      atomic_store_explicit(&t->rec->in_event, 1, memory_order_seq_cst);
      ok = !atomic_load_explicit(&ms_session_closing, memory_order_seq_cst) && ms_tracing() &&
           t->session == ms_session();
    }
  } else {
    detach(t);
  }
  t->busy = 0;
  errno = saved_errno;
  return ok;
}

/* r's counts in the session, if it counted anything in it, joined it or has its table in
 * its file, and its thread record; the counts as a COUNTERS snapshot when `snapshot` or
 * when its table in the file is not the whole truth; rebased for the session `rebase`
 * (session_view_locked).  Both locks held.  (A thread whose table is in the file always
 * gets its snapshot at a stop: it may have moved its table here and not yet marked itself
 * joined, and its table goes on counting calls of the next session until it moves again,
 * which a reader must not take for this one's.) */
static int write_thread_locked(struct ms_thread_rec *r, struct ms_wbuf *b, uint64_t end_ns,
                               uint32_t rebase, int snapshot) {
  if (!ms_tracing()) return 0;
  uint32_t used = session_view_locked(r, ms_sites_slots_in_use(), rebase);
  int table_here = r->table_gen == atomic_load_explicit(&ms_output_gen, memory_order_acquire);
  if (!used && atomic_load_explicit(&r->joined, memory_order_relaxed) != ms_session() &&
      !table_here)
    return 0;
  int counted = (snapshot || !table_is_truth(r)) && write_counters_locked(r, b);
  write_thread_record_locked(r, b, end_ns);
  return counted;
}

uint64_t *ms_thread_stack_room(struct ms_thread *t, uint32_t frames) {
  if (frames > MS_STACK_MAX) return NULL;
  if (!t->frames) t->frames = ms_os_map(MS_FRAMES_BYTES);
  return t->frames;
}

/* events_next: the event's session ended before the output lock was ours. */
#define MS_EVENTS_SESSION_GONE (-2)

/* A new EVENTS chunk with room for `need` bytes of content: 1, or 0 when there is none
 * (no file, no room: the caller counts it in lost_events), MS_EVENTS_SESSION_GONE when
 * the event's session has ended (session_gone), or -1 when the event is
 * dropped and counted as dropped: a fork under way kept the output lock too long, or the
 * chunk could not be added for another reason (an I/O error, no memory for the mapping,
 * the file's descriptor no longer ours), which lost_events ("for want of space") does
 * not cover.  A new file starts the thread's numbering, sizes and stack ids over. */
static int events_next(struct ms_thread *t, uint32_t need) {
  events_drop(t);
  if (ms_chunks_full()) return 0;
  const uint32_t hdr = sizeof(struct ms_chunk_header);
  uint32_t max = t->record_all ? MS_EVENTS_MAX_FULL : MS_EVENTS_MAX_SAMPLED;
  void *c = NULL;
  int failed = 0;
  if (!ms_output_lock_recording()) { /* a fork under way (init.c): this event is dropped */
    ms_thread_note_dropped(t);
    return -1;
  }
  /* An event of a session that has ended since the thread's check (a memscope_start()
   * or a stop took the lock meanwhile) does not go into the next one's file, where it
   * would stand for a call of its own (session_gone).  The open fails only when
   * the session has no file and will get none (a failed creation is not tried again in
   * the session, output.c; in a fatal signal's handler the lock is never let go): no
   * report will show this call, so the loss has nowhere to be counted, and the call stays
   * counted for memscope_snapshot(), which stays exact. */
  int gone = !ms_tracing() || t->session != ms_session();
  if (!gone && ms_output_open_locked() == 0) {
    uint32_t gen = atomic_load_explicit(&ms_output_gen, memory_order_acquire);
    if (gen != t->ev_gen) {
      events_reset(t);
      t->ev_gen = gen;
    }
    uint32_t size = t->ev_next_size ? t->ev_next_size : MS_EVENTS_FIRST;
    while (size - hdr < need) size *= 2;
    c = ms_chunk_add_locked(MS_CHUNK_EVENTS, t->rec->index, t->rec->os_tid, t->ev_seq, size, 0,
                            NULL, NULL, NULL);
    if (c) {
      t->ev_chunk = c;
      t->ev_size = size;
      t->ev_seq++;
      t->ev_next_size = size < max ? size * 2 : size;
      memset(&t->ev_state, 0, sizeof t->ev_state);
    } else if (!ms_chunks_full()) {
      failed = 1; /* (the runtime warned; the next event tries again) */
    }
  }
  ms_output_unlock();
  if (gone) return MS_EVENTS_SESSION_GONE;
  if (failed) {
    ms_thread_note_dropped(t);
    return -1;
  }
  if (c && t->ev_seq > 1) ms_modules_check(); /* (once per chunk: images that came) */
  return c != NULL;
}

/* A full-mode event dropped (a fork under way, a chunk not added: events_next): its
 * call leaves the thread's counts too, as every dropped call does (format.md, THREAD's
 * `dropped`), or the COUNTERS would hold a call no event shows and the merge would call
 * the file's counts and events disagreeing.  Full mode only: there each counted call is
 * exactly one event (sampled mode's lost sample leaves its call counted, which is true
 * and checked against nothing).  What was counted, as sampler.c counts it: an allocation or a
 * realloc that returned a block, its call and bytes at its site; a free of non-NULL, its
 * call; a realloc that released its old block, the thread's MS_SLOT_RELEASES.  The
 * site's size range stays as it was (a min or max may be the dropped call's). */
static void uncount(struct ms_thread *t, const struct ms_codec_event *e) {
  struct ms_site_counter *c = t->counters_mem;
  if (!c || !t->record_all) return;
  if (e->ptr) {
    c[e->slot].calls--;
    if (e->op != MS_ITEM_FREE) c[e->slot].bytes -= e->size;
  }
  if (e->op == MS_ITEM_REALLOC && e->old_ptr && (e->ptr || e->size == 0))
    c[MS_SLOT_RELEASES].calls--;
}

/* Full mode's plain allocations are ALLOC items; anything a sample says more is SAMPLE. */
static uint32_t item_op(const struct ms_event *ev) {
  if (ev->kind == MS_EV_FREE) return MS_ITEM_FREE;
  if (ev->kind == MS_EV_REALLOC) return MS_ITEM_REALLOC;
  int plain = (ev->weight == 0.0 || ev->weight == 1.0) && !ev->align && !ev->phase;
  return plain ? MS_ITEM_ALLOC : MS_ITEM_SAMPLE;
}

void ms_thread_push_event(struct ms_thread *t, const struct ms_event *ev) {
  struct ms_codec_event e = {
      .op = item_op(ev), .slot = ev->slot, .size = ev->size, .ptr = ev->ptr, .ts = ev->ts,
      .old_ptr = ev->old_ptr, .begin_ns = ev->ts - ev->begin_delta,
      .weight = ev->weight == 0.0 ? 1.0 : ev->weight, .align = ev->align, .phase = ev->phase};
  ms_thread_push_item(t, &e, ev->nstack);
}

/* The call's session ended after its check and before its event was stored: a stop or
 * the exit that stopped waiting for it (ms_threads_quiesce_locked's 1 s ran out), or a
 * memscope_start(), which does not wait.  Its event is dropped (after the end, or in the
 * next session's file where it would stand for a call of its own).  Ended for good, its
 * call leaves the counts too, as a dropped call does (uncount): at exit the table is the
 * file's count, and a stop's snapshot then holds the call only if it was counted before
 * it (counts and events disagree there, and the merge says so).  Under the registry lock,
 * so that no memscope_start() takes the thread's base between the check and the uncount
 * (its session would start one call above the thread's counts).  After a
 * memscope_start() the call stays counted: the new session's base may hold it already.
 * The announcement ends first: a later stop, holding that lock, would wait for it.
 * Costs nothing unless it happens. */
static void session_gone(struct ms_thread *t, const struct ms_codec_event *e) {
  if (t->rec) atomic_store_explicit(&t->rec->in_event, 0, memory_order_release);
  if (!t->record_all || !ms_lock_unless_forking(&registry_lock)) return;
  if (!ms_tracing() && t->session == ms_session()) uncount(t, e);
  pthread_mutex_unlock(&registry_lock);
}

void ms_thread_push_item(struct ms_thread *t, struct ms_codec_event *e, uint32_t nstack) {
  const uint32_t hdr = sizeof(struct ms_chunk_header);
  if (MS_UNLIKELY(!ms_tracing() || t->session != ms_session())) {
    session_gone(t, e);
    return;
  }
  uint32_t n = nstack && t->frames ? nstack : 0;
  uint32_t need = MS_ITEM_EVENT_MAX + (n ? MS_ITEM_STACK_BYTES(n) : 0);
  int fresh = 0; /* a new chunk */
  if (MS_UNLIKELY(!t->ev_chunk || t->ev_used + need > t->ev_size - hdr ||
                  t->ev_gen != atomic_load_explicit(&ms_output_gen, memory_order_relaxed))) {
    int got = events_next(t, need);
    if (got <= 0) {
      if (got == MS_EVENTS_SESSION_GONE)
        session_gone(t, e);
      else if (got < 0)
        uncount(t, e); /* (before the announcement ends: a stop's snapshot comes after) */
      else if (ms_chunks_full())
        ms_chunks_note_lost(1);
      if (t->rec) atomic_store_explicit(&t->rec->in_event, 0, memory_order_release);
      return;
    }
    fresh = 1;
  }
  uint8_t *base = t->ev_chunk + hdr, *p = base + t->ev_used;
  e->stack = 0;
  if (n && e->op != MS_ITEM_FREE) {
    int is_new = 0;
    e->stack = ms_stack_id(&t->stack_ids, e->slot, t->frames, n, &is_new);
    if (e->stack && is_new) p = ms_encode_stack(p, e->stack, t->frames, n);
  }
  /* The merge replays a thread's events in time order where their times step back
   * (merge/model/replay.c): they never do here, even when the TSC clock reads a little
   * behind (a CPU whose counter lags, an unfenced read run early: docs/runtime.md, "The
   * clock"), so that program order holds.  clock_gettime never steps back.  (begin_ns
   * is at most ts as read, so it is moved up to the last time whenever ts is.) */
  if (e->ts < t->last_ts) e->ts = t->last_ts;
  if (e->begin_ns < t->last_ts) e->begin_ns = t->last_ts;
  t->last_ts = e->ts;
  p = ms_encode_event(p, &t->ev_state, e);
  t->ev_used = (uint32_t)(p - base);
  __atomic_store_n(&((struct ms_chunk_header *)t->ev_chunk)->used, t->ev_used, __ATOMIC_RELEASE);
  if (t->rec) atomic_store_explicit(&t->rec->in_event, 0, memory_order_release);
  /* Full mode fills its chunks fast: the rest of a new one's pages in one call, not a
   * fault each (about 20% of full mode's time on the test VM).  After the event is
   * stored and no longer announced, so that a stop never waits for it (writeback
   * throttling can make it long). */
  if (fresh && t->record_all) {
    uintptr_t page = MS_CHUNK_ALIGN, from = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = (uintptr_t)t->ev_chunk + t->ev_size;
    if (from < end) ms_os_populate((void *)from, end - from);
  }
}

/* 1 s in all at most: a thread that announced an event and then blocked (an event path
 * that ended without one) must not hold up the exit for long; one that was preempted
 * among many runnable threads needs the CPU, hence short sleeps rather than yields. */
#define MS_QUIESCE_NS (1000u * 1000u * 1000u)
void ms_threads_quiesce_locked(void) {
  const struct ms_thread_rec *own = ms_self.rec;
  /* ms_session_closing is set: the other side of ms_thread_ensure's light fence */
  ms_os_fence_heavy();
  uint64_t until = ms_os_now_ns() + MS_QUIESCE_NS;
  for (struct ms_thread_rec *r = registry; r; r = r->next)
    while (r != own && atomic_load_explicit(&r->in_event, memory_order_seq_cst) &&
           ms_os_now_ns() < until)
      ms_os_sleep_ns(20000);
}

/* (1: a COUNTERS record of the thread was written.) */
static int finish_session_locked(struct ms_thread *t, uint64_t end_ns, uint32_t rebase,
                                 int snapshot) {
  if (!t->rec) return 0;
  if (!own_buf.data && ms_wbuf_init(&own_buf, 4096)) return 0;
  uint8_t was_busy = t->busy;
  t->busy = 1;
  int counted = write_thread_locked(t->rec, &own_buf, end_ns, rebase, snapshot);
  t->busy = was_busy;
  return counted;
}

void ms_thread_finish_session_locked(struct ms_thread *t, uint64_t end_ns, uint32_t rebase,
                                     int snapshot) {
  finish_session_locked(t, end_ns, rebase, snapshot);
}

/* r (unlinked, its thread done with it) kept for the next thread.  Its table stays the
 * file's, zeroed, when its counts are in the COUNTERS record just written (`counted`) and
 * every piece of it is known: the next thread retags it (table_retag_locked) instead of
 * reserving, writing and mapping a new chunk.  Otherwise it leaves the file.  Costs a
 * memset of the slots in use; no system call in the first case. */
static void rec_retire(struct ms_thread_rec *r, int counted) {
  uint32_t gen = atomic_load_explicit(&ms_output_gen, memory_order_acquire);
  uint32_t used = table_bytes(ms_sites_slots_in_use(), MS_CHUNK_ALIGN);
  if (counted && r->table_gen == gen && r->table_pieces <= MS_TABLE_PIECES_MAX) {
    memset(r->counters, 0, used > r->table_mapped ? used : r->table_mapped);
    r->table_kept = 1;
  } else if (r->table_gen) {
    table_detach(r);
  } else {
    memset(r->counters, 0, used);
  }
  ms_inline_rec_release(r);
  pthread_mutex_lock(&registry_lock);
  if (idle_count < MS_IDLE_RECS_MAX) {
    r->next = idle_recs;
    idle_recs = r;
    idle_count++;
  } else {
    rec_free_locked(r);
  }
  pthread_mutex_unlock(&registry_lock);
}

/* The thread ends: everything written, its record unlinked and its memory returned. */
void ms_thread_exit(struct ms_thread *t) {
  int saved_errno = errno;
  t->finished = 1; /* first: nothing that follows sets it up again */
  struct ms_thread_rec *r = t->rec;
  if (r && !t->busy) {
    t->busy = 1;
    pthread_mutex_lock(&registry_lock);
    ms_output_lock();
    int counted = finish_session_locked(t, ms_os_now_ns(), 0, 1);
    ms_output_unlock();
    __atomic_store_n(&t->counters, NULL, __ATOMIC_RELAXED);
    ms_inline_reset_self(); /* later calls: slow path, not counted; the table goes */
    rec_unlink_locked(r);
    pthread_mutex_unlock(&registry_lock);
    t->rec = NULL;
    t->counters_mem = NULL;
    own_buffers_to_rec(t, r);
    rec_retire(r, counted);
    t->busy = 0;
  } else {
    __atomic_store_n(&t->counters, NULL, __ATOMIC_RELAXED);
    ms_inline_disarm_self();
  }
  errno = saved_errno;
}

static void thread_key_destructor(void *unused) {
  (void)unused;
  if (++destructor_rounds < PTHREAD_DESTRUCTOR_ITERATIONS - 1) {
    pthread_setspecific(thread_key, &ms_self); /* run again in the next round */
    return;
  }
  ms_thread_exit(&ms_self);
}

/* ---- what other threads do ------------------------------------------------------------ */

uint32_t ms_threads_tids(struct ms_resource_thread *out, uint32_t max) {
  uint32_t n = 0, session = ms_session();
  pthread_mutex_lock(&registry_lock);
  for (struct ms_thread_rec *r = registry; r && n < max; r = r->next)
    if (atomic_load_explicit(&r->joined, memory_order_relaxed) == session)
      out[n++] = (struct ms_resource_thread){.tid = r->os_tid};
  pthread_mutex_unlock(&registry_lock);
  return n;
}

/* Reads other threads' counters while they may still be counting: each 64-bit field is
 * read whole (aligned), so a snapshot is at worst a moment old.  A thread that is gone
 * without its destructor (see rec_alive) is written from its table alone, and unlinked. */
void ms_threads_write_running_locked(uint32_t rebase, int snapshot) {
  struct ms_wbuf b;
  if (ms_wbuf_init(&b, 1 << 16)) return;
  struct ms_thread_rec *own = ms_self.rec, *next;
  for (struct ms_thread_rec *r = registry; r; r = next) {
    next = r->next;
    if (r == own) continue;
    int alive = rec_alive(r);
    write_thread_locked(r, &b, alive ? 0 : ms_os_now_ns(), rebase, snapshot || !alive);
    if (!alive) rec_release_locked(r);
  }
  ms_wbuf_release(&b);
}

void ms_threads_write_bases_locked(uint32_t session) {
  struct ms_wbuf b;
  if (ms_wbuf_init(&b, 1 << 16)) return;
  uint32_t slots = ms_sites_slots_in_use();
  for (struct ms_thread_rec *r = registry; r; r = r->next) {
    if (!r->base || r->base_session != session) continue;
    b.len = 0;
    b.failed = 0;
    ms_encode_base(&b, r->index, r->base, slots);
    if (b.len) ms_output_write_locked(&b);
  }
  ms_wbuf_release(&b);
}

void ms_threads_take_baselines_locked(uint32_t session) {
  uint32_t slots = ms_sites_slots_in_use();
  struct ms_thread_rec *next;
  for (struct ms_thread_rec *r = registry; r; r = next) {
    next = r->next;
    if (!r->base) r->base = ms_os_reserve(MS_COUNTERS_BYTES);
    if (r->base) {
      cumulative_counts(r, r->base, slots);
      r->base_session = session;
    }
    if (!rec_alive(r)) rec_release_locked(r);
  }
}

size_t ms_threads_snapshot(struct memscope_snapshot *out, struct memscope_thread_counts *threads,
                           size_t max) {
  memset(out, 0, sizeof *out);
  uint32_t session = ms_session(), slots = ms_sites_slots_in_use();
  int64_t live = atomic_load_explicit(&ms_est_live_of_ended_threads, memory_order_relaxed);
  size_t n = 0;
  uint8_t was = ms_busy_begin();
  pthread_mutex_lock(&registry_lock);
  ms_output_lock();
  for (struct ms_thread_rec *r = registry; r; r = r->next) {
    live += atomic_load_explicit(&r->est_live, memory_order_relaxed);
    if (!ms_tracing()) continue;
    uint32_t used = session_view_locked(r, slots, 0);
    if (!session_counts) continue; /* (no memory for the view: no counts to sum) */
    if (!used && atomic_load_explicit(&r->joined, memory_order_relaxed) != session) continue;
    struct memscope_thread_counts c = {.thread = r->index, .os_tid = r->os_tid};
    for (uint32_t i = 0; i < slots; i++) {
      const struct ms_site_counter *s = &session_counts[i];
      if (!s->calls || i == MS_SLOT_RELEASES) continue;
      if (ms_sites_index_is_free(i)) {
        c.frees += s->calls;
      } else {
        c.allocations += s->calls;
        c.bytes_allocated += s->bytes;
      }
    }
    if (threads && n < max) threads[n] = c;
    n++;
    out->allocations += c.allocations;
    out->frees += c.frees;
    out->bytes_allocated += c.bytes_allocated;
  }
  ms_output_unlock();
  pthread_mutex_unlock(&registry_lock);
  ms_busy_end(was);
  out->threads = n;
  out->live_bytes_estimate = live > 0 ? (double)live : 0.0;
  if (ms_config.mode == MS_MODE_LEAKS) /* exact there: every live block is in the table */
    out->live_bytes_estimate = (double)ms_leaks_live_bytes();
  return n;
}

/* In a fork child only the forking thread exists.  Its mappings of the parent's file are
 * dropped (the child never writes there: its table becomes private zeros, its EVENTS
 * chunk is let go); the other records were the parent's threads; its counts start again
 * from zero so that the two files never count the same calls, and the child numbers
 * threads from 1 again.  Runs with the registry and output locks held (init.c's fork
 * handlers). */
void ms_thread_after_fork_child(void) {
  struct ms_thread *t = &ms_self;
  struct ms_thread_rec *mine = t->rec, *next;
  for (struct ms_thread_rec *r = registry; r; r = next) {
    next = r->next;
    if (r != mine) rec_release_locked(r);
  }
  while (idle_recs) { /* (their tables may be mappings of the parent's file) */
    struct ms_thread_rec *r = idle_recs;
    idle_recs = r->next;
    rec_free_locked(r);
  }
  idle_count = 0;
  atomic_store_explicit(&next_thread_index, 1, memory_order_relaxed);
  t->session = 0;
  t->dropped_early = 0; /* (the parent's, when this thread was not yet set up there) */
  events_reset(t);
  __atomic_store_n(&t->counters, NULL, __ATOMIC_RELAXED);
  ms_inline_reset_self(); /* armed again, to the child's table, when it joins a session */
  if (!mine) return;
  if (mine->counters)
    ms_os_zero_fixed(table_head(mine->counters), MS_TABLE_SPAN);
  ms_inline_rec_clear(mine);
  mine->table_gen = 0;
  mine->table_mapped = 0;
  mine->table_pieces = 0;
  mine->table_kept = 0;
  ms_os_unmap(mine->base, MS_COUNTERS_BYTES);
  mine->base = NULL;
  mine->base_session = 0;
  mine->index = atomic_fetch_add_explicit(&next_thread_index, 1, memory_order_relaxed);
  mine->os_tid = ms_os_gettid();
  mine->start_ns = ms_os_now_ns();
  mine->tp = ms_thread_pointer();
  atomic_store_explicit(&mine->joined, 0, memory_order_relaxed);
  atomic_store_explicit(&mine->dropped, 0, memory_order_relaxed);
}
