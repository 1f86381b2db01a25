/* The process's output file: <MEMSCOPE_OUT>/memscope.<program>.<pid>.msgpack.
 *
 * Opened on the first write, when it gets the header and every site registered so far;
 * sites registered later are appended as they come.  Every record goes out in one
 * O_APPEND write, so records from different threads never interleave and a file cut
 * short stays readable up to its last complete record.  The lock is taken only here
 * and in sites.c, never on the hot path. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int out_fd = -1;
static int out_failed; /* open or write failed: stop trying, warned once */

void ms_output_lock(void) { pthread_mutex_lock(&out_lock); }
void ms_output_unlock(void) { pthread_mutex_unlock(&out_lock); }
int ms_output_trylock(void) { return pthread_mutex_trylock(&out_lock) == 0; }

static int build_path(char *path, size_t cap) {
  size_t pos = 0;
  return ms_os_append_str(path, cap, &pos, ms_config.out_dir) &&
         ms_os_append_str(path, cap, &pos, "/" MS_FILE_PREFIX) &&
         ms_os_append_str(path, cap, &pos, ms_process.program) &&
         ms_os_append_str(path, cap, &pos, ".") &&
         ms_os_append_u64(path, cap, &pos, ms_process.pid) &&
         (ms_session() < 2 || (ms_os_append_str(path, cap, &pos, ".") &&
                               ms_os_append_u64(path, cap, &pos, ms_session()))) &&
         ms_os_append_str(path, cap, &pos, MS_FILE_SUFFIX);
}

static void fail(const char *what, const char *path, int err) {
  if (out_failed) return;
  out_failed = 1;
  char detail[4400];
  size_t pos = 0;
  ms_os_append_str(detail, sizeof detail, &pos, path);
  ms_os_append_str(detail, sizeof detail, &pos, ": ");
  ms_os_append_str(detail, sizeof detail, &pos, strerror(err));
  ms_os_warn(what, detail);
}

/* Opens the file and writes what must come first.  Caller holds the lock. */
enum ms_open_result ms_output_open_locked(void) {
  if (out_fd >= 0) return MS_OPEN_ALREADY;
  if (out_failed || !ms_tracing()) return MS_OPEN_FAILED; /* between sessions: nowhere */
  char path[4400];
  if (!build_path(path, sizeof path)) {
    fail("cannot build the output path", ms_config.out_dir, ENAMETOOLONG);
    return MS_OPEN_FAILED;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    fail("cannot open the output file, recording nothing", path, errno);
    return MS_OPEN_FAILED;
  }
  out_fd = fd;
  struct ms_wbuf b;
  if (ms_wbuf_init(&b, 1 << 16) == 0) {
    ms_encode_header(&b, &ms_process);
    ms_sites_encode_all_locked(&b);
    ms_phases_encode_all_locked(&b);
    ms_modules_encode_all(&b);
    ms_output_write_locked(&b);
    ms_wbuf_release(&b);
  }
  return MS_OPEN_NEW;
}

void ms_output_write_locked(const struct ms_wbuf *b) {
  if (b->failed || b->len == 0 || ms_output_open_locked() == MS_OPEN_FAILED) return;
  int err = ms_os_write_all(out_fd, b->data, b->len);
  if (err) fail("cannot write the output file, stopping", "output", -err);
  if (err) {
    close(out_fd);
    out_fd = -1;
  }
}

void ms_output_write(const struct ms_wbuf *b) {
  ms_output_lock();
  ms_output_write_locked(b);
  ms_output_unlock();
}

void ms_output_close_locked(void) {
  if (out_fd >= 0) close(out_fd);
  out_fd = -1;
  out_failed = 0;
}

/* The child of a fork writes its own file: forget the parent's descriptor.  The forking
 * thread holds the lock across fork (init.c's prepare handler) and releases it after. */
void ms_output_after_fork_child(void) {
  if (out_fd >= 0) close(out_fd);
  out_fd = -1;
  out_failed = 0;
}
