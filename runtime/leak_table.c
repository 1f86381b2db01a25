/* The exact live-block table of MEMSCOPE_MODE=leaks: every block a recording thread
 * allocated in the session and nobody has freed yet, with its size, site, thread, time
 * and stack.  At the session's end (leak_dump.c) what is left is the list of leaks.
 *
 * 1,024 shards chosen by the address's hash, each an open-addressing table with linear
 * probing and backward-shift deletion (no tombstones, so a table that sees millions of
 * frees never needs a clean-up), grown by doubling at 3/4 load under the shard's lock.
 * The lock is a test-and-test-and-set spin lock: one compare-and-swap and one store per
 * operation, taken only in leaks mode, and held for a probe or two (a grow rehashes one
 * shard: 1/1,024 of the blocks).  A thread holds at most one shard lock, never with
 * another lock, and always with ms_self.busy set, so a signal handler's allocation on the
 * same thread is dropped instead of waiting on it.
 *
 * Fork: no shard lock is held across it.  A handler's allocation on a thread that is
 * inside glibc's malloc (an arena lock held) waits for a shard lock; glibc's fork takes
 * every arena lock after the atfork handlers ran, so a fork that held the shards there
 * waited for that thread while it waited for the fork (stacks_storm hung so in 5 runs
 * of 200).  The child needs none of the parent's blocks anyway: it empties the table
 * (ms_leaks_after_fork_child), giving back what it knows to be whole.  The lock word is
 * its holder's thread pointer, so that the child can tell a shard its own thread was
 * updating (a fork from a signal handler) from one another thread was, which is gone.
 *
 * Memory: 40 bytes per slot, from mmap (ms_os_reserve: pages become memory as touched),
 * so 53-107 bytes per live block; freed shards keep their size until the session ends. */
#include <stdatomic.h>
#include <string.h>

#include "internal.h"

#define SHARD_BITS 10
#define NSHARDS (1u << SHARD_BITS)
#define FIRST_CAP 64u /* slots: 2.5 KiB (a page), the first time a shard is used */

struct shard {
  _Atomic uintptr_t lock; /* 0, or the holder's thread pointer */
  uint32_t shift;         /* 64 - log2(cap) */
  struct ms_leak *slots; /* cap slots, ptr 0 = empty */
  size_t cap, count;
  uint64_t bytes; /* sizes of its blocks (read unlocked by ms_leaks_live_bytes) */
} __attribute__((aligned(64)));

static struct shard shards[NSHARDS];
/* Blocks that could not be kept (no memory for a bigger shard). */
static _Atomic uint64_t lost;
/* In a fork child: the shard its thread was updating when it forked (from a signal
 * handler), emptied by the next lock() once that update is done. */
static struct shard *stale;

/* Fibonacci hashing (one multiply: its top bits are well mixed even for aligned,
 * clustered addresses): the top SHARD_BITS pick the shard, the bits below them the slot. */
static inline uint64_t hash(uintptr_t p) { return (uint64_t)p * 0x9E3779B97F4A7C15ull; }

static inline struct shard *shard_of(uint64_t h) { return &shards[h >> (64 - SHARD_BITS)]; }

static inline size_t home(const struct shard *s, uint64_t h) {
  return (size_t)((h << SHARD_BITS) >> s->shift);
}

static void clear(struct shard *s);

static void lock(struct shard *s) {
  uintptr_t self = ms_thread_pointer(), none = 0;
  while (!atomic_compare_exchange_weak_explicit(&s->lock, &none, self, memory_order_acquire,
                                                memory_order_relaxed)) {
    for (unsigned spins = 0; atomic_load_explicit(&s->lock, memory_order_relaxed); spins++) {
      if (spins >= 64) ms_os_yield(); /* the holder was preempted: let it run */
#if defined(__x86_64__) || defined(__i386__)
      else __builtin_ia32_pause();
#endif
    }
    none = 0;
  }
  if (MS_UNLIKELY(stale == s)) { /* (a fork child's: one load, leaks mode only) */
    clear(s);
    stale = NULL;
  }
}

static void unlock(struct shard *s) { atomic_store_explicit(&s->lock, 0, memory_order_release); }

/* The slot holding p, or the empty slot where it would go. */
static size_t find(const struct shard *s, uintptr_t p, uint64_t h) {
  size_t mask = s->cap - 1, i = home(s, h);
  while (s->slots[i].ptr && s->slots[i].ptr != p) i = (i + 1) & mask;
  return i;
}

/* Doubles the shard (its lock held); 0 when no memory. */
static int grow(struct shard *s) {
  size_t cap = s->cap ? s->cap * 2 : FIRST_CAP;
  struct ms_leak *slots = ms_os_reserve(cap * sizeof *slots);
  if (!slots) return 0;
  struct ms_leak *old = s->slots;
  size_t old_cap = s->cap;
  s->slots = slots;
  s->cap = cap;
  s->shift = (uint32_t)(64 - __builtin_ctzll(cap));
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].ptr) s->slots[find(s, old[i].ptr, hash(old[i].ptr))] = old[i];
  ms_os_unmap(old, old_cap * sizeof *old);
  return 1;
}

