/* malloc and its family for the code that was not compiled with the pass (libc,
 * libstdc++, any library): while this definition is the program's (the shared runtime
 * comes before libc in the lookup order; LD_PRELOAD puts it first), every call lands
 * here and is counted and sampled under one site per function, flagged uninstrumented
 * (docs/format.md).  Their samples carry a stack (sampler.c), since the site says
 * nothing about the caller.
 *
 * Never counted twice: instrumented calls go to the hooks, which call the real
 * functions directly; the pass's C++ helpers set __memscope_inner around the real
 * operator new/delete, and the malloc or free that it makes consumes the flag.
 *
 * Underneath, these call ms_next (real_alloc.h): the allocator after ours.  When ours
 * is not the program's malloc (a preloaded wrapper such as heaptrack won, which forwards
 * to us with dlsym(RTLD_NEXT)), they only forward there: the hooks already counted the
 * instrumented calls, and the wrapper's own view stays one call per call.
 *
 * What the runtime causes to be allocated while busy (the loader, dlsym, libunwind) is
 * its own: remembered (sampled_set.h) so that its free is not counted either.
 *
 * Weak, so that a program that defines its own malloc and links the static runtime
 * keeps it (real_alloc.c then finds that one is the program's and stands aside). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "record.h"
#include "sampled_set.h"

#define MS_INTERPOSED __attribute__((weak, visibility("default")))

MS_EXPORT __thread uint8_t __memscope_inner __attribute__((tls_model("initial-exec")));

#define SITE(api_)                                                                           \
  {.id = MS_UNINSTRUMENTED_SITE_ID(api_), .api = (api_), .flags = MS_SITE_FLAG_UNINSTRUMENTED}
enum { U_MALLOC, U_CALLOC, U_REALLOC, U_FREE, U_REALLOCARRAY, U_ALIGNED_ALLOC,
       U_POSIX_MEMALIGN, U_MEMALIGN, U_VALLOC, U_PVALLOC, U_COUNT };
static struct __memscope_site sites[U_COUNT] = {
    SITE(MEMSCOPE_API_MALLOC),        SITE(MEMSCOPE_API_CALLOC),
    SITE(MEMSCOPE_API_REALLOC),       SITE(MEMSCOPE_API_FREE),
    SITE(MEMSCOPE_API_REALLOCARRAY),  SITE(MEMSCOPE_API_ALIGNED_ALLOC),
    SITE(MEMSCOPE_API_POSIX_MEMALIGN), SITE(MEMSCOPE_API_MEMALIGN),
    SITE(MEMSCOPE_API_VALLOC),        SITE(MEMSCOPE_API_PVALLOC),
};
static struct __memscope_module module = {
    .abi_version = MEMSCOPE_ABI_VERSION, .nsites = U_COUNT, .sites = sites,
    .name = "<uninstrumented>"};

void ms_uninstrumented_register(void) { __memscope_register_module_v6(&module); }

/* How a call is handled: counted; forwarded without counting (before init, with
 * MEMSCOPE_UNINSTRUMENTED=0, ours not the program's malloc); the instrumented C++
 * operator's own call, forwarded (its site reports it, and the flag is consumed); or the
 * runtime's own (busy: the loader, the unwinder), forwarded and its block remembered. */
enum pass { PASS_COUNT, PASS_FORWARD, PASS_OPERATOR, PASS_OWN };
static inline enum pass pass_of(void) {
  if (MS_UNLIKELY(!__atomic_load_n(&ms_uninstrumented_on, __ATOMIC_RELAXED))) return PASS_FORWARD;
  if (MS_UNLIKELY(ms_self.busy)) return PASS_OWN;
  if (MS_LIKELY(!__memscope_inner)) return PASS_COUNT;
  __memscope_inner = 0;
  return PASS_OPERATOR;
}

/* operator new's retry.  libstdc++'s operator new calls malloc (the aligned forms
 * aligned_alloc) again after a failure, once the new_handler has run, until it gets a
 * block or there is no handler: the first call consumed the flag, and the handler may
 * run instrumented operators that set and clear it again (`delete[] reserve`, the usual
 * handler), so the retry would be counted here too, its block twice.  A failed call
 * under the flag leaves its size here; this thread's next call of that size is the
 * retry, forwarded like the first, and clears it when it gets its block.  Costs
 * (callgrind, bench/api_loop.cpp): +4 instructions per instrumented new + delete (the
 * operator's malloc is no longer a tail call), +3 per counted uninstrumented malloc
 * (the compare, and a stack frame clang then keeps on every path).  What it may get
 * wrong: a call of exactly that size made by the handler itself, or by anyone after a
 * failed operator new threw (until a retry of that size succeeds), is taken for the
 * retry and not counted. */
