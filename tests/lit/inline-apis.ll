; The inline fast paths of calloc, realloc, the aligned forms and C++ operator new and
; delete (abi.h, "Inline sites"; docs/pass.md, "Inline fast paths"), in a PIE module.
; Three shapes: decided before the call, whose slow path makes the call itself (calloc,
; realloc: the kept call goes to __memscope_real_<name>); counted after the call when
; it returned a block (aligned_alloc, posix_memalign, operator new: the real function is
; called, an exception passes through unchanged); and free's, before the call
; (operator delete).  The operators are called themselves, between __memscope_inner = 1
; and = 0 (their malloc and free are not counted again).  A constant size at a site of
; one call tests lo only.
; RUN: %opt -passes=memscope -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: FileCheck %s --check-prefix=DECL < %t.ll
; A second run leaves the counted calls alone.
; RUN: %opt -passes=memscope -S %t.ll -o %t.twice.ll
; RUN: %opt -S %t.ll -o %t.once.ll
; RUN: diff %t.once.ll %t.twice.ll

; Every site is inline: tls_slot 32, 64, ... in site order.
; CHECK: @__memscope_sites = internal global [8 x %memscope.site]
; CHECK-SAME: i32 1, i32 2, i32 0, i32 0, i32 32, i32 0 },
; CHECK-SAME: i32 1, i32 3, i32 0, i32 0, i32 64, i32 0 },
; CHECK-SAME: i32 1, i32 6, i32 0, i32 0, i32 96, i32 0 },
; CHECK-SAME: i32 1, i32 7, i32 0, i32 0, i32 128, i32 0 },
; CHECK-SAME: i32 1, i32 1, i32 0, i32 0, i32 160, i32 0 },
; CHECK-SAME: i32 1, i32 13, i32 0, i32 0, i32 192, i32 0 },
; CHECK-SAME: i32 1, i32 15, i32 0, i32 0, i32 224, i32 0 },
; CHECK-SAME: i32 1, i32 14, i32 0, i32 0, i32 256, i32 0 }]

; calloc: n = k * m, UINT64_MAX when it overflows (then left <= n: the slow path, whose
; calloc fails); then malloc's countdown and count.
; CHECK-LABEL: define ptr @zeroed(i64 %n)
; CHECK-NEXT:    [[MUL:%.*]] = call { i64, i1 } @llvm.umul.with.overflow.i64(i64 %n, i64 16)
; CHECK-NEXT:    [[OVF:%.*]] = extractvalue { i64, i1 } [[MUL]], 1
; CHECK-NEXT:    [[PROD:%.*]] = extractvalue { i64, i1 } [[MUL]], 0
; CHECK-NEXT:    %ms.size = select i1 [[OVF]], i64 -1, i64 [[PROD]]
; CHECK-NEXT:    %ms.block = call {{.*}}@llvm.threadlocal.address.p0(ptr {{.*}}@__memscope_tls)
; CHECK-NEXT:    %ms.left = load i64, ptr %ms.block, align 8
; CHECK-NEXT:    %ms.left.new = sub i64 %ms.left, %ms.size
; CHECK-NEXT:    store i64 %ms.left.new, ptr %ms.block, align 8
; CHECK-NEXT:    %ms.sample = icmp ule i64 %ms.left, %ms.size
; CHECK-NEXT:    br i1 %ms.sample, label %ms.slow, label %ms.fast, !prof [[UNLIKELY:![0-9]+]]
; CHECK:       ms.fast:
; CHECK:         %ms.slot = getelementptr inbounds i8, ptr %ms.counters, i64 32
; CHECK:         %ms.bytes.new = add i64 %ms.bytes, %ms.size
; CHECK:         %ms.offset = sub i64 %ms.size, %ms.lo
; CHECK:       ms.call:
; CHECK-NEXT:    %p = call ptr @__memscope_real_calloc(i64 %n, i64 16) #[[COUNTED:[0-9]+]]
; CHECK:       ms.slow:
; CHECK-NEXT:    %ms.block2 = call {{.*}}@llvm.threadlocal.address.p0(ptr {{.*}}@__memscope_tls)
; CHECK-NEXT:    %ms.sampled = call ptr @__memscope_calloc_inline_slow(i64 %n, i64 16, ptr @__memscope_sites, ptr %ms.block2)
; CHECK:       ms.join:
; CHECK-NEXT:    %ms.result = phi ptr [ %p, %ms.call ], [ %ms.sampled, %ms.slow ]

