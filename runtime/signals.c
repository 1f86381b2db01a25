/* Fatal signals: write what can be written safely, then die exactly as before.
 *
 * On SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT the handler writes the crashing
 * thread's buffered events and counters and every other thread's counters, then puts
 * back the default action and lets the signal take its course, so the exit status and
 * core dump are what they would have been.
 *
 * Safety: only system calls (write, fstat, open of our own file by path, mmap, reading
 * /proc for thread names) and our own encoders and buffers run in the handler.  Both
 * locks are taken with trylock and never given back: if the crash happened while one
 * was held (inside the runtime), nothing is written rather than deadlocking, and no
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

static void on_fatal_signal(int sig, siginfo_t *info, void *uctx) {
  (void)uctx;
  int saved_errno = errno;
  if (!handling) {
    handling = 1;
    /* The locks are kept until the process dies: no other thread starts a write that
     * death would cut short.  (One already writing, holding the lock, makes the trylock
     * fail: nothing more is written, and its record may be cut.) */
    if (ms_tracing() && !ms_self.busy && ms_threads_trylock()) {
      if (ms_output_trylock()) {
        ms_output_in_signal = 1;
        ms_thread_flush_locked(&ms_self);
        ms_threads_write_running_locked(0);
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
