/* The resource sampler: every MEMSCOPE_RESOURCE_INTERVAL, one RESOURCE record with the
 * process's memory (RSS, virtual size), page faults, CPU time, I/O bytes and context
 * switches, and the CPU time of every recording thread: the timeline the merge turns
 * into peak CPU, peak memory, I/O totals and per-thread CPU shares.
 *
 * It is a thread of its own ("memscope-res"), detached, with every signal blocked so the
 * program's signals go to the program's threads.  It is started only where the program
 * is known not to be inside a signal handler: the runtime's constructor (a session from
 * the start), memscope_start() (a session begun later), and a fork child's atfork
 * handler (right after fork: the child's one thread, holding none of glibc's locks nor
 * ours).  Not
 * on a thread's first recorded call, as it was: that call may be a signal handler's
 * malloc, and pthread_create is not async-signal-safe (it takes glibc's stack cache lock
 * and ours, which the interrupted code may hold: a deadlock the program never had).
 * What it costs: the thread exists from the start even if the program never allocates,
 * and a fork child that only calls exec pays one pthread_create.  It reads /proc (ms_os_read_file) into
 * buffers of its own and allocates nothing.  Off unless MEMSCOPE_RESOURCE_INTERVAL is set;
 * cost per tick: three /proc reads plus two per recording thread. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "internal.h"

#define MS_RES_MAX_THREADS 4096

static _Atomic int started;
static uint64_t ns_per_tick;

/* Reads a small /proc file into buf (NUL-terminated); 0 when it cannot. */
static int read_proc(const char *path, char *buf, size_t cap) {
  return ms_os_read_file(path, buf, cap) > 0;
}

static uint64_t parse_u64(const char **s) {
  uint64_t v = 0;
  while (**s == ' ' || **s == '\t') (*s)++;
  while (**s >= '0' && **s <= '9') v = v * 10 + (uint64_t)(*(*s)++ - '0');
  return v;
}

/* Field `want` (1-based, as in proc(5)) of a stat line, counted after the command. */
static uint64_t stat_field(const char *stat, int want) {
  const char *s = strrchr(stat, ')');
  if (!s) return 0;
  s += 2; /* ") " then field 3 */
  for (int field = 3; field < want && *s; field++) {
    while (*s && *s != ' ') s++;
    while (*s == ' ') s++;
  }
  return parse_u64(&s);
}

/* The number after "key" in a "key: value" file, 0 when absent. */
static uint64_t keyed(const char *text, const char *key) {
  const char *s = strstr(text, key);
  if (!s) return 0;
  s += strlen(key);
  while (*s == ':' || *s == ' ' || *s == '\t') s++;
  return parse_u64(&s);
}

/* A thread's CPU time.  stat gives user and system time in 10 ms clock ticks, so a
 * thread that ran 9 ms reads 0; schedstat's first field is its run time in ns.  The run
 * time is split as stat splits it (all of it user time while stat has no tick yet), so
 * user + system is exact at the tick while each part is the kernel's estimate.  Without
 * schedstat (a kernel without CONFIG_SCHED_INFO), stat's ticks as they are. */
static void thread_cpu(int32_t tid, uint64_t *user, uint64_t *system) {
  char path[64], buf[1024];
  *user = *system = 0;
  if (ms_os_task_path(path, sizeof path, tid, "stat") && read_proc(path, buf, sizeof buf)) {
    *user = stat_field(buf, 14) * ns_per_tick;
    *system = stat_field(buf, 15) * ns_per_tick;
  }
  if (ms_os_task_path(path, sizeof path, tid, "schedstat") && read_proc(path, buf, sizeof buf)) {
    const char *s = buf;
    uint64_t run = parse_u64(&s), ticks = *user + *system;
    if (run == 0) return;
    uint64_t u = ticks ? (uint64_t)((double)run * (double)*user / (double)ticks) : run;
    *user = u;
    *system = run - u;
  }
}

/* One table for the sampler thread and a stopping session, taken in turn: 96 KiB of
 * static memory rather than TLS that every thread of the program would carry. */
