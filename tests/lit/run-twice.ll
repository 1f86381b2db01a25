; The pass is idempotent: once the calls are rewritten there is nothing left to
; instrument, so a second run adds no second table, descriptor or constructor.
; RUN: %opt -passes=memscope -memscope-inline=never -S %s -o %t.once.ll
; RUN: %opt -passes=memscope,memscope -memscope-inline=never -S %s -o %t.twice.ll
; RUN: diff %t.once.ll %t.twice.ll
; RUN: %opt -passes=memscope -memscope-inline=never -S %t.once.ll | FileCheck %s

; CHECK: @__memscope_sites = internal global [1 x %memscope.site]
; CHECK-NOT: @__memscope_sites.
; CHECK: @__memscope_module = internal global
; CHECK-NOT: @__memscope_module.
; CHECK: @llvm.global_ctors = appending global [1 x { i32, ptr, ptr }]
; CHECK: @llvm.global_dtors = appending global [1 x { i32, ptr, ptr }]
; CHECK-LABEL: define ptr @once(
; CHECK-NEXT:    call ptr @__memscope_malloc(i64 %n, ptr @__memscope_sites)
; CHECK-NOT: define internal void @__memscope_module_ctor.

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)

define ptr @once(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  ret ptr %p
}
