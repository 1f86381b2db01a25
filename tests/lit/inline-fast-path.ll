; Inline fast paths (abi.h, "Inline sites"; docs/pass.md).  In a module built for an
; executable (a "PIE Level" module flag, as clang -fPIE sets), malloc and free calls
; are counted where they are: in front of each the pass puts a few plain loads and
; stores, through the module's local-exec thread-local header, into the thread's
; counter table, and calls the runtime only
; on the unlikely branches (a sample point, a size outside the site's range so far, a
; free that may be of a sampled block).  The call itself is kept (arguments,
; attributes, tail marker, name) but goes to __memscope_real_malloc/__memscope_real_free,
; the runtime's jumps to the allocator underneath: the program's malloc and free may
; be the runtime's interposed ones, which would count the call a second time.
; Everything else (reallocarray here, an invoke of malloc, the malloc inside an
; allocation wrapper, whose twin passes its caller's site) is rewritten as before.
; inline-apis.ll has the other APIs' fast paths (calloc, realloc, the aligned forms,
; C++ operator new and delete).
; RUN: split-file %s %t
; RUN: %opt -passes=memscope -S %t/main.ll -o %t/main.out.ll
; RUN: FileCheck %s < %t/main.out.ll
; RUN: FileCheck %s --check-prefix=DECL < %t/main.out.ll
; A second run leaves the counted calls alone.
; RUN: %opt -passes=memscope -S %t/main.out.ll -o %t/twice.ll
; RUN: %opt -S %t/main.out.ll -o %t/once.ll
; RUN: diff %t/once.ll %t/twice.ll
; -memscope-inline=never (or MEMSCOPE_PASS_INLINE=never): every call is rewritten.
; RUN: %opt -passes=memscope -memscope-inline=never -S %t/main.ll | FileCheck %s --check-prefix=NEVER
; RUN: env MEMSCOPE_PASS_INLINE=never %opt -passes=memscope -S %t/main.ll | FileCheck %s --check-prefix=NEVER
; MEMSCOPE_INLINE, the variable's former name, still works; when both are set the new
; name wins.
; RUN: env MEMSCOPE_INLINE=never %opt -passes=memscope -S %t/main.ll | FileCheck %s --check-prefix=NEVER
; RUN: env MEMSCOPE_PASS_INLINE=never MEMSCOPE_INLINE=always %opt -passes=memscope -S %t/main.ll \
; RUN:   | FileCheck %s --check-prefix=NEVER
; A module without "PIE Level" (here -fPIC's "PIC Level" only) may be linked into a
; shared library: under auto its fast paths count through the runtime's header
; (initial-exec, inline-shared.ll), under always through a local-exec header of its own
; (flag or variable; the flag wins over the variables).
; RUN: %opt -passes=memscope -S %t/pic.ll | FileCheck %s --check-prefix=PIC
; RUN: %opt -passes=memscope -memscope-inline=always -S %t/pic.ll | FileCheck %s --check-prefix=ALWAYS
; RUN: env MEMSCOPE_PASS_INLINE=always %opt -passes=memscope -S %t/pic.ll | FileCheck %s --check-prefix=ALWAYS
; RUN: env MEMSCOPE_INLINE=always %opt -passes=memscope -S %t/pic.ll | FileCheck %s --check-prefix=ALWAYS
; RUN: env MEMSCOPE_PASS_INLINE=always MEMSCOPE_INLINE=never %opt -passes=memscope -S %t/pic.ll \
; RUN:   | FileCheck %s --check-prefix=ALWAYS
; RUN: env MEMSCOPE_PASS_INLINE=never MEMSCOPE_INLINE=never %opt -passes=memscope -memscope-inline=always \
; RUN:   -S %t/pic.ll | FileCheck %s --check-prefix=ALWAYS

; Each inline site's tls_slot (the 7th field): 32 * (1 + its rank among the inline
; sites), in site order, malloc and free alike (a slot of the thread's counter table
; each); 0 for the others.  The two mallocs (and the two frees) of one_site are one
; site and share a slot.
; CHECK: @__memscope_sites = internal global [9 x %memscope.site]
; CHECK-SAME: ptr @__memscope_frames, i32 1, i32 1, i32 0, i32 0, i32 32, i32 0 },
; CHECK-SAME: i32 1, i32 4, i32 0, i32 0, i32 64, i32 0 },
; CHECK-SAME: i32 1, i32 5, i32 0, i32 0, i32 0, i32 0 },
; CHECK-SAME: i32 1, i32 1, i32 0, i32 0, i32 96, i32 0 },
; CHECK-SAME: i32 1, i32 4, i32 0, i32 0, i32 128, i32 0 },
; CHECK-SAME: i32 1, i32 1, i32 0, i32 0, i32 160, i32 0 },
; CHECK-SAME: i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 },
; CHECK-SAME: i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 },
; CHECK-SAME: i32 1, i32 19, i32 0, i32 0, i32 0, i32 0 }]
; The block: the 24-byte header only, local-exec, its counters pointing at the runtime's
; scratch until the runtime arms it; the descriptor points at the function that returns
; it, with its size.
; CHECK: @__memscope_inline_scratch = external global [0 x i64]
; CHECK: @__memscope_tls = internal thread_local(localexec) global { i64, i32, i32, ptr } { i64 0, i32 1, i32 0, ptr @__memscope_inline_scratch }, align 8
; CHECK: @__memscope_module = internal global %memscope.module { i32 6, i32 9, ptr @__memscope_sites, ptr {{@[^,]+}}, ptr null, ptr @__memscope_tls_block, i32 24, i32 0, ptr null }

