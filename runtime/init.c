/* Process lifecycle: start-up, fork, exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "internal.h"

struct ms_process_meta ms_process;
/* interpose.c's sites, when it is linked (weak: the static runtime may leave it out). */
extern void ms_uninstrumented_register(void) __attribute__((weak));
static char program_name[256];
/* The command line as the kernel keeps it, one byte more than the bound to see that it
 * is longer, and the NUL after. */
static char command_line[MS_COMMAND_LINE_MAX_BYTES + 2];
static const char *command_line_args[MS_COMMAND_LINE_MAX_ARGS];

enum { INIT_NONE, INIT_RUNNING, INIT_DONE };
static _Atomic int init_state = INIT_NONE;

int ms_runtime_ready(void) {
  return atomic_load_explicit(&init_state, memory_order_acquire) == INIT_DONE;
}

/* The program's short name, made safe for a file name: at most MS_PROGRAM_NAME_MAX
 * bytes, cut between UTF-8 characters (the file name's other parts take at most 48 of
 * NAME_MAX's 255: a longer name made the file's creation fail). */
#define MS_PROGRAM_NAME_MAX 128
_Static_assert(MS_PROGRAM_NAME_MAX < sizeof program_name, "room for the NUL");
static void read_program_name(void) {
  const char *src = program_invocation_short_name;
  size_t n = 0;
  for (; src && src[n] && n < MS_PROGRAM_NAME_MAX; n++) {
    char c = src[n];
    program_name[n] = (c == '/' || c == ' ' || (unsigned char)c < 32) ? '_' : c;
  }
  if (src && src[n]) /* cut: not inside a character (continuation bytes are 10xxxxxx) */
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) n--;
  if (n == 0) memcpy(program_name, "program", (n = 7));
  program_name[n] = 0;
}

uint32_t ms_command_line_split(const char *buf, size_t len, int whole, const char **args,
                               uint32_t max, uint8_t *truncated) {
  uint32_t n = 0;
  *truncated = !whole;
  for (size_t pos = 0; pos < len;) {
    size_t end = pos + strnlen(buf + pos, len - pos);
    if (end == len && !whole) break; /* cut by the bound: left out */
    if (n == max) {
      *truncated = 1;
      break;
    }
    args[n++] = buf + pos;
    pos = end + 1;
  }
  return n;
}

/* The program's arguments as it started, from the kernel's copy (/proc/self/cmdline),
 * bounded (format.h): written in the file's header, as heaptrack does.  Once per
 * process: a fork child has the same.  Not the environment: nothing of it is read. */
static void read_command_line(void) {
  ssize_t n = ms_os_read_file("/proc/self/cmdline", command_line, sizeof command_line);
  ms_process.args = command_line_args;
  if (n < 0) {
    ms_process.nargs = 0;
    ms_process.args_truncated = 1; /* unknown, not empty */
    return;
  }
  int whole = (size_t)n <= MS_COMMAND_LINE_MAX_BYTES;
  size_t len = whole ? (size_t)n : MS_COMMAND_LINE_MAX_BYTES;
  command_line[len] = 0;
  ms_process.nargs =
      ms_command_line_split(command_line, len, whole, command_line_args,
                            MS_COMMAND_LINE_MAX_ARGS, &ms_process.args_truncated);
}

static void read_process_meta(void) {
  ms_process.program = program_name;
  ms_process.runtime_version = MEMSCOPE_RUNTIME_VERSION;
  ms_process.pid = ms_os_getpid();
  ms_process.ppid = ms_os_getppid();
  ms_process.mode = ms_mode_name(ms_config.mode);
  ms_process.sampler = ms_sampler_name(ms_config.sampler);
  ms_process.sample_interval =
      ms_config.sampler == MS_SAMPLER_BYTES ? ms_config.sample_interval : 0;
  ms_process.start_ns = ms_os_now_ns();
  ms_process.start_unix_ns = ms_os_unix_ns();
}

