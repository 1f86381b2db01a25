// Inferred wrappers in C, with debug info: a call of xmalloc is a malloc site of its
// caller whose frames are xmalloc's malloc call and then the caller's call, as if
// xmalloc had been inlined; through xmalloc2 there are three.  At -O2, where the
// optimizer really inlines them, the sites have the same frames and the same IDs: an
// -O0 and an -O2 profile of this program line up.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %clang -O0 -g -S -emit-llvm %s -o %t/O0.ll
// RUN: %clang -O2 -g -S -emit-llvm %s -o %t/O2.ll
// RUN: FileCheck %s < %t/O0.ll
// RUN: grep '^@__memscope_frames ' %t/O0.ll > %t/O0.frames
// RUN: grep '^@__memscope_frames ' %t/O2.ll > %t/O2.frames
// RUN: diff %t/O0.frames %t/O2.frames
// RUN: grep '^@__memscope_sites ' %t/O0.ll | grep -oE '{ i64 -?[0-9]+' > %t/O0.ids
// RUN: grep '^@__memscope_sites ' %t/O2.ll | grep -oE '{ i64 -?[0-9]+' > %t/O2.ids
// RUN: diff %t/O0.ids %t/O2.ids
// RUN: grep -c . %t/O0.ids | grep -qx 5
typedef __SIZE_TYPE__ size_t;
void *malloc(size_t);
void abort(void);
void *volatile sink;

void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p)
    abort();
  return p;
}

void *xmalloc2(size_t n) {
  return xmalloc(n + 8);
}

int main(void) {
  sink = xmalloc(1);
  sink = xmalloc(2);
  sink = xmalloc2(3);
  return 0;
}

// CHECK-DAG: [[FILE:@__memscope_str[.0-9]*]] = {{.*}} c"{{.*}}inferred-wrappers.c\00"
// CHECK-DAG: [[XMALLOC:@__memscope_str[.0-9]*]] = {{.*}} c"xmalloc\00"
// CHECK-DAG: [[XMALLOC2:@__memscope_str[.0-9]*]] = {{.*}} c"xmalloc2\00"
// CHECK-DAG: [[MAIN:@__memscope_str[.0-9]*]] = {{.*}} c"main\00"
// The plain xmalloc's site (line 23), xmalloc2's call of xmalloc (23, 30), main's calls
// of xmalloc (23, 34 and 23, 35) and of xmalloc2 (23, 30, 36).
// CHECK: @__memscope_frames = private unnamed_addr constant [10 x %memscope.frame]
// CHECK-SAME: [%memscope.frame { ptr [[XMALLOC]], ptr [[FILE]], i32 23, i32 13 },
// CHECK-SAME:  %memscope.frame { ptr [[XMALLOC]], ptr [[FILE]], i32 23, i32 13 }, %memscope.frame { ptr [[XMALLOC2]], ptr [[FILE]], i32 30, i32 10 },
// CHECK-SAME:  %memscope.frame { ptr [[XMALLOC]], ptr [[FILE]], i32 23, i32 13 }, %memscope.frame { ptr [[MAIN]], ptr [[FILE]], i32 34, i32 10 },
// CHECK-SAME:  %memscope.frame { ptr [[XMALLOC]], ptr [[FILE]], i32 23, i32 13 }, %memscope.frame { ptr [[MAIN]], ptr [[FILE]], i32 35, i32 10 },
// CHECK-SAME:  %memscope.frame { ptr [[XMALLOC]], ptr [[FILE]], i32 23, i32 13 }, %memscope.frame { ptr [[XMALLOC2]], ptr [[FILE]], i32 30, i32 10 }, %memscope.frame { ptr [[MAIN]], ptr [[FILE]], i32 36, i32 10 }]
// All malloc sites (API 1).
// CHECK: @__memscope_sites = internal global [5 x %memscope.site]
// CHECK-SAME: i32 1, i32 1, i32 0,
// CHECK-SAME: i32 2, i32 1, i32 0,
// CHECK-SAME: i32 2, i32 1, i32 0,
// CHECK-SAME: i32 2, i32 1, i32 0,
// CHECK-SAME: i32 3, i32 1, i32 0,
// CHECK-LABEL: define {{.*}}i32 @main()
// CHECK: call ptr @xmalloc.memscope(
// CHECK: call ptr @xmalloc.memscope(
// CHECK: call ptr @xmalloc2.memscope(
// CHECK-LABEL: define internal ptr @xmalloc.memscope(
// CHECK-LABEL: define internal ptr @xmalloc2.memscope(
