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
 * Weak, so that a program that defines its own malloc and links the static runtime
 * keeps it (real_alloc.c then finds that one is the program's and stands aside). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "record.h"

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

void ms_uninstrumented_register(void) { __memscope_register_module_v2(&module); }

/* A call to forward without counting: before init, with MEMSCOPE_UNINSTRUMENTED=0, from
 * inside the runtime, or
 * the instrumented C++ helper's own call (its helper reports it; the flag is consumed). */
static inline int inner_call(void) {
  if (MS_UNLIKELY(!__atomic_load_n(&ms_uninstrumented_on, __ATOMIC_RELAXED))) return 1;
  if (MS_UNLIKELY(ms_self.busy)) return 1; /* the runtime's own (loader, unwinder) */
  if (MS_LIKELY(!__memscope_inner)) return 0;
  __memscope_inner = 0;
  return 1;
}

/* An alias real_alloc.c compares with what the program's `malloc` resolves to. */
MS_INTERPOSED void *malloc(size_t size) {
  if (inner_call()) return ms_real_malloc(size);
  return ms_hook_malloc(size, &sites[U_MALLOC]);
}
extern void *ms_interposed_malloc(size_t) __attribute__((alias("malloc"), visibility("hidden")));

MS_INTERPOSED void free(void *ptr) {
  if (MS_UNLIKELY(ms_real_is_bootstrap(ptr))) return;
  if (inner_call()) {
    ms_real_free(ptr);
    return;
  }
  ms_hook_free(ptr, &sites[U_FREE]);
}

MS_INTERPOSED void *calloc(size_t nmemb, size_t size) {
  if (inner_call()) return ms_real_calloc(nmemb, size);
  return ms_hook_calloc(nmemb, size, &sites[U_CALLOC]);
}

/* A block from the bootstrap arena moves to the real allocator. */
static void *realloc_bootstrap(void *ptr, size_t size) {
  void *p = malloc(size);
  if (p) memcpy(p, ptr, size); /* the arena is static: reading past the block is safe */
  return p;
}

MS_INTERPOSED void *realloc(void *ptr, size_t size) {
  if (MS_UNLIKELY(ms_real_is_bootstrap(ptr))) return realloc_bootstrap(ptr, size);
  if (inner_call()) return ms_real_realloc(ptr, size);
  return ms_hook_realloc(ptr, size, &sites[U_REALLOC]);
}

MS_INTERPOSED void *reallocarray(void *ptr, size_t nmemb, size_t size) {
  int bootstrap = ms_real_is_bootstrap(ptr);
  if (MS_LIKELY(!bootstrap && !inner_call()))
    return ms_hook_reallocarray(ptr, nmemb, size, &sites[U_REALLOCARRAY]);
  size_t bytes;
  if (__builtin_mul_overflow(nmemb, size, &bytes)) {
    errno = ENOMEM;
    return NULL;
  }
  return bootstrap ? realloc_bootstrap(ptr, bytes) : ms_real_realloc(ptr, bytes);
}

MS_INTERPOSED void *aligned_alloc(size_t alignment, size_t size) {
  if (inner_call()) return ms_real_aligned_alloc(alignment, size);
  void *p = ms_real_aligned_alloc(alignment, size);
  ms_on_alloc_aligned(&sites[U_ALIGNED_ALLOC], size, p, alignment);
  return p;
}

MS_INTERPOSED int posix_memalign(void **memptr, size_t alignment, size_t size) {
  if (inner_call()) return ms_real_posix_memalign(memptr, alignment, size);
  int rc = ms_real_posix_memalign(memptr, alignment, size);
  ms_on_alloc_aligned(&sites[U_POSIX_MEMALIGN], size, rc == 0 ? *memptr : NULL, alignment);
  return rc;
}

MS_INTERPOSED void *memalign(size_t alignment, size_t size) {
  if (inner_call()) return ms_real_memalign(alignment, size);
  void *p = ms_real_memalign(alignment, size);
  ms_on_alloc_aligned(&sites[U_MEMALIGN], size, p, alignment);
  return p;
}

MS_INTERPOSED void *valloc(size_t size) {
  if (inner_call()) return ms_real_valloc(size);
  void *p = ms_real_valloc(size);
  ms_on_alloc(&sites[U_VALLOC], size, p);
  return p;
}

MS_INTERPOSED void *pvalloc(size_t size) {
  if (inner_call()) return ms_real_pvalloc(size);
  void *p = ms_real_pvalloc(size);
  ms_on_alloc(&sites[U_PVALLOC], size, p);
  return p;
}
