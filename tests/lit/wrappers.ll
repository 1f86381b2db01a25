; Allocation wrappers.  A function declared as an allocator (a noalias result, noted
; at the start of the pipeline; allocsize) or named with -memscope-wrappers is a
; wrapper: a call to it is a site in the caller (API 19, "wrapper") and calls the
; wrapper's twin "<name>.memscope", which takes the site as a last parameter.  A twin
; defined here is the wrapper's instrumented body with every site it passes replaced
; by that parameter (two levels: xmalloc2's twin passes its site on to xmalloc's); a
; wrapper defined elsewhere gets a weak hidden fallback twin that calls it.  The plain
; wrapper keeps its own sites, for calls the pass never saw.
; RUN: %opt -passes=memscope -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: FileCheck %s --check-prefix=SITES < %t.ll
; RUN: %opt -passes=memscope -memscope-wrappers=named -S %s | FileCheck %s --check-prefix=NAMED
; RUN: env MEMSCOPE_PASS_WRAPPERS=named %opt -passes=memscope -S %s | FileCheck %s --check-prefix=NAMED
; Without declared wrappers, xmalloc, xmalloc2 and named return what malloc returned:
; inferred wrappers (inferred-wrappers.ll); without inference either, no wrapper at all.
; RUN: %opt -passes=memscope -memscope-declared-wrappers=false -S %s | FileCheck %s --check-prefix=INFERRED
; RUN: %opt -passes=memscope -memscope-declared-wrappers=false -memscope-infer-wrappers=false -S %s | FileCheck %s --check-prefix=OFF
; Idempotent: a second run changes nothing.
; RUN: %opt -passes=memscope -S %t.ll -o %t.twice.ll
; RUN: %opt -S %t.ll -o %t.once.ll
; RUN: diff %t.once.ll %t.twice.ll

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)
declare noalias ptr @ext_alloc(i64)

; CHECK-LABEL: define noalias ptr @xmalloc(i64 %n)
; CHECK-NEXT:    call ptr @__memscope_malloc(i64 %n, ptr @__memscope_sites)
define noalias ptr @xmalloc(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  ret ptr %p
}

; CHECK-LABEL: define ptr @xmalloc2(i64 %n)
; CHECK-NEXT:    %m = add i64 %n, 8
; CHECK-NEXT:    call ptr @xmalloc.memscope(i64 %m, ptr getelementptr {{.*}} i32 1))
define ptr @xmalloc2(i64 %n) allocsize(0) {
  %m = add i64 %n, 8
  %p = call ptr @xmalloc(i64 %m)
  ret ptr %p
}

; Not listed by default, but it returns what malloc returned: an inferred wrapper,
; whose malloc is a site of its own for the plain function and of its callers here for
; its internal twin.
; CHECK-LABEL: define ptr @named(i64 %n)
; CHECK-NEXT:    call ptr @__memscope_malloc(i64 %n, ptr getelementptr {{.*}} i32 2))
define ptr @named(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  ret ptr %p
}

; CHECK-LABEL: define void @caller(
; CHECK-NEXT:    call ptr @xmalloc.memscope(i64 1, ptr getelementptr {{.*}} i32 3))
; CHECK-NEXT:    call ptr @xmalloc2.memscope(i64 2, ptr getelementptr {{.*}} i32 4))
; CHECK-NEXT:    call ptr @ext_alloc.memscope(i64 3, ptr getelementptr {{.*}} i32 5))
; CHECK-NEXT:    call ptr @named.memscope(i64 4, ptr getelementptr {{.*}} i32 6))
; NAMED-LABEL: define void @caller(
; NAMED:         call ptr @named.memscope(i64 4, ptr
; OFF-LABEL: define void @caller(
; OFF-NEXT:      call ptr @xmalloc(i64 1)
; OFF-NEXT:      call ptr @xmalloc2(i64 2)
; OFF-NEXT:      call ptr @ext_alloc(i64 3)
; OFF-NEXT:      call ptr @named(i64 4)
; INFERRED-LABEL: define void @caller(
; INFERRED-NEXT:   call ptr @xmalloc.memscope(i64 1, ptr
; INFERRED-NEXT:   call ptr @xmalloc2.memscope(i64 2, ptr
; INFERRED-NEXT:   call ptr @ext_alloc(i64 3)
; INFERRED-NEXT:   call ptr @named.memscope(i64 4, ptr
; INFERRED: define internal noalias ptr @xmalloc.memscope(
; INFERRED: define internal ptr @xmalloc2.memscope(
; INFERRED: define internal ptr @named.memscope(
define void @caller() {
  call ptr @xmalloc(i64 1)
  call ptr @xmalloc2(i64 2)
  call ptr @ext_alloc(i64 3)
  call ptr @named(i64 4)
  ret void
}

; The listed and declared wrapper call sites are API 19, one frame; the call of the
; inferred wrapper is a malloc site with two frames (named's, then caller's).
; SITES: @__memscope_sites = internal global [7 x %memscope.site]
; SITES-SAME: i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 }, {{.*}} i32 1, i32 19, i32 0, i32 0, i32 0, i32 0 }, {{.*}} i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 }, {{.*}} i32 1, i32 19, i32 0, i32 0, i32 0, i32 0 }, {{.*}} i32 1, i32 19, i32 0, i32 0, i32 0, i32 0 }, {{.*}} i32 1, i32 19, i32 0, i32 0, i32 0, i32 0 }, {{.*}} i32 2, i32 1, i32 0, i32 0, i32 0, i32 0 }]

; Twins of the wrappers defined here: their sites come from the caller.
; CHECK-LABEL: define noalias ptr @xmalloc.memscope(i64 %n, ptr %memscope.site)
; CHECK-NEXT:    call ptr @__memscope_malloc(i64 %n, ptr %memscope.site)
; CHECK-LABEL: define ptr @xmalloc2.memscope(i64 %n, ptr %memscope.site)
; CHECK:         call ptr @xmalloc.memscope(i64 %m, ptr %memscope.site)
; The fallback for a wrapper defined elsewhere.
; CHECK-LABEL: define weak hidden ptr @ext_alloc.memscope(i64 %0, ptr %1)
; CHECK-NEXT:    call ptr @ext_alloc(i64 %0)
; CHECK-LABEL: define internal ptr @named.memscope(i64 %n, ptr %memscope.site)
; CHECK-NEXT:    call ptr @__memscope_malloc(i64 %n, ptr %memscope.site)
; CHECK: attributes #{{[0-9]+}} = { noinline "memscope-skip" }
