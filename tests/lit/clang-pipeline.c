// Through clang -fpass-plugin the pass runs at the end of the optimisation pipeline,
// at -O0 (where every function is optnone) as well as at -O2, with and without debug
// info: the allocation calls are rewritten in all of them.  At -O2 the optimizer may
// delete allocations nobody uses, so every pointer here escapes through sink().
// MEMSCOPE_PASS_INLINE=never: every call is rewritten to the runtime, in a PIE as in any
// module; the INLINE runs (-fPIE) check that malloc, calloc, realloc and free get their
// inline fast paths (inline-fast-path.ll has the details) at both levels, the calls they
// keep going to __memscope_real_malloc and the rest.
// RUN: env MEMSCOPE_PASS_INLINE=never %clang -O0 -S -emit-llvm %s -o - | FileCheck %s --check-prefixes=CHECK,O0
// RUN: env MEMSCOPE_PASS_INLINE=never %clang -O0 -g -S -emit-llvm %s -o %t.O0g.ll
// RUN: FileCheck %s --check-prefixes=CHECK,O0 < %t.O0g.ll
// RUN: FileCheck %s --check-prefix=LINES < %t.O0g.ll
// RUN: env MEMSCOPE_PASS_INLINE=never %clang -O2 -S -emit-llvm %s -o - | FileCheck %s --check-prefixes=CHECK,O2
// RUN: env MEMSCOPE_PASS_INLINE=never %clang -O2 -g -S -emit-llvm %s -o %t.O2g.ll
// RUN: FileCheck %s --check-prefixes=CHECK,O2 < %t.O2g.ll
// RUN: FileCheck %s --check-prefix=LINES < %t.O2g.ll
// RUN: %clang -fPIE -O0 -g -S -emit-llvm %s -o - | FileCheck %s --check-prefix=INLINE
// RUN: %clang -fPIE -O2 -g -S -emit-llvm %s -o - | FileCheck %s --check-prefix=INLINE

typedef __SIZE_TYPE__ size_t;
void *malloc(size_t size);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
void sink(void *ptr);

// CHECK: @__memscope_sites = internal global [5 x %memscope.site]
// CHECK: @llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 101, ptr @__memscope_module_ctor, ptr null }]

