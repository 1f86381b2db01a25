; Calls without a debug location still get a site: one frame naming the function
; that contains the call, the module's source file, line and column 0.  The ID then
; comes from the function's linkage name and the call's rank among that function's
; allocation calls, so two such calls in one function differ, and so do calls in
; different functions.
; RUN: %opt -passes=memscope -memscope-inline=never -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: FileCheck %s --check-prefix=FIRST < %t.ll
; RUN: FileCheck %s --check-prefix=SECOND < %t.ll

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"
source_filename = "lib/nodbg.c"

; CHECK-DAG: [[FILE:@__memscope_str[.0-9]*]] = private unnamed_addr constant [12 x i8] c"lib/nodbg.c\00"
; CHECK-DAG: [[F:@__memscope_str[.0-9]*]] = private unnamed_addr constant [6 x i8] c"first\00"
; CHECK-DAG: [[S:@__memscope_str[.0-9]*]] = private unnamed_addr constant [7 x i8] c"second\00"

; CHECK: @__memscope_frames = private unnamed_addr constant [3 x %memscope.frame]
; CHECK-SAME: [%memscope.frame { ptr [[F]], ptr [[FILE]], i32 0, i32 0 },
; CHECK-SAME:  %memscope.frame { ptr [[F]], ptr [[FILE]], i32 0, i32 0 },
; CHECK-SAME:  %memscope.frame { ptr [[S]], ptr [[FILE]], i32 0, i32 0 }]

; Distinct IDs: the first (FIRST) and the second (SECOND) ID must not come back
; later in the table, which covers every pair of the three sites.
; FIRST: @__memscope_sites = internal global [3 x %memscope.site] [%memscope.site { i64 [[ID:-?[0-9]+]],
; FIRST-NOT: i64 [[ID]],
; FIRST: @__memscope_module =
; SECOND: @__memscope_sites = internal global [3 x %memscope.site] [%memscope.site {{[{][^}]*[}]}}, %memscope.site { i64 [[ID:-?[0-9]+]],
; SECOND-NOT: i64 [[ID]],
; SECOND: @__memscope_module =
; The module name is the same source file name.
; CHECK: @__memscope_module = internal global %memscope.module { i32 6, i32 3, ptr @__memscope_sites, ptr [[FILE]], ptr null, ptr null, i32 0, i32 0, ptr null }

; CHECK-LABEL: define void @first(
; CHECK-NEXT:    %a = call ptr @__memscope_malloc(i64 1, ptr @__memscope_sites)
; CHECK-NEXT:    %b = call ptr @__memscope_malloc(i64 1, ptr getelementptr inbounds ([3 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1))
; CHECK-LABEL: define void @second(
; CHECK-NEXT:    %a = call ptr @__memscope_malloc(i64 1, ptr getelementptr inbounds ([3 x %memscope.site], ptr @__memscope_sites, i32 0, i32 2))

declare ptr @malloc(i64)
declare void @use(ptr, ptr)

define void @first() {
  %a = call ptr @malloc(i64 1)
  %b = call ptr @malloc(i64 1)
  call void @use(ptr %a, ptr %b)
  ret void
}

define void @second() {
  %a = call ptr @malloc(i64 1)
  call void @use(ptr %a, ptr null)
  ret void
}
