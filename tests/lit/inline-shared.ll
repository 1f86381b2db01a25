; The shared form of the inline fast paths (abi.h, "Inline sites"; docs/pass.md, "Which
; modules"): a module without "PIE Level" (here -fPIC's "PIC Level" only) may end up in
; a shared library, linked or dlopen'ed.  Under auto its malloc, realloc and free count
; inline through the runtime's header, an external initial-exec variable (no TLS of the
; module's own: a dlopen never needs static TLS for it), plus the module's slot base, an
; internal global that starts at MEMSCOPE_UNREGISTERED_BASE (229375 x 32: the table's
; last slots) and that the descriptor hands to the runtime.  Each slot is counters +
; base + tls_slot; a realloc's release is counted at counters + releases_at, without the
; base.  -memscope-inline=shared (or MEMSCOPE_PASS_INLINE=shared) forces the form in a
; PIE module; always keeps a local-exec header of the module's own.
; RUN: split-file %s %t
; RUN: %opt -passes=memscope -S %t/pic.ll -o %t/pic.out.ll
; RUN: FileCheck %s < %t/pic.out.ll
; RUN: %opt -passes=memscope -memscope-inline=shared -S %t/pie.ll | FileCheck %s
; RUN: env MEMSCOPE_PASS_INLINE=shared %opt -passes=memscope -S %t/pie.ll | FileCheck %s
; RUN: %opt -passes=memscope -S %t/pie.ll | FileCheck %s --check-prefix=PIE
; The x86-64 code of a shared library: the header's offset from the GOT once, then
; %fs-relative accesses; the base RIP-relative, folded into the slot's addressing; no
; local-exec relocation (it would not link into a shared library).
; RUN: llc -O2 -relocation-model=pic %t/pic.out.ll -o - | FileCheck %s --check-prefix=ASM

; CHECK-NOT: thread_local(localexec)
; CHECK: @__memscope_shared_tls = external thread_local(initialexec) global { i64, i32, i32, ptr }
; CHECK: @__memscope_slot_base = internal global i64 7340000, align 8
; CHECK: @__memscope_module = internal global %memscope.module { i32 6, i32 3, ptr @__memscope_sites, ptr {{@[^,]+}}, ptr null, ptr null, i32 0, i32 0, ptr @__memscope_slot_base }
; CHECK-NOT: @__memscope_tls_block

; CHECK-LABEL: define void @f(
; CHECK:         [[H:%.*]] = call ptr @llvm.threadlocal.address.p0(ptr @__memscope_shared_tls)
; CHECK-NEXT:    [[LEFT:%.*]] = load i64, ptr [[H]], align 8
; CHECK-NEXT:    [[NEW:%.*]] = sub i64 [[LEFT]], %n
; CHECK-NEXT:    store i64 [[NEW]], ptr [[H]], align 8
; CHECK:       ms.fast:
; CHECK:         [[C:%.*]] = load ptr, ptr {{%.*}}, align 8
; CHECK-NEXT:    [[BASE:%.*]] = load i64, ptr @__memscope_slot_base, align 8
; CHECK-NEXT:    [[M:%.*]] = getelementptr i8, ptr [[C]], i64 [[BASE]]
; CHECK-NEXT:    [[S:%.*]] = getelementptr inbounds i8, ptr [[M]], i64 32
; CHECK-NEXT:    [[CALLS:%.*]] = load i64, ptr [[S]], align 8
; CHECK:         %p = call ptr @__memscope_real_malloc(i64 %n) #
; CHECK:       ms.slow:
; CHECK:         call ptr @__memscope_malloc_inline_slow(i64 %n, ptr @__memscope_sites, ptr
; CHECK:       ms.ffast:
; CHECK:         [[BASE2:%.*]] = load i64, ptr @__memscope_slot_base, align 8
; CHECK-NEXT:    [[M2:%.*]] = getelementptr i8, ptr {{%.*}}, i64 [[BASE2]]
; CHECK-NEXT:    {{%.*}} = getelementptr inbounds i8, ptr [[M2]], i64 64
; CHECK:         call void @__memscope_free_inline_slow(ptr
; CHECK:         call void @__memscope_real_free(ptr %ms.result) #

; CHECK-LABEL: define ptr @g(
; CHECK:       ms.release:
; CHECK:         [[RC:%.*]] = load ptr, ptr {{%.*}}, align 8
; CHECK:         [[RAT:%.*]] = load i32, ptr {{%.*}}, align 4
; CHECK-NEXT:    [[RAT64:%.*]] = sext i32 [[RAT]] to i64
; CHECK-NEXT:    [[REL:%.*]] = getelementptr inbounds i8, ptr [[RC]], i64 [[RAT64]]
; CHECK:         [[RBASE:%.*]] = load i64, ptr @__memscope_slot_base, align 8
; CHECK-NEXT:    [[RM:%.*]] = getelementptr i8, ptr [[RC]], i64 [[RBASE]]
; CHECK-NEXT:    {{%.*}} = getelementptr inbounds i8, ptr [[RM]], i64 96
; CHECK:         call ptr @__memscope_real_realloc(ptr %old, i64 %n) #

; PIE: @__memscope_tls = internal thread_local(localexec) global
; PIE-NOT: __memscope_shared_tls
; PIE-NOT: __memscope_slot_base

; ASM-LABEL: f:
; ASM:         movq __memscope_shared_tls@GOTTPOFF(%rip), [[R:%r[a-z0-9]+]]
; ASM-NEXT:    subq %rdi, %fs:([[R]])
; ASM-NEXT:    jbe
; ASM:         movq %fs:16([[R]]), [[T:%r[a-z0-9]+]]
; ASM-NEXT:    movq __memscope_slot_base(%rip), [[B:%r[a-z0-9]+]]
; ASM-NEXT:    incq 32([[T]],[[B]])
; ASM:         callq __memscope_real_malloc@PLT
; ASM-NOT:     @TPOFF
; ASM-LABEL: g:

;--- pic.ll
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)
declare void @free(ptr)
declare ptr @realloc(ptr, i64)

define void @f(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  call void @free(ptr %p)
  ret void
}

define ptr @g(ptr %old, i64 %n) {
  %q = call ptr @realloc(ptr %old, i64 %n)
  ret ptr %q
}

!llvm.module.flags = !{!0}
!0 = !{i32 8, !"PIC Level", i32 2}

;--- pie.ll
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)
declare void @free(ptr)
declare ptr @realloc(ptr, i64)

define void @f(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  call void @free(ptr %p)
  ret void
}

define ptr @g(ptr %old, i64 %n) {
  %q = call ptr @realloc(ptr %old, i64 %n)
  ret ptr %q
}

!llvm.module.flags = !{!0, !1}
!0 = !{i32 8, !"PIC Level", i32 2}
!1 = !{i32 7, !"PIE Level", i32 2}
