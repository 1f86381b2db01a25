; Functions can opt out: the IR attribute "memscope-skip", or, from C/C++,
; __attribute__((annotate("memscope_skip"))), which clang records in
; llvm.global.annotations.  Their calls stay as they are, also where they were
; inlined into an instrumented function (the debug location says where a call was
; written).  Functions named __memscope_* (the runtime, our constructors) are never
; instrumented.
; RUN: %opt -passes=memscope -memscope-inline=never -S %s | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"
source_filename = "skip.c"

@.str = private unnamed_addr constant [14 x i8] c"memscope_skip\00", section "llvm.metadata"
@.str.1 = private unnamed_addr constant [7 x i8] c"skip.c\00", section "llvm.metadata"
@.str.other = private unnamed_addr constant [6 x i8] c"other\00", section "llvm.metadata"
@llvm.global.annotations = appending global [2 x { ptr, ptr, ptr, i32, ptr }] [
  { ptr, ptr, ptr, i32, ptr } { ptr @annotated, ptr @.str, ptr @.str.1, i32 10, ptr null },
  { ptr, ptr, ptr, i32, ptr } { ptr @other_annotation, ptr @.str.other, ptr @.str.1, i32 20, ptr null }
], section "llvm.metadata"

; Only the two calls of instrumented code are in the table.
; CHECK: @__memscope_sites = internal global [2 x %memscope.site]

declare ptr @malloc(i64)

; CHECK-LABEL: define ptr @by_attribute(
; CHECK-NEXT:    call ptr @malloc(i64 1)
define ptr @by_attribute() "memscope-skip" {
  %p = call ptr @malloc(i64 1)
  ret ptr %p
}

; CHECK-LABEL: define ptr @annotated(
; CHECK-NEXT:    call ptr @malloc(i64 2)
define ptr @annotated() !dbg !10 {
  %p = call ptr @malloc(i64 2), !dbg !11
  ret ptr %p
}

; Another annotation is not an opt-out.
; CHECK-LABEL: define ptr @other_annotation(
; CHECK-NEXT:    call ptr @__memscope_malloc(i64 3, ptr @__memscope_sites)
define ptr @other_annotation() {
  %p = call ptr @malloc(i64 3)
  ret ptr %p
}

; The first call was written in @annotated and inlined here: left alone.  The second
; is this function's own.
; CHECK-LABEL: define ptr @caller(
; CHECK-NEXT:    %a = call ptr @malloc(i64 2), !dbg
; CHECK-NEXT:    %b = call ptr @__memscope_malloc(i64 4, ptr getelementptr inbounds ([2 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1)), !dbg
define ptr @caller() !dbg !20 {
  %a = call ptr @malloc(i64 2), !dbg !21
  %b = call ptr @malloc(i64 4), !dbg !23
  ret ptr %b
}

; CHECK-LABEL: define ptr @__memscope_internal(
; CHECK-NEXT:    call ptr @malloc(i64 5)
define ptr @__memscope_internal() {
  %p = call ptr @malloc(i64 5)
  ret ptr %p
}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!2, !3}

!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "hand-written", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug)
!1 = !DIFile(filename: "skip.c", directory: "/src")
!2 = !{i32 7, !"Dwarf Version", i32 5}
!3 = !{i32 2, !"Debug Info Version", i32 3}
!5 = !DISubroutineType(types: !{})
!10 = distinct !DISubprogram(name: "annotated", scope: !1, file: !1, line: 10, type: !5, scopeLine: 10, spFlags: DISPFlagDefinition, unit: !0)
!11 = !DILocation(line: 11, column: 3, scope: !10)
!20 = distinct !DISubprogram(name: "caller", scope: !1, file: !1, line: 30, type: !5, scopeLine: 30, spFlags: DISPFlagDefinition, unit: !0)
!21 = !DILocation(line: 11, column: 3, scope: !10, inlinedAt: !22)
!22 = distinct !DILocation(line: 31, column: 3, scope: !20)
!23 = !DILocation(line: 32, column: 3, scope: !20)
