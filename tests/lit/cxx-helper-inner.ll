; The C++ helpers mark the operator's own call with the runtime's thread-local
; __memscope_inner flag, so that the interposed malloc/free inside libstdc++'s operator
; new/delete does not count the same block a second time (docs/pass.md).
; RUN: %opt -passes=memscope -memscope-inline=never -S %s | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; CHECK: @__memscope_inner = external thread_local(initialexec) global i8

define ptr @make() {
  %p = call ptr @_Znwm(i64 24)
  call void @_ZdlPvm(ptr %p, i64 24)
  ret ptr null
}

; CHECK-LABEL: define linkonce_odr hidden ptr @__memscope_cxx._Znwm(i64 %0, ptr %1){{.*}} {
; CHECK-NEXT: [[A:%.*]] = call ptr @llvm.threadlocal.address.p0(ptr @__memscope_inner)
; CHECK-NEXT: store i8 1, ptr [[A]], align 1
; CHECK-NEXT: [[P:%.*]] = call ptr @_Znwm(i64 %0)
; CHECK-NEXT: [[B:%.*]] = call ptr @llvm.threadlocal.address.p0(ptr @__memscope_inner)
; CHECK-NEXT: store i8 0, ptr [[B]], align 1
; CHECK-NEXT: call void @__memscope_note_alloc(i64 %0, ptr [[P]], ptr %1)
; CHECK-NEXT: ret ptr [[P]]

; CHECK-LABEL: define linkonce_odr hidden void @__memscope_cxx._ZdlPvm(ptr %0, i64 %1, ptr %2){{.*}} {
; CHECK-NEXT: call void @__memscope_note_free(ptr %0, ptr %2)
; CHECK-NEXT: [[C:%.*]] = call ptr @llvm.threadlocal.address.p0(ptr @__memscope_inner)
; CHECK-NEXT: store i8 1, ptr [[C]], align 1
; CHECK-NEXT: call void @_ZdlPvm(ptr %0, i64 %1)
; CHECK-NEXT: [[D:%.*]] = call ptr @llvm.threadlocal.address.p0(ptr @__memscope_inner)
; CHECK-NEXT: store i8 0, ptr [[D]], align 1
; CHECK-NEXT: ret void

declare ptr @_Znwm(i64)
declare void @_ZdlPvm(ptr, i64)