static __thread size_t retry_size __attribute__((tls_model("initial-exec")));
static inline int is_retry(size_t size) { return MS_UNLIKELY(size == retry_size) && size; }
static inline void *operator_result(void *p, size_t size) {
  if (MS_UNLIKELY(!p)) retry_size = size;
  return p;
}
static __attribute__((noinline, cold)) void *retry_result(void *p) {
  if (p) retry_size = 0;
  return p;
}

/* The runtime's own calls (out of line: rare, and the fast paths stay frameless). */
static void *own(void *p) {
  if (p) ms_own_insert((uintptr_t)p);
  return p;
}
static __attribute__((noinline)) void *own_malloc(size_t size) { return own(ms_next_malloc(size)); }
static __attribute__((noinline)) void own_free(void *ptr) {
  ms_own_remove((uintptr_t)ptr);
  ms_next_free(ptr);
}
static __attribute__((noinline)) void *own_calloc(size_t nmemb, size_t size) {
  return own(ms_next_calloc(nmemb, size));
}
/* A realloc of one of the runtime's blocks, by anyone, or any realloc while busy: the
 * result is the runtime's (a failed call leaves the old block as it was). */
static __attribute__((noinline)) void *own_realloc(void *ptr, size_t size, int was_own) {
  void *p = ms_next_realloc(ptr, size);
  if (p) return own(p);
  if (was_own && size) ms_own_insert((uintptr_t)ptr);
  return p;
}

/* An alias real_alloc.c compares with what the program's `malloc` resolves to. */
MS_INTERPOSED void *malloc(size_t size) {
  enum pass pass = pass_of();
  if (MS_LIKELY(pass == PASS_COUNT) && !is_retry(size)) return ms_hook_malloc(size, &sites[U_MALLOC]);
  if (pass == PASS_OWN) return own_malloc(size);
  if (pass == PASS_FORWARD) return ms_next_malloc(size);
  if (pass == PASS_COUNT) return retry_result(ms_next_malloc(size));
  return operator_result(ms_next_malloc(size), size);
}
extern void *ms_interposed_malloc(size_t) __attribute__((alias("malloc"), visibility("hidden")));

/* A free that may be of a sampled block, or on a thread that does not record: the
 * runtime's own block is only given back. */
static __attribute__((noinline)) void free_slow(void *ptr) {
  if (MS_UNLIKELY(ms_own_remove((uintptr_t)ptr))) {
    ms_next_free(ptr);
    return;
  }
  ms_free_slow_then_free(ptr, &sites[U_FREE]);
}

MS_INTERPOSED void free(void *ptr) {
  if (MS_UNLIKELY(ms_real_is_bootstrap(ptr))) return;
  enum pass pass = pass_of();
  if (MS_LIKELY(pass == PASS_COUNT)) {
    if (MS_LIKELY(ms_free_fast(&sites[U_FREE], ptr))) {
      ms_real_free(ptr);
      return;
    }
    free_slow(ptr);
    return;
  }
  if (pass == PASS_OWN) {
    own_free(ptr);
    return;
  }
  ms_next_free(ptr);
}

MS_INTERPOSED void *calloc(size_t nmemb, size_t size) {
  enum pass pass = pass_of();
  if (MS_LIKELY(pass == PASS_COUNT)) return ms_hook_calloc(nmemb, size, &sites[U_CALLOC]);
  if (pass == PASS_OWN) return own_calloc(nmemb, size);
  return ms_next_calloc(nmemb, size);
}

/* A block from the bootstrap arena moves to the real allocator. */
static void *realloc_bootstrap(void *ptr, size_t size) {
  void *p = malloc(size);
  if (p) memcpy(p, ptr, size); /* the arena is static: reading past the block is safe */
  return p;
}

/* realloc, as counted at `site`: ms_hook_realloc, except that an old block that may be
 * sampled first asks whether it is the runtime's. */
