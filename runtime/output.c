/* The session's output file: <dir>/memscope.<program>.<pid>.<unique>[.<session>].msgpack,
 * a container of chunks written in place (format.h, version 2).
 *
 * Created when the session starts: the header region (the msgpack header array at 0,
 * the status block at MS_STATUS_OFFSET, reserved and mapped shared for the session),
 * then chunks added at the status block's cursor (chunks.c).  Records (sites, threads,
 * phases, modules, ...) are copied into the current RECORDS chunk through its mapping,
 * whole, and its `used` stored after each: a process killed at any instruction leaves
 * every record it completed in the file, and no half of one.
 *
 * The output lock guards the file's state and orders the records; the site registry
 * shares it (sites.c).  It is taken by ms_output_write and ms_output_open_now here, by
 * session start and stop (session.c), thread exits, new chunks and snapshots (thread.c),
 * site registration (sites.c) and fork (init.c: held across it), always after the
 * registry lock when both are held; the fatal-signal handler only tries it and never
 * gives it back (signals.c).  Never on the hot path.
 *
 * The file is created, never opened: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, no O_TRUNC.
 * A name that exists (a symlink planted there included) is never followed or reused:
 * another unique part is drawn.  The unique part is random, so two processes with the
 * same pid (two containers writing to one volume) never meet.
 *
 * Descriptors belong to the program.  Ours is close-on-exec and moved out of the way
 * of the program's own opens: just above the soft RLIMIT_NOFILE, where they never
 * reach, or else as high as it goes (ms_os_move_fd_high).  Before each use its device
 * and inode are checked: a program that closed it (closefrom-style loops) or dup2'ed
 * over it owns that number now, so it is forgotten, never written to or closed, and
 * the file is opened again by its path (checked to be the same file).  Mappings do not
 * need the descriptor: what is mapped stays written whatever the program does with it. */
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
static int out_warned; /* a chunk could not be added: said once, records go on */
volatile int ms_output_in_signal;
_Atomic uint32_t ms_output_gen;
/* The header region, mapped shared while the file is the session's. */
static char *out_header;
/* Where the header region was mapped: it stays ours for the process's life, anonymous
 * zeros between sessions and the next session's file mapped over it, because the fatal
 * signal handler writes through the status pointer without a lock (signals.c): loaded
 * just before a session's end on another thread, it must not reach unmapped memory (the
 * process would die of SIGSEGV instead of its own signal).  A stray write lands in zeros
 * nobody reads, or in the next session's status.  One region, however many sessions. */
static char *header_home;
static struct ms_file_status *_Atomic out_status;
/* The RECORDS chunk records go to now (NULL: none yet), and its numbering. */
static char *rec_chunk;
static uint32_t rec_size, rec_used;
static uint64_t rec_seq;
#define MS_RECORDS_CHUNK (64u << 10)

/* Writes, opens and /proc reads are cancellation points: while the lock is held they
 * must not be, or a pthread_cancel() landing in malloc would unwind with it held. */
static __thread int cancel_state __attribute__((tls_model("initial-exec")));
void ms_output_lock(void) {
  int state;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
  pthread_mutex_lock(&out_lock);
  cancel_state = state;
}
int ms_output_lock_recording(void) {
  int state;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
  if (!ms_lock_unless_forking(&out_lock)) {
    pthread_setcancelstate(state, NULL);
    return 0;
  }
  cancel_state = state;
  return 1;
}
void ms_output_unlock(void) {
  int state = cancel_state;
  pthread_mutex_unlock(&out_lock);
  pthread_setcancelstate(state, NULL);
}
/* The fatal-signal handler's: the cancellation state is left alone, as the lock is never
 * given back (the process is dying). */
int ms_output_trylock(void) { return pthread_mutex_trylock(&out_lock) == 0; }

static void warn(const char *what, const char *path, int err) {
  char detail[sizeof out_path + 128];
  size_t pos = 0;
  ms_text_append_str(detail, sizeof detail, &pos, path);
  ms_text_append_str(detail, sizeof detail, &pos, ": ");
  ms_text_append_str(detail, sizeof detail, &pos, ms_os_strerror(err));
  ms_os_warn(what, detail);
}

