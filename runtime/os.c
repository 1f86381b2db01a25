/* The runtime's only contact with the kernel: memory, writes, thread identity.
 * Nothing here allocates through malloc, and everything but ms_os_warn is safe in a
 * signal handler (plain system calls on our own buffers). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

void *ms_os_map(size_t size) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void *ms_os_reserve(size_t size) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
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

int32_t ms_os_gettid(void) { return (int32_t)syscall(SYS_gettid); }

int ms_os_thread_alive(int32_t tid) {
  return syscall(SYS_tgkill, (long)getpid(), (long)tid, 0L) == 0 || errno != ESRCH;
}

void ms_os_read_task_comm(int32_t tid, char out[16]) {
  char path[64];
  memset(out, 0, 16);
  if (!ms_os_task_path(path, sizeof path, tid, "comm")) return;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, out, 15);
  close(fd);
  for (ssize_t i = 0; i < n; i++)
    if (out[i] == '\n') out[i] = 0;
}

const char *ms_os_strerror(int err) {
#ifdef __GLIBC__
  const char *s = strerrordesc_np(err); /* a table lookup: no locale, no allocation */
  if (s) return s;
#endif
  return "error";
}

void ms_os_thread_name(char out[16]) {
  memset(out, 0, 16);
  if (prctl(PR_GET_NAME, out, 0, 0, 0) != 0) out[0] = 0;
  out[15] = 0;
}

/* One line on stderr, written with write(2): stdio may allocate. */
void ms_os_warn(const char *msg, const char *detail) {
  char line[512];
  size_t pos = 0;
  ms_os_append_str(line, sizeof line - 1, &pos, "memscope: ");
  ms_os_append_str(line, sizeof line - 1, &pos, msg);
  if (detail) {
    ms_os_append_str(line, sizeof line - 1, &pos, ": ");
    ms_os_append_str(line, sizeof line - 1, &pos, detail);
  }
  line[pos++] = '\n';
  int saved = errno;
  (void)ms_os_write_all(2, line, pos);
  errno = saved;
}

int ms_os_append_str(char *buf, size_t cap, size_t *pos, const char *s) {
  size_t n = strlen(s);
  if (*pos + n >= cap) return 0;
  memcpy(buf + *pos, s, n);
  *pos += n;
  buf[*pos] = 0;
  return 1;
}

int ms_os_task_path(char *buf, size_t cap, int32_t tid, const char *leaf) {
  size_t pos = 0;
  return ms_os_append_str(buf, cap, &pos, "/proc/self/task/") &&
         ms_os_append_u64(buf, cap, &pos, (uint64_t)tid) &&
         ms_os_append_str(buf, cap, &pos, "/") && ms_os_append_str(buf, cap, &pos, leaf);
}

int ms_os_append_u64(char *buf, size_t cap, size_t *pos, uint64_t v) {
  char digits[21];
  int i = 20;
  digits[i] = 0;
  do {
    digits[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return ms_os_append_str(buf, cap, pos, digits + i);
}
