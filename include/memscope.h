/* memscope's public C API: control tracing from inside the profiled program.
 *
 * Everything here is optional: a program compiled with the pass and linked with
 * libmemscope is profiled from start to exit without calling any of it (see
 * docs/runtime.md for the environment variables).  These calls are for programs that
 * want to say *what* to trace and *when*: a session around one phase, one thread left
 * out, a named thread, a flush before a risky step.  docs/api.md describes each call;
 * examples/api_tour.c uses every one.
 *
 * All functions are thread-safe, never allocate through the tracked path, and return
 * quickly; none of them are for the hot path. */
#ifndef MEMSCOPE_H
#define MEMSCOPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Starts a tracing session that writes to `dir` (NULL: $MEMSCOPE_OUT, else "."; created
 * if missing, mode 0700).  If a session is running it ends as this one begins: every
 * call is counted in exactly one of the two.  Each session writes its own new file,
 * memscope.<program>.<pid>.<unique>[.<session>].msgpack; counts start from zero.
 * Returns 0, or -1 when the file cannot be created (errno says why). */
int memscope_start(const char *dir);

/* Stops the running session: writes every thread's exact counts and the calling
 * thread's sampled events, and closes the file.  Until the next memscope_start nothing
 * is recorded.  Sampled events still buffered by other running threads are dropped
 * (their counts are not).  Returns 0, or -1 when no session was running. */
int memscope_stop(void);

/* Whether a session is running (1) or not (0). */
int memscope_is_tracing(void);

/* Tracing for the calling thread only: 0 leaves its allocations out of every session
 * until it is turned on again; 1 (the default) counts them.  Returns the old setting. */
int memscope_thread_tracing(int on);

/* Names the calling thread in profiles (up to 63 bytes are kept; the kernel's own
 * 15-byte thread name is set too, when `name` fits). */
void memscope_set_thread_name(const char *name);

/* Writes the calling thread's buffered events and exact counts to the file now. */
void memscope_flush(void);

/* Writes what can be written now for the whole process: the calling thread's events and
 * counts, and the exact counts of every other thread.  The file stays open. */
void memscope_dump(void);

/* A phase label for what follows, process-wide: every sampled event carries the phase
 * that was current when it happened (NULL or "" ends the phase).  Up to 255 distinct
 * labels per process; later ones share the last id.  Returns the phase's id (0: none). */
int memscope_phase(const char *label);

/* A cheap snapshot of the current session, without writing anything. */
struct memscope_thread_counts {
  uint32_t thread;        /* the runtime's thread number, as in the profile */
  int32_t os_tid;
  uint64_t allocations;   /* exact */
  uint64_t frees;         /* exact: frees at free sites */
  uint64_t bytes_allocated; /* exact */
};
struct memscope_snapshot {
  uint64_t threads;         /* threads that recorded in this session, still running */
  uint64_t allocations;     /* exact, over those threads */
  uint64_t frees;
  uint64_t bytes_allocated;
  double live_bytes_estimate; /* from the sampled blocks still live, process-wide */
};
/* Fills `out`, and up to `max_threads` entries of `threads` (may be NULL).  Returns the
 * number of threads available (may exceed max_threads). */
size_t memscope_snapshot(struct memscope_snapshot *out, struct memscope_thread_counts *threads,
                         size_t max_threads);

#ifdef __cplusplus
}
#endif

#endif
