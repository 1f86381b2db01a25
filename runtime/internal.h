/* libmemscope internals, grouped by the file that defines them.
 *
 * Rules for every file here: never call malloc or anything that may (stdio, most of
 * libc's formatting), take memory from mmap; nothing on the hot path (hooks.c, the
 * inline recorder below) may lock, use a shared atomic, make a syscall or read a clock
 * except where the mode requires an event timestamp. */
#ifndef MEMSCOPE_RUNTIME_INTERNAL_H
#define MEMSCOPE_RUNTIME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "memscope/abi.h"
#include "memscope/format.h"

#define MS_EXPORT __attribute__((visibility("default")))
#define MS_LIKELY(x) __builtin_expect(!!(x), 1)
#define MS_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- clock (inline) ------------------------------------------------------------------
 * CLOCK_MONOTONIC through the vDSO: no syscall, ~20 ns. Only used where an event needs
 * its time (every event in full mode). */
static inline uint64_t ms_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- os.c: the only place that talks to the kernel directly ----------------------- */
void *ms_os_map(size_t size);             /* zeroed pages, NULL on failure */
void ms_os_unmap(void *p, size_t size);
void *ms_os_remap(void *p, size_t old_size, size_t new_size); /* NULL on failure */
int ms_os_write_all(int fd, const void *buf, size_t len);     /* 0 or -errno */
int32_t ms_os_gettid(void);
void ms_os_thread_name(char out[16]);     /* calling thread's name, "" if unknown */
void ms_os_warn(const char *msg, const char *detail); /* one line on stderr */
/* Appends decimal v to buf at *pos, bounded by cap; returns 0 when it did not fit. */
int ms_os_append_str(char *buf, size_t cap, size_t *pos, const char *s);
int ms_os_append_u64(char *buf, size_t cap, size_t *pos, uint64_t v);

/* ---- real_alloc.c: the allocator underneath (one place to change for interposition) */
void *ms_real_malloc(size_t size);
void *ms_real_calloc(size_t nmemb, size_t size);
void *ms_real_realloc(void *ptr, size_t size);
void ms_real_free(void *ptr);

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
/* One recorded event as kept in a thread's buffer until it is flushed. */
struct ms_event {
  uint64_t site_id;
  uint64_t size;
  uint64_t ptr;
  uint64_t ts;
  uint64_t old_ptr;     /* realloc only */
  uint32_t kind;        /* enum ms_event_kind */
  uint32_t begin_delta; /* realloc only: ts - begin_ns, saturated */
};
/* Largest encoding of one event; flush buffers are sized with it. */
#define MS_EVENT_MAX_ENCODED 64
#define MS_RECORD_OVERHEAD 64

struct ms_process_meta {
  const char *program;
  uint64_t pid, ppid;
  const char *mode;
  uint64_t start_ns, start_unix_ns;
};
void ms_encode_header(struct ms_wbuf *b, const struct ms_process_meta *meta);
void ms_encode_site(struct ms_wbuf *b, const struct __memscope_site *site);
void ms_encode_thread(struct ms_wbuf *b, uint32_t index, int32_t os_tid, const char *name,
                      uint64_t start_ns, uint64_t end_ns);
void ms_encode_events(struct ms_wbuf *b, uint32_t index, int32_t os_tid,
                      const struct ms_event *events, uint32_t n);
void ms_encode_end(struct ms_wbuf *b, uint64_t end_ns, const char *reason);

/* ---- config.c: settings read once from the environment ----------------------------- */
enum ms_mode { MS_MODE_OFF = 0, MS_MODE_FULL = 1 };
struct ms_config {
  enum ms_mode mode;
  char out_dir[4096];
};
extern struct ms_config ms_config;
void ms_config_load(void);
const char *ms_mode_name(enum ms_mode mode);

/* ---- output.c: the process's one output file ----------------------------------------
 * Opened on first use (header and known sites first), appended to with whole records.
 * Safe from any thread; takes the output lock (never on the hot path). */
void ms_output_write(const struct ms_wbuf *b);
void ms_output_lock(void);
void ms_output_unlock(void);
void ms_output_write_locked(const struct ms_wbuf *b); /* caller holds the lock */
enum ms_open_result { MS_OPEN_FAILED, MS_OPEN_ALREADY, MS_OPEN_NEW };
enum ms_open_result ms_output_open_locked(void);
void ms_output_after_fork_child(void);

/* ---- sites.c: registered site tables ------------------------------------------------ */
/* Encodes every registered site into b (output lock held: called when the file opens). */
void ms_sites_encode_all_locked(struct ms_wbuf *b);

/* ---- thread.c: per-thread recording state ------------------------------------------- */
struct ms_thread {
  /* Hot fields first: the recorder touches only these. cap == 0 means "not recording
   * into the buffer" (not set up yet, finished, or mode off): every event then takes
   * the slow path, which decides. */
  struct ms_event *events;
  uint32_t count;
  uint32_t cap;
  /* Cold. */
  uint32_t index;   /* 1, 2, ... in order of first event; 0 = never set up */
  int32_t os_tid;
  uint64_t start_ns;
  uint8_t finished; /* its thread record is written; later events are written through */
  uint8_t busy;     /* re-entry guard for the slow path */
  struct ms_wbuf enc;
};
extern __thread struct ms_thread ms_self __attribute__((tls_model("initial-exec")));

void ms_thread_record_slow(struct ms_thread *t, const struct ms_event *ev);
void ms_thread_flush(struct ms_thread *t);
void ms_thread_finish(struct ms_thread *t, uint64_t end_ns);
void ms_thread_init_process(void);    /* once, from runtime init */
void ms_thread_after_fork_child(void);

/* The recorder: the whole per-event cost when the buffer has room. */
static inline void ms_record(const struct ms_event *ev) {
  struct ms_thread *t = &ms_self;
  if (MS_LIKELY(t->count < t->cap)) {
    t->events[t->count++] = *ev;
    return;
  }
  ms_thread_record_slow(t, ev);
}

/* ---- init.c: process lifecycle ------------------------------------------------------ */
extern struct ms_process_meta ms_process;
void ms_runtime_init(void); /* idempotent; every entry point's slow path calls it */
int ms_runtime_ready(void);

#endif
