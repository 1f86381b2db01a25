; Each of malloc, calloc, realloc and free is redirected to __memscope_<api> with the
; original arguments and a pointer to the call's own site appended; calls that are
; not the C functions with their C prototype are left alone.
; RUN: %opt -passes=memscope -memscope-inline=never -S %s | FileCheck %s
; RUN: %opt -passes=memscope -memscope-inline=never -S %s | FileCheck %s --check-prefix=DECL

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)
declare ptr @calloc(i64, i64)
declare ptr @realloc(ptr, i64)
declare void @free(ptr)
declare void @use(ptr)

; CHECK-LABEL: define ptr @all_four(
; CHECK-NEXT:    %m = call ptr @__memscope_malloc(i64 %n, ptr @__memscope_sites)
; CHECK-NEXT:    %c = call ptr @__memscope_calloc(i64 %n, i64 8, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1))
; CHECK-NEXT:    call void @use(ptr %c)
; CHECK-NEXT:    %r = tail call ptr @__memscope_realloc(ptr %m, i64 64, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 2))
; CHECK-NEXT:    call void @__memscope_free(ptr %c, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 3))
; CHECK-NEXT:    ret ptr %r
define ptr @all_four(i64 %n) {
  %m = call ptr @malloc(i64 %n)
  %c = call ptr @calloc(i64 %n, i64 8)
  call void @use(ptr %c)
  %r = tail call ptr @realloc(ptr %m, i64 64)
  call void @free(ptr %c)
  ret ptr %r
}

; A second function gets the next site in the same module table.
; CHECK-LABEL: define void @other(
; CHECK-NEXT:    call void @__memscope_free(ptr %p, ptr getelementptr inbounds ([5 x %memscope.site], ptr @__memscope_sites, i32 0, i32 4))
define void @other(ptr %p) {
  call void @free(ptr %p)
  ret void
}

; Calls through a pointer, or through a prototype that is not free's, are not
; allocation calls the runtime could interpret.
; CHECK-LABEL: define void @not_allocation_calls(
; CHECK-NEXT:    call void %fp(ptr %p)
; CHECK-NEXT:    call void @free(i64 7)
; CHECK-NEXT:    ret void
define void @not_allocation_calls(ptr %fp, ptr %p) {
  call void %fp(ptr %p)
  call void @free(i64 7)
  ret void
}

; The runtime functions: malloc-like results do not alias anything, and nothing
; lets the optimizer drop a call.
; DECL-DAG: declare noalias ptr @__memscope_malloc(i64, ptr){{$}}
; DECL-DAG: declare noalias ptr @__memscope_calloc(i64, i64, ptr){{$}}
; DECL-DAG: declare ptr @__memscope_realloc(ptr, i64, ptr){{$}}
; DECL-DAG: declare void @__memscope_free(ptr, ptr){{$}}
