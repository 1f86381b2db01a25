// Through clang -fpass-plugin the pass runs at the end of the optimisation pipeline,
// at -O0 (where every function is optnone) as well as at -O2, with and without debug
// info: the allocation calls are rewritten in all of them.  At -O2 the optimizer may
// delete allocations nobody uses, so every pointer here escapes through sink().
// RUN: %clang -O0 -S -emit-llvm %s -o - | FileCheck %s --check-prefixes=CHECK,O0
// RUN: %clang -O0 -g -S -emit-llvm %s -o %t.O0g.ll
// RUN: FileCheck %s --check-prefixes=CHECK,O0 < %t.O0g.ll
// RUN: FileCheck %s --check-prefix=LINES < %t.O0g.ll
// RUN: %clang -O2 -S -emit-llvm %s -o - | FileCheck %s --check-prefixes=CHECK,O2
// RUN: %clang -O2 -g -S -emit-llvm %s -o %t.O2g.ll
// RUN: FileCheck %s --check-prefixes=CHECK,O2 < %t.O2g.ll
// RUN: FileCheck %s --check-prefix=LINES < %t.O2g.ll

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
// CHECK-NEXT:    call void @__memscope_register_module_v1(ptr @__memscope_module)

// O0: attributes #[[ATTRS]] = { {{.*}}optnone
