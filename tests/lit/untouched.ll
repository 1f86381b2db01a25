; A module without allocation calls comes out unchanged: no site table, no
; descriptor, no constructor, no runtime declarations.  A function called malloc with
; another prototype is not the C one and does not count.
; RUN: %opt -passes=memscope -S %s | FileCheck %s
; RUN: %opt -S %s > %t.before.ll
; RUN: %opt -passes=memscope -S %s > %t.after.ll
; RUN: diff %t.before.ll %t.after.ll

; CHECK-NOT: __memscope
; CHECK-NOT: llvm.global_ctors
; CHECK-LABEL: define i32 @no_allocations(
; CHECK-NEXT:    %r = call i32 @malloc(i32 %x)
; CHECK-NOT: __memscope
; CHECK-NOT: llvm.global_ctors

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare i32 @malloc(i32)

define i32 @no_allocations(i32 %x) {
  %r = call i32 @malloc(i32 %x)
  ret i32 %r
}
