/* Per-thread recording state.
 *
 * Two parts.  The hot part lives in initial-exec TLS (struct ms_thread, one
 * segment-relative access) and is touched by its owner only.  What other threads read
 * (a stop, the exit, a snapshot, a fatal signal) is a record (struct ms_thread_rec) in
 * the runtime's own memory, linked in the registry: nothing ever points into a thread's
 * TLS or stack, so a thread that is gone cannot be read through a stale pointer.
 *
 * On the thread's first event it takes from mmap:
 *   - its counters: MS_MAX_SITES slots of 32 bytes reserved (8 MiB of address space,
 *     MAP_NORESERVE); only the pages of sites the thread uses become memory, 4 KiB per
 *     128 sites; slot 1 counts its realloc releases (MS_SLOT_RELEASES), handled as the
 *     sites' slots are (base, fork, exit);
 *   - its event buffer (1024 events, 72 KiB) and encoding buffer (84 KiB).
 * All of it goes back when the thread ends, so 20,000 short-lived threads cost no more
 * than the ones alive at once.
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
 * Thread exit: a pthread key's destructor writes the thread's events, counts and thread
 * record and unlinks it.  It re-arms itself until the next-to-last destructor round, so
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

#define MS_THREAD_EVENTS 1024u
#define MS_COUNTERS_BYTES ((size_t)MS_MAX_SITES * sizeof(struct ms_site_counter))
#define MS_EVENTS_BYTES ((size_t)MS_THREAD_EVENTS * sizeof(struct ms_event))
/* Room for the stacks of one buffer of events: 32 frames each on average, reserved
 * (256 KiB of address space) on the first stack; pages become memory as written. */
#define MS_STACK_FRAMES (MS_THREAD_EVENTS * 32u)
#define MS_STACKS_BYTES ((size_t)MS_STACK_FRAMES * sizeof(uint64_t))
/* Records are carved from mappings of this size and reused, never unmapped. */
#define MS_REC_CHUNK_BYTES (64u * 1024u)

__thread struct ms_thread ms_self __attribute__((tls_model("initial-exec")));
static __thread uint8_t destructor_rounds __attribute__((tls_model("initial-exec")));

static pthread_key_t thread_key;
static _Atomic uint32_t next_thread_index = 1;
_Atomic int64_t ms_est_live_of_ended_threads;

/* The registry: records of set-up threads, and the free records to reuse. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ms_thread_rec *registry;
static struct ms_thread_rec *free_recs;
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
      ms_os_yield();
}

/* ---- records ------------------------------------------------------------------------ */

