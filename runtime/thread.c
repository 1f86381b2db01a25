/* Per-thread recording state.
 *
 * The state lives in initial-exec TLS, so it costs one segment-relative access and is
 * freed with the thread.  Its event buffer (MS_THREAD_EVENTS events) and encoding buffer
 * come from mmap when the thread records its first event and go back when it ends:
 * about 48 KiB + 64 KiB per recording thread, nothing for threads that never allocate.
 *
 * A pthread key's destructor finishes the thread: it flushes the buffer and writes the
 * thread's record.  Destructors that run after it (other keys') may still allocate;
 * those events are written through one at a time (cap stays 0). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"

#define MS_THREAD_EVENTS 1024u

__thread struct ms_thread ms_self __attribute__((tls_model("initial-exec")));

static pthread_key_t thread_key;
static _Atomic uint32_t next_thread_index = 1;

static void thread_key_destructor(void *unused) {
  (void)unused;
  ms_thread_finish(&ms_self, ms_now_ns());
}

void ms_thread_init_process(void) { pthread_key_create(&thread_key, thread_key_destructor); }

static size_t events_bytes(void) { return MS_THREAD_EVENTS * sizeof(struct ms_event); }

/* First event of this thread: take its buffers and an index.  Leaves cap 0 (every
 * event comes back here and is dropped) when recording is off or memory is short. */
static void thread_setup(struct ms_thread *t) {
  ms_runtime_init();
  if (ms_config.mode == MS_MODE_OFF) return;
  t->events = ms_os_map(events_bytes());
  if (!t->events) return;
  if (ms_wbuf_init(&t->enc, MS_THREAD_EVENTS * MS_EVENT_MAX_ENCODED + MS_RECORD_OVERHEAD)) {
    ms_os_unmap(t->events, events_bytes());
    t->events = NULL;
    return;
  }
  t->index = atomic_fetch_add_explicit(&next_thread_index, 1, memory_order_relaxed);
  t->os_tid = ms_os_gettid();
  t->start_ns = ms_now_ns();
  t->count = 0;
  pthread_setspecific(thread_key, t); /* any non-NULL value arms the destructor */
  t->cap = MS_THREAD_EVENTS;
}

void ms_thread_flush(struct ms_thread *t) {
  if (t->count == 0) return;
  t->enc.len = 0;
  t->enc.failed = 0;
  ms_encode_events(&t->enc, t->index, t->os_tid, t->events, t->count);
  ms_output_write(&t->enc);
  t->count = 0;
}

/* An event after the thread finished: one record, encoded on the stack. */
static void write_through(struct ms_thread *t, const struct ms_event *ev) {
  char mem[MS_EVENT_MAX_ENCODED + MS_RECORD_OVERHEAD];
  struct ms_wbuf b = MS_WBUF_FIXED(mem);
  ms_encode_events(&b, t->index, t->os_tid, ev, 1);
  ms_output_write(&b);
}

void ms_thread_record_slow(struct ms_thread *t, const struct ms_event *ev) {
  if (t->busy) return; /* re-entered from inside the runtime: never recurse */
  int saved_errno = errno;
  t->busy = 1;
  if (t->index == 0) thread_setup(t);
  if (t->cap > 0) {
    if (t->count == t->cap) ms_thread_flush(t);
    t->events[t->count++] = *ev;
  } else if (t->finished) {
    write_through(t, ev);
  }
  t->busy = 0;
  errno = saved_errno;
}

void ms_thread_finish(struct ms_thread *t, uint64_t end_ns) {
  if (t->index == 0 || t->finished || t->busy) return;
  int saved_errno = errno;
  t->busy = 1;
  ms_thread_flush(t);
  char name[16];
  ms_os_thread_name(name);
  t->enc.len = 0;
  t->enc.failed = 0;
  ms_encode_thread(&t->enc, t->index, t->os_tid, name, t->start_ns, end_ns);
  ms_output_write(&t->enc);
  t->cap = 0;
  t->finished = 1;
  ms_os_unmap(t->events, events_bytes());
  t->events = NULL;
  ms_wbuf_release(&t->enc);
  t->busy = 0;
  errno = saved_errno;
}

/* In a fork child only the forking thread exists.  Its buffered events happened in the
 * parent, which writes them; the child starts numbering threads again from 1. */
void ms_thread_after_fork_child(void) {
  struct ms_thread *t = &ms_self;
  atomic_store_explicit(&next_thread_index, 1, memory_order_relaxed);
  if (t->index == 0 || t->finished) {
    t->index = 0;
    t->finished = 0;
    return;
  }
  t->count = 0;
  t->index = atomic_fetch_add_explicit(&next_thread_index, 1, memory_order_relaxed);
  t->os_tid = ms_os_gettid();
  t->start_ns = ms_now_ns();
}