/* These locks are held across fork, so the child never inherits one mid-update; the
 * forking thread releases them on each side.  Order: the resource sampler's table (it
 * holds it while it takes the next two), the registry (and, holding it, the wait for
 * every other thread to leave the loader's list: loader.c), the output, then the
 * pthread_create records' free list.  Signals are blocked on the forking thread while it
 * holds them: a handler that allocates (it would set the thread up, or flush: both take
 * a lock held here) or forks again runs once they are given back.
 * Not leaks mode's table and stack store: an allocation in a signal handler takes their
 * locks on every call, and glibc's fork takes the malloc arena locks after these
 * handlers, so a fork holding them waited for a thread interrupted inside malloc while
 * that thread's handler waited for the fork.  The child rebuilds them instead
 * (leak_table.c, leak_stacks.c).  The registry and the output cannot be rebuilt so: a
 * recording waits for them at most 500 ms once glibc's part of a fork is under way
 * (ms_lock_unless_forking), for the same reason. */
static sigset_t fork_saved_mask; /* the forking thread's (resource lock held) */
/* FORK_PREPARING while the prepare handler takes the locks (it waits for nothing a
 * thread inside malloc holds: it ends), FORK_IN_GLIBC from then until the parent's or
 * child's handler gave the last back: glibc's part, which takes the arena locks. */
enum { FORK_NONE, FORK_PREPARING, FORK_IN_GLIBC };
static _Atomic int fork_pending;

/* A thread that is not inside malloc gets the lock once the fork is done, so glibc's
 * part of a fork is waited for this long (it copies the page tables, ~1 ms per 100 MB
 * mapped; a loaded machine makes the forking thread wait for a CPU too: 50 ms was too
 * short for stacks_storm at a load of 20 on 2 cores) before the recording gives up.
 * What it costs when the wait would never end: the fork and the interrupted thread
 * stand still that long, and the record is dropped. */
#define FORK_WAIT_NS (500u * 1000u * 1000u)
/* How often a waiter looks for a fork: the give-up comes at most this much after the
 * 500 ms.  Not 1 ms: every waiter woke each millisecond to look, and with 512 threads
 * queued for the registry at their start those wake-ups (~90,000 context switches) took
 * the CPU from the lock's holder (bench/cost, 512 threads: up to 2x of the plain run). */
#define FORK_POLL_NS (20u * 1000u * 1000u)
/* Which fork this is (counted by fork_prepare, never 0), and the last fork in which this
 * thread gave up waiting.  A thread that gave up once in a fork is likely the one the
 * fork waits for (interrupted inside malloc): its next recordings in the same fork give
 * up at once.  Without it a thread that kept taking signals (each handler recording)
 * waited 500 ms per signal, and one fork stood still for seconds (hostile/fork_signals:
 * 1 fork in 2 s). */
