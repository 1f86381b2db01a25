/* Chunks of the output file (format.h): where every byte after the header goes.
 *
 * A chunk is added at the cursor in the status block (chunk_end), its space reserved
 * first (ms_os_reserve_file: fallocate, or zeros written), its header written, and its
 * content mapped shared.  Stores through the mapping are then in the file the moment
 * they are made: a SIGKILL, the OOM killer or a crash loses nothing already stored.
 * Because the pages were reserved, a store never needs a block the filesystem does not
 * have, so a full disk never raises SIGBUS: the reservation fails instead, the status
 * block says so (MS_STATUS_DISK_FULL, when) and no chunk is added after it; threads
 * count on in the tables they have, and the events they cannot store are counted
 * (lost_events).
 *
 * Space is reserved and mapped a window at a time (MS_WINDOW_BYTES, or the chunk if
 * larger): a chunk that fits the current window and is mapped from its start (EVENTS,
 * RECORDS) is carved out of it with a few stores, no system call, its header written
 * through the mapping.  That is a sampled thread's first EVENTS chunk: with thousands of
 * short-lived threads the fallocate, the two pwrites and the mmap of each were a good
 * part of what a thread cost.  A window stays mapped whole until the last chunk carved
 * from it is let go (ms_chunk_release: a count per window), then goes in one munmap:
 * every munmap makes the kernel flush the TLB of each other CPU running the program (an
 * interrupt each, several microseconds on a VM), and a munmap per ended thread's chunk
 * was the largest part of what a short-lived thread cost (bench/cost, 3,000 threads).
 * What it costs: up to a window (256 KiB of address space; the file's pages, reclaimable,
 * where written) stays mapped while any of its chunks is in use.  Windows are tracked in
 * a small table (MS_WINDOWS_KEPT); when it is full, a window's chunks are unmapped one by
 * one as before, its untaken part when the next window replaces it.  A window that
 * cannot be reserved (a full disk, RLIMIT_FSIZE) falls back to the chunk's own size, as
 * before windows.
 *
 * Called with the output lock held (a thread's new chunk, records, table extensions):
 * once per chunk, never per event. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "internal.h"

/* Set when a reservation failed for want of space: later requests fail at once,
 * without a system call (read lock-free by threads that lose events). */
static _Atomic int chunks_full;

int ms_page_size_ok(void) { return ms_os_page_size() == MS_CHUNK_ALIGN; }

int ms_chunks_full(void) { return atomic_load_explicit(&chunks_full, memory_order_relaxed); }

#define MS_WINDOW_BYTES (256u << 10) /* (a chunk of 1 MiB, full mode, gets its own) */
/* The window: the file's [win_off, win_end) reserved, [carve_from, win_end) of it mapped
 * at win + (offset - win_off) and not yet any chunk's (output lock). */
static char *win;
static uint64_t win_off, win_end, carve_from;
/* The end of the last window: the file's size then (written under the output lock, read
 * by the resource sampler without it). */
static uint64_t reserved_end;

/* Windows mapped whole until their last chunk goes: `at` NULL is a free entry.  `users`
 * counts the chunks carved from it and still in use, plus one while it is the current
 * window.  Entries are taken and filled under the output lock, counted down by any
 * thread (ms_chunk_release, lock-free); the one that counts to zero frees the entry,
 * then unmaps (so that no search finds a range the kernel may have given out again). */
#define MS_WINDOWS_KEPT 64u
static struct kept_window {
  _Atomic(char *) at;
  _Atomic size_t len; /* (read by searchers while an entry may be taken again) */
  _Atomic uint32_t users;
} kept[MS_WINDOWS_KEPT];
static struct kept_window *win_kept; /* the current window's entry (NULL: not kept) */

