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

void ms_chunks_reset(void) { atomic_store_explicit(&chunks_full, 0, memory_order_relaxed); }

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

void *ms_chunk_add_locked(uint16_t kind, uint32_t thread, int32_t os_tid, uint64_t seq,
                          uint32_t size, uint32_t map_from, void *fixed, const void *init) {
  struct ms_file_status *st = ms_output_status();
  if (!st || ms_chunks_full() || size < MS_CHUNK_ALIGN || size % MS_CHUNK_ALIGN ||
      map_from >= size)
    return NULL;
  int fd = ms_output_fd_locked();
  if (fd < 0) return NULL;
  uint64_t off = __atomic_fetch_add(&st->chunk_end, size, __ATOMIC_RELAXED);
  int err = ms_os_reserve_file(fd, off, size);
  if (err) {
    if (is_space_error(err))
      note_full(st, err);
    else
      ms_output_warn_locked("cannot extend the output file", -err);
    return NULL;
  }
  struct ms_chunk_header h = {.magic = MS_CHUNK_MAGIC, .kind = kind, .size = size,
                              .thread = thread, .seq = seq, .os_tid = (uint32_t)os_tid};
  if (init) err = ms_os_pwrite_all(fd, init, size - map_from, off + map_from);
  if (!err) err = ms_os_pwrite_all(fd, &h, sizeof h, off);
  if (err) {
    ms_output_warn_locked("cannot write the output file", -err);
    return NULL;
  }
  return ms_os_map_file(fd, off + map_from, size - map_from, fixed);
}
