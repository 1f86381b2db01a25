; A module that defines an allocation function itself (a replacement operator new or
; delete, or its own malloc) is the allocator: calls OF it are sites, calls IN it are
; not, or every block would be counted twice (a program whose
; operator new calls malloc showed each block as a `new` and a `malloc`, and each free
; as unmatched).  Where such a body is inlined, the call it replaced is gone and the
; calls it brought along are the sites (checked by running the pass after inlining).
; RUN: %opt -passes=memscope -memscope-inline=never -S %s | FileCheck %s
; RUN: %opt -passes='always-inline,memscope' -memscope-inline=never -S %s | FileCheck %s --check-prefix=INLINED

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare void @free(ptr)
declare ptr @mmap(ptr, i64, i32, i32, i32, i64)

; CHECK: @__memscope_sites = internal global [2 x %memscope.site]
; INLINED: @__memscope_sites = internal global [2 x %memscope.site]

; CHECK-LABEL: define ptr @_Znwm(i64 %n){{.*}}{
; CHECK-NEXT:    call ptr @malloc(i64 %n)
define ptr @_Znwm(i64 %n) alwaysinline {
  %p = call ptr @malloc(i64 %n)
  ret ptr %p
}

; CHECK-LABEL: define void @_ZdlPv(ptr %p)
; CHECK-NEXT:    call void @free(ptr %p)
define void @_ZdlPv(ptr %p) {
  call void @free(ptr %p)
  ret void
}

; A program's own malloc: its mmap is the allocator's business.
; CHECK-LABEL: define ptr @malloc(i64 %n)
; CHECK-NEXT:    call ptr @mmap(
define ptr @malloc(i64 %n) {
  %p = call ptr @mmap(ptr null, i64 %n, i32 3, i32 34, i32 -1, i64 0)
  ret ptr %p
}

; CHECK-LABEL: define ptr @user(
; CHECK-NEXT:    call ptr @__memscope_cxx._Znwm(i64 8, ptr @__memscope_sites)
; CHECK-NEXT:    call void @__memscope_cxx._ZdlPv(ptr %p, ptr getelementptr inbounds ([2 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1))
; INLINED-LABEL: define ptr @user(
; INLINED-NEXT:    call ptr @__memscope_malloc(i64 8, ptr @__memscope_sites)
; INLINED-NEXT:    call void @__memscope_cxx._ZdlPv(
define ptr @user() {
  %p = call ptr @_Znwm(i64 8)
  call void @_ZdlPv(ptr %p)
  ret ptr %p
}

; The helpers call the program's operator new and delete, whose bodies stay as written.
; CHECK-LABEL: define linkonce_odr hidden ptr @__memscope_cxx._Znwm(
; CHECK:         call ptr @_Znwm(