; malloc: sample_left -= size (stored whatever the branch), slow when it was <= size;
; else load the header's counters (one load, after the branch), count the call and its
; bytes in the site's slot, widen the size range if needed, and make the original
; call, untouched (tail marker, attributes, name) but for its callee, now
; __memscope_real_malloc.  Every new instruction has the call's location; each block
; takes the header's address itself.
; CHECK-LABEL: define ptr @pair(i64 %n)
; CHECK-NEXT:    %ms.block = call {{.*}}ptr @llvm.threadlocal.address.p0(ptr {{.*}}@__memscope_tls), !dbg [[L2:![0-9]+]]
; CHECK-NEXT:    %ms.left = load i64, ptr %ms.block, align 8, !dbg [[L2]]
; CHECK-NEXT:    %ms.left.new = sub i64 %ms.left, %n, !dbg [[L2]]
; CHECK-NEXT:    store i64 %ms.left.new, ptr %ms.block, align 8, !dbg [[L2]]
; CHECK-NEXT:    %ms.sample = icmp ule i64 %ms.left, %n, !dbg [[L2]]
; CHECK-NEXT:    br i1 %ms.sample, label %ms.slow, label %ms.fast, !dbg [[L2]], !prof [[UNLIKELY:![0-9]+]]
; CHECK-EMPTY:
; CHECK-NEXT:  ms.fast:
; CHECK-NEXT:    %ms.block1 = call {{.*}}ptr @llvm.threadlocal.address.p0(ptr {{.*}}@__memscope_tls), !dbg [[L2]]
; CHECK-NEXT:    %ms.counters.ptr = getelementptr inbounds i8, ptr %ms.block1, i64 16, !dbg [[L2]]
; CHECK-NEXT:    %ms.counters = load ptr, ptr %ms.counters.ptr, align 8, !dbg [[L2]]
; CHECK-NEXT:    %ms.slot = getelementptr inbounds i8, ptr %ms.counters, i64 32, !dbg [[L2]]
; CHECK-NEXT:    %ms.calls = load i64, ptr %ms.slot, align 8, !dbg [[L2]]
; CHECK-NEXT:    %ms.calls.new = add i64 %ms.calls, 1, !dbg [[L2]]
; CHECK-NEXT:    store i64 %ms.calls.new, ptr %ms.slot, align 8, !dbg [[L2]]
; CHECK-NEXT:    %ms.bytes.ptr = getelementptr inbounds i8, ptr %ms.slot, i64 8, !dbg [[L2]]
; CHECK-NEXT:    %ms.bytes = load i64, ptr %ms.bytes.ptr, align 8, !dbg [[L2]]
; CHECK-NEXT:    %ms.bytes.new = add i64 %ms.bytes, %n, !dbg [[L2]]
; CHECK-NEXT:    store i64 %ms.bytes.new, ptr %ms.bytes.ptr, align 8, !dbg [[L2]]
; CHECK-NEXT:    %ms.lo.ptr = getelementptr inbounds i8, ptr %ms.slot, i64 16, !dbg [[L2]]
; CHECK-NEXT:    %ms.lo = load i64, ptr %ms.lo.ptr, align 8, !dbg [[L2]]
; CHECK-NEXT:    %ms.span.ptr = getelementptr inbounds i8, ptr %ms.slot, i64 24, !dbg [[L2]]
; CHECK-NEXT:    %ms.span = load i64, ptr %ms.span.ptr, align 8, !dbg [[L2]]
; CHECK-NEXT:    %ms.offset = sub i64 %n, %ms.lo, !dbg [[L2]]
; CHECK-NEXT:    %ms.outside = icmp ugt i64 %ms.offset, %ms.span, !dbg [[L2]]
; CHECK-NEXT:    br i1 %ms.outside, label %ms.widen, label %ms.call, !dbg [[L2]], !prof [[UNLIKELY]]
; CHECK-EMPTY:
; CHECK-NEXT:  ms.widen:
; CHECK-NEXT:    call void @__memscope_inline_widen(ptr %ms.slot, i64 %n), !dbg [[L2]]
; CHECK-NEXT:    br label %ms.call, !dbg [[L2]]
; CHECK-EMPTY:
; CHECK-NEXT:  ms.call:
; CHECK-NEXT:    %p = tail call ptr @__memscope_real_malloc(i64 %n) #[[KEPT:[0-9]+]], !dbg [[L2]]
; CHECK-NEXT:    br label %ms.join, !dbg [[L2]]
; CHECK-EMPTY:
; CHECK-NEXT:  ms.slow:
; CHECK-NEXT:    %ms.block2 = call {{.*}}ptr @llvm.threadlocal.address.p0(ptr {{.*}}@__memscope_tls), !dbg [[L2]]
; CHECK-NEXT:    %ms.sampled = call ptr @__memscope_malloc_inline_slow(i64 %n, ptr @__memscope_sites, ptr %ms.block2), !dbg [[L2]]
; CHECK-NEXT:    br label %ms.join, !dbg [[L2]]
; CHECK-EMPTY:
; CHECK-NEXT:  ms.join:
; CHECK-NEXT:    %ms.result = phi ptr [ %p, %ms.call ], [ %ms.sampled, %ms.slow ], !dbg [[L2]]
; CHECK-NEXT:    call void @use(ptr %ms.result)
; free: slow when the filter's byte at disarmed << 20 | (low 32 bits of the address
; >> 12) is set, the index one x86-64 shld (the slow path only records: the original
; call, kept but sent to __memscope_real_free, frees); else one more call in the site's
; slot of the table, through the header.
; CHECK-NEXT:    %ms.block4 = call {{.*}}ptr @llvm.threadlocal.address.p0(ptr {{.*}}@__memscope_tls), !dbg [[L4:![0-9]+]]
; CHECK-NEXT:    %ms.disarmed.ptr = getelementptr inbounds i8, ptr %ms.block4, i64 8, !dbg [[L4]]
; CHECK-NEXT:    %ms.disarmed = load i32, ptr %ms.disarmed.ptr, align 8, !dbg [[L4]]
; CHECK-NEXT:    %ms.addr = ptrtoint ptr %ms.result to i64, !dbg [[L4]]
; CHECK-NEXT:    %ms.disarmed64 = zext i32 %ms.disarmed to i64, !dbg [[L4]]
; CHECK-NEXT:    %ms.index64 = call i64 asm "shldl $$20, ${2:k}, ${0:k}", "=r,0,r"(i64 %ms.disarmed64, i64 %ms.addr), !dbg [[L4]]
; CHECK-NEXT:    %ms.filter.ptr = getelementptr inbounds i8, ptr @__memscope_free_filter, i64 %ms.index64, !dbg [[L4]]
; CHECK-NEXT:    %ms.filter = load i8, ptr %ms.filter.ptr, align 1, !dbg [[L4]]
; CHECK-NEXT:    %ms.maysample = icmp ne i8 %ms.filter, 0, !dbg [[L4]]
; CHECK-NEXT:    br i1 %ms.maysample, label %ms.fslow, label %ms.ffast, !dbg [[L4]], !prof [[UNLIKELY]]
; CHECK-EMPTY:
; CHECK-NEXT:  ms.ffast:
; CHECK-NEXT:    %ms.block5 = call {{.*}}ptr @llvm.threadlocal.address.p0(ptr {{.*}}@__memscope_tls), !dbg [[L4]]
; CHECK-NEXT:    %ms.counters.ptr6 = getelementptr inbounds i8, ptr %ms.block5, i64 16, !dbg [[L4]]
; CHECK-NEXT:    %ms.counters7 = load ptr, ptr %ms.counters.ptr6, align 8, !dbg [[L4]]
; CHECK-NEXT:    %ms.slot8 = getelementptr inbounds i8, ptr %ms.counters7, i64 64, !dbg [[L4]]
; CHECK-NEXT:    %ms.calls9 = load i64, ptr %ms.slot8, align 8, !dbg [[L4]]
; CHECK-NEXT:    %ms.calls.new10 = add i64 %ms.calls9, 1, !dbg [[L4]]
; CHECK-NEXT:    store i64 %ms.calls.new10, ptr %ms.slot8, align 8, !dbg [[L4]]
; CHECK-NEXT:    br label %ms.join3, !dbg [[L4]]
; CHECK-EMPTY:
; A free(NULL) with the header armed (disarmed 0: read again, volatile, so that the
; first load's register is not kept alive) has nothing to count or record; a NULL of a
; disarmed header (full mode records it) and every other pointer call the runtime.
; CHECK-NEXT:  ms.fslow:
; CHECK-NEXT:    %ms.null = icmp eq ptr %ms.result, null, !dbg [[L4]]
; CHECK-NEXT:    br i1 %ms.null, label %ms.fnull, label %ms.fcall, !dbg [[L4]]
; CHECK-EMPTY:
; CHECK-NEXT:  ms.fnull:
; CHECK-NEXT:    %ms.block11 = call {{.*}}ptr @llvm.threadlocal.address.p0(ptr {{.*}}@__memscope_tls), !dbg [[L4]]
; CHECK-NEXT:    %ms.disarmed.ptr12 = getelementptr inbounds i8, ptr %ms.block11, i64 8, !dbg [[L4]]
; CHECK-NEXT:    %ms.disarmed.again = load volatile i32, ptr %ms.disarmed.ptr12, align 8, !dbg [[L4]]
; CHECK-NEXT:    %ms.armed = icmp eq i32 %ms.disarmed.again, 0, !dbg [[L4]]
; CHECK-NEXT:    br i1 %ms.armed, label %ms.join3, label %ms.fcall, !dbg [[L4]]
; CHECK-EMPTY:
; CHECK-NEXT:  ms.fcall:
; CHECK-NEXT:    %ms.block13 = call {{.*}}ptr @llvm.threadlocal.address.p0(ptr {{.*}}@__memscope_tls), !dbg [[L4]]
; CHECK-NEXT:    call void @__memscope_free_inline_slow(ptr %ms.result, ptr getelementptr inbounds ([9 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1), ptr %ms.block13), !dbg [[L4]]
; CHECK-NEXT:    br label %ms.join3, !dbg [[L4]]
; CHECK-EMPTY:
; CHECK-NEXT:  ms.join3:
; CHECK-NEXT:    call void @__memscope_real_free(ptr %ms.result) #[[COUNTED:[0-9]+]], !dbg [[L4]]
; reallocarray is no inline API: rewritten as always.
; CHECK-NEXT:    %c = call ptr @__memscope_reallocarray(ptr null, i64 1, i64 %n, ptr getelementptr inbounds ([9 x %memscope.site], ptr @__memscope_sites, i32 0, i32 2)), !dbg
; CHECK-NEXT:    ret ptr %c

; Calls of one site share its slot and pass the same site.
; CHECK-LABEL: define void @one_site(
; CHECK:         %ms.slot = getelementptr inbounds i8, ptr %ms.counters, i64 96,
; CHECK:         call void @__memscope_inline_widen(ptr %ms.slot, i64 %n)
; CHECK:         %a = call ptr @__memscope_real_malloc(i64 %n) #[[COUNTED]]
; CHECK:         call ptr @__memscope_malloc_inline_slow(i64 %n, ptr getelementptr inbounds ([9 x %memscope.site], ptr @__memscope_sites, i32 0, i32 3), ptr %ms.block2)
; CHECK:         %ms.slot{{[0-9]+}} = getelementptr inbounds i8, ptr %ms.counters{{[0-9]+}}, i64 96,
; CHECK:         %ms.bytes.new{{[0-9]+}} = add i64 %ms.bytes{{[0-9]+}}, 8,
; CHECK:         call void @__memscope_inline_widen(ptr %ms.slot{{[0-9]+}}, i64 8)
; CHECK:         %b = call ptr @__memscope_real_malloc(i64 8) #[[COUNTED]]
; CHECK:         call ptr @__memscope_malloc_inline_slow(i64 8, ptr getelementptr inbounds ([9 x %memscope.site], ptr @__memscope_sites, i32 0, i32 3), ptr %ms.block{{[0-9]+}})
; CHECK:         getelementptr inbounds i8, ptr %ms.counters{{[0-9]+}}, i64 128,
; CHECK:         call void @__memscope_free_inline_slow(ptr %ms.result, ptr getelementptr inbounds ([9 x %memscope.site], ptr @__memscope_sites, i32 0, i32 4), ptr %ms.block{{[0-9]+}})
; CHECK:         call void @__memscope_real_free(ptr %ms.result) #[[COUNTED]]
; CHECK:         getelementptr inbounds i8, ptr %ms.counters{{[0-9]+}}, i64 128,
; CHECK:         call void @__memscope_free_inline_slow(ptr %[[R2:ms.result[0-9]+]], ptr getelementptr inbounds ([9 x %memscope.site], ptr @__memscope_sites, i32 0, i32 4), ptr %ms.block{{[0-9]+}})
; CHECK:         call void @__memscope_real_free(ptr %[[R2]]) #[[COUNTED]]
; CHECK-NEXT:    ret void

; A result nobody uses needs no phi.
; CHECK-LABEL: define void @unused(
; CHECK:       ms.call:
; CHECK-NEXT:    call ptr @__memscope_real_malloc(i64 %n) #[[COUNTED]]
; CHECK:       ms.join:
; CHECK-NEXT:    ret void

; An invoke is rewritten (the fast path would need the call's unwind edge).
; CHECK-LABEL: define ptr @invoked(
; CHECK-NEXT:    %p = invoke ptr @__memscope_malloc(i64 %n, ptr getelementptr inbounds ([9 x %memscope.site], ptr @__memscope_sites, i32 0, i32 6))

; A wrapper's malloc calls the runtime, so that its twin passes its caller's site.
; CHECK-LABEL: define noalias ptr @xmalloc(
; CHECK-NEXT:    %p = call ptr @__memscope_malloc(i64 %n, ptr getelementptr inbounds ([9 x %memscope.site], ptr @__memscope_sites, i32 0, i32 7))
; CHECK-LABEL: define ptr @calls_wrapper(
; CHECK-NEXT:    %p = call ptr @xmalloc.memscope(i64 4, ptr getelementptr inbounds ([9 x %memscope.site], ptr @__memscope_sites, i32 0, i32 8))

; The descriptor's tls_block: the calling thread's header.
; CHECK-LABEL: define internal ptr @__memscope_tls_block() {
; CHECK-NEXT:    [[BLOCK:%.*]] = call {{.*}}ptr @llvm.threadlocal.address.p0(ptr {{.*}}@__memscope_tls)
; CHECK-NEXT:    ret ptr [[BLOCK]]

; CHECK-LABEL: define noalias ptr @xmalloc.memscope(i64 %n, ptr %memscope.site)
; CHECK-NEXT:    %p = call ptr @__memscope_malloc(i64 %n, ptr %memscope.site)

; The counted calls keep their own attributes, plus the mark.
; CHECK-DAG: attributes #[[KEPT]] = { allocsize(0) "memscope-counted" }
; CHECK-DAG: attributes #[[COUNTED]] = { "memscope-counted" }
; CHECK-DAG: [[UNLIKELY]] = !{!"branch_weights", i32 1, i32 2000}
; CHECK-DAG: [[L2]] = !DILocation(line: 2, column: 13,
; CHECK-DAG: [[L4]] = !DILocation(line: 4, column: 3,

; DECL-DAG: declare noalias ptr @__memscope_malloc_inline_slow(i64, ptr, ptr){{$}}
; DECL-DAG: declare void @__memscope_free_inline_slow(ptr, ptr, ptr){{$}}
; DECL-DAG: declare void @__memscope_inline_widen(ptr, i64){{$}}
; The kept calls' callees: malloc's and free's prototypes, and malloc's noalias result.
; DECL-DAG: declare noalias ptr @__memscope_real_malloc(i64){{$}}
; DECL-DAG: declare void @__memscope_real_free(ptr){{$}}
; DECL-DAG: declare noalias ptr @__memscope_malloc(i64, ptr){{$}}
; DECL-DAG: declare ptr @__memscope_reallocarray(ptr, i64, i64, ptr){{$}}
; DECL-NOT: declare {{.*}}@__memscope_free(

; NEVER-NOT: thread_local
; NEVER: @__memscope_module = internal global %memscope.module { i32 6, i32 9, ptr @__memscope_sites, ptr {{@[^,]+}}, ptr null, ptr null, i32 0, i32 0, ptr null }
; NEVER-LABEL: define ptr @pair(
; NEVER-NEXT:    %p = tail call ptr @__memscope_malloc(i64 %n, ptr @__memscope_sites), !dbg
; NEVER-NEXT:    call void @use(ptr %p)
; NEVER-NEXT:    call void @__memscope_free(ptr %p, ptr getelementptr inbounds ([9 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1)), !dbg
; NEVER-NEXT:    %c = call ptr @__memscope_reallocarray(
; NEVER-NOT:     {{inline|threadlocal|memscope-counted|memscope_real_}}

; PIC-NOT: thread_local(localexec)
; PIC: @__memscope_shared_tls = external thread_local(initialexec) global { i64, i32, i32, ptr }
; PIC: @__memscope_module = internal global %memscope.module { i32 6, i32 2, ptr @__memscope_sites, ptr {{@[^,]+}}, ptr null, ptr null, i32 0, i32 0, ptr @__memscope_slot_base }
; PIC-LABEL: define void @f(
; PIC:         %p = call ptr @__memscope_real_malloc(i64 %n) #
; PIC:         call void @__memscope_real_free(ptr %ms.result) #
; PIC-NOT:     {{@__memscope_malloc\(|@__memscope_free\(}}

; ALWAYS: @__memscope_tls = internal thread_local(localexec) global { i64, i32, i32, ptr } { i64 0, i32 1, i32 0, ptr @__memscope_inline_scratch }, align 8
; ALWAYS: @__memscope_module = internal global %memscope.module { i32 6, i32 2, ptr @__memscope_sites, ptr {{@[^,]+}}, ptr null, ptr @__memscope_tls_block, i32 24, i32 0, ptr null }
; ALWAYS-LABEL: define void @f(
; ALWAYS:        %p = call ptr @__memscope_real_malloc(i64 %n) #
; ALWAYS:        call ptr @__memscope_malloc_inline_slow(i64 %n, ptr @__memscope_sites,
; ALWAYS:        call void @__memscope_free_inline_slow(ptr %ms.result,
; ALWAYS:        call void @__memscope_real_free(ptr %ms.result) #

;--- main.ll
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"
source_filename = "fast.c"

declare ptr @malloc(i64)
declare void @free(ptr)
declare ptr @reallocarray(ptr, i64, i64)
declare void @use(ptr)
declare i32 @__gxx_personality_v0(...)

define ptr @pair(i64 %n) !dbg !10 {
  %p = tail call ptr @malloc(i64 %n) #0, !dbg !11
  call void @use(ptr %p)
  call void @free(ptr %p), !dbg !12
  %c = call ptr @reallocarray(ptr null, i64 1, i64 %n), !dbg !13
  ret ptr %c
}

define void @one_site(i64 %n) !dbg !20 {
  %a = call ptr @malloc(i64 %n), !dbg !21
  %b = call ptr @malloc(i64 8), !dbg !21
  call void @free(ptr %a), !dbg !22
  call void @free(ptr %b), !dbg !22
  ret void
}

define void @unused(i64 %n) !dbg !30 {
  call ptr @malloc(i64 %n), !dbg !31
  ret void
}

define ptr @invoked(i64 %n) personality ptr @__gxx_personality_v0 !dbg !40 {
  %p = invoke ptr @malloc(i64 %n)
          to label %ok unwind label %lp, !dbg !41
ok:
  ret ptr %p
lp:
  %l = landingpad { ptr, i32 } cleanup
  ret ptr null
}

define noalias ptr @xmalloc(i64 %n) !dbg !50 {
  %p = call ptr @malloc(i64 %n), !dbg !51
  ret ptr %p
}

define ptr @calls_wrapper() !dbg !60 {
  %p = call ptr @xmalloc(i64 4), !dbg !61
  ret ptr %p
}

attributes #0 = { allocsize(0) }

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!2, !3, !4}

!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "hand-written", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug)
!1 = !DIFile(filename: "fast.c", directory: "/src")
!2 = !{i32 7, !"Dwarf Version", i32 5}
!3 = !{i32 2, !"Debug Info Version", i32 3}
!4 = !{i32 7, !"PIE Level", i32 2}
!5 = !DISubroutineType(types: !{})
!10 = distinct !DISubprogram(name: "pair", scope: !1, file: !1, line: 1, type: !5, scopeLine: 1, spFlags: DISPFlagDefinition, unit: !0)
!11 = !DILocation(line: 2, column: 13, scope: !10)
!12 = !DILocation(line: 4, column: 3, scope: !10)
!13 = !DILocation(line: 5, column: 13, scope: !10)
!20 = distinct !DISubprogram(name: "one_site", scope: !1, file: !1, line: 10, type: !5, scopeLine: 10, spFlags: DISPFlagDefinition, unit: !0)
!21 = !DILocation(line: 11, column: 7, scope: !20)
!22 = !DILocation(line: 12, column: 3, scope: !20)
!30 = distinct !DISubprogram(name: "unused", scope: !1, file: !1, line: 20, type: !5, scopeLine: 20, spFlags: DISPFlagDefinition, unit: !0)
!31 = !DILocation(line: 21, column: 3, scope: !30)
!40 = distinct !DISubprogram(name: "invoked", scope: !1, file: !1, line: 30, type: !5, scopeLine: 30, spFlags: DISPFlagDefinition, unit: !0)
!41 = !DILocation(line: 31, column: 10, scope: !40)
!50 = distinct !DISubprogram(name: "xmalloc", scope: !1, file: !1, line: 40, type: !5, scopeLine: 40, spFlags: DISPFlagDefinition, unit: !0)
!51 = !DILocation(line: 41, column: 10, scope: !50)
!60 = distinct !DISubprogram(name: "calls_wrapper", scope: !1, file: !1, line: 50, type: !5, scopeLine: 50, spFlags: DISPFlagDefinition, unit: !0)
!61 = !DILocation(line: 51, column: 10, scope: !60)

;--- pic.ll
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)
declare void @free(ptr)

define void @f(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  call void @free(ptr %p)
  ret void
}

!llvm.module.flags = !{!0}
!0 = !{i32 8, !"PIC Level", i32 2}
