/* Which live blocks were sampled, so that a free can tell in one load.
 *
 * __memscope_free_filter: one-byte counts, one per 4 KiB granule of the low 4 GiB of
 * address space (ms_filter_slot: the bits 12-31 of the address), 1 MiB; then 1 MiB of
 * 255, what disarmed inline headers read (abi.h).  Non-zero means "maybe sampled": only
 * then does a free look in the exact table.  The granule is coarse so that the filter
 * bytes a program's frees read share cache lines (one line covers 256 KiB of heap)
 * instead of adding a line per block; what it costs: a free of an unsampled block in
 * the same 4 KiB as a live sampled one takes the slow path too, with a dense heap about
 * 4 KiB / the sample interval of frees (0.8% at the default 512 KiB).  A count that
 * reaches 255 stays there.  Initialised data, so that the all-set half is there before
 * any code runs (a thread's first free must be slow): 2 MiB of the file, whose pages
 * cost memory only once read (and copied only once written).  Exported: instrumented
 * executables read it (abi.h).
 *
 * The exact table: open addressing over 2^20 slots of an address and what its block
 * stands for (16 MiB reserved, pages used as touched: one cache line per operation;
 * how much address space a slot covers depends on the sampler: table_slot),
 * inserted with compare-and-swap, removed with a store (remove_key says why).  Only sampled allocations and filter hits
 * touch it, never the fast path.  Full mode keeps every live block here too (sampler.c:
 * memscope_snapshot()'s exact live bytes are the sum of what the set holds; about 8% of
 * full mode's time, docs/runtime.md), so there the table is also a bound: once a probe
 * sequence finds no room (toward 2^20 live blocks) a block goes unkept, its event is
 * still written, and the live bytes leave it out.  A block is inserted before its
 * allocation returns to the program and removed before its free (or its realloc:
 * ms_realloc_take_old) reaches the allocator,
 * so the program's own ordering of allocation before free orders our updates too.
 * The runtime's own blocks (sampled_set.h) live in the same table under a tagged key,
 * so their frees reach the slow path by the same filter. */
#include <stdatomic.h>
#include <string.h>

#include "internal.h"
#include "sampled_set.h"

#define FILTER_SIZE MEMSCOPE_FILTER_HALF /* the half the runtime updates */
#define TABLE_BITS 20
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_PROBES 128
#define TOMBSTONE ((uintptr_t)1) /* no block lives at address 1 */
/* A runtime's own block (sampled_set.h) is kept as its address with this bit set, in the
 * probe sequence of the address: blocks are at least 4-aligned, so it never equals a
 * sampled block's key, and ms_sampled_remove() does not see it. */
#define OWN_TAG ((uintptr_t)2)

MS_EXPORT uint8_t __memscope_free_filter[2 * FILTER_SIZE] = {
    [FILTER_SIZE ... 2 * FILTER_SIZE - 1] = 255};


/* A key and, beside it, what its block stands for (weight x size): written after the
 * key is claimed, read after it is claimed for removal. */
struct slot {
  _Atomic uintptr_t key;
  int64_t est;
};
static struct slot *table;
/* log2 of the bytes of address space per slot (table_slot).  16 bytes (the smallest
 * block) wherever every block may be kept; the byte sampler keeps an s-byte block with
 * probability 1 - exp(-s/R) <= s/R, so at most 1/R of them per byte of heap (R the mean
 * interval), and a slot may then cover R/8 bytes (at most 4 KiB): 1/8 of a block per slot
 * on average, which linear probing absorbs.  With the default R (512 KiB) a page of the
 * table covers 1 MiB of heap instead of 4 KiB: 512 threads' samples, spread over every
 * arena, touched ~1,900 pages of it (a page fault each, ~3% of that run's CPU). */
static unsigned slot_shift = 4;

static unsigned shift_for(uint64_t mean_interval) {
  unsigned shift = 4;
  while (shift < 12 && ((uint64_t)1 << (shift + 1)) <= mean_interval / 8) shift++;
  return shift;
}

void ms_sampled_set_init(int every_free) {
  slot_shift = !every_free && ms_config.sampler == MS_SAMPLER_BYTES
                   ? shift_for(ms_config.sample_interval)
                   : 4;
  /* 255 is never decremented.  Full mode: every free reaches ms_sample_free.  Slot 0:
   * free(NULL) (hash 0) takes the slow path, where it is not counted. */
  if (every_free)
    memset(__memscope_free_filter, 255, FILTER_SIZE);
  else
    __memscope_free_filter[ms_filter_slot(0)] = 255;
  table = ms_os_reserve(TABLE_SIZE * sizeof(struct slot));
}

