; Inferred allocation wrappers: a defined function whose every returned value is null
; or what an allocation call (or a listed wrapper, or another inferred wrapper)
; returned is a wrapper of its callers in this module.  A call of it makes one site per
; allocation reached through it (API of that allocation, frames as if inlined: no
; debug info here, so one frame per level) and calls the wrapper's internal twin
; "<name>.memscope", in which only those allocations (the leaves) take the caller's
; site; the twin of a wrapper with several leaves takes a list of sites.  The plain
; function keeps its own sites, for callers the pass does not see.
; RUN: %opt -passes=memscope -memscope-inline=never -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: FileCheck %s --check-prefix=SITES < %t.ll
; RUN: FileCheck %s --check-prefix=LISTS < %t.ll
; RUN: %opt -passes=memscope -memscope-inline=never -memscope-infer-wrappers=false -S %s | FileCheck %s --check-prefix=OFF
; RUN: env MEMSCOPE_PASS_INFER_WRAPPERS=0 %opt -passes=memscope -memscope-inline=never -S %s | FileCheck %s --check-prefix=OFF
; RUN: env MEMSCOPE_PASS_INFER_WRAPPERS=0 %opt -passes=memscope -memscope-inline=never -memscope-infer-wrappers=true -S %s | FileCheck %s
; Idempotent: a second run changes nothing.
; RUN: %opt -passes=memscope -memscope-inline=never -S %t.ll -o %t.twice.ll
; RUN: %opt -S %t.ll -o %t.once.ll
; RUN: diff %t.once.ll %t.twice.ll

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)
declare ptr @calloc(i64, i64)
declare ptr @realloc(ptr, i64)
declare void @free(ptr)
declare void @abort()
declare ptr @_Znwm(i64)

@cache = global ptr null
@buffer = global [64 x i8] zeroinitializer

; A direct wrapper, as clang -O0 writes it: the result goes through a local variable.
; The plain function keeps its own site (0).
; CHECK-LABEL: define ptr @xmalloc(i64 %n)
; CHECK:         %p = call ptr @__memscope_malloc(i64 %n, ptr @__memscope_sites)
define ptr @xmalloc(i64 %n) {
  %slot = alloca ptr
  %p = call ptr @malloc(i64 %n)
  store ptr %p, ptr %slot
  %bad = icmp eq ptr %p, null
  br i1 %bad, label %die, label %ok
die:
  call void @abort()
  unreachable
ok:
  %r = load ptr, ptr %slot
  ret ptr %r
}

; Null or malloc (a phi, a select and a cast of them): a wrapper.
; CHECK-LABEL: define ptr @maybe(i64 %n)
define ptr @maybe(i64 %n) {
  %zero = icmp eq i64 %n, 0
  br i1 %zero, label %done, label %get
get:
  %p = call ptr @malloc(i64 %n)
  br label %done
done:
  %r = phi ptr [ null, %0 ], [ %p, %get ]
  %s = select i1 %zero, ptr null, ptr %r
  %c = addrspacecast ptr %s to ptr addrspace(1)
  %back = addrspacecast ptr addrspace(1) %c to ptr
  ret ptr %back
}

; Two levels: xmalloc2 returns what xmalloc returned; its twin passes its site on.
; CHECK-LABEL: define ptr @xmalloc2(i64 %n)
; CHECK-NEXT:    %m = add i64 %n, 8
; CHECK-NEXT:    %p = call ptr @xmalloc.memscope(i64 %m, ptr getelementptr {{.*}} i32 [[X2:[0-9]+]]))
define ptr @xmalloc2(i64 %n) {
  %m = add i64 %n, 8
  %p = call ptr @xmalloc(i64 %m)
  %q = getelementptr i8, ptr %p, i64 0
  ret ptr %q
}

