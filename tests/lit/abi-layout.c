// The emitted data matches include/memscope/abi.h as the runtime sees it: this file
// is compiled twice, once with the plugin (main, the program) and once without it
// (MEMSCOPE_STUB_RUNTIME: a stand-in runtime that prints what it is given).  The
// stub checks the descriptor, every site and frame, that sites are writable (it sets
// `index`), that each call passes its own site, that the IDs in the IR reach the
// runtime intact, and that the destructor unregisters the module.
//
// Twice over: with inline fast paths (-fPIE), where malloc, realloc, calloc and free
// count through the
// module's thread-local header (tls_block, tls_size, each site's tls_slot) in the
// table its `counters` points at, and call the slow entry points with their site and
// the calling thread's header, the calls they keep go to __memscope_real_malloc and the
// rest (the stub's forwards to malloc and the rest), and the stub dumps the
// counters the fast paths left in its table at exit; and without
// (MEMSCOPE_PASS_INLINE=never), where every call goes to the runtime.
// RUN: %clang_noplugin -O0 -I%memscope_include -DMEMSCOPE_STUB_RUNTIME -c %s -o %t.stub.o
//
// RUN: %clang -fPIE -O0 -g -I%memscope_include -c %s -o %t.o
// RUN: %clang -fPIE -O0 -g -I%memscope_include -S -emit-llvm %s -o %t.ll
// RUN: %clang_noplugin -pie %t.o %t.stub.o -o %t.exe
// RUN: grep "@__memscope_sites =" %t.ll > %t.out
// RUN: %t.exe >> %t.out
// RUN: FileCheck %s --check-prefixes=CHECK,INLINE < %t.out
//
// RUN: env MEMSCOPE_PASS_INLINE=never %clang -O0 -g -I%memscope_include -c %s -o %t.never.o
// RUN: env MEMSCOPE_PASS_INLINE=never %clang -O0 -g -I%memscope_include -S -emit-llvm %s -o %t.never.ll
// RUN: %clang_noplugin %t.never.o %t.stub.o -o %t.never.exe
// RUN: grep "@__memscope_sites =" %t.never.ll > %t.never.out
// RUN: %t.never.exe >> %t.never.out
// RUN: FileCheck %s --check-prefixes=CHECK,NEVER < %t.never.out

