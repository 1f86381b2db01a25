/* The runtime's contact with the kernel: memory, files, descriptors, signals, thread and
 * process identity, time (the monotonic clock is inline: ms_os_now_ns in internal.h).
 * Every other runtime file reaches the kernel through these functions, so that what the
 * runtime asks of the system is in one place.  Left where they are, on purpose:
 *  - the program's own mmap/munmap, forwarded by the hooks (real_alloc.h): they are
 *    the program's calls, not the runtime's;
 *  - the loader (dlsym, dlopen, dl_iterate_phdr: real_alloc.c, thread_create.c,
 *    stacks.c, modules.c) and pthread's functions (locks, keys, thread start, names,
 *    signal masks, atfork): libraries above the kernel, which the runtime uses as any
 *    program does.
 * Nothing here allocates through malloc.  What the fatal-signal handler reaches (writes,
 * fstat, the reopening of our file, /proc reads, mappings, the signal calls) is plain
 * system calls on our own buffers, safe in a signal handler.
 * Blocking calls (open, read, write) are cancellation points: callers that hold a lock
 * disable cancellation first (output.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* ---- memory ------------------------------------------------------------------------- */

/* mmap calls made (a test hook: each takes the process's mmap lock for writing, against
 * every page fault of the program).  Never on an allocation's fast path. */
static _Atomic uint64_t maps;
uint64_t ms_os_maps(void) { return atomic_load_explicit(&maps, memory_order_relaxed); }
#define MS_COUNT_MAP() atomic_fetch_add_explicit(&maps, 1, memory_order_relaxed)