; Two blocks, one returned: only the returned calloc moves to the callers; the
; scratch malloc and its free keep this function's sites, in the twin too.
; CHECK-LABEL: define ptr @two(i64 %n)
; CHECK-NEXT:    %scratch = call ptr @__memscope_malloc(i64 16, ptr getelementptr {{.*}} i32 [[SCRATCH:[0-9]+]]))
; CHECK-NEXT:    call void @__memscope_free(ptr %scratch, ptr getelementptr {{.*}} i32 [[SCRATCHFREE:[0-9]+]]))
; CHECK-NEXT:    %p = call ptr @__memscope_calloc(i64 1, i64 %n, ptr getelementptr
define ptr @two(i64 %n) {
  %scratch = call ptr @malloc(i64 16)
  call void @free(ptr %scratch)
  %p = call ptr @calloc(i64 1, i64 %n)
  ret ptr %p
}

; Two leaves (realloc or malloc): a call of it makes two sites, and passes them as a
; list; one level up the list is passed on whole.
; CHECK-LABEL: define ptr @either(ptr %old, i64 %n)
define ptr @either(ptr %old, i64 %n) {
  %has = icmp ne ptr %old, null
  br i1 %has, label %grow, label %fresh
grow:
  %r = call ptr @realloc(ptr %old, i64 %n)
  ret ptr %r
fresh:
  %m = call ptr @malloc(i64 %n)
  ret ptr %m
}

define ptr @either2(ptr %old, i64 %n) {
  %p = call ptr @either(ptr %old, i64 %n)
  ret ptr %p
}

; A declared wrapper (allocsize) that calls either: its twin passes its one caller's
; site as either's whole list.  Its call in caller is one wrapper site (API 19).
; CHECK-LABEL: define ptr @listed(ptr %old, i64 %n)
; CHECK-NEXT:    %p = call ptr @either.memscope(ptr %old, i64 %n, ptr @__memscope_wrapper_sites{{[.0-9]*}})
define ptr @listed(ptr %old, i64 %n) allocsize(1) {
  %p = call ptr @either(ptr %old, i64 %n)
  ret ptr %p
}

; C++: an allocator's allocate returning operator new's pointer.  Every use of it
; calls its twin now, and no other module needs this copy: it is deleted, and its new
; gets no site of its own.
; CHECK-NOT: define linkonce_odr ptr @allocate(
define linkonce_odr ptr @allocate(i64 %n) comdat {
  %bytes = mul i64 %n, 4
  %p = call ptr @_Znwm(i64 %bytes)
  ret ptr %p
}
$allocate = comdat any

; Not wrappers: a pointer they did not allocate may come back.
; CHECK-LABEL: define ptr @from_cache(i64 %n)
; CHECK:         call ptr @__memscope_malloc(
define ptr @from_cache(i64 %n) {
  %c = load ptr, ptr @cache
  %hit = icmp ne ptr %c, null
  br i1 %hit, label %done, label %miss
miss:
  %p = call ptr @malloc(i64 %n)
  br label %done
done:
  %r = phi ptr [ %c, %0 ], [ %p, %miss ]
  ret ptr %r
}

define ptr @global_buffer() {
  ret ptr @buffer
}

define ptr @identity(ptr %p) {
  ret ptr %p
}

; An offset into the block is not the block.
define ptr @past_header(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  %q = getelementptr i8, ptr %p, i64 16
  ret ptr %q
}

; A local variable whose address escapes may hold anything.
declare void @fill(ptr)
define ptr @escaped(i64 %n) {
  %slot = alloca ptr
  %p = call ptr @malloc(i64 %n)
  store ptr %p, ptr %slot
  call void @fill(ptr %slot)
  %r = load ptr, ptr %slot
  ret ptr %r
}

; Returns only null: nothing allocated.
define ptr @nothing() {
  ret ptr null
}

; Calls itself: the width of its calls would be unbounded.
define ptr @recursive(i64 %n) {
  %zero = icmp eq i64 %n, 0
  br i1 %zero, label %base, label %rec
base:
  %p = call ptr @malloc(i64 1)
  ret ptr %p
rec:
  %m = sub i64 %n, 1
  %q = call ptr @recursive(i64 %m)
  ret ptr %q
}

; Opted out: no wrapper (and no site).
define ptr @skipped(i64 %n) "memscope-skip" {
  %p = call ptr @malloc(i64 %n)
  ret ptr %p
}

; CHECK-LABEL: define void @caller(ptr %old)
; CHECK-NEXT:    call ptr @xmalloc.memscope(i64 1, ptr getelementptr {{.*}} i32 [[C1:[0-9]+]]))
; CHECK-NEXT:    call ptr @xmalloc.memscope(i64 2, ptr getelementptr {{.*}} i32 [[C2:[0-9]+]]))
; CHECK-NEXT:    call ptr @maybe.memscope(i64 3, ptr getelementptr
; CHECK-NEXT:    call ptr @xmalloc2.memscope(i64 4, ptr getelementptr
; CHECK-NEXT:    call ptr @two.memscope(i64 5, ptr getelementptr
; CHECK-NEXT:    call ptr @either.memscope(ptr %old, i64 6, ptr @__memscope_wrapper_sites.{{[0-9]+}})
; CHECK-NEXT:    call ptr @either2.memscope(ptr %old, i64 7, ptr @__memscope_wrapper_sites.{{[0-9]+}})
; CHECK-NEXT:    call ptr @listed.memscope(ptr %old, i64 7, ptr getelementptr
; CHECK-NEXT:    call ptr @allocate.memscope(i64 8, ptr getelementptr
; CHECK-NEXT:    call ptr @from_cache(i64 9)
; CHECK-NEXT:    call ptr @global_buffer()
; CHECK-NEXT:    call ptr @identity(ptr %old)
; CHECK-NEXT:    call ptr @past_header(i64 10)
; CHECK-NEXT:    call ptr @escaped(i64 11)
; CHECK-NEXT:    call ptr @nothing()
; CHECK-NEXT:    call ptr @recursive(i64 12)
; CHECK-NEXT:    call ptr @skipped(i64 13)
; OFF-LABEL: define void @caller(ptr %old)
; OFF-NEXT:      call ptr @xmalloc(i64 1)
; OFF-NOT:       .memscope(
; OFF:           call ptr @listed.memscope(
; OFF-NOT:       .memscope(
; OFF:           ret void
define void @caller(ptr %old) {
  call ptr @xmalloc(i64 1)
  call ptr @xmalloc(i64 2)
  call ptr @maybe(i64 3)
  call ptr @xmalloc2(i64 4)
  call ptr @two(i64 5)
  call ptr @either(ptr %old, i64 6)
  call ptr @either2(ptr %old, i64 7)
  call ptr @listed(ptr %old, i64 7)
  call ptr @allocate(i64 8)
  call ptr @from_cache(i64 9)
  call ptr @global_buffer()
  call ptr @identity(ptr %old)
  call ptr @past_header(i64 10)
  call ptr @escaped(i64 11)
  call ptr @nothing()
  call ptr @recursive(i64 12)
  call ptr @skipped(i64 13)
  ret void
}

; Each list holds the two sites of one call (either2's and listed's own calls of
; either, and caller's of either and either2), in leaf order: realloc, malloc.
; LISTS-COUNT-4: @__memscope_wrapper_sites{{[.0-9]*}} = private unnamed_addr constant [2 x ptr] [ptr getelementptr inbounds ([27 x %memscope.site], ptr @__memscope_sites, i32 0, i32 {{[0-9]+}}), ptr getelementptr inbounds ([27 x %memscope.site], ptr @__memscope_sites, i32 0, i32 {{[0-9]+}})]

; The sites {nframes, api}, in order: the plain functions' own (xmalloc2's, either2's
; and listed's calls go through a wrapper: frames of the leaf, then of the call), then
; caller's: xmalloc (2 frames), maybe, xmalloc2 (3: malloc, xmalloc2's call,
; caller's), two (its calloc only), either (realloc and malloc), either2 (3 frames
; each), listed (one wrapper site), allocate (new, API 13; the plain allocate is
; deleted, its new has no site).  Nothing for the functions that are no wrappers.
; SITES: @__memscope_sites = internal global [27 x %memscope.site]
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 4, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 2, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 3, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 3, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 3, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 3, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 2, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 3, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 3, i32 3, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 3, i32 1, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 1, i32 19, i32 0, i32 0, i32 0, i32 0 }
; SITES-SAME: { i64 {{-?[0-9]+}}, ptr {{[^{]*}}, i32 2, i32 13, i32 0, i32 0, i32 0, i32 0 }

; Twins: internal; only the leaves take the parameter (in the order the pass made them).
; CHECK-LABEL: define internal ptr @xmalloc.memscope(i64 %n, ptr %memscope.site)
; CHECK:         %p = call ptr @__memscope_malloc(i64 %n, ptr %memscope.site)
; CHECK-LABEL: define internal ptr @either.memscope(ptr %old, i64 %n, ptr %memscope.site)
; CHECK:         [[E0:%.*]] = getelementptr inbounds ptr, ptr %memscope.site, i32 0
; CHECK-NEXT:    [[S0:%.*]] = load ptr, ptr [[E0]]
; CHECK-NEXT:    %r = call ptr @__memscope_realloc(ptr %old, i64 %n, ptr [[S0]])
; CHECK:         [[E1:%.*]] = getelementptr inbounds ptr, ptr %memscope.site, i32 1
; CHECK-NEXT:    [[S1:%.*]] = load ptr, ptr [[E1]]
; CHECK-NEXT:    %m = call ptr @__memscope_malloc(i64 %n, ptr [[S1]])
; CHECK-LABEL: define internal ptr @maybe.memscope(i64 %n, ptr %memscope.site)
; CHECK:         %p = call ptr @__memscope_malloc(i64 %n, ptr %memscope.site)
; CHECK-LABEL: define internal ptr @xmalloc2.memscope(i64 %n, ptr %memscope.site)
; CHECK:         %p = call ptr @xmalloc.memscope(i64 %m, ptr %memscope.site)
; CHECK-LABEL: define internal ptr @two.memscope(i64 %n, ptr %memscope.site)
; CHECK-NEXT:    %scratch = call ptr @__memscope_malloc(i64 16, ptr getelementptr {{.*}} i32 [[SCRATCH]]))
; CHECK-NEXT:    call void @__memscope_free(ptr %scratch, ptr getelementptr {{.*}} i32 [[SCRATCHFREE]]))
; CHECK-NEXT:    %p = call ptr @__memscope_calloc(i64 1, i64 %n, ptr %memscope.site)
; CHECK-LABEL: define internal ptr @either2.memscope(ptr %old, i64 %n, ptr %memscope.site)
; CHECK:         [[L:%.*]] = getelementptr inbounds ptr, ptr %memscope.site, i32 0
; CHECK-NEXT:    %p = call ptr @either.memscope(ptr %old, i64 %n, ptr [[L]])
; CHECK-LABEL: define ptr @listed.memscope(ptr %old, i64 %n, ptr %memscope.site)
; CHECK-NEXT:    %memscope.sites = alloca ptr, i32 2
; CHECK-NEXT:    [[FIRST:%.*]] = getelementptr inbounds ptr, ptr %memscope.sites, i32 0
; CHECK-NEXT:    store ptr %memscope.site, ptr [[FIRST]]
; CHECK-NEXT:    [[SECOND:%.*]] = getelementptr inbounds ptr, ptr %memscope.sites, i32 1
; CHECK-NEXT:    store ptr %memscope.site, ptr [[SECOND]]
; CHECK-NEXT:    %p = call ptr @either.memscope(ptr %old, i64 %n, ptr %memscope.sites)
; No comdat: each module keeps its own copy of a linkonce_odr wrapper's twin.
; CHECK-LABEL: define internal ptr @allocate.memscope(i64 %n, ptr %memscope.site) {
; CHECK:         call ptr @__memscope_cxx._Znwm(i64 %bytes, ptr %memscope.site)
; CHECK-NOT:   define {{.*}}@from_cache.memscope
; CHECK-NOT:   define {{.*}}@recursive.memscope
