; The data the pass emits for a module: deduplicated private strings, constant
; frames {function, file, line, column}, the writable site array
; {id, frames, nframes, api, index = 0, flags = 0, tls_slot = 0, reserved = 0}, the
; writable module descriptor {abi_version = 3, nsites, sites, name, next = null,
; tls_block = null, tls_size = 0, reserved = 0}, and a constructor/destructor pair at
; priority 101 that registers and unregisters it.  (No "PIE Level" module flag: the
; calls are rewritten, not counted inline; inline-fast-path.ll has the inline sites.)
; RUN: %opt -passes=memscope -memscope-inline=never -S %s | FileCheck %s
; RUN: %opt -passes=memscope -memscope-inline=never -S %s | FileCheck %s --check-prefix=ID

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"
source_filename = "src/alloc.c"

; The strings: a relative file name is joined with the compilation directory, an
; absolute one is kept as written; each text is emitted once.
; CHECK-DAG: [[FILE:@__memscope_str[.0-9]*]] = private unnamed_addr constant [19 x i8] c"/build/src/alloc.c\00", align 1
; CHECK-DAG: [[MAKE:@__memscope_str[.0-9]*]] = private unnamed_addr constant [5 x i8] c"make\00", align 1
; CHECK-DAG: [[HDR:@__memscope_str[.0-9]*]] = private unnamed_addr constant [14 x i8] c"/abs/header.h\00", align 1
; CHECK-DAG: [[NOFILE:@__memscope_str[.0-9]*]] = private unnamed_addr constant [7 x i8] c"nofile\00", align 1

; CHECK: @__memscope_frames = private unnamed_addr constant [4 x %memscope.frame]
; CHECK-SAME: [%memscope.frame { ptr [[MAKE]], ptr [[FILE]], i32 4, i32 13 },
; CHECK-SAME:  %memscope.frame { ptr [[MAKE]], ptr [[FILE]], i32 5, i32 3 },
; CHECK-SAME:  %memscope.frame { ptr [[MAKE]], ptr [[HDR]], i32 9, i32 1 },
; CHECK-SAME:  %memscope.frame { ptr [[NOFILE]], ptr null, i32 2, i32 7 }]

; CHECK: @__memscope_sites = internal global [4 x %memscope.site]
; CHECK-SAME: [%memscope.site { i64 {{-?[0-9]+}}, ptr @__memscope_frames, i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 },
; CHECK-SAME:  %memscope.site { i64 {{-?[0-9]+}}, ptr getelementptr inbounds ([4 x %memscope.frame], ptr @__memscope_frames, i32 0, i32 1), i32 1, i32 4, i32 0, i32 0, i32 0, i32 0 },
; CHECK-SAME:  %memscope.site { i64 {{-?[0-9]+}}, ptr getelementptr inbounds ([4 x %memscope.frame], ptr @__memscope_frames, i32 0, i32 2), i32 1, i32 2, i32 0, i32 0, i32 0, i32 0 },
; CHECK-SAME:  %memscope.site { i64 {{-?[0-9]+}}, ptr getelementptr inbounds ([4 x %memscope.frame], ptr @__memscope_frames, i32 0, i32 3), i32 1, i32 3, i32 0, i32 0, i32 0, i32 0 }]

; The descriptor's name is the module's source file name, as given to the compiler.
; CHECK: [[NAME:@__memscope_str[.0-9]*]] = private unnamed_addr constant [12 x i8] c"src/alloc.c\00", align 1
; CHECK: @__memscope_module = internal global %memscope.module { i32 6, i32 4, ptr @__memscope_sites, ptr [[NAME]], ptr null, ptr null, i32 0, i32 0, ptr null }
; CHECK: @llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 101, ptr @__memscope_module_ctor, ptr null }]
; CHECK: @llvm.global_dtors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 101, ptr @__memscope_module_dtor, ptr null }]