uint32_t ms_sampled_set_slot_bytes(void) { return (uint32_t)1 << slot_shift; }

/* Neighbouring blocks in neighbouring slots (one per 16 bytes of address, four to a cache
 * line, or per 2^slot_shift bytes), each 1 MiB region of address space starting at its
 * own pseudo-random offset:
 * full mode inserts and removes every block, and a thread's blocks, which its allocator
 * keeps close together, then touch a few lines of the table instead of one line each
 * (a random hash made the table's cache misses 14% of full mode's time at 4 threads).
 * The offsets keep regions at the same address modulo 16 MiB (glibc's arenas are 64 MiB
 * aligned) from sharing slots. */
static uint32_t table_slot(uintptr_t p) {
  uint64_t region = ((uint64_t)p >> 20) * 0x9E3779B97F4A7C15ull;
  return (uint32_t)(((uint64_t)p >> slot_shift) + (region >> (64 - TABLE_BITS))) &
         (TABLE_SIZE - 1);
}

static void filter_add(uintptr_t p, int delta) {
  _Atomic uint8_t *c = (_Atomic uint8_t *)&__memscope_free_filter[ms_filter_slot(p)];
  uint8_t old = atomic_load_explicit(c, memory_order_relaxed);
  while (old != 255 && !(delta < 0 && old == 0) &&
         !atomic_compare_exchange_weak_explicit(c, &old, (uint8_t)(old + delta),
                                                memory_order_relaxed, memory_order_relaxed)) {
  }
}

/* key is p, or p | OWN_TAG; the probe sequence is always p's. */
static int insert_key(uintptr_t p, uintptr_t key, int64_t est_bytes) {
  if (!table) return 0;
  for (uint32_t i = 0, s = table_slot(p); i < MAX_PROBES; i++, s = (s + 1) & (TABLE_SIZE - 1)) {
    uintptr_t cur = atomic_load_explicit(&table[s].key, memory_order_relaxed);
    if ((cur == 0 || cur == TOMBSTONE) &&
        atomic_compare_exchange_strong_explicit(&table[s].key, &cur, key, memory_order_acq_rel,
                                                memory_order_relaxed)) {
      __atomic_store_n(&table[s].est, est_bytes, __ATOMIC_RELEASE);
      filter_add(p, +1);
      return 1;
    }
  }
  return 0; /* 128 probes without room: the table is nearly full; skip this sample */
}

static int remove_key(uintptr_t p, uintptr_t key, int64_t *est_bytes) {
  *est_bytes = 0;
  if (!table || p == 0) return 0;
  for (uint32_t i = 0, s = table_slot(p); i < MAX_PROBES; i++, s = (s + 1) & (TABLE_SIZE - 1)) {
    uintptr_t cur = atomic_load_explicit(&table[s].key, memory_order_acquire);
    if (cur == 0) return 0;
    if (cur == key) {
      /* A plain store, not a compare-and-swap: a slot that holds p changes only by p's
       * removal, and the program frees p once (a free racing another free or a realloc
       * of the same block is its own double free); inserters take only empty slots and
       * tombstones.  The weight is read first, the slot released after: the locked
       * instruction was ~7 ns of every full-mode free and realloc. */
      *est_bytes = __atomic_load_n(&table[s].est, __ATOMIC_ACQUIRE);
      atomic_store_explicit(&table[s].key, TOMBSTONE, memory_order_release);
      filter_add(p, -1);
      return 1;
    }
  }
  return 0;
}

int ms_sampled_insert(uintptr_t p, int64_t est_bytes) { return insert_key(p, p, est_bytes); }

int ms_sampled_remove(uintptr_t p, int64_t *est_bytes) { return remove_key(p, p, est_bytes); }

int ms_own_insert(uintptr_t p) { return p && insert_key(p, p | OWN_TAG, 0); }

/* The filter first: most frees that reach the slow path are not of such blocks. */
int ms_own_remove(uintptr_t p) {
  int64_t unused;
  return p && ms_maybe_sampled(p) && remove_key(p, p | OWN_TAG, &unused);
}
