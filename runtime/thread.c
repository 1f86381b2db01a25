/* Per-thread recording state.
 *
 * The state lives in initial-exec TLS: one segment-relative access, freed with the
 * thread.  On the thread's first event it takes from mmap:
 *   - its counters: MS_MAX_SITES slots of 32 bytes reserved (8 MiB of address space,
 *     MAP_NORESERVE); only the pages of sites the thread uses become memory, 4 KiB per
 *     128 sites;
 *   - its event buffer (1024 events, 64 KiB) and encoding buffer (84 KiB).
 * All of it goes back when the thread ends, so 20,000 short-lived threads cost no more
 * than the ones alive at once.
 *
 * `counters` is what the fast path uses; NULL sends every event to the slow path, which
 * (re)attaches `counters_mem` when the thread should record: a session is on, the thread
 * has not turned tracing off, and, for a new session, after zeroing the counts.
 *
 * A pthread key's destructor ends the thread: flushes its events, writes its counters
 * and its thread record.  It re-arms itself until the next-to-last destructor round, so
 * allocations made by other keys' destructors are still counted.  A registry of
 * recording threads lets a stopping session (or the exiting process) write the counters
 * of threads still running. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "memscope.h"

#define MS_THREAD_EVENTS 1024u
#define MS_COUNTERS_BYTES ((size_t)MS_MAX_SITES * sizeof(struct ms_site_counter))
#define MS_EVENTS_BYTES ((size_t)MS_THREAD_EVENTS * sizeof(struct ms_event))
/* Room for the stacks of one buffer of events: 32 frames each on average, reserved
 * (256 KiB of address space) on the first stack; pages become memory as written. */
#define MS_STACK_FRAMES (MS_THREAD_EVENTS * 32u)
#define MS_STACKS_BYTES ((size_t)MS_STACK_FRAMES * sizeof(uint64_t))

__thread struct ms_thread ms_self __attribute__((tls_model("initial-exec")));
static __thread uint8_t destructor_rounds __attribute__((tls_model("initial-exec")));

static pthread_key_t thread_key;
static _Atomic uint32_t next_thread_index = 1;
_Atomic int64_t ms_est_live_of_ended_threads;

/* The registry: set-up threads, linked through their TLS state. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ms_thread *registry;

void ms_threads_lock(void) { pthread_mutex_lock(&registry_lock); }
void ms_threads_unlock(void) { pthread_mutex_unlock(&registry_lock); }
int ms_threads_trylock(void) { return pthread_mutex_trylock(&registry_lock) == 0; }

uint32_t ms_threads_tids(struct ms_resource_thread *out, uint32_t max) {
  uint32_t n = 0;
  pthread_mutex_lock(&registry_lock);
  for (struct ms_thread *t = registry; t && n < max; t = t->reg_next)
    if (ms_thread_counters(t)) out[n++] = (struct ms_resource_thread){.tid = t->os_tid};
  pthread_mutex_unlock(&registry_lock);
  return n;
}

/* Links t; the caller holds the registry lock. */
static void registry_add_locked(struct ms_thread *t) {
  t->reg_prev = NULL;
  t->reg_next = registry;
  if (registry) registry->reg_prev = t;
  registry = t;
}

static void registry_remove(struct ms_thread *t) {
  pthread_mutex_lock(&registry_lock);
  if (t->reg_prev)
    t->reg_prev->reg_next = t->reg_next;
  else if (registry == t)
    registry = t->reg_next;
  if (t->reg_next) t->reg_next->reg_prev = t->reg_prev;
  t->reg_prev = t->reg_next = NULL;
  pthread_mutex_unlock(&registry_lock);
}

/* Finishes in the next-to-last round: late enough for most other keys' destructors, and
 * before the last round, where sanitizer runtimes tear down their own thread state. */
static void thread_key_destructor(void *unused) {
  (void)unused;
  if (++destructor_rounds < PTHREAD_DESTRUCTOR_ITERATIONS - 1) {
    pthread_setspecific(thread_key, &ms_self); /* run again in the next round */
    return;
  }
  ms_thread_finish(&ms_self, ms_now_ns());
}

void ms_thread_init_process(void) { pthread_key_create(&thread_key, thread_key_destructor); }

static void release_buffers(struct ms_thread *t) {
  __atomic_store_n(&t->counters, NULL, __ATOMIC_RELAXED);
  ms_os_unmap(t->counters_mem, MS_COUNTERS_BYTES);
  ms_os_unmap(t->events, MS_EVENTS_BYTES);
  if (t->stacks) ms_os_unmap(t->stacks, MS_STACKS_BYTES);
  t->stacks = NULL;
  t->stacks_used = 0;
  ms_wbuf_release(&t->enc);
  t->counters_mem = NULL;
  t->events = NULL;
  t->count = t->cap = 0;
}