void *ms_os_map(size_t size) {
  MS_COUNT_MAP();
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void *ms_os_reserve(size_t size) {
  MS_COUNT_MAP();
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void *ms_os_reserve_inaccessible(size_t size) {
  MS_COUNT_MAP();
  void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

int ms_os_make_rw(void *p, size_t size) {
  return mprotect(p, size, PROT_READ | PROT_WRITE) == 0 ? 0 : -errno;
}

void ms_os_discard(void *p, size_t size) {
  if (p) madvise(p, size, MADV_DONTNEED);
}

void ms_os_unmap(void *p, size_t size) {
  if (p) munmap(p, size);
}

void *ms_os_remap(void *p, size_t old_size, size_t new_size) {
  void *q = mremap(p, old_size, new_size, MREMAP_MAYMOVE);
  return q == MAP_FAILED ? NULL : q;
}

size_t ms_os_page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* ---- files and descriptors ---------------------------------------------------------- */

int ms_os_write_all(int fd, const void *buf, size_t len) {
  const char *s = buf;
  while (len > 0) {
    ssize_t n = write(fd, s, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    s += n;
    len -= (size_t)n;
  }
  return 0;
}

int ms_os_pwrite_all(int fd, const void *buf, size_t len, uint64_t off) {
  const char *s = buf;
  while (len > 0) {
    ssize_t n = pwrite(fd, s, len, (off_t)off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    s += n;
    len -= (size_t)n;
    off += (uint64_t)n;
  }
  return 0;
}

int ms_os_create_file(const char *path) {
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  return fd < 0 ? -errno : fd;
}

int ms_os_open_rdwr(const char *path) {
  int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

/* RLIMIT_FSIZE first: the kernel answers a reservation past it with SIGXFSZ, which
 * would kill the program.  Filesystems without fallocate get zeros written instead
 * (blocks taken all the same, so a later store through a mapping never faults). */
int ms_os_reserve_file(int fd, uint64_t off, uint64_t len) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      off + len > (uint64_t)rl.rlim_cur)
    return -EFBIG;
  while (fallocate(fd, 0, (off_t)off, (off_t)len) != 0) {
    if (errno == EINTR) continue;
    if (errno != EOPNOTSUPP) return -errno;
    static const char zeros[4096];
    for (uint64_t done = 0; done < len; done += sizeof zeros) {
      uint64_t n = len - done < sizeof zeros ? len - done : sizeof zeros;
      int err = ms_os_pwrite_all(fd, zeros, (size_t)n, off + done);
      if (err) return err;
    }
    return 0;
  }
  return 0;
}

void *ms_os_map_file(int fd, uint64_t off, size_t len, void *fixed) {
  MS_COUNT_MAP();
  void *p = mmap(fixed, len, PROT_READ | PROT_WRITE, MAP_SHARED | (fixed ? MAP_FIXED : 0), fd,
                 (off_t)off);
  return p == MAP_FAILED ? NULL : p;
}

/* Asymmetric fences (membarrier(2), Linux 4.14): full mode announces every event with
 * a store and then reads the session's closing flag, and an unwind marks itself before
 * it reads the fork flag; each pair needs a store-load fence, an xchg or mfence of 20-40
 * cycles on every event.  With membarrier the rare side (a stop, the exit, a fatal
 * signal, a fork) makes every running thread of the process execute that fence instead,
 * by an interrupt, and the frequent side needs only a compiler barrier.
 *
 * Decided once, at start (and again in a fork child): registered, and a first call went
 * through.  Otherwise (an old kernel, a seccomp filter from before the exec) both sides
 * use full fences: the frequent side reads ms_asym_fences, as it always did.  A call that
 * fails later (a filter the program installed after start) is not a fence for the
 * threads in the middle of the frequent side, which fenced only against the compiler:
 * the flag turns off for good (full fences from then on), and the threads running now
 * are made to pass a barrier another way, by a TLB shootdown (shootdown_barrier). */
int ms_asym_fences;

void ms_os_asym_fences_init(void) {
  int ok = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 &&
           syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
  __atomic_store_n(&ms_asym_fences, ok, __ATOMIC_RELAXED);
}

/* A page of ours is written (its entry is in this CPU's TLB, dirty), then made read-only:
 * the kernel must flush that entry on every CPU that runs a thread of this process and
 * waits until each has, which on x86 is an interrupt (an IPI) on each of them, and an
 * interrupt drains the store buffer; a thread not running has been switched out, which is
 * a full barrier too.  The same trick stands in for membarrier elsewhere (.NET's
 * FlushProcessWriteBuffers on old kernels).  It rests on how the kernel flushes: where
 * remote TLBs are flushed without an interrupt (arm64's broadcast TLBI, AMD's INVLPGB
 * with Linux 6.15 and later) it is no barrier, and docs/runtime.md says so.  Three system
 * calls and a page fault, once per rare-side call after the failure. */
static void shootdown_barrier(void) {
  size_t page = ms_os_page_size();
  volatile char *p = ms_os_map(page);
  if (!p) return;
  p[0] = 1;
  (void)mprotect((void *)p, page, PROT_READ);
  ms_os_unmap((void *)p, page);
}

void ms_os_fence_heavy(void) {
  if (__atomic_load_n(&ms_asym_fences, __ATOMIC_RELAXED)) {
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0) return;
    __atomic_store_n(&ms_asym_fences, 0, __ATOMIC_RELAXED);
    atomic_thread_fence(memory_order_seq_cst); /* the flag, then the shootdown */
    shootdown_barrier();
  }
  atomic_thread_fence(memory_order_seq_cst); /* the frequent side fences fully */
}

/* Write-faults [p, p + len) of a shared file mapping in at once (Linux 5.14's
 * MADV_POPULATE_WRITE): one system call instead of a page fault per page, each of which
 * cost several microseconds on the test VM.  The pages must be reserved in the file (a
 * failure is harmless: the stores fault them in as before). */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
void ms_os_populate(void *p, size_t len) {
  if (p && len) (void)madvise(p, len, MADV_POPULATE_WRITE);
}

int ms_os_zero_fixed(void *p, size_t size) {
  if (!p || !size) return 0;
  MS_COUNT_MAP();
  void *q = mmap(p, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  return q == MAP_FAILED ? -errno : 0;
}

void ms_os_truncate(int fd, uint64_t len) { (void)ftruncate(fd, (off_t)len); }

void ms_os_close(int fd) {
  if (fd >= 0) close(fd);
}

int ms_os_file_id(int fd, struct ms_os_file_id *id) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  id->dev = (uint64_t)st.st_dev;
  id->ino = (uint64_t)st.st_ino;
  return 0;
}

/* The soft limit is raised for the dup and put back at once: the program's own opens
 * never reach the numbers above it, and a closefrom() loop up to the limit stops short
 * of them.  MS_FDS_ABOVE numbers there: the output file's and the unwinder's pipe
 * (stacks.c).  When the hard limit leaves no room, or the limit is above the ceiling,
 * the highest free number among the 64 under min(limit, ceiling). */
#define MS_FDS_ABOVE 4
int ms_os_move_fd_high(int fd, int ceiling) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return fd;
  if (rl.rlim_cur < (rlim_t)ceiling && rl.rlim_cur + MS_FDS_ABOVE <= rl.rlim_max &&
      (long)rl.rlim_cur > fd) {
    struct rlimit raised = {rl.rlim_cur + MS_FDS_ABOVE, rl.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      int high = fcntl(fd, F_DUPFD_CLOEXEC, (int)rl.rlim_cur);
      setrlimit(RLIMIT_NOFILE, &rl);
      if (high >= (int)rl.rlim_cur) { /* (below rlim_cur + MS_FDS_ABOVE: the raised limit) */
        close(fd);
        return high;
      }
      if (high >= 0) close(high);
    }
  }
  long top = rl.rlim_cur > (rlim_t)ceiling ? ceiling : (long)rl.rlim_cur;
  for (long want = top - 1; want > fd && want >= top - 64; want--) {
    int high = fcntl(fd, F_DUPFD_CLOEXEC, want);
    if (high < 0) continue;
    if (high == want) {
      close(fd);
      return high;
    }
    close(high); /* want is taken (by our own, say): the next one down */
  }
  return fd;
}

ssize_t ms_os_read_file(const char *path, char *buf, size_t cap) {
  if (cap == 0) return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  while (len < cap - 1) {
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = 0;
  return (ssize_t)len;
}

size_t ms_os_readlink(const char *path, char *buf, size_t cap) {
  if (cap == 0) return 0;
  ssize_t n = readlink(path, buf, cap - 1);
  size_t len = n > 0 ? (size_t)n : 0;
  buf[len] = 0;
  return len;
}

int ms_os_getcwd(char *buf, size_t cap) { return getcwd(buf, cap) ? 0 : -errno; }

int ms_os_make_dirs(const char *dir) {
  char path[MS_OUT_DIR_MAX];
  size_t n = strlen(dir);
  if (n >= sizeof path) return -ENAMETOOLONG;
  memcpy(path, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (path[i] != '/' && path[i] != 0) continue;
    char c = path[i];
    path[i] = 0;
    if (mkdir(path, 0700) != 0 && errno != EEXIST) return -errno;
    path[i] = c;
  }
  struct stat st;
  if (stat(dir, &st) != 0) return -errno;
  return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* ---- processes, threads, time ------------------------------------------------------- */

uint64_t ms_os_getpid(void) { return (uint64_t)getpid(); }
uint64_t ms_os_getppid(void) { return (uint64_t)getppid(); }

int32_t ms_os_gettid(void) { return (int32_t)syscall(SYS_gettid); }

int ms_os_thread_alive(int32_t tid) {
  return syscall(SYS_tgkill, (long)getpid(), (long)tid, 0L) == 0 || errno != ESRCH;
}

void ms_os_read_task_comm(int32_t tid, char out[16]) {
  char path[64], comm[17];
  memset(out, 0, 16);
  if (!ms_os_task_path(path, sizeof path, tid, "comm")) return;
  ssize_t n = ms_os_read_file(path, comm, 16); /* at most 15 bytes, as the kernel keeps */
  for (ssize_t i = 0; i < n && comm[i] != '\n'; i++) out[i] = comm[i];
}

void ms_os_thread_name(char out[16]) {
  memset(out, 0, 16);
  if (prctl(PR_GET_NAME, out, 0, 0, 0) != 0) out[0] = 0;
  out[15] = 0;
}

void ms_os_yield(void) { sched_yield(); }

void ms_os_sleep_ns(uint64_t ns) {
  struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                        .tv_nsec = (long)(ns % 1000000000u)};
  nanosleep(&ts, NULL);
}

uint64_t ms_os_unix_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ms_os_clock_ticks_per_s(void) {
  long hz = sysconf(_SC_CLK_TCK);
  return hz > 0 ? (uint64_t)hz : 100;
}

/* The auxiliary vector: what the kernel told the process at exec, read without a system
 * call. */
int ms_os_secure_exec(void) { return getauxval(AT_SECURE) != 0; }

const unsigned char *ms_os_exec_random(void) {
  return (const unsigned char *)getauxval(AT_RANDOM);
}

/* ---- signals ------------------------------------------------------------------------ */

int ms_os_signal_take_default(int sig, void (*handler)(int, siginfo_t *, void *)) {
  struct sigaction old, sa;
  if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
      old.sa_handler != SIG_DFL)
    return 0;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL) == 0;
}

void ms_os_signal_default(int sig, int raise_again) {
  signal(sig, SIG_DFL);
  if (raise_again) raise(sig);
}

/* ---- messages and small strings ----------------------------------------------------- */

const char *ms_os_strerror(int err) {
#ifdef __GLIBC__
  const char *s = strerrordesc_np(err); /* a table lookup: no locale, no allocation */
  if (s) return s;
#endif
  return "error";
}

/* One line on stderr, written with write(2): stdio may allocate. */
void ms_os_warn(const char *msg, const char *detail) {
  char line[512];
  size_t pos = 0;
  ms_text_append_str(line, sizeof line - 1, &pos, "memscope: ");
  ms_text_append_str(line, sizeof line - 1, &pos, msg);
  if (detail) {
    ms_text_append_str(line, sizeof line - 1, &pos, ": ");
    ms_text_append_str(line, sizeof line - 1, &pos, detail);
  }
  line[pos++] = '\n';
  int saved = errno;
  (void)ms_os_write_all(2, line, pos);
  errno = saved;
}

int ms_os_task_path(char *buf, size_t cap, int32_t tid, const char *leaf) {
  size_t pos = 0;
  return ms_text_append_str(buf, cap, &pos, "/proc/self/task/") &&
         ms_text_append_u64(buf, cap, &pos, (uint64_t)tid) &&
         ms_text_append_str(buf, cap, &pos, "/") && ms_text_append_str(buf, cap, &pos, leaf);
}
