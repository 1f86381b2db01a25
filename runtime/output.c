/* The session's output file: <dir>/memscope.<program>.<pid>.<unique>[.<session>].msgpack.
 *
 * Created when the session starts (header, known sites, phases and modules first); sites
 * registered later are appended as they come.  Every record goes out in one O_APPEND
 * write, so records from different threads never interleave and a file cut short stays
 * readable up to its last complete record.
 *
 * The output lock guards the file's state and orders the writes; the site registry
 * shares it (sites.c).  It is taken by ms_output_write and ms_output_open_now here, by
 * session start and stop (session.c), thread flushes, exits and snapshots (thread.c),
 * memscope_dump (api.c), site registration (sites.c) and fork (init.c: held across it),
 * always after the registry lock when both are held; the fatal-signal handler only
 * tries it and never gives it back (signals.c).  Never on the hot path.
 *
 * The file is created, never opened: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, no O_TRUNC.
 * A name that exists (a symlink planted there included) is never followed or reused:
 * another unique part is drawn.  The unique part is random, so two processes with the
 * same pid (two containers writing to one volume) never meet.
 *
 * Descriptors belong to the program.  Ours is close-on-exec and moved out of the way
 * of the program's own opens: just above the soft RLIMIT_NOFILE, where they never
 * reach, or else as high as it goes (ms_os_move_fd_high).  Before each write its
 * device and inode are checked: a program that closed it (closefrom-style loops) or
 * dup2'ed over it owns that number now, so it is forgotten, never written to or closed,
 * and the file is opened again by its path (checked to be the same file). */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"

#define MS_CREATE_TRIES 8

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int out_created;   /* the session's file exists, its header written */
static int out_fd = -1;   /* our descriptor for it, when kept */
static struct ms_os_file_id out_id;
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
/* The fatal-signal handler's: the cancellation state is left alone, as the lock is never
 * given back (the process is dying). */
int ms_output_trylock(void) { return pthread_mutex_trylock(&out_lock) == 0; }

static void fail(const char *what, const char *path, int err) {
  if (out_failed) return;
  out_failed = 1;
  char detail[sizeof out_path + 128];
  size_t pos = 0;
  ms_text_append_str(detail, sizeof detail, &pos, path);
  ms_text_append_str(detail, sizeof detail, &pos, ": ");
  ms_text_append_str(detail, sizeof detail, &pos, ms_os_strerror(err));
  ms_os_warn(what, detail);
}

int ms_output_resolve_dir(const char *dir, char out[MS_OUT_DIR_MAX]) {
  size_t pos = 0;
  out[0] = 0;
  if (dir[0] != '/') {
    int err = ms_os_getcwd(out, MS_OUT_DIR_MAX);
    if (err) return err;
    pos = strlen(out);
    if (!ms_text_append_str(out, MS_OUT_DIR_MAX, &pos, "/")) return -ENAMETOOLONG;
  }
  return ms_text_append_str(out, MS_OUT_DIR_MAX, &pos, dir) ? 0 : -ENAMETOOLONG;
}

/* 32 random bits for the file name: the kernel's AT_RANDOM bytes (no system call),
 * mixed with the pid, the clock and the try, so a fork child or a later session draws
 * anew. */
static uint32_t unique_part(uint32_t attempt) {
  uint64_t x = ms_os_getpid() << 32 ^ ms_os_now_ns() ^ (uint64_t)attempt << 56;
  const unsigned char *r = ms_os_exec_random();
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
  return ms_text_append_str(path, cap, &pos, ms_config.out_dir) &&
         ms_text_append_str(path, cap, &pos, "/" MS_FILE_PREFIX) &&
         ms_text_append_str(path, cap, &pos, ms_process.program) &&
         ms_text_append_str(path, cap, &pos, ".") &&
         ms_text_append_u64(path, cap, &pos, ms_process.pid) &&
         ms_text_append_str(path, cap, &pos, ".") && ms_text_append_str(path, cap, &pos, hex) &&
         (ms_session() < 2 || (ms_text_append_str(path, cap, &pos, ".") &&
                               ms_text_append_u64(path, cap, &pos, ms_session()))) &&
         ms_text_append_str(path, cap, &pos, MS_FILE_SUFFIX);
}

static int is_our_file(int fd) {
  struct ms_os_file_id id;
  return ms_os_file_id(fd, &id) == 0 && id.dev == out_id.dev && id.ino == out_id.ino;
}

/* A descriptor of our file to write to, or -1 (warned). */
static int our_descriptor(void) {
  if (out_fd >= 0 && is_our_file(out_fd)) return out_fd;
  out_fd = -1; /* closed or replaced by the program: its number is the program's now */
  int fd = ms_os_open_append(out_path);
  if (fd < 0) {
    fail("cannot reopen the output file, stopping", out_path, -fd);
    return -1;
  }
  if (!is_our_file(fd)) {
    ms_os_close(fd);
    fail("the output file was replaced, stopping", out_path, EEXIST);
    return -1;
  }
  return fd;
}

static int write_record_locked(const struct ms_wbuf *b) {
  int fd = our_descriptor();
  if (fd < 0) return -EIO;
  int err = ms_os_write_all(fd, b->data, b->len);
  out_fd = fd == out_fd ? fd : ms_os_move_fd_high(fd, MS_FD_CEILING);
  if (err) fail("cannot write the output file, stopping", out_path, -err);
  return err;
}

/* Creates the file and writes what must come first.  Caller holds the lock. */
int ms_output_open_locked(void) {
  if (out_created) return 0;
  if (out_failed) return -EIO;
  if (!ms_tracing()) return -EINVAL; /* between sessions: nowhere to write */
  if (ms_output_in_signal) return -EINTR; /* creating it encodes the modules: not here */
  int err = ms_os_make_dirs(ms_config.out_dir);
  if (err) {
    fail("cannot create the output directory, recording nothing", ms_config.out_dir, -err);
    return err;
  }
  int fd = -EEXIST;
  for (uint32_t attempt = 0; fd == -EEXIST && attempt < MS_CREATE_TRIES; attempt++) {
    if (!build_path(out_path, sizeof out_path, unique_part(attempt))) {
      fail("cannot build the output path", ms_config.out_dir, ENAMETOOLONG);
      return -ENAMETOOLONG;
    }
    fd = ms_os_create_file(out_path);
  }
  if (fd < 0) {
    fail("cannot create the output file, recording nothing", out_path, -fd);
    return fd;
  }
  err = ms_os_file_id(fd, &out_id);
  if (err) {
    ms_os_close(fd);
    fail("cannot create the output file, recording nothing", out_path, -err);
    return err;
  }
  out_created = 1;
  out_fd = ms_os_move_fd_high(fd, MS_FD_CEILING);
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
  uint8_t was = ms_busy_begin(); /* (a signal handler's allocation meanwhile: dropped) */
  ms_output_lock();
  ms_output_open_locked();
  ms_output_unlock();
  ms_busy_end(was);
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
  if (out_fd >= 0 && is_our_file(out_fd)) ms_os_close(out_fd);
  out_fd = -1;
  out_created = 0;
  out_failed = 0;
}

void ms_output_close_locked(void) { forget_file(); }

/* The child of a fork writes its own file.  The forking thread holds the lock across
 * fork (init.c's prepare handler) and releases it after. */
void ms_output_after_fork_child(void) { forget_file(); }
