; The inline budget (docs/pass.md, "The inline budget").  A module's inline sites take
; one 32-byte slot each of the thread's counter table (ABI 3: its static TLS is a
; 24-byte header however many there are); -memscope-inline-tls-budget (or
; MEMSCOPE_PASS_INLINE_TLS_BUDGET; the name is from when the counts were in TLS) bounds
; the bytes they take.  The sites get their tls_slot (32, 64, ...) in site order while
; they stay within the budget; from the first site that does not fit on, every malloc
; and free calls the runtime's entry points, as under -memscope-inline=never.  Here four
; functions each malloc and free (sites 0-7): with a budget of 128 bytes f0's pair
; (32, 64) and f1's pair (96, 128) are inline; f2's malloc (160) does not fit, and
; neither does anything after it.
; RUN: split-file %s %t
; RUN: %opt -passes=memscope -memscope-inline-tls-budget=128 -S %t/pairs.ll | FileCheck %s --check-prefix=BUDGET
; The budget is an upper bound: 159 bytes is the same.
; RUN: %opt -passes=memscope -memscope-inline-tls-budget=159 -S %t/pairs.ll | FileCheck %s --check-prefix=BUDGET
; The environment variable, read when the flag is not given; the flag wins over it.
; RUN: env MEMSCOPE_PASS_INLINE_TLS_BUDGET=128 %opt -passes=memscope -S %t/pairs.ll | FileCheck %s --check-prefix=BUDGET
; RUN: env MEMSCOPE_PASS_INLINE_TLS_BUDGET=0 %opt -passes=memscope -memscope-inline-tls-budget=128 -S %t/pairs.ll \
; RUN:   | FileCheck %s --check-prefix=BUDGET
; 127 bytes: f1's malloc fits (96), its free (128) does not.
; RUN: %opt -passes=memscope -memscope-inline-tls-budget=127 -S %t/pairs.ll | FileCheck %s --check-prefix=SPLIT
; Budget 0, or one too small for one slot: no block, no fast path.
; RUN: %opt -passes=memscope -memscope-inline-tls-budget=0 -S %t/pairs.ll | FileCheck %s --check-prefix=NONE
; RUN: env MEMSCOPE_PASS_INLINE_TLS_BUDGET=0 %opt -passes=memscope -S %t/pairs.ll | FileCheck %s --check-prefix=NONE
; RUN: %opt -passes=memscope -memscope-inline-tls-budget=31 -S %t/pairs.ll | FileCheck %s --check-prefix=NONE
; The default budget is the most the runtime arms (MEMSCOPE_INLINE_SLOTS_MAX = 32767
; sites, 1048544 bytes): all inline; that value, or any above it, is the same.
; RUN: %opt -passes=memscope -S %t/pairs.ll -o %t/default.ll
; RUN: FileCheck %s --check-prefix=DEFAULT < %t/default.ll
; RUN: %opt -passes=memscope -memscope-inline-tls-budget=1048544 -S %t/pairs.ll -o %t/max.ll
; RUN: diff %t/default.ll %t/max.ll
; RUN: %opt -passes=memscope -memscope-inline-tls-budget=4000000000 -S %t/pairs.ll -o %t/above.ll
; RUN: diff %t/default.ll %t/above.ll
; A variable that is not a number of bytes is an error, as for MEMSCOPE_PASS_INLINE.
; RUN: env MEMSCOPE_PASS_INLINE_TLS_BUDGET=1k not %opt -passes=memscope -S %t/pairs.ll 2>&1 \
; RUN:   | FileCheck %s --check-prefix=BAD

