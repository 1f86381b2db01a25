// With -gline-tables-only (no variables or types, but inlining is still described) a
// site inlined through two functions records all three levels: function, file, line
// and column at each; the same with full -g.
// RUN: %clang -O2 -gline-tables-only -S -emit-llvm %s -o - | FileCheck %s
// RUN: %clang -O2 -g -S -emit-llvm %s -o - | FileCheck %s

// CHECK-DAG: [[INNER:@__memscope_str[.0-9]*]] = private unnamed_addr constant [6 x i8] c"inner\00"
// CHECK-DAG: [[MIDDLE:@__memscope_str[.0-9]*]] = private unnamed_addr constant [7 x i8] c"middle\00"
// CHECK-DAG: [[OUTER:@__memscope_str[.0-9]*]] = private unnamed_addr constant [6 x i8] c"outer\00"
// CHECK: @__memscope_frames = private unnamed_addr constant [3 x %memscope.frame]
// CHECK-SAME: [%memscope.frame { ptr [[INNER]], ptr [[FILE:@__memscope_str[.0-9]*]], i32 [[#INNER_LINE:]], i32 [[#]] },
// CHECK-SAME:  %memscope.frame { ptr [[MIDDLE]], ptr [[FILE]], i32 [[#INNER_LINE+4]], i32 [[#]] },
// CHECK-SAME:  %memscope.frame { ptr [[OUTER]], ptr [[FILE]], i32 [[#INNER_LINE+8]], i32 [[#]] }]
// CHECK: @__memscope_sites = internal global [1 x %memscope.site] [%memscope.site { i64 {{-?[0-9]+}}, ptr @__memscope_frames, i32 3,

typedef __SIZE_TYPE__ size_t;
void *malloc(size_t size);

static inline __attribute__((always_inline)) void *inner(size_t n) {
  return malloc(n);
}

static inline __attribute__((always_inline)) void *middle(size_t n) {
  return inner(n + 1);
}

void *outer(size_t n) {
  return middle(n * 2);
}
