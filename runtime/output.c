/* The session's output file: <dir>/memscope.<program>.<pid>.<unique>[.<session>].msgpack.
 *
 * Created when the session starts (header, known sites, phases and modules first); sites
 * registered later are appended as they come.  Every record goes out in one O_APPEND
 * write, so records from different threads never interleave and a file cut short stays
 * readable up to its last complete record.  The lock is taken only here and by the
 * session and thread bookkeeping, never on the hot path.
 *
 * The file is created, never opened: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, no O_TRUNC.
 * A name that exists (a symlink planted there included) is never followed or reused:
 * another unique part is drawn.  The unique part is random, so two processes with the
 * same pid (two containers writing to one volume) never meet.
 *
 * Descriptors belong to the program.  Ours is close-on-exec and moved out of the way
 * of the program's own opens: just above the soft RLIMIT_NOFILE, where they never
 * reach, or else as high as it goes (move_high).  Before each write its device and
 * inode are checked: a program that closed it (closefrom-style loops) or dup2'ed over
 * it owns that number now, so it is forgotten, never written to or closed, and the file
 * is opened again by its path (checked to be the same file). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MS_FD_CEILING 4096 /* never above: a huge limit would grow the fd table */
#define MS_CREATE_TRIES 8

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int out_created;   /* the session's file exists, its header written */
static int out_fd = -1;   /* our descriptor for it, when kept */
static dev_t out_dev;
static ino_t out_ino;
static char out_path[sizeof ms_config.out_dir + 128];
static int out_failed; /* creating or writing failed: stop trying, warned once */
volatile int ms_output_in_signal;

/* Writes, opens and /proc reads are cancellation points: while the lock is held they
 * must not be, or a pthread_cancel() landing in malloc would unwind with it held. */
static __thread int cancel_state __attribute__((tls_model("initial-exec")));
void ms_output_lock(void) {
  int state;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
  pthread_mutex_lock(&out_lock);
  cancel_state = state;
}
void ms_output_unlock(void) {
  int state = cancel_state;
  pthread_mutex_unlock(&out_lock);
  pthread_setcancelstate(state, NULL);
}
int ms_output_trylock(void) { return pthread_mutex_trylock(&out_lock) == 0; } /* signals */

static void fail(const char *what, const char *path, int err) {
  if (out_failed) return;
  out_failed = 1;
  char detail[sizeof out_path + 128];
  size_t pos = 0;
  ms_os_append_str(detail, sizeof detail, &pos, path);
  ms_os_append_str(detail, sizeof detail, &pos, ": ");
  ms_os_append_str(detail, sizeof detail, &pos, ms_os_strerror(err));
  ms_os_warn(what, detail);
}

int ms_output_resolve_dir(const char *dir, char out[MS_OUT_DIR_MAX]) {
  size_t pos = 0;
  out[0] = 0;
  if (dir[0] != '/') {
    if (!getcwd(out, MS_OUT_DIR_MAX)) return -errno;
    pos = strlen(out);
    if (!ms_os_append_str(out, MS_OUT_DIR_MAX, &pos, "/")) return -ENAMETOOLONG;
  }
  return ms_os_append_str(out, MS_OUT_DIR_MAX, &pos, dir) ? 0 : -ENAMETOOLONG;
}

/* The directory and its missing parents, as mkdir -p with mode 0700: 0 or -errno. */
static int make_dirs(const char *dir) {
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

/* 32 random bits for the file name: the kernel's AT_RANDOM bytes (no system call),
 * mixed with the pid, the clock and the try, so a fork child or a later session draws
 * anew. */
static uint32_t unique_part(uint32_t attempt) {
  uint64_t x = (uint64_t)getpid() << 32 ^ ms_now_ns() ^ (uint64_t)attempt << 56;
  const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
  if (r)
    for (int i = 0; i < 16; i++) x = (x ^ r[i]) * 0x100000001B3ull;
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  return (uint32_t)x;
}

static int build_path(char *path, size_t cap, uint32_t unique) {
  char hex[9];
  for (int i = 0; i < 8; i++) hex[i] = "0123456789abcdef"[unique >> (28 - 4 * i) & 15];
  hex[8] = 0;
  size_t pos = 0;
  return ms_os_append_str(path, cap, &pos, ms_config.out_dir) &&
         ms_os_append_str(path, cap, &pos, "/" MS_FILE_PREFIX) &&
         ms_os_append_str(path, cap, &pos, ms_process.program) &&
         ms_os_append_str(path, cap, &pos, ".") &&
         ms_os_append_u64(path, cap, &pos, ms_process.pid) &&
         ms_os_append_str(path, cap, &pos, ".") && ms_os_append_str(path, cap, &pos, hex) &&
         (ms_session() < 2 || (ms_os_append_str(path, cap, &pos, ".") &&
                               ms_os_append_u64(path, cap, &pos, ms_session()))) &&
         ms_os_append_str(path, cap, &pos, MS_FILE_SUFFIX);
}

static int is_our_file(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && st.st_dev == out_dev && st.st_ino == out_ino;
}

/* fd moved out of the program's way (the original is closed): to the number just
 * above the soft RLIMIT_NOFILE, which the program's own opens can never reach (the soft
 * limit is raised by one for the dup and put back at once; a closefrom() loop up to the
 * limit stops short of it); when the hard limit leaves no room, or the limit is huge,
 * as high as it goes under it.  fd itself when nothing higher is free. */
static int move_high(int fd) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return fd;
  if (rl.rlim_cur < MS_FD_CEILING && rl.rlim_cur < rl.rlim_max && (long)rl.rlim_cur > fd) {
    struct rlimit raised = {rl.rlim_cur + 1, rl.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      int high = fcntl(fd, F_DUPFD_CLOEXEC, (int)rl.rlim_cur);
      setrlimit(RLIMIT_NOFILE, &rl);
      if (high == (int)rl.rlim_cur) {
        close(fd);
        return high;
      }
      if (high >= 0) close(high);
    }
  }
  long top = rl.rlim_cur > MS_FD_CEILING ? MS_FD_CEILING : (long)rl.rlim_cur;
  for (long want = top - 1; want > fd && want >= top - 64; want--) {
    int high = fcntl(fd, F_DUPFD_CLOEXEC, want);
    if (high < 0) continue;
    if (high == want) {
      close(fd);
      return high;
    }
    close(high); /* a lower number than wanted: the ones above are taken */
    break;
  }
  return fd;
}

