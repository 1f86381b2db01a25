; The ignore list (the sanitizers' special case list format) leaves functions alone by
; name (fun:, symbol or source name, globs allowed) or by file (src:), from the flag
; -memscope-ignorelist or, when the flag is not given, MEMSCOPE_PASS_IGNORELIST.  A
; list that cannot be read is an error.
; RUN: split-file %s %t
; RUN: %opt -passes=memscope -memscope-inline=never -memscope-ignorelist=%t/list.txt -S %t/m.ll | FileCheck %s
; RUN: env MEMSCOPE_PASS_IGNORELIST=%t/list.txt %opt -passes=memscope -memscope-inline=never -S %t/m.ll | FileCheck %s
; RUN: %opt -passes=memscope -memscope-inline=never -memscope-ignorelist=%t/src.txt -S %t/m.ll | FileCheck %s --check-prefix=SRC
; RUN: not %opt -passes=memscope -memscope-inline=never -memscope-ignorelist=%t/missing.txt -S %t/m.ll 2>&1 | FileCheck %s --check-prefix=MISSING

; CHECK-LABEL: define ptr @skip_me(
; CHECK-NEXT:    call ptr @malloc(i64 1)
; CHECK-LABEL: define ptr @third_party_helper(
; CHECK-NEXT:    call ptr @malloc(i64 2)
; CHECK-LABEL: define ptr @kept(
; CHECK-NEXT:    call ptr @__memscope_malloc(i64 3, ptr @__memscope_sites)
; SRC-NOT: __memscope_malloc
; MISSING: error: memscope: cannot use the ignore list '{{.*}}missing.txt'

;--- list.txt
# Comments and blank lines are fine.
[memscope]
fun:skip_me
fun:third_party_*

;--- src.txt
src:*/vendored/*

;--- m.ll
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"
source_filename = "/src/vendored/lib.c"

declare ptr @malloc(i64)

define ptr @skip_me() {
  %p = call ptr @malloc(i64 1)
  ret ptr %p
}

define ptr @third_party_helper() {
  %p = call ptr @malloc(i64 2)
  ret ptr %p
}

define ptr @kept() {
  %p = call ptr @malloc(i64 3)
  ret ptr %p
}