static void kept_put(struct kept_window *k) {
  if (atomic_fetch_sub_explicit(&k->users, 1, memory_order_acq_rel) != 1) return;
  char *at = atomic_load_explicit(&k->at, memory_order_relaxed);
  size_t len = atomic_load_explicit(&k->len, memory_order_relaxed);
  atomic_store_explicit(&k->at, NULL, memory_order_release);
  ms_os_unmap(at, len);
}

/* A kept entry for the new window [at, at + len), or NULL (none free). */
static struct kept_window *kept_take(char *at, size_t len) {
  for (uint32_t i = 0; at && i < MS_WINDOWS_KEPT; i++)
    if (!atomic_load_explicit(&kept[i].at, memory_order_acquire)) {
      atomic_store_explicit(&kept[i].len, len, memory_order_relaxed);
      atomic_store_explicit(&kept[i].users, 1, memory_order_relaxed);
      atomic_store_explicit(&kept[i].at, at, memory_order_release);
      return &kept[i];
    }
  return NULL;
}

void ms_chunk_release(void *p, size_t size) {
  char *c = p;
  if (!c) return;
  for (uint32_t i = 0; i < MS_WINDOWS_KEPT; i++) {
    char *at = atomic_load_explicit(&kept[i].at, memory_order_acquire);
    size_t len = atomic_load_explicit(&kept[i].len, memory_order_relaxed);
    if (at && c >= at && c + size <= at + len) {
      kept_put(&kept[i]);
      return;
    }
  }
  ms_os_unmap(p, size);
}

static void window_drop(void) {
  if (win_kept)
    kept_put(win_kept); /* (mapped whole until its last chunk goes) */
  else if (win && carve_from < win_end)
    ms_os_unmap(win + (carve_from - win_off), (size_t)(win_end - carve_from));
  win = NULL;
  win_kept = NULL;
  win_off = win_end = carve_from = 0;
}

void ms_chunks_reset(void) {
  window_drop(); /* (a fork child's: a mapping of the parent's file, never written) */
  __atomic_store_n(&reserved_end, 0, __ATOMIC_RELAXED);
  atomic_store_explicit(&chunks_full, 0, memory_order_relaxed);
}

void ms_chunks_after_fork_child(void) {
  /* The parent's windows: its other threads' chunks will never be let go here. */
  for (uint32_t i = 0; i < MS_WINDOWS_KEPT; i++) {
    char *at = atomic_exchange_explicit(&kept[i].at, NULL, memory_order_acq_rel);
    ms_os_unmap(at, atomic_load_explicit(&kept[i].len, memory_order_relaxed));
  }
}

void ms_chunks_trim_locked(int fd) {
  struct ms_file_status *st = ms_output_status();
  window_drop();
  if (!st || fd < 0) return;
  uint64_t end = __atomic_load_n(&st->chunk_end, __ATOMIC_RELAXED);
  if (reserved_end > end) ms_os_truncate(fd, end);
  __atomic_store_n(&reserved_end, 0, __ATOMIC_RELAXED);
}

void (*ms_chunks_file_bytes_test_hook)(void); /* (a load per resource tick) */

uint64_t ms_chunks_file_bytes_locked(void) {
  struct ms_file_status *st = ms_output_status();
  if (MS_UNLIKELY(ms_chunks_file_bytes_test_hook != NULL)) ms_chunks_file_bytes_test_hook();
  uint64_t end = st ? __atomic_load_n(&st->chunk_end, __ATOMIC_RELAXED) : 0;
  uint64_t reserved = __atomic_load_n(&reserved_end, __ATOMIC_RELAXED);
  return reserved > end ? reserved : end;
}

/* [off, off + size) reserved: inside the window, or a new window from off on, or (no room
 * for a window) the chunk alone.  0 or -errno. */