static __attribute__((noinline)) void *realloc_slow(void *ptr, size_t size,
                                                    const struct __memscope_site *site) {
  if (ms_own_remove((uintptr_t)ptr)) return own_realloc(ptr, size, 1);
  return ms_realloc_slow_call(ptr, size, site);
}
static inline void *realloc_as(void *ptr, size_t size, const struct __memscope_site *site) {
  enum pass pass = pass_of();
  if (MS_LIKELY(pass == PASS_COUNT)) {
    if (MS_UNLIKELY(ptr && ms_maybe_sampled((uintptr_t)ptr))) return realloc_slow(ptr, size, site);
    struct ms_site_counter *c = ms_realloc_count_fast(site, ptr, size);
    if (MS_UNLIKELY(!c)) return ms_realloc_slow_call(ptr, size, site);
    if (ms_out_of_range(c, size)) ms_count_widen(c, size);
    return ms_real_realloc(ptr, size);
  }
  if (pass == PASS_OWN) return own_realloc(ptr, size, ms_own_remove((uintptr_t)ptr));
  return ms_next_realloc(ptr, size);
}

MS_INTERPOSED void *realloc(void *ptr, size_t size) {
  if (MS_UNLIKELY(ms_real_is_bootstrap(ptr))) return realloc_bootstrap(ptr, size);
  return realloc_as(ptr, size, &sites[U_REALLOC]);
}

MS_INTERPOSED void *reallocarray(void *ptr, size_t nmemb, size_t size) {
  size_t bytes;
  if (MS_UNLIKELY(__builtin_mul_overflow(nmemb, size, &bytes))) {
    if (!ms_real_is_bootstrap(ptr) && pass_of() == PASS_COUNT)
      return ms_hook_reallocarray(ptr, nmemb, size, &sites[U_REALLOCARRAY]); /* a failure */
    errno = ENOMEM;
    return NULL;
  }
  if (MS_UNLIKELY(ms_real_is_bootstrap(ptr))) return realloc_bootstrap(ptr, bytes);
  return realloc_as(ptr, bytes, &sites[U_REALLOCARRAY]);
}

/* The aligned forms report after the call (record.h); the runtime's own are remembered. */
#define ALIGNED_BODY(call, site_, size_, align_)                                             \
  do {                                                                                       \
    enum pass pass = pass_of();                                                              \
    void *p = (call);                                                                        \
    if (pass == PASS_COUNT)                                                                  \
      ms_on_alloc_aligned(&sites[site_], size_, p, align_);                                  \
    else if (pass == PASS_OWN)                                                               \
      own(p);                                                                                \
    return p;                                                                                \
  } while (0)

MS_INTERPOSED void *aligned_alloc(size_t alignment, size_t size) {
  enum pass pass = pass_of();
  int retry = pass == PASS_COUNT && is_retry(size);
  void *p = ms_next.aligned_alloc(alignment, size);
  if (retry)
    retry_result(p);
  else if (pass == PASS_OPERATOR)
    operator_result(p, size);
  else if (pass == PASS_COUNT)
    ms_on_alloc_aligned(&sites[U_ALIGNED_ALLOC], size, p, alignment);
  else if (pass == PASS_OWN)
    own(p);
  return p;
}

MS_INTERPOSED int posix_memalign(void **memptr, size_t alignment, size_t size) {
  enum pass pass = pass_of();
  int rc = ms_next.posix_memalign(memptr, alignment, size);
  if (pass == PASS_COUNT)
    ms_on_alloc_aligned(&sites[U_POSIX_MEMALIGN], size, rc == 0 ? *memptr : NULL, alignment);
  else if (pass == PASS_OWN && rc == 0)
    own(*memptr);
  return rc;
}

MS_INTERPOSED void *memalign(size_t alignment, size_t size) {
  ALIGNED_BODY(ms_next.memalign(alignment, size), U_MEMALIGN, size, alignment);
}

MS_INTERPOSED void *valloc(size_t size) {
  ALIGNED_BODY(ms_next.valloc(size), U_VALLOC, size, 0);
}

MS_INTERPOSED void *pvalloc(size_t size) {
  ALIGNED_BODY(ms_next.pvalloc(size), U_PVALLOC, size, 0);
}