static _Atomic unsigned fork_number;
void (*ms_fork_test_hook)(void); /* (a load per fork) */
static __thread unsigned gave_up_in_fork __attribute__((tls_model("initial-exec")));
int ms_lock_unless_forking(void *mutex) {
  pthread_mutex_t *m = mutex;
  for (uint64_t since = 0;;) {
    if (pthread_mutex_trylock(m) == 0) return 1;
    if (atomic_load(&fork_pending) == FORK_IN_GLIBC) {
      unsigned fork_now = atomic_load_explicit(&fork_number, memory_order_relaxed);
      if (gave_up_in_fork == fork_now) return 0;
      uint64_t now = ms_os_now_ns();
      if (!since) since = now;
      else if (now - since >= FORK_WAIT_NS) {
        gave_up_in_fork = fork_now;
        return 0;
      }
    }
    /* Held: wait, FORK_POLL_NS at a time, so that a fork that starts meanwhile (and
     * waits for the holder, then takes it) is seen. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += FORK_POLL_NS;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    if (pthread_mutex_timedlock(m, &until) == 0) return 1;
  }
}

static void fork_prepare(void) {
  atomic_store(&fork_pending, FORK_PREPARING);
  ms_resource_lock();
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &fork_saved_mask);
  ms_threads_lock();
  ms_loader_fork_prepare(); /* no thread left inside the loader's list (its lock) */
  ms_output_lock();
  ms_thread_create_lock();
  unsigned next = atomic_load_explicit(&fork_number, memory_order_relaxed) + 1;
  atomic_store_explicit(&fork_number, next ? next : 1, memory_order_relaxed);
  atomic_store(&fork_pending, FORK_IN_GLIBC);
  if (MS_UNLIKELY(ms_fork_test_hook != NULL)) ms_fork_test_hook();
}
static void fork_parent(void) {
  ms_thread_create_unlock();
  ms_output_unlock();
  ms_loader_fork_parent();
  ms_threads_unlock();
  pthread_sigmask(SIG_SETMASK, &fork_saved_mask, NULL);
  ms_resource_unlock();
  atomic_store(&fork_pending, FORK_NONE);
}
static void fork_child(void) {
  ms_clock_fork_child();
  ms_os_asym_fences_init(); /* (the registration may not be inherited; one thread now) */
  ms_output_after_fork_child();
  ms_resource_after_fork_child();
  read_process_meta();
  ms_thread_after_fork_child();
  ms_leaks_after_fork_child();
  ms_leak_stacks_after_fork_child();
  ms_thread_create_unlock();
  ms_output_unlock();
  ms_loader_fork_child();
  ms_threads_unlock();
  pthread_sigmask(SIG_SETMASK, &fork_saved_mask, NULL);
  ms_resource_unlock();
  atomic_store(&fork_pending, FORK_NONE);
  /* The child's resource sampler, here, where its one thread holds no lock of glibc's
   * (made new in the child) nor of ours (given back above), even when the program forked
   * from a signal handler; not from its first recorded call (resource.c). */
  if (ms_tracing()) ms_resource_ensure_started();
}

void ms_runtime_init(void) {
  int expected = INIT_NONE;
  if (MS_LIKELY(ms_runtime_ready())) return;
  static __thread int initialising; /* this thread is inside init: it allocated */
  if (initialising) return;
  if (!atomic_compare_exchange_strong(&init_state, &expected, INIT_RUNNING)) {
    /* Another thread is initialising; this thread may also be re-entering from inside
     * init (then the state is RUNNING and waiting would deadlock: return). */
    static __thread int waiting;
    if (waiting) return;
    waiting = 1;
    while (!ms_runtime_ready()) ms_os_yield();
    waiting = 0;
    return;
  }
  int saved_errno = errno;
  initialising = 1;
  ms_real_resolve();
  ms_config_load();
  ms_clock_init(ms_config.clock_monotonic); /* before the first time of the file */
  read_program_name();
  read_command_line();
  read_process_meta();
  ms_os_asym_fences_init(); /* before any thread records */
  /* full and leaks modes: every free reaches the slow path */
  ms_sampled_set_init(ms_config.mode == MS_MODE_FULL || ms_config.mode == MS_MODE_LEAKS);
  ms_session_init();
  ms_thread_init_process();
  ms_thread_create_init();
  pthread_atfork(fork_prepare, fork_parent, fork_child);
  ms_signals_install();
  atomic_store_explicit(&init_state, INIT_DONE, memory_order_release);
  initialising = 0;
  if (ms_interposing && ms_config.uninstrumented && ms_uninstrumented_register) {
    ms_uninstrumented_register();
    __atomic_store_n(&ms_uninstrumented_on, 1, __ATOMIC_RELEASE);
  }
  errno = saved_errno;
}

/* The runtime's static constructor and destructor (not the public API's start and stop:
 * these run once, when the runtime is loaded and when the process exits).  Priority 101
 * runs first among constructors and last among destructors, so the runtime is up before
 * user constructors allocate and still records their destructors. */
__attribute__((constructor(101))) static void ms_init_at_load(void) {
  ms_runtime_init();
  ms_stacks_init(); /* here, never from inside an allocation: see stacks.c */
  /* The session's file now, so that a fatal signal never has to create it. */
  if (ms_tracing()) ms_output_open_now();
  /* The resource sampler from here, never from a first recorded call (a signal handler's
   * allocation may be one: resource.c). */
  if (ms_tracing()) ms_resource_ensure_started();
}

__attribute__((destructor(101))) static void ms_fini_at_exit(void) {
  /* exit() from a signal handler that interrupted the runtime (busy, maybe holding its
   * locks) ends without the END record rather than waiting on them for ever. */
  if (ms_runtime_ready() && !ms_self.busy) ms_session_stop("exit", ms_os_now_ns());
}