/* The thread's first recording event in this process: memory, an index, the registry. */
static int thread_setup(struct ms_thread *t) {
  void *counters = mmap(NULL, MS_COUNTERS_BYTES, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  t->counters_mem = counters == MAP_FAILED ? NULL : counters;
  t->events = ms_os_map(MS_EVENTS_BYTES);
  if (!t->counters_mem || !t->events ||
      ms_wbuf_init(&t->enc, MS_THREAD_EVENTS * MS_EVENT_MAX_ENCODED + MS_RECORD_OVERHEAD)) {
    release_buffers(t);
    return 0;
  }
  t->cap = MS_THREAD_EVENTS;
  t->index = atomic_fetch_add_explicit(&next_thread_index, 1, memory_order_relaxed);
  t->os_tid = ms_os_gettid();
  t->start_ns = ms_now_ns();
  pthread_mutex_lock(&registry_lock);
  registry_add_locked(t);
  pthread_mutex_unlock(&registry_lock);
  pthread_setspecific(thread_key, t); /* any non-NULL value arms the destructor */
  return 1;
}

/* Counts start from zero in each session; buffered events of an old one are dropped. */
static void join_session(struct ms_thread *t, uint32_t session) {
  if (t->session != 0) madvise(t->counters_mem, MS_COUNTERS_BYTES, MADV_DONTNEED);
  t->session = session;
  t->count = 0;
  t->counters_seq = 0;
  t->record_all = ms_config.mode == MS_MODE_FULL;
  ms_sampler_seed(t, ms_now_ns() ^ ((uint64_t)t->os_tid << 32) ^ (uintptr_t)t);
  ms_inline_join(t);
}

int ms_thread_ensure(struct ms_thread *t) {
  if (ms_thread_counters(t)) return 1;
  if (t->busy || t->finished || t->disabled) return 0;
  if (ms_runtime_ready() && !ms_tracing()) return 0; /* mode off, or stopped: no work */
  int saved_errno = errno;
  t->busy = 1; /* what init and set-up allocate (through libc) is not recorded */
  ms_runtime_init();
  if (!ms_tracing()) {
    t->busy = 0;
    errno = saved_errno;
    return 0;
  }
  int ok = t->counters_mem || thread_setup(t);
  if (ok) {
    uint32_t session = ms_session();
    if (t->session != session) join_session(t, session);
    __atomic_store_n(&t->counters, t->counters_mem, __ATOMIC_RELAXED);
    ms_resource_ensure_started();
  }
  t->busy = 0;
  errno = saved_errno;
  return ok;
}

static void write_counters(struct ms_thread *t, struct ms_wbuf *b, uint32_t seq) {
  b->len = 0;
  b->failed = 0;
  ms_encode_counters(b, t->index, t->os_tid, seq, t->counters_mem, ms_sites_slots_in_use());
  ms_output_write(b);
}

/* Writes the buffered events, then the counters: a reader that sees the events of a
 * flush also sees counters at least as recent. */
void ms_thread_flush(struct ms_thread *t) {
  if (!ms_thread_counters(t)) return;
  int saved_errno = errno;
  uint8_t was_busy = t->busy;
  t->busy = 1;
  if (t->count) {
    t->enc.len = 0;
    t->enc.failed = 0;
    ms_encode_events(&t->enc, t->index, t->os_tid, t->events, t->count, t->stacks);
    ms_output_write(&t->enc);
    t->count = 0;
    t->stacks_used = 0;
  }
  ms_inline_fold(t, t->counters_mem, NULL);
  write_counters(t, &t->enc, ++t->counters_seq);
  ms_modules_check();
  t->busy = was_busy;
  errno = saved_errno;
}

uint64_t *ms_thread_stack_room(struct ms_thread *t, uint32_t frames) {
  if (frames > MS_STACK_FRAMES) return NULL;
  if (!t->stacks) {
    void *p = mmap(NULL, MS_STACKS_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return NULL;
    t->stacks = p;
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

static void thread_name(const struct ms_thread *t, int32_t own_tid, char name[64]);

static void write_thread_record(struct ms_thread *t, uint64_t end_ns) {
  char name[64];
  thread_name(t, ms_os_gettid(), name);
  t->enc.len = 0;
  t->enc.failed = 0;
  ms_encode_thread(&t->enc, t->index, t->os_tid, name, t->start_ns, end_ns);
  ms_output_write(&t->enc);
}

/* The calling thread's part of stopping a session: everything written, then detached. */
void ms_thread_finish_session(struct ms_thread *t, uint64_t end_ns) {
  if (!ms_thread_counters(t) || t->busy) return;
  ms_thread_flush(t);
  t->busy = 1;
  write_thread_record(t, end_ns);
  __atomic_store_n(&t->counters, NULL, __ATOMIC_RELAXED);
  if (t == &ms_self) ms_inline_disarm_self();
  t->busy = 0;
}

void ms_thread_finish(struct ms_thread *t, uint64_t end_ns) {
  if (!t->counters_mem || t->busy || t->finished) return;
  int saved_errno = errno;
  if (ms_tracing() && ms_thread_counters(t)) {
    ms_thread_flush(t);
    t->busy = 1;
    write_thread_record(t, end_ns);
  }
  t->busy = 1;
  if (t == &ms_self) ms_inline_disarm_self(); /* later calls: slow path, not counted */
  registry_remove(t);
  atomic_fetch_add_explicit(&ms_est_live_of_ended_threads, t->est_live, memory_order_relaxed);
  release_buffers(t);
  t->finished = 1;
  t->busy = 0;
  errno = saved_errno;
}

/* A thread's name: the one given to memscope_set_thread_name(), else the kernel's (read
 * from /proc for another thread: stop and exit paths only). */
static void thread_name(const struct ms_thread *t, int32_t own_tid, char name[64]) {
  memset(name, 0, 64);
  if (t->name[0]) {
    memcpy(name, t->name, 63);
    return;
  }
  if (t->os_tid == own_tid) {
    ms_os_thread_name(name);
    return;
  }
  char path[64];
  if (!ms_os_task_path(path, sizeof path, t->os_tid, "comm")) return;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, name, 15);
  close(fd);
  for (ssize_t i = 0; i < n; i++)
    if (name[i] == '\n') name[i] = 0;
}

/* Reads other threads' counters while they may still be counting: each 64-bit field is
 * read whole (aligned), so a snapshot is at worst a moment old.  Hidden from TSan on
 * purpose: making the hot path's increments atomic would cost every allocation. */
__attribute__((no_sanitize("thread"))) void ms_threads_write_running(int detach) {
  struct ms_wbuf b;
  if (ms_wbuf_init(&b, 1 << 16)) return;
  uint32_t session = ms_session();
  int32_t own_tid = ms_os_gettid();
  pthread_mutex_lock(&registry_lock);
  for (struct ms_thread *t = registry; t; t = t->reg_next) {
    if (t == &ms_self || !ms_thread_counters(t) || t->session != session) continue;
    b.len = 0;
    b.failed = 0;
    ms_inline_fold(t, t->counters_mem, NULL);
    /* seq: above anything the thread itself wrote, below a later session's numbers */
    ms_encode_counters(&b, t->index, t->os_tid, UINT32_MAX - 1, t->counters_mem,
                       ms_sites_slots_in_use());
    char name[64];
    thread_name(t, own_tid, name);
    ms_encode_thread(&b, t->index, t->os_tid, name, t->start_ns, 0);
    ms_output_write(&b);
    if (detach) {
      __atomic_store_n(&t->counters, NULL, __ATOMIC_RELAXED);
      ms_inline_disarm_thread(t);
    }
  }
  pthread_mutex_unlock(&registry_lock);
  ms_wbuf_release(&b);
}

__attribute__((no_sanitize("thread"))) size_t ms_threads_snapshot(
    struct memscope_snapshot *out, struct memscope_thread_counts *threads, size_t max) {
  memset(out, 0, sizeof *out);
  uint32_t session = ms_session(), slots = ms_sites_slots_in_use();
  int64_t live = atomic_load_explicit(&ms_est_live_of_ended_threads, memory_order_relaxed);
  size_t n = 0;
  pthread_mutex_lock(&registry_lock);
  for (struct ms_thread *t = registry; t; t = t->reg_next) {
    live += t->est_live;
    if (!ms_tracing() || t->session != session || !t->counters_mem) continue;
    struct memscope_thread_counts c = {.thread = t->index, .os_tid = t->os_tid};
    for (uint32_t i = 0; i < slots; i++) {
      const struct ms_site_counter *s = &t->counters_mem[i];
      if (!s->calls) continue;
      if (ms_sites_index_is_free(i)) {
        c.frees += s->calls;
      } else {
        c.allocations += s->calls;
        c.bytes_allocated += s->bytes;
      }
    }
    struct ms_inline_sums sums = {0};
    ms_inline_fold(t, NULL, &sums);
    c.allocations += sums.allocations;
    c.frees += sums.frees;
    c.bytes_allocated += sums.bytes;
    if (threads && n < max) threads[n] = c;
    n++;
    out->allocations += c.allocations;
    out->frees += c.frees;
    out->bytes_allocated += c.bytes_allocated;
  }
  pthread_mutex_unlock(&registry_lock);
  out->threads = n;
  out->live_bytes_estimate = live > 0 ? (double)live : 0.0;
  return n;
}

/* In a fork child only the forking thread exists.  Its buffered events happened in the
 * parent, which writes them; its counters restart so that the two files do not count
 * the same calls twice; the child numbers threads from 1 again and reseeds.  Runs with
 * the registry lock held (init.c's fork handlers). */
void ms_thread_after_fork_child(void) {
  struct ms_thread *t = &ms_self;
  registry = NULL;
  atomic_store_explicit(&next_thread_index, 1, memory_order_relaxed);
  if (!t->counters_mem) {
    t->index = 0;
    t->finished = 0;
    return;
  }
  t->index = atomic_fetch_add_explicit(&next_thread_index, 1, memory_order_relaxed);
  t->os_tid = ms_os_gettid();
  t->start_ns = ms_now_ns();
  t->session = 0; /* the child's file is a new session: counts restart at the next event */
  __atomic_store_n(&t->counters, NULL, __ATOMIC_RELAXED);
  ms_inline_disarm_self();
  registry_add_locked(t);
}