; realloc: of NULL, an allocation (countdown, count); else the old block's filter byte
; (a block that may be sampled goes slow, as do realloc(p, 0) and a sample point), then
; the thread's release counter at counters + releases_at and the site's count, with the
; one load of counters.  Each countdown is next to its branch; the way to the slow path
; that did not take one (ms.rfirst) takes it, the slow path gives it back.
; CHECK-LABEL: define ptr @grow(ptr %old, i64 %n)
; CHECK-NEXT:    %ms.fresh = icmp eq ptr %old, null
; CHECK-NEXT:    br i1 %ms.fresh, label %ms.rnew, label %ms.rold
; CHECK:       ms.rnew:
; CHECK:         %ms.sample = icmp ule i64 %ms.left, %n
; CHECK-NEXT:    br i1 %ms.sample, label %ms.slow, label %ms.fast, !prof [[UNLIKELY]]
; CHECK:       ms.fast:
; CHECK:         %ms.slot = getelementptr inbounds i8, ptr %ms.counters, i64 64
; CHECK:         br i1 %ms.outside, label %ms.widen, label %ms.call, !prof [[UNLIKELY]]
; CHECK:       ms.rold:
; CHECK:         %ms.filter.ptr = getelementptr inbounds i8, ptr @__memscope_free_filter, i64 %ms.index64
; CHECK:         br i1 %ms.maysample, label %ms.rfirst, label %ms.rsize, !prof [[UNLIKELY]]
; CHECK:       ms.rsize:
; CHECK-NEXT:    %ms.frees = icmp eq i64 %n, 0
; CHECK-NEXT:    br i1 %ms.frees, label %ms.rfirst, label %ms.rleft, !prof [[UNLIKELY]]
; CHECK:       ms.rleft:
; CHECK:         [[SAMPLE:%ms.sample[0-9]+]] = icmp ule i64 %ms.left{{[0-9]+}}, %n
; CHECK-NEXT:    br i1 [[SAMPLE]], label %ms.slow, label %ms.release, !prof [[UNLIKELY]]
; CHECK:       ms.release:
; CHECK:         [[COUNTERS:%ms.counters[0-9]+]] = load ptr, ptr %ms.counters.ptr{{[0-9]+}}, align 8
; CHECK:         %ms.releases.at.ptr = getelementptr inbounds i8, ptr %ms.block{{[0-9]+}}, i64 12
; CHECK-NEXT:    %ms.releases.at = load i32, ptr %ms.releases.at.ptr, align 4
; CHECK-NEXT:    [[AT:%.*]] = sext i32 %ms.releases.at to i64
; CHECK-NEXT:    %ms.releases.ptr = getelementptr inbounds i8, ptr [[COUNTERS]], i64 [[AT]]
; CHECK-NEXT:    %ms.releases = load i64, ptr %ms.releases.ptr, align 8
; CHECK-NEXT:    %ms.releases.new = add i64 %ms.releases, 1
; CHECK-NEXT:    store i64 %ms.releases.new, ptr %ms.releases.ptr, align 8
; CHECK-NEXT:    %ms.slot{{[0-9]+}} = getelementptr inbounds i8, ptr [[COUNTERS]], i64 64
; CHECK:       ms.call:
; CHECK-NEXT:    %p = call ptr @__memscope_real_realloc(ptr %old, i64 %n) #[[COUNTED]]
; CHECK:       ms.rfirst:
; CHECK:         %ms.left.new{{[0-9]+}} = sub i64 %ms.left{{[0-9]+}}, %n
; CHECK-NEXT:    store i64
; CHECK-NEXT:    br label %ms.slow
; CHECK:       ms.slow:
; CHECK:         %ms.sampled = call ptr @__memscope_realloc_inline_slow(ptr %old, i64 %n, ptr getelementptr inbounds ([8 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1), ptr %ms.block{{[0-9]+}})
; CHECK:       ms.join:
; CHECK-NEXT:    %ms.result = phi ptr [ %p, %ms.call ], [ %ms.sampled, %ms.slow ]

; aligned_alloc: the call first, then the countdown; slow at a sample point or when the
; call failed (not counted, recorded), with the size and alignment asked for.
; CHECK-LABEL: define ptr @aligned(i64 %n)
; CHECK-NEXT:    %p = call ptr @__memscope_real_aligned_alloc(i64 64, i64 %n) #[[COUNTED]]
; CHECK:         %ms.sample = icmp ule i64 %ms.left, %n
; CHECK-NEXT:    %ms.failed = icmp eq ptr %p, null
; CHECK-NEXT:    %ms.slowly = or i1 %ms.sample, %ms.failed
; CHECK-NEXT:    br i1 %ms.slowly, label %ms.slow, label %ms.fast, !prof [[UNLIKELY]]
; CHECK:       ms.fast:
; CHECK:         %ms.slot = getelementptr inbounds i8, ptr %ms.counters, i64 96
; CHECK:       ms.slow:
; CHECK:         call void @__memscope_alloc_inline_slow(i64 %n, ptr %p, i64 64, ptr getelementptr inbounds ([8 x %memscope.site], ptr @__memscope_sites, i32 0, i32 2), ptr %ms.block2)
; CHECK:       ms.join:
; CHECK-NEXT:    ret ptr %p

; posix_memalign: a failure (an error number) goes slow with a NULL block; on success
; the countdown, and the block is *memptr, read only on the way to the slow path.
; CHECK-LABEL: define i32 @posix(ptr %out, i64 %n)
; CHECK-NEXT:    %rc = call i32 @__memscope_real_posix_memalign(ptr %out, i64 32, i64 %n) #[[COUNTED]]
; CHECK-NEXT:    %ms.succeeded = icmp eq i32 %rc, 0
; CHECK-NEXT:    br i1 %ms.succeeded, label %ms.ok, label %ms.pfailed
; CHECK:       ms.ok:
; CHECK:         %ms.sample = icmp ule i64 %ms.left, %n
; CHECK-NEXT:    br i1 %ms.sample, label %ms.psampled, label %ms.fast, !prof [[UNLIKELY]]
; CHECK:       ms.fast:
; CHECK:         %ms.slot = getelementptr inbounds i8, ptr %ms.counters, i64 128
; CHECK:       ms.psampled:
; CHECK-NEXT:    %ms.p = load ptr, ptr %out, align 8
; CHECK-NEXT:    br label %ms.slow
; CHECK:       ms.pfailed:
; CHECK:         %ms.left.new{{[0-9]+}} = sub i64 %ms.left{{[0-9]+}}, %n
; CHECK-NEXT:    store i64
; CHECK-NEXT:    br label %ms.slow
; CHECK:       ms.slow:
; CHECK-NEXT:    %ms.p.slow = phi ptr [ %ms.p, %ms.psampled ], [ null, %ms.pfailed ]
; CHECK:         call void @__memscope_alloc_inline_slow(i64 %n, ptr %ms.p.slow, i64 32,
; CHECK:       ms.join:
; CHECK-NEXT:    ret i32 %rc

; A constant size at a site of one call: bytes += 40 and one compare of lo with 40 (the
; range can only be [40, 40] once set); on x86-64 the countdown takes the constant
; through an empty asm, so that the subtraction's flags decide (docs/pass.md).
; CHECK-LABEL: define ptr @fixed()
; CHECK-NEXT:    %ms.size.reg = call i64 asm "", "=r,0"(i64 40)
; CHECK:         %ms.left.new = sub i64 %ms.left, %ms.size.reg
; CHECK:         %ms.sample = icmp ule i64 %ms.left, %ms.size.reg
; CHECK:         %ms.bytes.new = add i64 %ms.bytes, 40
; CHECK-NEXT:    store i64 %ms.bytes.new, ptr %ms.bytes.ptr, align 8
; CHECK-NEXT:    %ms.lo.ptr = getelementptr inbounds i8, ptr %ms.slot, i64 16
; CHECK-NEXT:    %ms.lo = load i64, ptr %ms.lo.ptr, align 8
; CHECK-NEXT:    %ms.outside = icmp ne i64 %ms.lo, 40
; CHECK-NEXT:    br i1 %ms.outside, label %ms.widen, label %ms.call, !prof [[UNLIKELY]]
; CHECK:         %p = call ptr @__memscope_real_malloc(i64 40) #[[COUNTED]]

; operator new under invoke: the flag set before, the operator itself invoked, its
; normal edge to a block that clears the flag and counts (a throwing new never returns
; NULL: no test), then to the original successor; the unwind edge is untouched.  The
; sized delete: free's filter test and count, then the operator between the flag's
; stores.
; CHECK-LABEL: define void @object()
; CHECK-NEXT:    [[INNER:%.*]] = call ptr @llvm.threadlocal.address.p0(ptr @__memscope_inner)
; CHECK-NEXT:    store i8 1, ptr [[INNER]], align 1
; CHECK-NEXT:    %p = invoke ptr @_Znwm(i64 24) #[[COUNTED]]
; CHECK-NEXT:            to label %ms.after unwind label %lp
; CHECK:       ms.after:
; CHECK-NEXT:    [[INNER2:%.*]] = call ptr @llvm.threadlocal.address.p0(ptr @__memscope_inner)
; CHECK-NEXT:    store i8 0, ptr [[INNER2]], align 1
; CHECK:         %ms.sample = icmp ule i64 %ms.left, %ms.size.reg
; CHECK-NEXT:    br i1 %ms.sample, label %ms.slow, label %ms.fast, !prof [[UNLIKELY]]
; CHECK:       ms.fast:
; CHECK:         %ms.slot = getelementptr inbounds i8, ptr %ms.counters, i64 192
; CHECK:         %ms.outside = icmp ne i64 %ms.lo, 24
; CHECK:       ms.slow:
; CHECK:         call void @__memscope_alloc_inline_slow(i64 24, ptr %p, i64 0, ptr getelementptr inbounds ([8 x %memscope.site], ptr @__memscope_sites, i32 0, i32 5), ptr %ms.block2)
; CHECK:       ms.join:
; CHECK-NEXT:    br label %ok
; CHECK:       ok:
; CHECK-NEXT:    call void @use(ptr %p)
; CHECK:         %ms.maysample = icmp ne i8 %ms.filter, 0
; CHECK-NEXT:    br i1 %ms.maysample, label %ms.fslow, label %ms.ffast, !prof [[UNLIKELY]]
; CHECK:       ms.ffast:
; CHECK:         %ms.slot8 = getelementptr inbounds i8, ptr %ms.counters7, i64 224
; CHECK:       ms.fslow:
; CHECK:         call void @__memscope_free_inline_slow(ptr %p, ptr getelementptr inbounds ([8 x %memscope.site], ptr @__memscope_sites, i32 0, i32 6), ptr %ms.block{{[0-9]+}})
; CHECK:       ms.join3:
; CHECK-NEXT:    [[INNER3:%.*]] = call ptr @llvm.threadlocal.address.p0(ptr @__memscope_inner)
; CHECK-NEXT:    store i8 1, ptr [[INNER3]], align 1
; CHECK-NEXT:    call void @_ZdlPvm(ptr %p, i64 24) #[[COUNTED]]
; CHECK-NEXT:    [[INNER4:%.*]] = call ptr @llvm.threadlocal.address.p0(ptr @__memscope_inner)
; CHECK-NEXT:    store i8 0, ptr [[INNER4]], align 1
; CHECK:       lp:
; CHECK-NEXT:    %l = landingpad { ptr, i32 }

; A nothrow new may return NULL: that goes slow (recorded as a failure, not counted).
; CHECK-LABEL: define ptr @nothrow_array(i64 %n, ptr %tag)
; CHECK:         %p = call ptr @_ZnamRKSt9nothrow_t(i64 %n, ptr %tag) #[[COUNTED]]
; CHECK:         %ms.failed = icmp eq ptr %p, null
; CHECK-NEXT:    %ms.slowly = or i1 %ms.sample, %ms.failed
; CHECK:         %ms.slot = getelementptr inbounds i8, ptr %ms.counters, i64 256

; CHECK-DAG: attributes #[[COUNTED]] = { "memscope-counted" }
; CHECK-DAG: [[UNLIKELY]] = !{!"branch_weights", i32 1, i32 2000}

; The runtime functions, with the C functions' own prototypes for the kept calls.
; DECL-DAG: declare noalias ptr @__memscope_calloc_inline_slow(i64, i64, ptr, ptr){{$}}
; DECL-DAG: declare ptr @__memscope_realloc_inline_slow(ptr, i64, ptr, ptr){{$}}
; DECL-DAG: declare void @__memscope_alloc_inline_slow(i64, ptr, i64, ptr, ptr){{$}}
; DECL-DAG: declare noalias ptr @__memscope_real_calloc(i64, i64){{$}}
; DECL-DAG: declare ptr @__memscope_real_realloc(ptr, i64){{$}}
; DECL-DAG: declare noalias ptr @__memscope_real_aligned_alloc(i64, i64){{$}}
; DECL-DAG: declare i32 @__memscope_real_posix_memalign(ptr, i64, i64){{$}}
; DECL-DAG: @__memscope_inner = external thread_local(initialexec) global i8
; DECL-NOT: __memscope_cxx.

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @calloc(i64, i64)
declare ptr @realloc(ptr, i64)
declare ptr @aligned_alloc(i64, i64)
declare i32 @posix_memalign(ptr, i64, i64)
declare ptr @_Znwm(i64)
declare ptr @_ZnamRKSt9nothrow_t(i64, ptr)
declare void @_ZdlPvm(ptr, i64)
declare ptr @malloc(i64)
declare i32 @__gxx_personality_v0(...)
declare void @use(ptr)

define ptr @zeroed(i64 %n) {
  %p = call ptr @calloc(i64 %n, i64 16)
  ret ptr %p
}

define ptr @grow(ptr %old, i64 %n) {
  %p = call ptr @realloc(ptr %old, i64 %n)
  ret ptr %p
}

define ptr @aligned(i64 %n) {
  %p = call ptr @aligned_alloc(i64 64, i64 %n)
  ret ptr %p
}

define i32 @posix(ptr %out, i64 %n) {
  %rc = call i32 @posix_memalign(ptr %out, i64 32, i64 %n)
  ret i32 %rc
}

define ptr @fixed() {
  %p = call ptr @malloc(i64 40)
  ret ptr %p
}

define void @object() personality ptr @__gxx_personality_v0 {
  %p = invoke ptr @_Znwm(i64 24)
          to label %ok unwind label %lp
ok:
  call void @use(ptr %p)
  call void @_ZdlPvm(ptr %p, i64 24)
  ret void
lp:
  %l = landingpad { ptr, i32 } cleanup
  resume { ptr, i32 } %l
}

define ptr @nothrow_array(i64 %n, ptr %tag) {
  %p = call ptr @_ZnamRKSt9nothrow_t(i64 %n, ptr %tag)
  ret ptr %p
}

!llvm.module.flags = !{!0}
!0 = !{i32 7, !"PIE Level", i32 2}