// CHECK: @__memscope_sites = internal global [7 x %memscope.site] [%memscope.site { i64 [[ID0:-?[0-9]+]], {{.*}} }, %memscope.site { i64 [[ID1:-?[0-9]+]], {{.*}} }, %memscope.site { i64 [[ID2:-?[0-9]+]], {{.*}} }, %memscope.site { i64 [[ID3:-?[0-9]+]], {{.*}} }, %memscope.site { i64 [[ID4:-?[0-9]+]], {{.*}} }, %memscope.site { i64 [[ID5:-?[0-9]+]], {{.*}} }, %memscope.site { i64 [[ID6:-?[0-9]+]], {{.*}} }]
// INLINE-NEXT: register abi=6 nsites=7 name=abi-layout.c next=null tls_size=24 tls_block=aligned,disarmed,scratch
// NEVER-NEXT:  register abi=6 nsites=7 name=abi-layout.c next=null tls_size=0 tls_block=null
// CHECK-NEXT: site 0 id=[[ID0]] api=1 index=0 flags=0 nframes=1
// INLINE-SAME: tls_slot=32 reserved=0
// NEVER-SAME:  tls_slot=0 reserved=0
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC:]]:13
// CHECK-NEXT: site 1 id=[[ID1]] api=3 index=0 flags=0 nframes=1
// INLINE-SAME: tls_slot=64 reserved=0
// NEVER-SAME:  tls_slot=0 reserved=0
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC+1]]:7
// CHECK-NEXT: site 2 id=[[ID2]] api=2 index=0 flags=0 nframes=1
// INLINE-SAME: tls_slot=96 reserved=0
// NEVER-SAME:  tls_slot=0 reserved=0
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC+2]]:13
// CHECK-NEXT: site 3 id=[[ID3]] api=4 index=0 flags=0 nframes=2
// INLINE-SAME: tls_slot=128 reserved=0
// NEVER-SAME:  tls_slot=0 reserved=0
// CHECK-NEXT:   frame release abi-layout.c:[[#RELEASE:]]:[[#FREECOL:]]
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC+3]]:3
// CHECK-NEXT: site 4 id=[[ID4]] api=4 index=0 flags=0 nframes=2
// INLINE-SAME: tls_slot=160 reserved=0
// NEVER-SAME:  tls_slot=0 reserved=0
// CHECK-NEXT:   frame release abi-layout.c:[[#RELEASE]]:[[#FREECOL]]
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC+4]]:3
// CHECK-NEXT: site 5 id=[[ID5]] api=1 index=0 flags=0 nframes=1
// INLINE-SAME: tls_slot=192 reserved=0
// NEVER-SAME:  tls_slot=0 reserved=0
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC+6]]:13
// CHECK-NEXT: site 6 id=[[ID6]] api=4 index=0 flags=0 nframes=2
// INLINE-SAME: tls_slot=224 reserved=0
// NEVER-SAME:  tls_slot=0 reserved=0
// CHECK-NEXT:   frame release abi-layout.c:[[#RELEASE]]:[[#FREECOL]]
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC+6]]:5
//
// A thread's header starts disarmed, so the first malloc, the realloc (disarmed is still
// 1: its old block's filter byte is in the filter's all-set half) and the first free
// take the slow paths (the stub then sets counters, sample_left and disarmed 0); the
// calloc, the other frees and the loop's mallocs stay inline, calling widen for each size
// beyond the range so far.
// Every free, slow or not, then frees through __memscope_real_free; every inline
// allocation goes through __memscope_real_<name> (a slow one allocates itself).
// INLINE-NEXT: malloc_inline_slow(16) site=1 api-ok block-ok
// NEVER-NEXT:  malloc(16) site=1 api-ok
// INLINE-NEXT: realloc_inline_slow(32) site=2 api-ok block-ok
// NEVER-NEXT:  realloc(32) site=2 api-ok
// INLINE-NEXT: widen slot=96 size=16
// INLINE-NEXT: real_calloc(2, 8)
// NEVER-NEXT:  calloc(2, 8) site=3 api-ok
// INLINE-NEXT: free_inline_slow site=4 api-ok block-ok
// INLINE-NEXT: real_free allocated
// INLINE-NEXT: real_free allocated
// NEVER-NEXT:  free site=4 api-ok
// NEVER-NEXT:  free site=5 api-ok
// INLINE-NEXT: widen slot=192 size=24
// INLINE-NEXT: real_malloc(24)
// INLINE-NEXT: real_free allocated
// INLINE-NEXT: widen slot=192 size=32
// INLINE-NEXT: real_malloc(32)
// INLINE-NEXT: real_free allocated
// INLINE-NEXT: widen slot=192 size=40
// INLINE-NEXT: real_malloc(40)
// INLINE-NEXT: real_free allocated
// NEVER-NEXT:  malloc(24) site=6 api-ok
// NEVER-NEXT:  free site=7 api-ok
// NEVER-NEXT:  malloc(32) site=6 api-ok
// NEVER-NEXT:  free site=7 api-ok
// NEVER-NEXT:  malloc(40) site=6 api-ok
// NEVER-NEXT:  free site=7 api-ok
// CHECK-NEXT:  unregister same-module
// The counters at exit: the fast paths' counts only (the stub's slow paths do not
// count, and give back what the fast path took off sample_left); sample_left is what
// the stub set, less the bytes of the fast calloc and mallocs.  No realloc was fast, so
// no release was counted (the stub's releases_at is 0: slot 0 of its table).
// INLINE-NEXT: header sample_left=888 disarmed=0 releases=0 counters=table
// INLINE-NEXT: counters site 0 calls=0 bytes=0 lo=0 span=0
// INLINE-NEXT: counters site 1 calls=0 bytes=0 lo=0 span=0
// INLINE-NEXT: counters site 2 calls=1 bytes=16 lo=16 span=0
// INLINE-NEXT: counters site 3 calls=0
// INLINE-NEXT: counters site 4 calls=1
// INLINE-NEXT: counters site 5 calls=3 bytes=96 lo=24 span=16
// INLINE-NEXT: counters site 6 calls=3
// CHECK-NOT: {{.}}

#include "memscope/abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MEMSCOPE_STUB_RUNTIME

static struct __memscope_module *registered;

