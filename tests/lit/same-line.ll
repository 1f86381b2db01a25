; Two calls with the same location and inlining chain (the copies of an unrolled loop,
; two mallocs from one macro use) have the same key: they are one site, whose counts
; add up, not two sites no report could tell apart.  A call at another line is a site
; of its own, with another ID.
; RUN: %opt -passes=memscope -memscope-inline=never -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: FileCheck %s --check-prefix=DISTINCT < %t.ll

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"
source_filename = "macro.c"

; CHECK: @__memscope_frames = private unnamed_addr constant [2 x %memscope.frame]
; CHECK-SAME: [%memscope.frame { ptr [[FN:@__memscope_str[.0-9]*]], ptr [[FILE:@__memscope_str[.0-9]*]], i32 3, i32 12 },
; CHECK-SAME:  %memscope.frame { ptr [[FN]], ptr [[FILE]], i32 4, i32 12 }]

; DISTINCT: @__memscope_sites = internal global [2 x %memscope.site] [%memscope.site { i64 [[ID:-?[0-9]+]],
; DISTINCT-NOT: i64 [[ID]],
; DISTINCT: @__memscope_module =

; CHECK-LABEL: define void @twice(
; CHECK-NEXT: call ptr @__memscope_malloc(i64 4, ptr @__memscope_sites), !dbg [[L:![0-9]+]]
; CHECK-NEXT: call ptr @__memscope_malloc(i64 4, ptr @__memscope_sites), !dbg [[L]]
; CHECK-NEXT: call ptr @__memscope_malloc(i64 4, ptr getelementptr inbounds ([2 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1)), !dbg

declare ptr @malloc(i64)
declare void @use(ptr, ptr, ptr)

define void @twice() !dbg !10 {
  %a = call ptr @malloc(i64 4), !dbg !11
  %b = call ptr @malloc(i64 4), !dbg !11
  %c = call ptr @malloc(i64 4), !dbg !12
  call void @use(ptr %a, ptr %b, ptr %c), !dbg !12
  ret void
}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!2, !3}

!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "hand-written", isOptimized: false, runtimeVersion: 0, emissionKind: FullDebug)
!1 = !DIFile(filename: "macro.c", directory: "/src")
!2 = !{i32 7, !"Dwarf Version", i32 5}
!3 = !{i32 2, !"Debug Info Version", i32 3}
!5 = !DISubroutineType(types: !{})
!10 = distinct !DISubprogram(name: "twice", scope: !1, file: !1, line: 2, type: !5, scopeLine: 2, spFlags: DISPFlagDefinition, unit: !0)
!11 = !DILocation(line: 3, column: 12, scope: !10)
!12 = !DILocation(line: 4, column: 12, scope: !10)
