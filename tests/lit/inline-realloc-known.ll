; An inline realloc leaves out the tests the program has answered already where the call
; is (docs/pass.md, "Inline fast paths"): old == NULL (the branch to ms.rnew, the
; allocation's own countdown and count) when old is known not NULL, and n == 0
; (ms.rsize) when n is known not 0.  Known: from a dominating branch, also on `a == 0 ||
; b == 0` (what `if (!p || !q) abort();` compiles to), from attributes and known bits.
; Not known: on the edge where the pointer may be NULL, or with nothing said about it.
; RUN: %opt -passes=memscope -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll

; Both from the branch on (old == NULL || n == 0) whose false edge leads to the call.
; CHECK-LABEL: define ptr @checked(ptr %old, i64 %n)
; CHECK:       ok:
; CHECK-NEXT:    br label %ms.rold
; CHECK-NOT:     ms.fresh
; CHECK-NOT:     ms.rnew
; CHECK:       ms.rold:
; CHECK:         br i1 %ms.maysample, label %ms.rfirst, label %ms.rleft
; CHECK-NOT:     ms.rsize
; CHECK-NOT:     ms.frees
; CHECK:       ms.call:
; CHECK-NEXT:    %p = call ptr @__memscope_real_realloc(ptr %old, i64 %n)

; A nonnull argument, a size with its low bit set.
; CHECK-LABEL: define ptr @attributes(ptr nonnull %old, i64 %k)
; CHECK-NEXT:    %n = or i64 %k, 1
; CHECK-NEXT:    br label %ms.rold
; CHECK-NOT:     ms.rsize
; CHECK:       ms.call:

; Nothing known: both tests stay.
; CHECK-LABEL: define ptr @unknown(ptr %old, i64 %n)
; CHECK-NEXT:    %ms.fresh = icmp eq ptr %old, null
; CHECK-NEXT:    br i1 %ms.fresh, label %ms.rnew, label %ms.rold
; CHECK:       ms.rsize:
; CHECK-NEXT:    %ms.frees = icmp eq i64 %n, 0

; Reached from the true edge of (old == NULL || n == 0): either may be 0.
; CHECK-LABEL: define ptr @maybe_null(ptr %old, i64 %n)
; CHECK:       either:
; CHECK-NEXT:    %ms.fresh = icmp eq ptr %old, null
; CHECK:       ms.rsize:
; CHECK-NEXT:    %ms.frees = icmp eq i64 %n, 0

; The false edge of old == NULL does not dominate the call: another way reaches it.
; CHECK-LABEL: define ptr @one_edge_of_two(ptr %old, i64 %n, i1 %c)
; CHECK:       join:
; CHECK-NEXT:    %ms.fresh = icmp eq ptr %old, null

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @realloc(ptr, i64)
declare void @abort() noreturn

define ptr @checked(ptr %old, i64 %n) {
  %a = icmp eq ptr %old, null
  %b = icmp eq i64 %n, 0
  %either = or i1 %a, %b
  br i1 %either, label %fail, label %ok
fail:
  call void @abort()
  unreachable
ok:
  %p = call ptr @realloc(ptr %old, i64 %n)
  ret ptr %p
}

define ptr @attributes(ptr nonnull %old, i64 %k) {
  %n = or i64 %k, 1
  %p = call ptr @realloc(ptr %old, i64 %n)
  ret ptr %p
}

define ptr @unknown(ptr %old, i64 %n) {
  %p = call ptr @realloc(ptr %old, i64 %n)
  ret ptr %p
}

define ptr @maybe_null(ptr %old, i64 %n) {
  %a = icmp eq ptr %old, null
  %b = icmp eq i64 %n, 0
  %any = or i1 %a, %b
  br i1 %any, label %either, label %done
either:
  %p = call ptr @realloc(ptr %old, i64 %n)
  ret ptr %p
done:
  ret ptr null
}

define ptr @one_edge_of_two(ptr %old, i64 %n, i1 %c) {
  br i1 %c, label %test, label %join
test:
  %a = icmp eq ptr %old, null
  br i1 %a, label %out, label %join
join:
  %p = call ptr @realloc(ptr %old, i64 %n)
  ret ptr %p
out:
  ret ptr null
}

!llvm.module.flags = !{!0}
!0 = !{i32 7, !"PIE Level", i32 2}