static const char *base(const char *path) {
  if (!path)
    return "(null)";
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

// The module's thread-local header (inline sites): NULL without one.
static void *block(void) { return registered->tls_block ? registered->tls_block() : NULL; }

// Where a disarmed header points (abi.h), and the stub's counter table, which the slow
// paths arm the header with: counters + tls_slot is a slot of it.
struct __memscope_tls_alloc __memscope_inline_scratch[MEMSCOPE_TABLE_SLOTS];
static struct __memscope_tls_alloc table[8];

void __memscope_register_module_v6(struct __memscope_module *m) {
  registered = m;
  const char *tls = "null";
  if (m->tls_block) {
    const struct __memscope_tls_header *h = block();
    int initial = h->sample_left == 0 && h->disarmed == 1 && h->releases_at == 0 &&
                  h->counters == __memscope_inline_scratch;
    tls = ((uintptr_t)h % 8 == 0 && initial) ? "aligned,disarmed,scratch"
                                             : "MISALIGNED-OR-WRONG-INITIAL-VALUE";
  }
  printf("register abi=%u nsites=%u name=%s next=%s tls_size=%u tls_block=%s\n", m->abi_version,
         m->nsites, base(m->name), m->next ? "set" : "null", m->tls_size, tls);
  for (uint32_t i = 0; i < m->nsites; i++) {
    struct __memscope_site *s = &m->sites[i];
    // Signed, to compare with the IR, which prints i64 that way.
    printf("site %u id=%lld api=%u index=%u flags=%u nframes=%u tls_slot=%u reserved=%u\n", i,
           (long long)s->id, s->api, s->index, s->flags, s->nframes, s->tls_slot, s->reserved);
    for (uint32_t f = 0; f < s->nframes; f++)
      printf("  frame %s %s:%u:%u\n", s->frames[f].function, base(s->frames[f].file),
             s->frames[f].line, s->frames[f].column);
    s->index = i + 1;
  }
}

void __memscope_unregister_module_v6(struct __memscope_module *m) {
  printf("unregister %s\n", m == registered ? "same-module" : "another-module");
  if (!m->tls_block)
    return;
  struct __memscope_tls_header *h = block();
  char *b = (char *)h->counters;
  printf("header sample_left=%llu disarmed=%u releases=%llu counters=%s\n",
         (unsigned long long)h->sample_left, h->disarmed,
         (unsigned long long)*(uint64_t *)(b + h->releases_at),
         h->counters == table ? "table" : "WRONG");
  for (uint32_t i = 0; i < m->nsites; i++) {
    struct __memscope_site *s = &m->sites[i];
    if (!s->tls_slot)
      continue;
    if (s->api != MEMSCOPE_API_FREE) {
      struct __memscope_tls_alloc *a = (struct __memscope_tls_alloc *)(b + s->tls_slot);
      printf("counters site %u calls=%llu bytes=%llu lo=%llu span=%llu\n", i,
             (unsigned long long)a->calls, (unsigned long long)a->bytes,
             (unsigned long long)a->lo, (unsigned long long)a->span);
    } else {
      printf("counters site %u calls=%llu\n", i,
             (unsigned long long)*(uint64_t *)(b + s->tls_slot));
    }
  }
}

static const char *api_ok(struct __memscope_site *s, uint32_t api) {
  return s->api == api ? "api-ok" : "api-WRONG";
}

void *__memscope_malloc(size_t size, struct __memscope_site *s) {
  printf("malloc(%zu) site=%u %s\n", size, s->index, api_ok(s, MEMSCOPE_API_MALLOC));
  return malloc(size);
}

void *__memscope_calloc(size_t nmemb, size_t size, struct __memscope_site *s) {
  printf("calloc(%zu, %zu) site=%u %s\n", nmemb, size, s->index, api_ok(s, MEMSCOPE_API_CALLOC));
  return calloc(nmemb, size);
}

void *__memscope_realloc(void *ptr, size_t size, struct __memscope_site *s) {
  printf("realloc(%zu) site=%u %s\n", size, s->index, api_ok(s, MEMSCOPE_API_REALLOC));
  return realloc(ptr, size);
}

void __memscope_free(void *ptr, struct __memscope_site *s) {
  printf("free site=%u %s\n", s->index, api_ok(s, MEMSCOPE_API_FREE));
  free(ptr);
}

// The inline sites' slow paths: the first malloc of a thread opens a window of 1000
// bytes before the next (never reached) sample point; the first free lets every other
// free stay inline.
void *__memscope_malloc_inline_slow(size_t size, struct __memscope_site *s, void *b) {
  printf("malloc_inline_slow(%zu) site=%u %s %s\n", size, s->index, api_ok(s, MEMSCOPE_API_MALLOC),
         b == block() ? "block-ok" : "block-WRONG");
  ((struct __memscope_tls_header *)b)->counters = table;
  ((struct __memscope_tls_header *)b)->sample_left = 1000;
  return malloc(size);
}

void *__memscope_realloc_inline_slow(void *ptr, size_t size, struct __memscope_site *s, void *b) {
  printf("realloc_inline_slow(%zu) site=%u %s %s\n", size, s->index,
         api_ok(s, MEMSCOPE_API_REALLOC), b == block() ? "block-ok" : "block-WRONG");
  ((struct __memscope_tls_header *)b)->sample_left += size; // what the fast path took
  return realloc(ptr, size);
}

void *__memscope_calloc_inline_slow(size_t nmemb, size_t size, struct __memscope_site *s, void *b) {
  printf("calloc_inline_slow(%zu, %zu) site=%u %s %s\n", nmemb, size, s->index,
         api_ok(s, MEMSCOPE_API_CALLOC), b == block() ? "block-ok" : "block-WRONG");
  ((struct __memscope_tls_header *)b)->sample_left += nmemb * size;
  return calloc(nmemb, size);
}

// Not called here (no aligned allocation): for the link.
void __memscope_alloc_inline_slow(size_t size, const void *p, size_t align,
                                  struct __memscope_site *s, void *b) {
  (void)size, (void)p, (void)align, (void)s, (void)b;
  printf("alloc_inline_slow UNEXPECTED\n");
}

void __memscope_free_inline_slow(void *ptr, struct __memscope_site *s, void *b) {
  (void)ptr; // the caller frees it, through __memscope_real_free
  printf("free_inline_slow site=%u %s %s\n", s->index, api_ok(s, MEMSCOPE_API_FREE),
         b == block() ? "block-ok" : "block-WRONG");
  ((struct __memscope_tls_header *)b)->counters = table;
  ((struct __memscope_tls_header *)b)->disarmed = 0;
}

// The filter of sampled blocks the inline frees read: nothing sampled here, except
// byte 0, which the runtime always sets (a NULL pointer); then the half that disarmed
// headers read, every byte set.
uint8_t __memscope_free_filter[2 * MEMSCOPE_FILTER_HALF] = {
    1, [MEMSCOPE_FILTER_HALF ... 2 * MEMSCOPE_FILTER_HALF - 1] = 1};

// The calls the fast paths keep: the allocator underneath, here plain malloc and free.
void *__memscope_real_malloc(size_t size) {
  printf("real_malloc(%zu)\n", size);
  return malloc(size);
}

void *__memscope_real_calloc(size_t nmemb, size_t size) {
  printf("real_calloc(%zu, %zu)\n", nmemb, size);
  return calloc(nmemb, size);
}

void *__memscope_real_realloc(void *ptr, size_t size) {
  printf("real_realloc(%zu)\n", size);
  return realloc(ptr, size);
}

void __memscope_real_free(void *ptr) {
  printf("real_free %s\n", ptr ? "allocated" : "NULL");
  free(ptr);
}

void __memscope_inline_widen(struct __memscope_tls_alloc *a, uint64_t size) {
  printf("widen slot=%td size=%llu\n", (char *)a - (char *)table, (unsigned long long)size);
  if (a->calls == 1) { // the first size of this slot
    a->lo = size;
    a->span = 0;
    return;
  }
  uint64_t hi = a->lo + a->span > size ? a->lo + a->span : size;
  a->lo = a->lo < size ? a->lo : size;
  a->span = hi - a->lo;
}

#else

// Always inlined, even at -O0: its free gets two frames.
static inline __attribute__((always_inline)) void release(void *p) { free(p); }

int main(void) {
  void *p = malloc(16);
  p = realloc(p, 32);
  void *q = calloc(2, 8);
  release(q);
  release(p);
  for (int i = 0; i < 3; i++)
    release(malloc(24 + 8 * i));
  return 0;
}

#endif