static int reserve(int fd, uint64_t off, uint32_t size) {
  if (win_off <= off && off + size <= win_end) return 0;
  uint64_t len = size > MS_WINDOW_BYTES ? size : MS_WINDOW_BYTES;
  if (ms_os_reserve_file(fd, off, len) == 0) {
    window_drop();
    win = ms_os_map_file(fd, off, (size_t)len, NULL);
    win_kept = kept_take(win, (size_t)len);
    /* Its pages in one call: each chunk carved from it writes its header there, and a
     * fault on a page of the file (one per short-lived thread that samples) cost ~15 us
     * on the test VM.  Under the output lock, as those faults were (the headers are
     * written under it).  Not a full-mode chunk's own window: the thread populates
     * those itself, out of the lock (thread.c). */
    if (win && len == MS_WINDOW_BYTES) ms_os_populate(win, (size_t)len);
    win_off = carve_from = off;
    win_end = off + len;
    if (win_end > reserved_end) __atomic_store_n(&reserved_end, win_end, __ATOMIC_RELAXED);
    if (!win) carve_from = win_end; /* reserved all the same: only not mapped */
    return 0;
  }
  return ms_os_reserve_file(fd, off, size);
}

/* The window's mapping of [off, off + size), now the chunk's (NULL: not mapped there). */
static void *window_take(uint64_t off, uint32_t size) {
  if (!win || off < carve_from || off + size > win_end) return NULL;
  if (off > carve_from && !win_kept) /* (skipped: a chunk mapped on its own took those pages) */
    ms_os_unmap(win + (carve_from - win_off), (size_t)(off - carve_from));
  if (win_kept) atomic_fetch_add_explicit(&win_kept->users, 1, memory_order_relaxed);
  carve_from = off + size;
  return win + (off - win_off);
}

static int is_space_error(int err) {
  return err == -ENOSPC || err == -EDQUOT || err == -EFBIG;
}

static void note_full(struct ms_file_status *st, int err) {
  if (atomic_exchange_explicit(&chunks_full, 1, memory_order_relaxed)) return;
  __atomic_store_n(&st->full_ns, ms_os_now_ns(), __ATOMIC_RELAXED);
  __atomic_fetch_or(&st->flags, MS_STATUS_DISK_FULL, __ATOMIC_RELEASE);
  ms_output_warn_locked("no room for the output file, recording stopped", -err);
}

void ms_chunks_note_lost(uint64_t events) {
  struct ms_file_status *st = ms_output_status();
  if (st) __atomic_fetch_add(&st->lost_events, events, __ATOMIC_RELAXED);
}

/* The last line of defence for the file's layout: a chunk header goes only where a chunk
 * may start (past the header region, aligned) and says a size a reader can walk by.
 * Anything else is a runtime bug (a TABLE piece not recorded, thread.c, once wrote a
 * header over the file's own): refused, counted and warned once, never written, so the
 * file stays readable and the program runs on.  Output lock held. */
static uint64_t headers_refused;

static int header_place_ok(uint64_t at, uint32_t size) {
  if (at >= MS_HEADER_REGION && at % MS_CHUNK_ALIGN == 0 && size >= MS_CHUNK_ALIGN &&
      size % MS_CHUNK_ALIGN == 0)
    return 1;
  if (headers_refused++ == 0) {
    char detail[96];
    size_t pos = 0;
    ms_text_append_str(detail, sizeof detail, &pos, "offset ");
    ms_text_append_u64(detail, sizeof detail, &pos, at);
    ms_text_append_str(detail, sizeof detail, &pos, ", size ");
    ms_text_append_u64(detail, sizeof detail, &pos, size);
    ms_os_warn("internal error: a chunk header refused (bad place or size)", detail);
  }
  return 0;
}

uint64_t ms_chunks_headers_refused(void) { return headers_refused; }

/* Retags that took a pwrite (a TABLE piece added after its table's first: its header
 * page is not mapped); output lock. */
static uint64_t retags_by_pwrite;

uint64_t ms_chunks_retags_by_pwrite(void) { return retags_by_pwrite; }