/* Creating or reopening failed: the file is given up. */
static void fail(const char *what, const char *path, int err) {
  if (out_failed) return;
  out_failed = 1;
  warn(what, path, err);
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

/* A descriptor of our file, or -1 (warned). */
static int our_descriptor(void) {
  if (out_fd >= 0 && is_our_file(out_fd)) return out_fd;
  out_fd = -1; /* closed or replaced by the program: its number is the program's now */
  int fd = ms_os_open_rdwr(out_path);
  if (fd < 0) {
    fail("cannot reopen the output file, stopping", out_path, -fd);
    return -1;
  }
  if (!is_our_file(fd)) {
    ms_os_close(fd);
    fail("the output file was replaced, stopping", out_path, EEXIST);
    return -1;
  }
  return ms_os_move_fd_high(fd, MS_FD_CEILING);
}

int ms_output_fd_locked(void) {
  if (!out_created || out_failed) return -1;
  int fd = our_descriptor();
  if (fd >= 0) out_fd = fd;
  return fd;
}

struct ms_file_status *ms_output_status(void) {
  return atomic_load_explicit(&out_status, memory_order_acquire);
}

/* A chunk could not be added (no room): the records that still fit in the current
 * RECORDS chunk are written (thread records, END). */
void ms_output_warn_locked(const char *what, int err) {
  if (out_warned) return;
  out_warned = 1;
  warn(what, out_path, err);
}

/* The header region: reserved, the header array written at 0, the status block mapped
 * (magic set, the cursor after the region).  0 or -errno. */
static int write_header(int fd) {
  int err = ms_os_reserve_file(fd, 0, MS_HEADER_REGION);
  if (err) return err;
  char mem[MS_STATUS_OFFSET];
  struct ms_wbuf b = MS_WBUF_FIXED(mem);
  ms_encode_header(&b, &ms_process);
  if (b.failed) return -ENAMETOOLONG; /* (never: the command line is bounded) */
  err = ms_os_pwrite_all(fd, b.data, b.len, 0);
  if (err) return err;
  out_header = ms_os_map_file(fd, 0, MS_HEADER_REGION, header_home);
  header_home = out_header; /* (a failed MAP_FIXED: the range is given up, never reused) */
  if (!out_header) return -ENOMEM;
  struct ms_file_status *st = (struct ms_file_status *)(out_header + MS_STATUS_OFFSET);
  st->chunk_end = MS_HEADER_REGION;
  __atomic_store_n(&st->magic, MS_STATUS_MAGIC, __ATOMIC_RELEASE);
  atomic_store_explicit(&out_status, st, memory_order_release);
  return 0;
}

/* The record in b into the current RECORDS chunk, or a new one when it does not fit:
 * copied whole, then `used` stored (release), so a reader sees all of it or none. */
static int append_record_locked(const struct ms_wbuf *b) {
  const uint32_t hdr = sizeof(struct ms_chunk_header);
  if (b->len > UINT32_MAX - 2 * MS_CHUNK_ALIGN) return 0;
  if (!rec_chunk || rec_used + b->len > rec_size - hdr) {
    uint32_t size = MS_RECORDS_CHUNK;
    if (b->len + hdr > size) size = (uint32_t)((b->len + hdr + MS_CHUNK_ALIGN - 1) & ~(MS_CHUNK_ALIGN - 1));
    char *c = ms_chunk_add_locked(MS_CHUNK_RECORDS, 0, 0, rec_seq, size, 0, NULL, NULL, NULL);
    if (!c) return 0; /* no room (counted in the status block) or no file */
    ms_chunk_release(rec_chunk, rec_size);
    rec_chunk = c;
    rec_size = size;
    rec_used = 0;
    rec_seq++;
  }
  memcpy(rec_chunk + hdr + rec_used, b->data, b->len);
  rec_used += (uint32_t)b->len;
  __atomic_store_n(&((struct ms_chunk_header *)rec_chunk)->used, rec_used, __ATOMIC_RELEASE);
  return 1;
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
  if (!err) err = write_header(fd);
  if (err) {
    ms_os_close(fd);
    fail("cannot create the output file, recording nothing", out_path, -err);
    return err;
  }
  out_created = 1;
  out_fd = ms_os_move_fd_high(fd, MS_FD_CEILING);
  atomic_fetch_add_explicit(&ms_output_gen, 1, memory_order_release);
  struct ms_wbuf b;
  if (ms_wbuf_init(&b, 1 << 16) == 0) {
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

int ms_output_write_locked(const struct ms_wbuf *b) {
  if (b->failed || b->len == 0 || out_failed || ms_output_open_locked() != 0) return 0;
  return append_record_locked(b);
}

void ms_output_write(const struct ms_wbuf *b) {
  ms_output_lock();
  ms_output_write_locked(b);
  ms_output_unlock();
}

/* Forgets the file: our descriptor is closed only while it is still ours.  Threads'
 * EVENTS and TABLE mappings stay theirs: each drops them when it notices (thread.c). */
static void forget_file(void) {
  if (out_fd >= 0 && is_our_file(out_fd)) ms_os_close(out_fd);
  out_fd = -1;
  out_created = 0;
  out_failed = 0;
  out_warned = 0;
  atomic_store_explicit(&out_status, NULL, memory_order_release);
  if (out_header && ms_os_zero_fixed(out_header, MS_HEADER_REGION) != 0) { /* (see header_home) */
    ms_os_unmap(out_header, MS_HEADER_REGION);
    header_home = NULL;
  }
  ms_chunk_release(rec_chunk, rec_size);
  out_header = rec_chunk = NULL;
  rec_size = rec_used = 0;
  rec_seq = 0;
  ms_chunks_reset();
}

void ms_output_close_locked(void) {
  if (out_created && !out_failed && out_fd >= 0 && is_our_file(out_fd)) ms_chunks_trim_locked(out_fd);
  forget_file();
}

/* The child of a fork writes its own file, never its parent's: the mappings it
 * inherited are dropped here (the parent keeps its own).  The forking thread holds the
 * lock across fork (init.c's prepare handler) and releases it after. */
void ms_output_after_fork_child(void) {
  forget_file();
  ms_chunks_after_fork_child();
}
