/* Fatal signals: say so in the file, then die exactly as before.
 *
 * Every count and event is in the file already (thread.c), so there is nothing to
 * flush.  On SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT the handler notes the signal,
 * the thread it hit and when in the file's status block (plain stores into the mapped
 * header: no lock, so even a crash inside the runtime is named), writes the threads'
 * THREAD records when it can take the locks, then puts back the default action and lets
 * the signal take its course, so the exit status and core dump are what they would
 * have been.
 *
 * Safety: only system calls (fstat, open of our own file by path, fallocate, pwrite,
 * mmap, reading /proc for thread names) and our own encoders and buffers run in the
 * handler.  Both
 * locks are taken with trylock (the registry's retried for up to 100 ms) and never given
 * back: if the crash happened while one was held (inside the runtime), nothing is
 * written rather than deadlocking, and no
 * other thread can write between our checks or after them.  The file is never created here
 * (that enumerates the loaded modules), no module check runs, no message is formatted.
 * A crash inside the runtime's own slow path (busy) writes nothing.  MEMSCOPE_SIGNALS=0
 * turns it off.  A handler the program installs later replaces ours; that is its
 * right. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>

#include "internal.h"

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
#define NSIG_FATAL (sizeof fatal_signals / sizeof fatal_signals[0])
static volatile sig_atomic_t handling;

/* The registry lock, tried for up to `ns`: another thread may hold it for a moment (one
 * starting or ending, a new chunk).  Giving up at once would skip the quiesce, and a
 * full-mode call under way would then be counted without its event.  Costs at most
 * 100 ms on the way to the crash when the holder never lets go. */
static int threads_trylock_for(uint64_t ns) {
  uint64_t until = ms_os_now_ns() + ns;
  while (!ms_threads_trylock()) {
    if (ms_os_now_ns() >= until) return 0;
    ms_os_sleep_ns(100000);
  }
  return 1;
}

static void on_fatal_signal(int sig, siginfo_t *info, void *uctx) {
  (void)uctx;
  int saved_errno = errno;
  if (!handling) {
    handling = 1;
    /* The locks are kept until the process dies: no other thread starts a write that
     * death would cut short.  (One already writing, holding the lock, makes the trylock
     * fail: nothing more is written, and its record may be cut.) */
    struct ms_file_status *st = ms_tracing() ? ms_output_status() : NULL;
    if (st) { /* lock-free: even a crash inside the runtime says what killed it */
      __atomic_store_n(&st->signal, (uint32_t)sig, __ATOMIC_RELAXED);
      __atomic_store_n(&st->signal_tid, (uint32_t)ms_os_gettid(), __ATOMIC_RELAXED);
      __atomic_store_n(&st->signal_ns, ms_os_now_ns(), __ATOMIC_RELAXED);
      __atomic_fetch_or(&st->flags, MS_STATUS_SIGNAL, __ATOMIC_RELEASE);
    }
    if (ms_tracing() && !ms_self.busy && threads_trylock_for(100u * 1000u * 1000u)) {
      /* recording stops, calls under way finish: counts and events end together */
      atomic_store_explicit(&ms_session_closing, 1, memory_order_seq_cst);
      ms_threads_quiesce_locked();
      if (ms_output_trylock()) {
        ms_output_in_signal = 1;
        /* thread records only: every count and event is in the file already */
        ms_thread_finish_session_locked(&ms_self, 0, 0, 0);
        ms_threads_write_running_locked(0, 0);
      } else {
        ms_threads_unlock();
      }
    }
  }
  errno = saved_errno;
  /* Back to the default action.  A fault returns to the faulting instruction and dies of
   * it there; a signal that was sent (abort's SIGABRT, kill) is raised again. */
  ms_os_signal_default(sig, info->si_code <= 0 || sig == SIGABRT);
}

/* Installed only for signals whose disposition is still the default: a program that
 * chose its own keeps it (and one that installs a handler later replaces ours). */
void ms_signals_install(void) {
  if (!ms_config.signals) return;
  for (unsigned i = 0; i < NSIG_FATAL; i++)
    ms_os_signal_take_default(fatal_signals[i], on_fatal_signal);
}