static struct ms_resource_thread thread_table[MS_RES_MAX_THREADS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

void ms_resource_sample_now(void) {
  pthread_mutex_lock(&table_lock);
  struct ms_resource_thread *threads = thread_table;
  struct ms_resource_sample s = {.ts = ms_os_now_ns(), .threads = threads};
  char buf[4096];
  if (read_proc("/proc/self/stat", buf, sizeof buf)) {
    s.process[MS_RES_MINFLT] = stat_field(buf, 10);
    s.process[MS_RES_MAJFLT] = stat_field(buf, 12);
    s.process[MS_RES_UTIME] = stat_field(buf, 14) * ns_per_tick;
    s.process[MS_RES_STIME] = stat_field(buf, 15) * ns_per_tick;
    s.process[MS_RES_VSIZE] = stat_field(buf, 23);
    s.process[MS_RES_RSS] = stat_field(buf, 24) * (uint64_t)ms_os_page_size();
  }
  if (read_proc("/proc/self/io", buf, sizeof buf)) {
    s.process[MS_RES_READ] = keyed(buf, "read_bytes");
    s.process[MS_RES_WRITE] = keyed(buf, "write_bytes");
  }
  if (read_proc("/proc/self/status", buf, sizeof buf)) {
    s.process[MS_RES_VCSW] = keyed(buf, "\nvoluntary_ctxt_switches");
    s.process[MS_RES_IVCSW] = keyed(buf, "nonvoluntary_ctxt_switches");
  }
  s.nthreads = ms_threads_tids(threads, MS_RES_MAX_THREADS);
  for (uint32_t i = 0; i < s.nthreads; i++)
    thread_cpu(threads[i].tid, &threads[i].user_ns, &threads[i].system_ns);
  struct ms_wbuf b;
  if (ms_wbuf_init(&b, 64 + (size_t)s.nthreads * 32) == 0) {
    /* memscope's own file counts in write_bytes (its chunks are dirtied through mappings,
     * a window's pages all at once when it is mapped): its size so far, the window
     * reserved ahead included, lets the merge leave it out of the program's writes.  Read
     * under the output lock: a session ending on another thread (the exit's stop) unmaps
     * the status block it comes from, and a tick that had loaded its address just before
     * died of SIGSEGV (the sampler blocks every signal, so the runtime's handler never ran
     * and the file said nothing).  Costs the lock for a few microseconds more per tick. */
    ms_output_lock();
    s.process[MS_RES_OWN_FILE] = ms_chunks_file_bytes_locked();
    ms_encode_resource(&b, &s);
    ms_output_write_locked(&b);
    ms_output_unlock();
    ms_wbuf_release(&b);
  }
  pthread_mutex_unlock(&table_lock);
}

static void *sampler_main(void *unused) {
  (void)unused;
  pthread_setname_np(pthread_self(), "memscope-res");
  for (;;) {
    ms_os_sleep_ns(ms_config.resource_interval_ns);
    if (ms_tracing()) ms_resource_sample_now();
  }
  return NULL;
}

void ms_resource_ensure_started(void) {
  if (!ms_config.resource_interval_ns || atomic_load_explicit(&started, memory_order_relaxed))
    return;
  if (atomic_exchange(&started, 1)) return;
  ns_per_tick = 1000000000u / ms_os_clock_ticks_per_s();
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 << 10);
  sigset_t all, old;
  sigfillset(&all);
  /* A fault of its own stays deliverable: blocked, the kernel kills the process without
   * any handler (memscope's fatal-signal record included) and leaves no trace. */
  sigdelset(&all, SIGSEGV);
  sigdelset(&all, SIGBUS);
  sigdelset(&all, SIGILL);
  sigdelset(&all, SIGFPE);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited: the sampler takes no signal */
  pthread_t th;
  if (pthread_create(&th, &attr, sampler_main, NULL) != 0) atomic_store(&started, 0);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
}

/* A fork child has no sampler thread: init.c's fork_child starts one. */
void ms_resource_lock(void) { pthread_mutex_lock(&table_lock); }
void ms_resource_unlock(void) { pthread_mutex_unlock(&table_lock); }
void ms_resource_after_fork_child(void) { atomic_store(&started, 0); }