; The rewritten calls keep their debug locations.
; CHECK-LABEL: define ptr @make(
; CHECK:         call ptr @__memscope_malloc(i64 16, ptr @__memscope_sites), !dbg [[L4:![0-9]+]]
; CHECK:         call void @__memscope_free({{.*}}), !dbg [[L5:![0-9]+]]
; CHECK:         call ptr @__memscope_calloc({{.*}}), !dbg [[L9:![0-9]+]]
; CHECK-LABEL: define ptr @nofile(
; CHECK:         call ptr @__memscope_realloc({{.*}}), !dbg [[L2:![0-9]+]]

; CHECK-LABEL: define internal void @__memscope_module_ctor() {
; CHECK-NEXT:    call void @__memscope_register_module_v6(ptr @__memscope_module)
; CHECK-NEXT:    ret void
; CHECK-LABEL: define internal void @__memscope_module_dtor() {
; CHECK-NEXT:    call void @__memscope_unregister_module_v6(ptr @__memscope_module)
; CHECK-NEXT:    ret void

; CHECK-DAG: [[L4]] = !DILocation(line: 4, column: 13,
; CHECK-DAG: [[L5]] = !DILocation(line: 5, column: 3,
; CHECK-DAG: [[L9]] = !DILocation(line: 9, column: 1,
; CHECK-DAG: [[L2]] = !DILocation(line: 2, column: 7,

; The IDs pinned: each is MD5 over the key documented in docs/pass.md (checked
; against an independent implementation of that recipe), so they change only when
; the recipe does, and then every profile's IDs change with them.  IR prints the
; uint64 as signed: -6846348962571129526 is 11600395111138422090.  Each site here is
; alone with its key (api, functions and files), so each has rank 0.
; ID: @__memscope_sites = internal global [4 x %memscope.site]
; ID-SAME: %memscope.site { i64 -6846348962571129526,
; ID-SAME: %memscope.site { i64 -6548220732514770348,
; ID-SAME: %memscope.site { i64 39996222385583549,
; ID-SAME: %memscope.site { i64 -7167636901369171089,

declare ptr @malloc(i64)
declare ptr @calloc(i64, i64)
declare ptr @realloc(ptr, i64)
declare void @free(ptr)

define ptr @make() !dbg !10 {
  %p = call ptr @malloc(i64 16), !dbg !14
  call void @free(ptr %p), !dbg !15
  %q = call ptr @calloc(i64 1, i64 8), !dbg !16
  ret ptr %q
}

define ptr @nofile(ptr %p) !dbg !20 {
  %q = call ptr @realloc(ptr %p, i64 32), !dbg !22
  ret ptr %q
}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!2, !3}

!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "hand-written", isOptimized: false, runtimeVersion: 0, emissionKind: FullDebug)
!1 = !DIFile(filename: "src/alloc.c", directory: "/build")
!2 = !{i32 7, !"Dwarf Version", i32 5}
!3 = !{i32 2, !"Debug Info Version", i32 3}
!5 = !DISubroutineType(types: !{})
!10 = distinct !DISubprogram(name: "make", scope: !1, file: !1, line: 3, type: !5, scopeLine: 3, spFlags: DISPFlagDefinition, unit: !0)
!11 = !DIFile(filename: "/abs/header.h", directory: "/build")
!12 = !DILexicalBlockFile(scope: !10, file: !11, discriminator: 0)
!14 = !DILocation(line: 4, column: 13, scope: !10)
!15 = !DILocation(line: 5, column: 3, scope: !10)
!16 = !DILocation(line: 9, column: 1, scope: !12)
!19 = !DIFile(filename: "", directory: "")
!20 = distinct !DISubprogram(name: "nofile", scope: !19, file: !19, line: 1, type: !5, scopeLine: 1, spFlags: DISPFlagDefinition, unit: !0)
!22 = !DILocation(line: 2, column: 7, scope: !20)
