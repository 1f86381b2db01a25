/* Sessions and phases.
 *
 * A session is one output file.  Session 1 starts with the process unless
 * MEMSCOPE_MODE=off; memscope_start() starts the next.  Starting one takes every
 * thread's counts as its base; stopping one writes every thread's counts minus its base
 * (thread.c), so each call counts in exactly one session however threads race with
 * start and stop.  Nothing here is on the hot path. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"

_Atomic uint32_t ms_session_gen;
_Atomic int ms_session_on;
_Atomic int ms_session_closing;
_Atomic uint32_t ms_current_phase;

#define MS_MAX_PHASES 255
static char phase_labels[MS_MAX_PHASES + 1][64]; /* [0] unused: id 0 is "no phase" */
static uint32_t phase_count;
static pthread_mutex_t phase_lock = PTHREAD_MUTEX_INITIALIZER;

void ms_session_init(void) {
  if (ms_config.mode == MS_MODE_OFF) return;
  atomic_store_explicit(&ms_session_gen, 1, memory_order_release);
  atomic_store_explicit(&ms_session_on, 1, memory_order_release);
}

/* Ends the running session (both locks held).  With `rebase`, the session starting
 * right after: one snapshot of every thread ends this one and begins that one, so a
 * call made meanwhile is in exactly one of them; and tracing never looks off between
 * the two (a thread that saw it off would not count its call at all). */
static void end_session_locked(const char *reason, uint64_t end_ns, uint32_t rebase) {
  uint64_t now = ms_os_now_ns();
  /* Leaks mode's live blocks first: before the counters and END, as events come. */
  if (ms_config.mode == MS_MODE_LEAKS) ms_leaks_write_locked();
  /* At exit, threads still running count on until the process's last instruction, in
   * their tables in the file: a snapshot now would only be older (and disagree with
   * the events they record meanwhile).  A stop ends their part at this instant. */
  int snapshot = strcmp(reason, "exit") != 0;
  ms_threads_write_running_locked(rebase, snapshot);
  ms_thread_finish_session_locked(&ms_self, end_ns, rebase, snapshot);
  char mem[128];
  struct ms_wbuf b = MS_WBUF_FIXED(mem);
  ms_encode_end(&b, now, reason);
  ms_output_write_locked(&b);
  if (!rebase) atomic_store_explicit(&ms_session_on, 0, memory_order_release);
  ms_output_close_locked();
}

/* Both locks are held from the threads' baselines to the file's creation: a thread set
 * up meanwhile waits, and either has its base taken or starts counting from zero. */
int ms_session_start(const char *dir) {
  ms_runtime_init();
  char resolved[sizeof ms_config.out_dir];
  if (dir && *dir) {
    int err = ms_output_resolve_dir(dir, resolved);
    if (err) return err;
  }
  if (ms_tracing() && ms_config.resource_interval_ns) ms_resource_sample_now();
  uint8_t was = ms_busy_begin();
  ms_threads_lock();
  ms_output_lock();
  uint32_t session = ms_session() + 1;
  if (ms_tracing())
    end_session_locked("stop", 0, session);
  else
    ms_threads_take_baselines_locked(session);
  if (dir && *dir) strcpy(ms_config.out_dir, resolved);
  if (ms_config.mode == MS_MODE_OFF) ms_config.mode = MS_MODE_SAMPLED;
  ms_process.mode = ms_mode_name(ms_config.mode);
  atomic_store_explicit(&ms_session_gen, session, memory_order_release);
  atomic_store_explicit(&ms_session_on, 1, memory_order_release);
  /* Create it now, so that an unwritable directory is reported to the caller. */
  int err = ms_output_open_locked();
  if (err) {
    atomic_store_explicit(&ms_session_on, 0, memory_order_release);
    ms_output_close_locked();
  } else {
    ms_threads_write_bases_locked(session);
  }
  ms_output_unlock();
  ms_threads_unlock();
  ms_busy_end(was);
  if (!err) ms_resource_ensure_started(); /* (a session begun here: resource.c) */
  return err;
}

int ms_session_stop(const char *reason, uint64_t end_ns) {
  if (!ms_tracing()) return -1;
  if (ms_config.resource_interval_ns) ms_resource_sample_now(); /* the session's last tick */
  uint8_t was = ms_busy_begin();
  ms_threads_lock();
  /* The session ends for good: recording stops before anything is written, and calls
   * under way finish (they may need the output lock for a new chunk: not taken yet),
   * so counts and events end at the same call. */
  atomic_store_explicit(&ms_session_closing, 1, memory_order_seq_cst);
  ms_threads_quiesce_locked();
  ms_output_lock();
  int was_on = ms_tracing(); /* another thread may have stopped it meanwhile */
  if (was_on) end_session_locked(reason, end_ns, 0);
  atomic_store_explicit(&ms_session_closing, 0, memory_order_release);
  ms_output_unlock();
  ms_threads_unlock();
  ms_busy_end(was);
  return was_on ? 0 : -1;
}

uint32_t ms_phase_intern(const char *label) {
  if (!label || !*label) return 0;
  pthread_mutex_lock(&phase_lock);
  uint32_t id = 0;
  for (uint32_t i = 1; i <= phase_count; i++)
    if (strncmp(phase_labels[i], label, sizeof phase_labels[i] - 1) == 0) id = i;
  int is_new = id == 0 && phase_count < MS_MAX_PHASES;
  if (is_new) {
    id = ++phase_count;
    strncpy(phase_labels[id], label, sizeof phase_labels[id] - 1);
  } else if (id == 0) {
    id = MS_MAX_PHASES; /* out of ids: share the last */
  }
  pthread_mutex_unlock(&phase_lock);
  if (is_new && ms_tracing()) {
    char mem[160];
    struct ms_wbuf b = MS_WBUF_FIXED(mem);
    ms_encode_phase(&b, id, phase_labels[id], ms_os_now_ns());
    ms_output_write(&b);
  }
  return id;
}

/* Every label known so far, for a session's new file (output lock held). */
void ms_phases_encode_all_locked(struct ms_wbuf *b) {
  pthread_mutex_lock(&phase_lock);
  for (uint32_t i = 1; i <= phase_count; i++) ms_encode_phase(b, i, phase_labels[i], 0);
  pthread_mutex_unlock(&phase_lock);
}