void ms_leaks_insert(const struct ms_leak *b) {
  uint64_t h = hash(b->ptr);
  struct shard *s = shard_of(h);
  lock(s);
  /* At 3/4 load; a shard that cannot grow fills up to one free slot (probes stop). */
  if ((s->count + 1) * 4 > s->cap * 3 && !grow(s) && s->count + 1 >= s->cap) {
    unlock(s);
    atomic_fetch_add_explicit(&lost, 1, memory_order_relaxed);
    return;
  }
  struct ms_leak *slot = &s->slots[find(s, b->ptr, h)];
  uint64_t bytes = s->bytes + b->size;
  if (slot->ptr) /* freed where we could not see it (uncounted code): the new block wins */
    bytes -= slot->size;
  else
    s->count++;
  *slot = *b;
  __atomic_store_n(&s->bytes, bytes, __ATOMIC_RELAXED);
  unlock(s);
}

int ms_leaks_remove(uintptr_t p) { return ms_leaks_take_out(p, NULL); }

int ms_leaks_take_out(uintptr_t p, struct ms_leak *out) {
  uint64_t h = hash(p);
  struct shard *s = shard_of(h);
  lock(s);
  if (!s->cap) {
    unlock(s);
    return 0;
  }
  size_t mask = s->cap - 1, i = find(s, p, h);
  if (!s->slots[i].ptr) {
    unlock(s);
    return 0;
  }
  if (out) *out = s->slots[i];
  __atomic_store_n(&s->bytes, s->bytes - s->slots[i].size, __ATOMIC_RELAXED);
  s->count--;
  /* Backward shift: a later entry moves into the hole unless its home slot lies
   * cyclically in (i, j], where the hole does not interrupt its probe sequence. */
  for (size_t j = (i + 1) & mask; s->slots[j].ptr; j = (j + 1) & mask) {
    size_t k = home(s, hash(s->slots[j].ptr));
    int stays = i <= j ? (k > i && k <= j) : (k > i || k <= j);
    if (!stays) {
      s->slots[i] = s->slots[j];
      i = j;
    }
  }
  s->slots[i].ptr = 0;
  unlock(s);
  return 1;
}

uint64_t ms_leaks_live_bytes(void) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < NSHARDS; i++) total += __atomic_load_n(&shards[i].bytes, __ATOMIC_RELAXED);
  return total;
}

uint64_t ms_leaks_lost(void) { return atomic_load_explicit(&lost, memory_order_relaxed); }

/* Empties a shard (its lock held), giving its memory back. */
static void clear(struct shard *s) {
  ms_os_unmap(s->slots, s->cap * sizeof *s->slots);
  s->slots = NULL;
  s->cap = s->count = 0;
  s->shift = 0;
  __atomic_store_n(&s->bytes, 0, __ATOMIC_RELAXED);
}

size_t ms_leaks_take(struct ms_leak **out, size_t *mapped) {
  struct ms_leak *all = NULL;
  size_t n = 0, cap = 0;
  for (uint32_t i = 0; i < NSHARDS; i++) {
    struct shard *s = &shards[i];
    lock(s);
    if (n + s->count > cap) {
      size_t want = (n + s->count) * 2 * sizeof *all;
      struct ms_leak *more = all ? ms_os_remap(all, cap * sizeof *all, want) : ms_os_reserve(want);
      if (more) {
        all = more;
        cap = want / sizeof *all;
      }
    }
    for (size_t k = 0; k < s->cap && n < cap; k++)
      if (s->slots[k].ptr) all[n++] = s->slots[k];
    clear(s);
    unlock(s);
  }
  atomic_store_explicit(&lost, 0, memory_order_relaxed);
  *out = all;
  *mapped = cap * sizeof *all;
  return n;
}

/* The child counts from zero: its parent's blocks are the parent's.  It is the only
 * thread now, and no lock was held across the fork: a shard unlocked in the copy is whole
 * and its memory is given back; one locked by another thread (gone, mid-update: its size
 * and slots may disagree) is forgotten, its mapping left as it is; one locked by this
 * thread (the fork came from a signal handler that interrupted its update, which goes on
 * when the handler returns) is emptied once that update is done (lock()). */
void ms_leaks_after_fork_child(void) {
  uintptr_t self = ms_thread_pointer();
  stale = NULL;
  for (uint32_t i = 0; i < NSHARDS; i++) {
    struct shard *s = &shards[i];
    uintptr_t holder = atomic_load_explicit(&s->lock, memory_order_relaxed);
    if (holder == self) {
      stale = s;
      continue;
    }
    if (holder == 0) clear(s);
    s->slots = NULL;
    s->cap = s->count = 0;
    s->shift = 0;
    __atomic_store_n(&s->bytes, 0, __ATOMIC_RELAXED);
    atomic_store_explicit(&s->lock, 0, memory_order_relaxed);
  }
  atomic_store_explicit(&lost, 0, memory_order_relaxed);
}