void *ms_chunk_add_locked(uint16_t kind, uint32_t thread, int32_t os_tid, uint64_t seq,
                          uint32_t size, uint32_t map_from, void *fixed, const void *init,
                          uint64_t *at) {
  struct ms_file_status *st = ms_output_status();
  if (!st || ms_chunks_full() || size < MS_CHUNK_ALIGN || size % MS_CHUNK_ALIGN ||
      map_from >= size)
    return NULL;
  uint64_t off = __atomic_load_n(&st->chunk_end, __ATOMIC_RELAXED);
  if (!header_place_ok(off, size)) return NULL;
  int carvable = !fixed && !init && map_from == 0;
  void *carved = carvable ? window_take(off, size) : NULL;
  int fd = -1;
  if (!carved) { /* (the descriptor is checked only when a system call needs it) */
    fd = ms_output_fd_locked();
    if (fd < 0) return NULL;
  }
  __atomic_store_n(&st->chunk_end, off + size, __ATOMIC_RELAXED);
  if (!carved) {
    int err = reserve(fd, off, size);
    if (err) {
      if (is_space_error(err))
        note_full(st, err);
      else
        ms_output_warn_locked("cannot extend the output file", -err);
      return NULL;
    }
    if (carvable) carved = window_take(off, size); /* (a new window) */
  }
  struct ms_chunk_header h = {.magic = MS_CHUNK_MAGIC, .kind = kind, .size = size,
                              .thread = thread, .seq = seq, .os_tid = (uint32_t)os_tid};
  if (carved) { /* the header through the mapping, its magic last */
    struct ms_chunk_header *to = carved;
    h.magic = 0;
    memcpy(to, &h, sizeof h);
    __atomic_store_n(&to->magic, MS_CHUNK_MAGIC, __ATOMIC_RELEASE);
    if (at) *at = off;
    return carved;
  }
  /* (init: the content after the header page; that page is the reservation's zeros) */
  int err = init ? ms_os_pwrite_all(fd, init, size - MS_CHUNK_ALIGN, off + MS_CHUNK_ALIGN) : 0;
  if (!err) err = ms_os_pwrite_all(fd, &h, sizeof h, off);
  if (err) {
    ms_output_warn_locked("cannot write the output file", -err);
    return NULL;
  }
  void *p = ms_os_map_file(fd, off + map_from, size - map_from, fixed);
  if (p && at) *at = off;
  return p;
}

/* A pwrite is one store of a whole header (a kill sees the old one or the new one, never
 * half).  Through the mapping (`mapped`: the chunk's first page, mapped shared) it is two
 * stores and no system call (not even the fstat that checks the descriptor): only
 * `thread` and `os_tid` change, the header there is checked to be this chunk's first,
 * and os_tid goes first, so a kill between the two leaves the old thread's number with
 * the new one's kernel id, which a reader ignores as the old thread's record names it. */
int ms_chunk_retag_locked(uint64_t at, void *mapped, uint16_t kind, uint32_t thread,
                          int32_t os_tid, uint64_t seq, uint32_t size) {
  if (!header_place_ok(at, size)) return 0;
  if (mapped) {
    struct ms_chunk_header *h = mapped;
    if (h->magic != MS_CHUNK_MAGIC || h->kind != kind || h->size != size || h->seq != seq) {
      ms_output_warn_locked("internal error: a mapped chunk header is not the chunk's", EINVAL);
      return 0;
    }
    __atomic_store_n(&h->os_tid, (uint32_t)os_tid, __ATOMIC_RELAXED);
    __atomic_store_n(&h->thread, thread, __ATOMIC_RELEASE);
    return 1;
  }
  int fd = ms_output_fd_locked();
  if (fd < 0) return 0;
  struct ms_chunk_header h = {.magic = MS_CHUNK_MAGIC, .kind = kind, .size = size,
                              .thread = thread, .seq = seq, .os_tid = (uint32_t)os_tid};
  retags_by_pwrite++;
  int err = ms_os_pwrite_all(fd, &h, sizeof h, at);
  if (err) ms_output_warn_locked("cannot write the output file", -err);
  return err == 0;
}
