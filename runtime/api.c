/* The public API of include/memscope.h, over session.c and thread.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"
#include "memscope.h"

MS_EXPORT int memscope_start(const char *dir) {
  int err = ms_session_start(dir);
  if (err) {
    errno = -err;
    return -1;
  }
  return 0;
}

MS_EXPORT int memscope_stop(void) {
  ms_runtime_init();
  return ms_session_stop("stop", 0);
}

MS_EXPORT int memscope_is_tracing(void) {
  ms_runtime_init();
  return ms_tracing();
}

MS_EXPORT int memscope_thread_tracing(int on) {
  struct ms_thread *t = &ms_self;
  int was_on = !t->disabled;
  t->disabled = !on;
  if (!on) { /* next event: slow path */
    __atomic_store_n(&t->counters, NULL, __ATOMIC_RELAXED);
    ms_inline_disarm_self();
  }
  return was_on;
}

MS_EXPORT void memscope_set_thread_name(const char *name) {
  struct ms_thread *t = &ms_self;
  if (!name) name = "";
  strncpy(t->name, name, sizeof t->name - 1);
  t->name[sizeof t->name - 1] = 0;
  if (t->rec) memcpy(t->rec->name, t->name, sizeof t->name); /* what others read */
  if (strlen(name) < 16) pthread_setname_np(pthread_self(), name);
}

/* Events and counts are in the file as they happen (thread.c): what is left to write
 * is the images loaded since the last check, and for a dump the threads' names. */
MS_EXPORT void memscope_flush(void) {
  if (ms_tracing()) ms_modules_check();
}

MS_EXPORT void memscope_dump(void) {
  if (!ms_tracing()) return;
  uint8_t was = ms_busy_begin();
  ms_threads_lock();
  ms_output_lock();
  ms_thread_finish_session_locked(&ms_self, 0, 0, 0);
  ms_threads_write_running_locked(0, 0);
  ms_output_unlock();
  ms_threads_unlock();
  ms_busy_end(was);
  ms_modules_check();
}

MS_EXPORT int memscope_phase(const char *label) {
  ms_runtime_init();
  uint32_t id = ms_phase_intern(label);
  atomic_store_explicit(&ms_current_phase, id, memory_order_relaxed);
  return (int)id;
}

MS_EXPORT size_t memscope_snapshot(struct memscope_snapshot *out,
                                   struct memscope_thread_counts *threads, size_t max_threads) {
  ms_runtime_init();
  struct memscope_snapshot local;
  if (!out) out = &local;
  return ms_threads_snapshot(out, threads, max_threads);
}