/* A descriptor of our file to write to, or -1 (warned). */
static int our_descriptor(void) {
  if (out_fd >= 0 && is_our_file(out_fd)) return out_fd;
  out_fd = -1; /* closed or replaced by the program: its number is the program's now */
  int fd = open(out_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    fail("cannot reopen the output file, stopping", out_path, errno);
    return -1;
  }
  if (!is_our_file(fd)) {
    close(fd);
    fail("the output file was replaced, stopping", out_path, EEXIST);
    return -1;
  }
  return fd;
}

static int write_record_locked(const struct ms_wbuf *b) {
  int fd = our_descriptor();
  if (fd < 0) return -EIO;
  int err = ms_os_write_all(fd, b->data, b->len);
  out_fd = fd == out_fd ? fd : move_high(fd);
  if (err) fail("cannot write the output file, stopping", out_path, -err);
  return err;
}

/* Creates the file and writes what must come first.  Caller holds the lock. */
int ms_output_open_locked(void) {
  if (out_created) return 0;
  if (out_failed) return -EIO;
  if (!ms_tracing()) return -EINVAL; /* between sessions: nowhere to write */
  if (ms_output_in_signal) return -EINTR; /* creating it encodes the modules: not here */
  int err = make_dirs(ms_config.out_dir);
  if (err) {
    fail("cannot create the output directory, recording nothing", ms_config.out_dir, -err);
    return err;
  }
  int fd = -1;
  for (uint32_t attempt = 0; fd < 0 && attempt < MS_CREATE_TRIES; attempt++) {
    if (!build_path(out_path, sizeof out_path, unique_part(attempt))) {
      fail("cannot build the output path", ms_config.out_dir, ENAMETOOLONG);
      return -ENAMETOOLONG;
    }
    fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    err = errno;
    fail("cannot create the output file, recording nothing", out_path, err);
    return -err;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    err = errno;
    close(fd);
    fail("cannot create the output file, recording nothing", out_path, err);
    return -err;
  }
  out_dev = st.st_dev;
  out_ino = st.st_ino;
  out_created = 1;
  out_fd = move_high(fd);
  struct ms_wbuf b;
  if (ms_wbuf_init(&b, 1 << 16) == 0) {
    ms_encode_header(&b, &ms_process);
    ms_sites_encode_all_locked(&b);
    ms_phases_encode_all_locked(&b);
    ms_modules_encode_all(&b);
    ms_output_write_locked(&b);
    ms_wbuf_release(&b);
  }
  return 0;
}

int ms_output_is_open_locked(void) { return out_created; }

void ms_output_open_now(void) {
  ms_output_lock();
  ms_output_open_locked();
  ms_output_unlock();
}

void ms_output_write_locked(const struct ms_wbuf *b) {
  if (b->failed || b->len == 0 || out_failed || ms_output_open_locked() != 0) return;
  write_record_locked(b);
}

void ms_output_write(const struct ms_wbuf *b) {
  ms_output_lock();
  ms_output_write_locked(b);
  ms_output_unlock();
}

/* Forgets the file: our descriptor is closed only while it is still ours. */
static void forget_file(void) {
  if (out_fd >= 0 && is_our_file(out_fd)) close(out_fd);
  out_fd = -1;
  out_created = 0;
  out_failed = 0;
}

void ms_output_close_locked(void) { forget_file(); }

/* The child of a fork writes its own file.  The forking thread holds the lock across
 * fork (init.c's prepare handler) and releases it after. */
void ms_output_after_fork_child(void) { forget_file(); }
