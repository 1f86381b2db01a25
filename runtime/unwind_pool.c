/* libunwind's per-thread trace caches, kept for the next thread instead of unmapped.
 *
 * On a thread's first unw_backtrace (its 17th capture: stacks.c unwinds the first ones
 * step by step) libunwind maps 256 KiB for its trace cache (2^14 frames of 16 bytes) and
 * writes every entry; a key destructor unmaps it when the thread ends.
 * With many short-lived threads that sample once or twice, those 64 page faults per
 * thread and the unmap's TLB shootdown on every other CPU were most of memscope's cost
 * (bench/cost's 3,000 threads: ~40% of the time).  stacks.c sends libunwind's calls of
 * mmap and munmap here (its GOT, as for pipe2): a request of exactly that shape (no
 * address, 256 KiB, private anonymous, read-write) gets a block of the pool below, and
 * unmapping such a block puts it back on the free list, its pages still mapped and
 * resident.  libunwind writes every entry of a new cache before use (trace_cache_buckets),
 * so a reused block's old content is never read.  Anything else goes to the kernel.
 *
 * The pool is one reservation of MS_UNW_POOL_BLOCKS blocks (address space, PROT_NONE:
 * no commit charge), each made read-write on its first use (one mprotect, once).  Memory
 * kept: 256 KiB per thread that sampled, at the most threads alive at once, as libunwind
 * itself took then.  More threads than blocks at once: the rest get the kernel's.
 * The free list is a lock-free stack (a tag against ABA): no lock to take across fork.
 * The calls passed on to mmap and munmap are libunwind's own (as the hooks pass the
 * program's on), not the runtime's: they stay here rather than in os.c. */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <sys/mman.h>

#include "internal.h"

/* libunwind calls these from its key destructor, after a sanitizer has let go of the
 * ending thread (ThreadSanitizer crashed in its function-entry hook): never instrumented. */
#define MS_UNW_POOL_FN __attribute__((disable_sanitizer_instrumentation))

#define MS_UNW_CACHE_BYTES ((size_t)1 << 18)
#define MS_UNW_POOL_BLOCKS 64u /* 16 MiB of address space */

static char *pool;                 /* NULL: none (reserved by ms_unwind_pool_init) */
static _Atomic uint32_t fresh;     /* blocks handed out at least once */
static _Atomic uint64_t free_top;  /* (tag << 32) | (block + 1); low half 0: empty */
static _Atomic uint32_t next_free[MS_UNW_POOL_BLOCKS]; /* block + 1 below it, 0: none */
static _Atomic uint64_t caches; /* trace caches asked for (one add per thread that makes one) */

void ms_unwind_pool_init(void) {
  pool = ms_os_reserve_inaccessible(MS_UNW_CACHE_BYTES * MS_UNW_POOL_BLOCKS);
}

MS_UNW_POOL_FN static void *take(void) {
  uint64_t top = atomic_load_explicit(&free_top, memory_order_acquire);
  while ((uint32_t)top) {
    uint32_t b = (uint32_t)top - 1;
    uint64_t next = ((top >> 32) + 1) << 32 | atomic_load_explicit(&next_free[b], memory_order_relaxed);
    if (atomic_compare_exchange_weak_explicit(&free_top, &top, next, memory_order_acquire,
                                              memory_order_acquire))
      return pool + (size_t)b * MS_UNW_CACHE_BYTES;
  }
  uint32_t b = atomic_fetch_add_explicit(&fresh, 1, memory_order_relaxed);
  if (b >= MS_UNW_POOL_BLOCKS) return NULL; /* (fresh stays past the end: no more) */
  char *at = pool + (size_t)b * MS_UNW_CACHE_BYTES;
  if (ms_os_make_rw(at, MS_UNW_CACHE_BYTES) != 0) return NULL;
  /* libunwind writes every entry at once: its 64 pages in one call, not a fault each. */
  ms_os_populate(at, MS_UNW_CACHE_BYTES);
  return at;
}

MS_UNW_POOL_FN static void give(char *at) {
  uint32_t b = (uint32_t)((size_t)(at - pool) / MS_UNW_CACHE_BYTES);
  uint64_t top = atomic_load_explicit(&free_top, memory_order_relaxed);
  do
    atomic_store_explicit(&next_free[b], (uint32_t)top, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&free_top, &top, ((top >> 32) + 1) << 32 | (b + 1),
                                                memory_order_release, memory_order_relaxed));
}

MS_UNW_POOL_FN void *ms_unwind_pool_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (pool && !addr && len == MS_UNW_CACHE_BYTES && prot == (PROT_READ | PROT_WRITE) &&
      flags == (MAP_PRIVATE | MAP_ANONYMOUS) && fd == -1) {
    atomic_fetch_add_explicit(&caches, 1, memory_order_relaxed);
    void *p = take();
    if (p) return p;
  }
  return mmap(addr, len, prot, flags, fd, off);
}

MS_UNW_POOL_FN int ms_unwind_pool_munmap(void *addr, size_t len) {
  char *at = addr;
  if (pool && at >= pool && at < pool + MS_UNW_CACHE_BYTES * MS_UNW_POOL_BLOCKS &&
      (size_t)(at - pool) % MS_UNW_CACHE_BYTES == 0 && len == MS_UNW_CACHE_BYTES) {
    give(at);
    return 0;
  }
  return munmap(addr, len);
}

uint64_t ms_unwind_pool_caches(void) { return atomic_load_explicit(&caches, memory_order_relaxed); }
