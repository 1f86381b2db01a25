/* Call stacks of leaks mode's live blocks, each distinct stack kept once.
 *
 * A block keeps a 32-bit reference to its stack instead of the frames: programs allocate
 * from few distinct stacks, so a million live blocks cost 4 MB of references, not
 * 8 bytes per frame each.  Stacks are appended to an arena ([n, frame, ...], 128 MiB of
 * address space reserved, pages used as written: about a million stacks of 15 frames)
 * and found again through a hash table of 2^22 references (16 MiB reserved), under one
 * spin lock: the unwinding that comes before (~1 us per stack) costs far more than the
 * lock.  When either is full, blocks get no stack (reference 0).  Nothing is ever removed: stacks outlive sessions.
 *
 * Fork: the lock is not held across it (a signal handler's allocation on a thread inside
 * glibc's malloc waits for it, and glibc's fork waits for that thread's arena lock:
 * leak_table.c).  The store is kept consistent at every store instead: an entry's frames
 * are written past the used mark, then the mark, then its reference in the table (release
 * stores), and the table is published before the arena.  So a fork child's copy is whole
 * whatever another thread was doing; the child only frees the lock of a holder that is
 * gone (ms_leak_stacks_after_fork_child). */
#include <stdatomic.h>
#include <string.h>

#include "internal.h"

#define ARENA_WORDS ((size_t)1 << 24)
#define TABLE_BITS 22
#define TABLE_SIZE ((size_t)1 << TABLE_BITS)

static _Atomic uintptr_t store_lock; /* 0, or the holder's thread pointer */
static uint64_t *arena;  /* [n, frames...] one after the other; word 0 unused */
static size_t arena_used = 1;
static uint32_t *table;  /* arena offset of a stack's first frame, 0 = empty */
static size_t stored;

static void lock(void) {
  uintptr_t self = ms_thread_pointer(), none = 0;
  while (!atomic_compare_exchange_weak_explicit(&store_lock, &none, self, memory_order_acquire,
                                                memory_order_relaxed)) {
    while (atomic_load_explicit(&store_lock, memory_order_relaxed)) ms_os_yield();
    none = 0;
  }
}

static void unlock(void) { atomic_store_explicit(&store_lock, 0, memory_order_release); }

uint32_t ms_leak_stack_intern(const uint64_t *frames, uint32_t n) {
  if (n == 0) return 0;
  uint32_t ref = 0;
  lock();
  if (!arena) { /* (the table first: arena set means both are) */
    uint64_t *a = ms_os_reserve(ARENA_WORDS * sizeof *arena);
    uint32_t *t = ms_os_reserve(TABLE_SIZE * sizeof *table);
    if (a && t) {
      __atomic_store_n(&table, t, __ATOMIC_RELEASE);
      __atomic_store_n(&arena, a, __ATOMIC_RELEASE);
    } else {
      ms_os_unmap(a, ARENA_WORDS * sizeof *arena);
      ms_os_unmap(t, TABLE_SIZE * sizeof *table);
    }
  }
  if (arena) {
    size_t i = ms_hash_frames(frames, n) >> (64 - TABLE_BITS);
    for (; table[i]; i = (i + 1) & (TABLE_SIZE - 1)) {
      const uint64_t *s = &arena[table[i]];
      if (s[-1] == n && memcmp(s, frames, n * sizeof *frames) == 0) {
        ref = table[i];
        break;
      }
    }
    /* New: at most 3/4 of the table, and the arena's end. */
    if (!ref && stored < TABLE_SIZE / 4 * 3 && arena_used + 1 + n <= ARENA_WORDS) {
      arena[arena_used] = n;
      memcpy(&arena[arena_used + 1], frames, n * sizeof *frames);
      ref = (uint32_t)(arena_used + 1);
      __atomic_store_n(&arena_used, arena_used + 1 + n, __ATOMIC_RELEASE);
      __atomic_store_n(&table[i], ref, __ATOMIC_RELEASE);
      stored++;
    }
  }
  unlock();
  return ref;
}

/* Read after the session's writers are done with it (the dump holds the output lock;
 * a stack is complete before its reference is published under the lock). */
const uint64_t *ms_leak_stacks(void) { return arena; }

uint32_t ms_leak_stack_frames(uint32_t ref) { return ref ? (uint32_t)arena[ref - 1] : 0; }

/* The fork child's copy is whole (above); a lock held by another thread (gone) is
 * freed.  One held by this thread (a fork from a signal handler that interrupted its
 * intern) is let go by that intern when the handler returns. */
void ms_leak_stacks_after_fork_child(void) {
  if (atomic_load_explicit(&store_lock, memory_order_relaxed) != ms_thread_pointer())
    atomic_store_explicit(&store_lock, 0, memory_order_relaxed);
}
