/* The interface between code instrumented by MemscopePass and libmemscope.
 *
 * The pass emits, per module, one `struct __memscope_module` holding an array of
 * `struct __memscope_site` (writable: the runtime fills `index` on registration),
 * each pointing at constant `struct __memscope_frame`s, and a constructor that calls
 * MEMSCOPE_REGISTER_FN.  Every rewritten allocation call passes a pointer to its site.
 *
 * Layouts here are mirrored by pass/RuntimeInterface.h: change both together and bump
 * MEMSCOPE_ABI_VERSION, which is part of the registration symbol's name so that objects
 * built against another ABI fail at link time instead of misbehaving at run time. */
#ifndef MEMSCOPE_ABI_H
#define MEMSCOPE_ABI_H

#include <stddef.h>
#include <stdint.h>

#define MEMSCOPE_ABI_VERSION 6
#define MEMSCOPE_REGISTER_FN "__memscope_register_module_v6"
#define MEMSCOPE_UNREGISTER_FN "__memscope_unregister_module_v6"

#ifdef __cplusplus
extern "C" {
#endif

/* Which allocation function a site calls.  Values are part of the file format
 * (they are written in site records), so never renumber; append. */
enum memscope_api {
  MEMSCOPE_API_MALLOC = 1,
  MEMSCOPE_API_CALLOC = 2,
  MEMSCOPE_API_REALLOC = 3,
  MEMSCOPE_API_FREE = 4,
  MEMSCOPE_API_REALLOCARRAY = 5,
  MEMSCOPE_API_ALIGNED_ALLOC = 6,
  MEMSCOPE_API_POSIX_MEMALIGN = 7,
  MEMSCOPE_API_MEMALIGN = 8,
  MEMSCOPE_API_VALLOC = 9,
  MEMSCOPE_API_PVALLOC = 10,
  MEMSCOPE_API_STRDUP = 11,  /* also glibc's __strdup */
  MEMSCOPE_API_STRNDUP = 12, /* also glibc's __strndup */
  MEMSCOPE_API_NEW = 13,     /* C++ operator new, every form */
  MEMSCOPE_API_NEW_ARRAY = 14,
  MEMSCOPE_API_DELETE = 15,  /* C++ operator delete, every form */
  MEMSCOPE_API_DELETE_ARRAY = 16,
  MEMSCOPE_API_MMAP = 17,    /* every successful mapping, anonymous or file-backed */
  MEMSCOPE_API_MUNMAP = 18,
  MEMSCOPE_API_WRAPPER = 19, /* a call to an allocation wrapper (docs/pass.md) */
};

/* One source location.  frames[0] of a site is where the call is written; each
 * following frame is the call site it was inlined into, ending in the function
 * that contains the call after inlining.  `file` may be NULL when unknown,
 * `line`/`column` 0 when unknown. */
struct __memscope_frame {
  const char *function;
  const char *file;
  uint32_t line;
  uint32_t column;
};

struct __memscope_site {
  uint64_t id;                           /* stable across runs and rebuilds */
  const struct __memscope_frame *frames; /* innermost first */
  uint32_t nframes;
  uint32_t api;   /* enum memscope_api */
  uint32_t index; /* 0 until registered; then the runtime's (its counters' offset) */
  uint32_t flags; /* 0 from the pass; MS_SITE_FLAG_* (format.h) for the runtime's own */
  uint32_t tls_slot; /* inline sites: byte offset of its counters from the header's
                      * `counters` (see below), 32 * (1 + its rank among the module's
                      * inline sites); 0 = the site calls the runtime */
  uint32_t reserved;
};

struct __memscope_module {
  uint32_t abi_version; /* MEMSCOPE_ABI_VERSION */
  uint32_t nsites;
  struct __memscope_site *sites;
  const char *name;                /* the module's source file name */
  struct __memscope_module *next;  /* runtime's registry link, NULL in the object */
  /* Inline sites (below), local-exec form: the calling thread's header, NULL when the
   * module has none (or has the shared form). */
  void *(*tls_block)(void);
  uint32_t tls_size; /* bytes of the thread-local block: the header */
  uint32_t reserved;
  /* Inline sites, shared form (below): the module's slot base, which the runtime sets
   * when it registers the module; NULL in a module without (or with the other form). */
  int64_t *slot_base;
};

void __memscope_register_module_v6(struct __memscope_module *m);
void __memscope_unregister_module_v6(struct __memscope_module *m);

/* Inline sites.  The pass counts the calls of malloc, calloc, realloc, free,
 * aligned_alloc, posix_memalign, memalign and C++ operator new/delete (every form) in the
 * caller, without calling the runtime, straight into the calling thread's counter table
 * (the same table, and the same slots, as the runtime's own entry points count in: what
 * a thread counted is in the table the moment it is counted), through a header, struct
 * __memscope_tls_header, in one of two forms (docs/pass.md, "Which modules"):
 *   - local-exec (a PIE module, built for an executable, or any module under
 *     -memscope-inline=always): a thread-local header of the module's own (one
 *     segment-relative instruction per access, valid in the executable only), whose
 *     `counters` points at this module's part of the thread's table;
 *   - shared (every other module: -fPIC code, which may end up in a shared library,
 *     linked or dlopen'ed): the runtime's header __memscope_shared_tls, reached by
 *     initial-exec TLS (the runtime is in the process from its start, or loaded with
 *     the library as its dependency, which it already was: its own TLS is initial-exec),
 *     whose `counters` points at the table itself, plus the module's slot base, a
 *     hidden global of the module the runtime sets when it registers it.
 * So that, for every inline site of the module, with base = 0 in the local-exec form,
 *   (char *)h->counters + base + site->tls_slot == &table[the site's slot]
 *   (char *)h->counters + h->releases_at == &table[1].calls (the thread's realloc
 *                                            releases, MS_SLOT_RELEASES)
 * (each inline slot is one struct __memscope_tls_alloc, the table's slot; the runtime
 * gives a module's inline sites consecutive slots in tls_slot order).  A shared-form
 * module's base before it is registered (or when its slots did not fit in the table) is
 * MEMSCOPE_UNREGISTERED_BASE: its counts go to the table's last slots, which no site
 * has and nothing reads.
 * A new thread's header is the block's initial value: sample_left 0 and disarmed 1,
 * which send every call to the slow entry points below (they arm the header), and
 * counters = __memscope_inline_scratch, never NULL: a signal handler that allocates
 * between a fast path's subtraction and its slow call finds sample_left wrapped around
 * and takes the fast path, which must then write somewhere harmless.  The runtime points
 * a disarmed header back at the scratch (releases_at 0) for the same reason, and reports
 * the calls counted there as dropped (the slow call finds the countdown still wrapped).
 * The fast paths (s = (char *)h->counters + base + tls_slot; count(s, n) is s->calls++;
 * s->bytes += n; then, unless n is the same constant at every call of the site,
 * if (n - s->lo > s->span) __memscope_inline_widen(s, n)):
 *   malloc(n), calloc(k, m) (n = k * m, UINT64_MAX when it overflows):
 *     left = h->sample_left; h->sample_left = left - n;
 *     if (left <= n) p = __memscope_{malloc,calloc}_inline_slow(args, site, h);
 *     else { count(s, n); p = __memscope_real_{malloc,calloc}(args); }
 *   realloc(old, n):
 *     left = h->sample_left; h->sample_left = left - n;
 *     if (old ? FILTER(old) || n == 0 || left <= n : left <= n)
 *       p = __memscope_realloc_inline_slow(old, n, site, h);
 *     else { if (old) *(uint64_t *)((char *)h->counters + h->releases_at) += 1;
 *            count(s, n); p = __memscope_real_realloc(old, n); }
 *   aligned_alloc, memalign, posix_memalign, operator new (after the call, which is
 *   the real function: __memscope_real_<name>, or the operator itself between
 *   __memscope_inner = 1 and = 0 so that an exception passes through unchanged):
 *     left = h->sample_left; h->sample_left = left - n;
 *     if (left <= n || !p) __memscope_alloc_inline_slow(n, p, align, site, h);
 *     else count(s, n);
 *   free(p), operator delete(p, ...) (before the call):
 *     if (FILTER(p)) { if (p || h->disarmed) __memscope_free_inline_slow(p, site, h); }
 *     else ((char *)h->counters + tls_slot)->calls++;
 *     __memscope_real_free(p) (or the operator between __memscope_inner = 1 and = 0)
 * where FILTER(p) is __memscope_free_filter[h->disarmed << 20 | (uint32_t)(uintptr_t)p >> 12]
 * (one x86-64 `shld $20` of the address into the loaded `disarmed`): one byte per 4 KiB
 * of address (the low 32 bits), so that the bytes a program's frees read are few and
 * neighbours (a 64-byte line of the filter covers 256 KiB of heap) and stay in L1.  In
 * the filter's first half (disarmed 0) the byte of a live sampled block is never 0, so
 * its free always takes the slow path; byte 0 is always set, so a NULL pointer does
 * too (a free(NULL) of an armed header stops there: nothing to count or record).  Its
 * second half (disarmed 1) has every byte set: every free of a disarmed header is slow. */
struct __memscope_tls_alloc {
  uint64_t calls, bytes;
  uint64_t lo, span; /* sizes seen: [lo, lo + span]; calls == 1 after the first */
};
struct __memscope_tls_header {
  uint64_t sample_left; /* bytes to this module's next sample point; 0: all slow */
  uint32_t disarmed;    /* 0 once the runtime armed the header; 1: every free slow */
  int32_t releases_at;  /* the thread's release counter - counters, in bytes */
  struct __memscope_tls_alloc *counters; /* the table, minus the module's first tls_slot */
};
/* A module's inline sites at most (tls_slot <= 32 * this). */
#define MEMSCOPE_INLINE_SLOTS_MAX 32767u
/* Slots in a thread's counter table (the runtime's MS_MAX_SITES): sites get the first
 * MEMSCOPE_TABLE_SLOTS - MEMSCOPE_INLINE_SLOTS_MAX - 1, the rest is where the shared-form
 * modules that have no slots count (MEMSCOPE_UNREGISTERED_BASE, never read). */
#define MEMSCOPE_TABLE_SLOTS (1u << 18)
#define MEMSCOPE_UNREGISTERED_BASE \
  ((int64_t)(MEMSCOPE_TABLE_SLOTS - MEMSCOPE_INLINE_SLOTS_MAX - 2) * 32)
/* Where a disarmed header's counters point (8 MiB of zero pages, written only in the
 * window above): as large as a table, since a shared-form module adds its base. */
extern struct __memscope_tls_alloc __memscope_inline_scratch[MEMSCOPE_TABLE_SLOTS];
/* The shared form's header, one per thread (initial-exec TLS of the runtime). */
extern __thread struct __memscope_tls_header __memscope_shared_tls;
/* The filter index of a pointer in an armed header: its low 32 bits shifted right by
 * this (4 KiB granules); a half of the filter has MEMSCOPE_FILTER_HALF bytes (1 MiB). */
#define MEMSCOPE_FILTER_SHIFT 12
#define MEMSCOPE_FILTER_HALF (1u << (32 - MEMSCOPE_FILTER_SHIFT))
/* One byte per filter index (non-zero: a block there may have been sampled), then the
 * half that disarmed headers read, every byte 255. */
extern uint8_t __memscope_free_filter[2 * MEMSCOPE_FILTER_HALF];
/* The allocator underneath, for the calls an inline site keeps: the pass sends them here
 * instead of to malloc and the rest, which may be the runtime's own interposed functions
 * (they would count the call a second time).  Each is a jump to the real function. */
void *__memscope_real_malloc(size_t size);
void *__memscope_real_calloc(size_t nmemb, size_t size);
void *__memscope_real_realloc(void *ptr, size_t size);
void __memscope_real_free(void *ptr);
void *__memscope_real_aligned_alloc(size_t alignment, size_t size);
int __memscope_real_posix_memalign(void **memptr, size_t alignment, size_t size);
void *__memscope_real_memalign(size_t alignment, size_t size);
/* Allocate (the slow path makes the call itself) and record. */
void *__memscope_malloc_inline_slow(size_t size, struct __memscope_site *site, void *block);
void *__memscope_calloc_inline_slow(size_t nmemb, size_t size, struct __memscope_site *site,
                                    void *block);
void *__memscope_realloc_inline_slow(void *ptr, size_t size, struct __memscope_site *site,
                                     void *block);
/* After an allocation the caller made: p, of size bytes (NULL: it failed), aligned to
 * align (0: the default). */
void __memscope_alloc_inline_slow(size_t size, const void *p, size_t align,
                                  struct __memscope_site *site, void *block);
/* Counts and records a free about to happen; the caller then makes the call. */
void __memscope_free_inline_slow(void *ptr, struct __memscope_site *site, void *block);
/* A size outside the slot's range so far (or its first). */
void __memscope_inline_widen(struct __memscope_tls_alloc *slot, uint64_t size);

/* Rewritten allocation calls: the original arguments, then the site. */
void *__memscope_malloc(size_t size, struct __memscope_site *site);
void *__memscope_calloc(size_t nmemb, size_t size, struct __memscope_site *site);
void *__memscope_realloc(void *ptr, size_t size, struct __memscope_site *site);
void __memscope_free(void *ptr, struct __memscope_site *site);
void *__memscope_reallocarray(void *ptr, size_t nmemb, size_t size, struct __memscope_site *site);
void *__memscope_aligned_alloc(size_t alignment, size_t size, struct __memscope_site *site);
int __memscope_posix_memalign(void **memptr, size_t alignment, size_t size,
                              struct __memscope_site *site);
void *__memscope_memalign(size_t alignment, size_t size, struct __memscope_site *site);
void *__memscope_valloc(size_t size, struct __memscope_site *site);
void *__memscope_pvalloc(size_t size, struct __memscope_site *site);
char *__memscope_strdup(const char *s, struct __memscope_site *site);
char *__memscope_strndup(const char *s, size_t n, struct __memscope_site *site);
/* LP64 only: the offset is the 64-bit off_t of mmap and mmap64. */
void *__memscope_mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset,
                      struct __memscope_site *site);
int __memscope_munmap(void *addr, size_t length, struct __memscope_site *site);

/* Allocations the instrumented code makes itself and only reports: the pass's C++
 * helpers call the real operator new/delete (so exceptions never cross the runtime)
 * and report around it.  note_alloc comes after the allocation returned (p NULL: it
 * failed), note_free before the block is released. */
void __memscope_note_alloc(size_t size, const void *p, struct __memscope_site *site);
void __memscope_note_free(const void *p, struct __memscope_site *site);

#ifdef __cplusplus
}
#endif

#endif
