; A call that was inlined gets one frame per inlining level: frames[0] where malloc
; is written (inner), then each inlined-at location (middle, then outer, the
; function that contains the call now).  The chain is part of the ID, so the same
; source line reached through different inlining paths is a different site.
; RUN: %opt -passes=memscope -memscope-inline=never -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: FileCheck %s --check-prefix=DISTINCT < %t.ll

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"
source_filename = "inl.c"

; CHECK-DAG: [[FILE:@__memscope_str[.0-9]*]] = private unnamed_addr constant [11 x i8] c"/src/inl.c\00"
; CHECK-DAG: [[INNER:@__memscope_str[.0-9]*]] = private unnamed_addr constant [6 x i8] c"inner\00"
; CHECK-DAG: [[MIDDLE:@__memscope_str[.0-9]*]] = private unnamed_addr constant [7 x i8] c"middle\00"
; CHECK-DAG: [[OUTER:@__memscope_str[.0-9]*]] = private unnamed_addr constant [6 x i8] c"outer\00"

; CHECK: @__memscope_frames = private unnamed_addr constant [5 x %memscope.frame]
; CHECK-SAME: [%memscope.frame { ptr [[INNER]], ptr [[FILE]], i32 2, i32 5 },
; CHECK-SAME:  %memscope.frame { ptr [[MIDDLE]], ptr [[FILE]], i32 7, i32 10 },
; CHECK-SAME:  %memscope.frame { ptr [[OUTER]], ptr [[FILE]], i32 12, i32 3 },
; CHECK-SAME:  %memscope.frame { ptr [[INNER]], ptr [[FILE]], i32 2, i32 5 },
; CHECK-SAME:  %memscope.frame { ptr [[OUTER]], ptr [[FILE]], i32 13, i32 3 }]

; Three frames for the first site, two for the second; their IDs differ.
; CHECK: @__memscope_sites = internal global [2 x %memscope.site]
; CHECK-SAME: [%memscope.site { i64 {{-?[0-9]+}}, ptr @__memscope_frames, i32 3, i32 1, i32 0, i32 0, i32 0, i32 0 },
; CHECK-SAME:  %memscope.site { i64 {{-?[0-9]+}}, ptr getelementptr inbounds ([5 x %memscope.frame], ptr @__memscope_frames, i32 0, i32 3), i32 2, i32 1, i32 0, i32 0, i32 0, i32 0 }]
; DISTINCT: @__memscope_sites = internal global [2 x %memscope.site] [%memscope.site { i64 [[ID:-?[0-9]+]],
; DISTINCT-NOT: i64 [[ID]],
; DISTINCT: @__memscope_module =

; CHECK-LABEL: define ptr @outer(
; CHECK-NEXT:    %a = call ptr @__memscope_malloc(i64 8, ptr @__memscope_sites), !dbg [[DEEP:![0-9]+]]
; CHECK-NEXT:    %b = call ptr @__memscope_malloc(i64 8, ptr getelementptr inbounds ([2 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1)), !dbg [[SHALLOW:![0-9]+]]
; CHECK-DAG: [[DEEP]] = !DILocation(line: 2, column: 5, scope: {{![0-9]+}}, inlinedAt:
; CHECK-DAG: [[SHALLOW]] = !DILocation(line: 2, column: 5, scope: {{![0-9]+}}, inlinedAt:

declare ptr @malloc(i64)

define ptr @outer() !dbg !30 {
  %a = call ptr @malloc(i64 8), !dbg !40
  %b = call ptr @malloc(i64 8), !dbg !43
  ret ptr %a
}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!2, !3}

!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "hand-written", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug)
!1 = !DIFile(filename: "inl.c", directory: "/src")
!2 = !{i32 7, !"Dwarf Version", i32 5}
!3 = !{i32 2, !"Debug Info Version", i32 3}
!5 = !DISubroutineType(types: !{})
!10 = distinct !DISubprogram(name: "inner", scope: !1, file: !1, line: 1, type: !5, scopeLine: 1, spFlags: DISPFlagLocalToUnit | DISPFlagDefinition, unit: !0)
!20 = distinct !DISubprogram(name: "middle", scope: !1, file: !1, line: 6, type: !5, scopeLine: 6, spFlags: DISPFlagLocalToUnit | DISPFlagDefinition, unit: !0)
!30 = distinct !DISubprogram(name: "outer", scope: !1, file: !1, line: 11, type: !5, scopeLine: 11, spFlags: DISPFlagDefinition, unit: !0)
; inner -> middle -> outer
!40 = !DILocation(line: 2, column: 5, scope: !10, inlinedAt: !41)
!41 = distinct !DILocation(line: 7, column: 10, scope: !20, inlinedAt: !42)
!42 = distinct !DILocation(line: 12, column: 3, scope: !30)
; inner -> outer
!43 = !DILocation(line: 2, column: 5, scope: !10, inlinedAt: !44)
!44 = distinct !DILocation(line: 13, column: 3, scope: !30)