static struct ms_thread_rec *rec_take_locked(void) {
  if (!free_recs) {
    size_t n = MS_REC_CHUNK_BYTES / sizeof(struct ms_thread_rec);
    struct ms_thread_rec *chunk = ms_os_map(MS_REC_CHUNK_BYTES);
    if (!chunk) return NULL;
    for (size_t i = 0; i < n; i++) {
      chunk[i].next = free_recs;
      free_recs = &chunk[i];
    }
  }
  struct ms_thread_rec *r = free_recs;
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

/* Unlinks r and gives its memory back (registry lock held; r's thread no longer uses
 * its counters). */
static void rec_release_locked(struct ms_thread_rec *r) {
  if (r->prev)
    r->prev->next = r->next;
  else if (registry == r)
    registry = r->next;
  if (r->next) r->next->prev = r->prev;
  atomic_fetch_add_explicit(&ms_est_live_of_ended_threads,
                            atomic_load_explicit(&r->est_live, memory_order_relaxed),
                            memory_order_relaxed);
  ms_os_unmap(r->counters, MS_COUNTERS_BYTES);
  ms_os_unmap(r->base, MS_COUNTERS_BYTES);
  ms_inline_rec_release(r);
  memset(r, 0, sizeof *r);
  r->next = free_recs;
  free_recs = r;
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
  if (!session_counts) session_counts = ms_os_reserve(MS_COUNTERS_BYTES);
  if (!session_counts) return 0;
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

/* session_counts, as left by session_view_locked, as r's COUNTERS record. */
static void write_counters_locked(const struct ms_thread_rec *r, struct ms_wbuf *b) {
  uint32_t slots = ms_sites_slots_in_use();
  b->len = 0;
  b->failed = 0;
  ms_encode_counters(b, r->index, r->os_tid, ++counters_seq, session_counts, slots);
  ms_output_write_locked(b);
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

void ms_thread_init_process(void) { pthread_key_create(&thread_key, thread_key_destructor); }

void ms_thread_born(void) {
  ms_self.born = 1;
  pthread_setspecific(thread_key, &ms_self); /* any non-NULL value arms the destructor */
}

static void release_own_buffers(struct ms_thread *t) {
  ms_os_unmap(t->events, MS_EVENTS_BYTES);
  ms_os_unmap(t->stacks, MS_STACKS_BYTES);
  ms_wbuf_release(&t->enc);
  t->events = NULL;
  t->stacks = NULL;
  t->stacks_used = 0;
  t->count = t->cap = 0;
}

/* The thread's first recording event in this process: memory, a record, the registry. */
static int thread_setup(struct ms_thread *t) {
  struct ms_site_counter *counters = ms_os_reserve(MS_COUNTERS_BYTES);
  t->events = ms_os_map(MS_EVENTS_BYTES);
  struct ms_thread_rec *r = NULL;
  if (counters && t->events &&
      ms_wbuf_init(&t->enc, MS_THREAD_EVENTS * MS_EVENT_MAX_ENCODED + MS_RECORD_OVERHEAD) == 0) {
    pthread_mutex_lock(&registry_lock);
    r = rec_take_locked();
    if (r) {
      r->counters = counters;
      r->index = atomic_fetch_add_explicit(&next_thread_index, 1, memory_order_relaxed);
      r->os_tid = ms_os_gettid();
      r->start_ns = ms_os_now_ns();
      r->tp = ms_thread_pointer();
      r->born = t->born;
      memcpy(r->name, t->name, sizeof r->name);
      atomic_store_explicit(&r->dropped, t->dropped_early, memory_order_relaxed);
      registry_add_locked(r);
    }
    pthread_mutex_unlock(&registry_lock);
  }
  if (!r) {
    ms_os_unmap(counters, MS_COUNTERS_BYTES);
    release_own_buffers(t);
    return 0;
  }
  t->rec = r;
  t->counters_mem = counters;
  t->cap = MS_THREAD_EVENTS;
  t->session = 0;
  if (!t->born) pthread_setspecific(thread_key, t); /* arms the destructor */
  return 1;
}

/* The thread joins `session`: what it buffered for an older one is dropped, the size
 * ranges of sites it has not called since the session's start are emptied, its sampler
 * restarts and its inline headers are armed (their sites' ranges are the table's). */
static void join_session(struct ms_thread *t, uint32_t session) {
  struct ms_thread_rec *r = t->rec;
  t->session = session;
  t->count = 0;
  t->stacks_used = 0;
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
    if (t->session != session) join_session(t, session);
    __atomic_store_n(&t->counters, t->counters_mem, __ATOMIC_RELAXED);
    ms_resource_ensure_started();
  } else {
    detach(t);
  }
  t->busy = 0;
  errno = saved_errno;
  return ok;
}

/* Whether what t buffered belongs in the file open now (events of an older session are
 * dropped: the thread had not noticed the new one). */
static int events_belong(const struct ms_thread *t) {
  return ms_tracing() && t->session == ms_session();
}

/* r's counts in the session, if it counted anything in it or joined it; with its
 * thread record when end_ns is given (~0: none); rebased for the session `rebase`
 * (session_view_locked).  The output lock held, and the registry lock too unless r is
 * the calling thread's own record (a flush). */
static void write_thread_locked(struct ms_thread_rec *r, struct ms_wbuf *b, uint64_t end_ns,
                                uint32_t rebase) {
  if (!ms_tracing()) return;
  uint32_t used = session_view_locked(r, ms_sites_slots_in_use(), rebase);
  if (!used && atomic_load_explicit(&r->joined, memory_order_relaxed) != ms_session()) return;
  write_counters_locked(r, b);
  if (end_ns != UINT64_MAX) write_thread_record_locked(r, b, end_ns);
}

void ms_thread_flush_locked(struct ms_thread *t) {
  if (!t->rec) return;
  uint8_t was_busy = t->busy;
  t->busy = 1;
  if (t->count && events_belong(t)) {
    t->enc.len = 0;
    t->enc.failed = 0;
    ms_encode_events(&t->enc, t->rec->index, t->rec->os_tid, t->events, t->count, t->stacks);
    ms_output_write_locked(&t->enc);
  }
  t->count = 0;
  t->stacks_used = 0;
  write_thread_locked(t->rec, &t->enc, UINT64_MAX, 0);
  t->busy = was_busy;
}

/* Writes the buffered events, then the counters: a reader that sees the events of a
 * flush also sees counters at least as recent. */
void ms_thread_flush(struct ms_thread *t) {
  if (!t->rec) return;
  int saved_errno = errno;
  uint8_t was_busy = t->busy;
  t->busy = 1;
  ms_output_lock();
  ms_thread_flush_locked(t);
  ms_output_unlock();
  ms_modules_check();
  t->busy = was_busy;
  errno = saved_errno;
}

uint64_t *ms_thread_stack_room(struct ms_thread *t, uint32_t frames) {
  if (frames > MS_STACK_FRAMES) return NULL;
  if (!t->stacks) {
    t->stacks = ms_os_reserve(MS_STACKS_BYTES);
    if (!t->stacks) return NULL;
  }
  /* Flushed first when either buffer is full, so that the push that follows does not
   * flush between the stack and its event. */
  if (t->count == t->cap || t->stacks_used + frames > MS_STACK_FRAMES) ms_thread_flush(t);
  return &t->stacks[t->stacks_used];
}

void ms_thread_push_event(struct ms_thread *t, const struct ms_event *ev) {
  if (MS_UNLIKELY(t->count == t->cap)) ms_thread_flush(t);
  t->events[t->count++] = *ev;
}

void ms_thread_finish_session_locked(struct ms_thread *t, uint64_t end_ns, uint32_t rebase) {
  if (!t->rec) return;
  uint8_t was_busy = t->busy;
  ms_thread_flush_locked(t);
  t->busy = 1;
  write_thread_locked(t->rec, &t->enc, end_ns, rebase);
  t->busy = was_busy;
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
    ms_thread_finish_session_locked(t, ms_os_now_ns(), 0);
    ms_output_unlock();
    __atomic_store_n(&t->counters, NULL, __ATOMIC_RELAXED);
    ms_inline_reset_self(); /* later calls: slow path, not counted; the table goes */
    rec_release_locked(r);
    pthread_mutex_unlock(&registry_lock);
    t->rec = NULL;
    t->counters_mem = NULL;
    release_own_buffers(t);
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
void ms_threads_write_running_locked(uint32_t rebase) {
  struct ms_wbuf b;
  if (ms_wbuf_init(&b, 1 << 16)) return;
  struct ms_thread_rec *own = ms_self.rec, *next;
  for (struct ms_thread_rec *r = registry; r; r = next) {
    next = r->next;
    if (r == own) continue;
    int alive = rec_alive(r);
    write_thread_locked(r, &b, alive ? 0 : ms_os_now_ns(), rebase);
    if (!alive) rec_release_locked(r);
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

/* In a fork child only the forking thread exists.  Its buffered events happened in the
 * parent, which writes them; the other records were the parent's threads; its counts
 * start again from zero so that the two files never count the same calls, and the child
 * numbers threads from 1 again.  Runs with the registry and output locks held (init.c's
 * fork handlers). */
void ms_thread_after_fork_child(void) {
  struct ms_thread *t = &ms_self;
  struct ms_thread_rec *mine = t->rec, *next;
  for (struct ms_thread_rec *r = registry; r; r = next) {
    next = r->next;
    if (r != mine) rec_release_locked(r);
  }
  atomic_store_explicit(&next_thread_index, 1, memory_order_relaxed);
  t->session = 0;
  t->count = 0;
  t->stacks_used = 0;
  __atomic_store_n(&t->counters, NULL, __ATOMIC_RELAXED);
  ms_inline_reset_self(); /* armed again, to the child's table, when it joins a session */
  if (!mine) return;
  ms_os_discard(mine->counters, MS_COUNTERS_BYTES);
  ms_inline_rec_clear(mine);
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