; tls_slot is the 7th field of each site; 0 for those that call the runtime.
; BUDGET: @__memscope_sites = internal global [8 x %memscope.site]
; BUDGET-SAME: i32 1, i32 1, i32 0, i32 0, i32 32, i32 0 },
; BUDGET-SAME: i32 1, i32 4, i32 0, i32 0, i32 64, i32 0 },
; BUDGET-SAME: i32 1, i32 1, i32 0, i32 0, i32 96, i32 0 },
; BUDGET-SAME: i32 1, i32 4, i32 0, i32 0, i32 128, i32 0 },
; BUDGET-SAME: i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 },
; BUDGET-SAME: i32 1, i32 4, i32 0, i32 0, i32 0, i32 0 },
; BUDGET-SAME: i32 1, i32 1, i32 0, i32 0, i32 0, i32 0 },
; BUDGET-SAME: i32 1, i32 4, i32 0, i32 0, i32 0, i32 0 }]
; BUDGET: @__memscope_tls = internal thread_local(localexec) global { i64, i32, i32, ptr } { i64 0, i32 1, i32 0, ptr @__memscope_inline_scratch }, align 8
; BUDGET: @__memscope_module = internal global %memscope.module { i32 6, i32 8, ptr @__memscope_sites, ptr {{@[^,]+}}, ptr null, ptr @__memscope_tls_block, i32 24, i32 0, ptr null }
; BUDGET-LABEL: define void @f0(
; BUDGET:         %ms.slot = getelementptr inbounds i8, ptr %ms.counters, i64 32
; BUDGET:         %p = call ptr @__memscope_real_malloc(i64 %n) #[[COUNTED:[0-9]+]]
; BUDGET:         call ptr @__memscope_malloc_inline_slow(i64 %n, ptr @__memscope_sites, ptr %ms.block{{[0-9]+}})
; BUDGET:         getelementptr inbounds i8, ptr %ms.counters{{[0-9]+}}, i64 64
; BUDGET:         call void @__memscope_free_inline_slow(ptr %ms.result, ptr getelementptr inbounds ([8 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1), ptr %ms.block{{[0-9]+}})
; BUDGET:         call void @__memscope_real_free(ptr %ms.result) #[[COUNTED]]
; BUDGET-NEXT:    ret void
; BUDGET-LABEL: define void @f1(
; BUDGET:         %ms.slot = getelementptr inbounds i8, ptr %ms.counters, i64 96
; BUDGET:         %p = call ptr @__memscope_real_malloc(i64 %n) #[[COUNTED]]
; BUDGET:         getelementptr inbounds i8, ptr %ms.counters{{[0-9]+}}, i64 128
; BUDGET:         call void @__memscope_real_free(ptr %ms.result) #[[COUNTED]]
; BUDGET-NEXT:    ret void
; Over the budget: the runtime's entry points, with the site.
; BUDGET-LABEL: define void @f2(
; BUDGET-NEXT:    %p = call ptr @__memscope_malloc(i64 %n, ptr getelementptr inbounds ([8 x %memscope.site], ptr @__memscope_sites, i32 0, i32 4))
; BUDGET-NEXT:    call void @__memscope_free(ptr %p, ptr getelementptr inbounds ([8 x %memscope.site], ptr @__memscope_sites, i32 0, i32 5))
; BUDGET-NEXT:    ret void
; BUDGET-LABEL: define void @f3(
; BUDGET-NEXT:    %p = call ptr @__memscope_malloc(i64 %n, ptr getelementptr inbounds ([8 x %memscope.site], ptr @__memscope_sites, i32 0, i32 6))
; BUDGET-NEXT:    call void @__memscope_free(ptr %p, ptr getelementptr inbounds ([8 x %memscope.site], ptr @__memscope_sites, i32 0, i32 7))
; BUDGET-NEXT:    ret void
; BUDGET-DAG: declare noalias ptr @__memscope_malloc(i64, ptr){{$}}
; BUDGET-DAG: declare void @__memscope_free(ptr, ptr){{$}}
; BUDGET-DAG: attributes #[[COUNTED]] = { "memscope-counted" }

; SPLIT: @__memscope_sites = internal global [8 x %memscope.site]
; SPLIT-SAME: i32 1, i32 1, i32 0, i32 0, i32 96, i32 0 },
; SPLIT-SAME: i32 1, i32 4, i32 0, i32 0, i32 0, i32 0 },
; SPLIT: @__memscope_module = {{.*}} ptr @__memscope_tls_block, i32 24, i32 0, ptr null }
; SPLIT-LABEL: define void @f1(
; SPLIT:         %p = call ptr @__memscope_real_malloc(i64 %n) #
; SPLIT:         call void @__memscope_free(ptr %ms.result, ptr getelementptr inbounds ([8 x %memscope.site], ptr @__memscope_sites, i32 0, i32 3))
; SPLIT-NEXT:    ret void

; NONE-NOT: thread_local
; NONE: @__memscope_module = internal global %memscope.module { i32 6, i32 8, ptr @__memscope_sites, ptr {{@[^,]+}}, ptr null, ptr null, i32 0, i32 0, ptr null }
; NONE-LABEL: define void @f0(
; NONE-NEXT:    %p = call ptr @__memscope_malloc(i64 %n, ptr @__memscope_sites)
; NONE-NEXT:    call void @__memscope_free(ptr %p, ptr getelementptr inbounds ([8 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1))
; NONE-NEXT:    ret void
; NONE-NOT:     {{inline|threadlocal|memscope-counted|memscope_real|__memscope_tls}}

; DEFAULT: @__memscope_sites = internal global [8 x %memscope.site]
; DEFAULT-SAME: i32 1, i32 4, i32 0, i32 0, i32 256, i32 0 }]
; DEFAULT: @__memscope_module = {{.*}} ptr @__memscope_tls_block, i32 24, i32 0, ptr null }
; DEFAULT-LABEL: define void @f3(
; DEFAULT:        %p = call ptr @__memscope_real_malloc(i64 %n) #
; DEFAULT:        call void @__memscope_real_free(ptr %ms.result) #
; DEFAULT-NOT:  declare {{.*}}@__memscope_malloc(
; DEFAULT-NOT:  declare {{.*}}@__memscope_free(

; BAD: error: memscope: MEMSCOPE_PASS_INLINE_TLS_BUDGET='1k' is not a number of bytes

;--- pairs.ll
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)
declare void @free(ptr)

define void @f0(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  call void @free(ptr %p)
  ret void
}

define void @f1(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  call void @free(ptr %p)
  ret void
}

define void @f2(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  call void @free(ptr %p)
  ret void
}

define void @f3(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  call void @free(ptr %p)
  ret void
}

!llvm.module.flags = !{!0}
!0 = !{i32 7, !"PIE Level", i32 2}