// -O0 marks every function optnone; the pass still instruments them.
// O0: define {{.*}}ptr @all_four({{.*}}) #[[ATTRS:[0-9]+]]
// O2: define {{.*}}ptr @all_four(
// CHECK-NOT: define
// CHECK:     call ptr @__memscope_malloc(i64 {{.*}}, ptr @__memscope_sites)
// CHECK-NOT: define
// CHECK:     call ptr @__memscope_calloc(i64 {{.*}}, i64 {{.*}}, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1))
// CHECK-NOT: define
// CHECK:     call ptr @__memscope_realloc(ptr {{.*}}, i64 {{.*}}, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 2))
// CHECK-NOT: define
// CHECK:     call void @__memscope_free(ptr {{.*}}, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 3))
// INLINE: @__memscope_sites = internal global [5 x %memscope.site]
// INLINE-SAME: i32 1, i32 1, i32 0, i32 0, i32 32, i32 0 }
// INLINE-SAME: i32 1, i32 2, i32 0, i32 0, i32 64, i32 0 }
// INLINE-SAME: i32 1, i32 3, i32 0, i32 0, i32 96, i32 0 }
// INLINE-SAME: i32 1, i32 4, i32 0, i32 0, i32 128, i32 0 }
// INLINE-SAME: i32 1, i32 1, i32 0, i32 0, i32 160, i32 0 }
// INLINE: @__memscope_tls = internal thread_local(localexec) global { i64, i32, i32, ptr } { i64 0, i32 1, i32 0, ptr @__memscope_inline_scratch }, align 8
// INLINE: @__memscope_module = internal global %memscope.module { i32 6, i32 5, ptr @__memscope_sites, ptr {{@[^,]+}}, ptr null, ptr @__memscope_tls_block, i32 24, i32 0, ptr null }
// INLINE-LABEL: define {{.*}}ptr @all_four(
// INLINE-NOT:   define
// INLINE-NOT:   @malloc(
// INLINE:       call ptr @__memscope_real_malloc(i64 {{.*}}) #[[COUNTED_MALLOC:[0-9]+]]
// INLINE-NOT:   define
// INLINE:       call ptr @__memscope_malloc_inline_slow(i64 {{.*}}, ptr @__memscope_sites, ptr {{.*}})
// INLINE-NOT:   define
// INLINE-NOT:   @calloc(
// INLINE:       call ptr @__memscope_real_calloc(i64 {{.*}}, i64 {{.*}}4) #[[COUNTED_CALLOC:[0-9]+]]
// INLINE-NOT:   define
// INLINE:       call ptr @__memscope_calloc_inline_slow(i64 {{.*}}, i64 {{.*}}4, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1), ptr {{.*}})
// INLINE-NOT:   define
// INLINE-NOT:   @realloc(
// INLINE:       call ptr @__memscope_real_realloc(ptr {{.*}}, i64 {{.*}}) #[[COUNTED_REALLOC:[0-9]+]]
// INLINE-NOT:   define
// INLINE:       call ptr @__memscope_realloc_inline_slow(ptr {{.*}}, i64 {{.*}}, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 2), ptr {{.*}})
// INLINE-NOT:   define
// INLINE:       call void @__memscope_free_inline_slow(ptr {{.*}}, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 3), ptr {{.*}})
// INLINE-NOT:   define
// INLINE-NOT:   @free(
// INLINE:       call void @__memscope_real_free(ptr {{.*}}) #[[COUNTED_FREE:[0-9]+]]
// INLINE-LABEL: define {{.*}}@skipped(
// INLINE-NOT:   __memscope
// INLINE:       call {{.*}}ptr @malloc(
// INLINE-LABEL: define {{.*}}@not_optimised(
// INLINE-NOT:   @malloc(
// INLINE:       call ptr @__memscope_real_malloc(i64 {{.*}}) #[[COUNTED_MALLOC]]
// INLINE:       call ptr @__memscope_malloc_inline_slow(i64 {{.*}}, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 4), ptr {{.*}})
// The calls the fast paths count are marked, so that a later run leaves them alone.
// INLINE-DAG:   attributes #[[COUNTED_MALLOC]] = { {{.*}}"memscope-counted"
// INLINE-DAG:   attributes #[[COUNTED_CALLOC]] = { {{.*}}"memscope-counted"
// INLINE-DAG:   attributes #[[COUNTED_REALLOC]] = { {{.*}}"memscope-counted"
// INLINE-DAG:   attributes #[[COUNTED_FREE]] = { {{.*}}"memscope-counted"
// With -g, the first frame is this malloc's line and column.
// LINES: @__memscope_frames = private unnamed_addr constant [5 x %memscope.frame] [%memscope.frame { ptr {{@[^,]+}}, ptr {{@[^,]+}}, i32 [[@LINE+2]], i32 13 },
void *all_four(size_t n) {
  void *p = malloc(n);
  void *q = calloc(n, 4);
  sink(q);
  p = realloc(p, 2 * n);
  free(q);
  return p;
}

// Opting out from C.
// CHECK-LABEL: @skipped(
// CHECK-NOT:   __memscope
// CHECK:       call {{.*}}ptr @malloc(
__attribute__((annotate("memscope_skip"))) void *skipped(size_t n) { return malloc(n); }

// An explicitly optnone function in an optimised build.
// CHECK-LABEL: @not_optimised(
// CHECK-NOT:   @malloc(
// CHECK:       call ptr @__memscope_malloc(i64 {{.*}}, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 4))
__attribute__((optnone, noinline)) void *not_optimised(size_t n) { return malloc(n); }

// CHECK-LABEL: define internal void @__memscope_module_ctor()
// CHECK-NEXT:    call void @__memscope_register_module_v6(ptr @__memscope_module)

// O0: attributes #[[ATTRS]] = { {{.*}}optnone
