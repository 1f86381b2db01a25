// The emitted data matches include/memscope/abi.h as the runtime sees it: this file
// is compiled twice, once with the plugin (main, the program) and once without it
// (MEMSCOPE_STUB_RUNTIME: a stand-in runtime that prints what it is given).  The
// stub checks the descriptor, every site and frame, that sites are writable (it sets
// `index`), that each rewritten call passes its own site, that the IDs in the IR
// reach the runtime intact, and that the destructor unregisters the module.
// RUN: %clang_noplugin -O0 -I%memscope_include -DMEMSCOPE_STUB_RUNTIME -c %s -o %t.stub.o
// RUN: %clang -O0 -g -I%memscope_include -c %s -o %t.o
// RUN: %clang -O0 -g -I%memscope_include -S -emit-llvm %s -o %t.ll
// RUN: %clang_noplugin %t.o %t.stub.o -o %t.exe
// RUN: grep "@__memscope_sites =" %t.ll > %t.out
// RUN: %t.exe >> %t.out
// RUN: FileCheck %s < %t.out

// CHECK: @__memscope_sites = internal global [5 x %memscope.site] [%memscope.site { i64 [[ID0:-?[0-9]+]], {{.*}} }, %memscope.site { i64 [[ID1:-?[0-9]+]], {{.*}} }, %memscope.site { i64 [[ID2:-?[0-9]+]], {{.*}} }, %memscope.site { i64 [[ID3:-?[0-9]+]], {{.*}} }, %memscope.site { i64 [[ID4:-?[0-9]+]], {{.*}} }]
// CHECK-NEXT: register abi=1 nsites=5 name=abi-layout.c next=null
// CHECK-NEXT: site 0 id=[[ID0]] api=1 index=0 flags=0 nframes=1
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC:]]:13
// CHECK-NEXT: site 1 id=[[ID1]] api=3 index=0 flags=0 nframes=1
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC+1]]:7
// CHECK-NEXT: site 2 id=[[ID2]] api=2 index=0 flags=0 nframes=1
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC+2]]:13
// CHECK-NEXT: site 3 id=[[ID3]] api=4 index=0 flags=0 nframes=2
// CHECK-NEXT:   frame release abi-layout.c:[[#RELEASE:]]:[[#FREECOL:]]
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC+3]]:3
// CHECK-NEXT: site 4 id=[[ID4]] api=4 index=0 flags=0 nframes=2
// CHECK-NEXT:   frame release abi-layout.c:[[#RELEASE]]:[[#FREECOL]]
// CHECK-NEXT:   frame main abi-layout.c:[[#MALLOC+4]]:3
// CHECK-NEXT: malloc(16) site=1 api-ok
// CHECK-NEXT: realloc(32) site=2 api-ok
// CHECK-NEXT: calloc(2, 8) site=3 api-ok
// CHECK-NEXT: free site=4 api-ok
// CHECK-NEXT: free site=5 api-ok
// CHECK-NEXT: unregister same-module

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

void __memscope_register_module_v1(struct __memscope_module *m) {
  printf("register abi=%u nsites=%u name=%s next=%s\n", m->abi_version, m->nsites,
         base(m->name), m->next ? "set" : "null");
  for (uint32_t i = 0; i < m->nsites; i++) {
    struct __memscope_site *s = &m->sites[i];
    // Signed, to compare with the IR, which prints i64 that way.
    printf("site %u id=%lld api=%u index=%u flags=%u nframes=%u\n", i, (long long)s->id,
           s->api, s->index, s->flags, s->nframes);
    for (uint32_t f = 0; f < s->nframes; f++)
      printf("  frame %s %s:%u:%u\n", s->frames[f].function, base(s->frames[f].file),
             s->frames[f].line, s->frames[f].column);
    s->index = i + 1;
  }
  registered = m;
}

void __memscope_unregister_module_v1(struct __memscope_module *m) {
  printf("unregister %s\n", m == registered ? "same-module" : "another-module");
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

#else

// Always inlined, even at -O0: its free gets two frames.
static inline __attribute__((always_inline)) void release(void *p) { free(p); }

int main(void) {
  void *p = malloc(16);
  p = realloc(p, 32);
  void *q = calloc(2, 8);
  release(q);
  release(p);
  return 0;
}

#endif
