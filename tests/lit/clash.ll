; User code that declares a runtime symbol with another type gets a clear error
; naming the symbol, and the module is not instrumented; no crash.  A matching
; declaration (say, from including a runtime header) is fine.
; RUN: split-file %s %t
; RUN: not %opt -passes=memscope -memscope-inline=never -S %t/alloc-fn.ll 2>&1 | FileCheck %s --check-prefix=ALLOC
; RUN: not %opt -passes=memscope -memscope-inline=never -S %t/register-var.ll 2>&1 | FileCheck %s --check-prefix=REGISTER
; RUN: not %opt -passes=memscope -memscope-inline=never -S %t/cxx-helper.ll 2>&1 | FileCheck %s --check-prefix=CXX
; RUN: not %opt -passes=memscope -memscope-inline=never -S %t/note-fn.ll 2>&1 | FileCheck %s --check-prefix=NOTE
; RUN: not %opt -passes=memscope -S %t/inline-slow-var.ll 2>&1 | FileCheck %s --check-prefix=INLINE
; RUN: not %opt -passes=memscope -S %t/real-malloc-fn.ll 2>&1 | FileCheck %s --check-prefix=REAL
; RUN: %opt -passes=memscope -S %t/real-matching.ll | FileCheck %s --check-prefix=REAL-MATCHING
; RUN: %opt -passes=memscope -memscope-inline=never -S %t/matching.ll | FileCheck %s --check-prefix=MATCHING

; ALLOC: error: memscope: '__memscope_malloc' is already declared as i32 (i32) but the memscope runtime defines it as ptr (i64, ptr); names starting with '__memscope_' are reserved for memscope (module not instrumented)
; REGISTER: error: memscope: '__memscope_register_module_v6' is already declared as a non-function symbol but the memscope runtime defines it as void (ptr)

; CXX: error: memscope: '__memscope_cxx._Znwm' is already declared as i32 () but the memscope runtime defines it as ptr (i64, ptr)
; NOTE: error: memscope: '__memscope_note_free' is already declared as a non-function symbol but the memscope runtime defines it as void (ptr, ptr)

; The entry points of the inline fast paths, in a module that gets them (PIE).
; INLINE: error: memscope: '__memscope_free_inline_slow' is already declared as a non-function symbol but the memscope runtime defines it as void (ptr, ptr, ptr)
; The allocator underneath, which the calls an inline site keeps go to; checked with
; the others, before anything changes.
; REAL: error: memscope: '__memscope_real_malloc' is already declared as i32 (i32) but the memscope runtime defines it as ptr (i64); names starting with '__memscope_' are reserved for memscope (module not instrumented)
; REAL-NOT: error
; A matching declaration (abi.h declares both) is the one the kept call uses.
; REAL-MATCHING:      declare void @__memscope_real_free(ptr)
; REAL-MATCHING-LABEL: define void @f(
; REAL-MATCHING:      call void @__memscope_free_inline_slow(
; REAL-MATCHING:      call void @__memscope_real_free(ptr %p) #
; REAL-MATCHING-NOT:  declare {{.*}}@__memscope_real_free

; MATCHING: declare ptr @__memscope_malloc(i64, ptr)
; MATCHING-LABEL: define ptr @f(
; MATCHING-NEXT:    call ptr @__memscope_malloc(i64 4, ptr @__memscope_sites)

;--- alloc-fn.ll
declare ptr @malloc(i64)
declare i32 @__memscope_malloc(i32)
define ptr @f() {
  %p = call ptr @malloc(i64 4)
  ret ptr %p
}

;--- register-var.ll
@__memscope_register_module_v6 = global i32 0
declare ptr @malloc(i64)
define ptr @f() {
  %p = call ptr @malloc(i64 4)
  ret ptr %p
}

;--- cxx-helper.ll
declare ptr @_Znwm(i64)
declare i32 @__memscope_cxx._Znwm()
define ptr @f() {
  %p = call ptr @_Znwm(i64 4)
  ret ptr %p
}

;--- note-fn.ll
@__memscope_note_free = global i32 0
declare void @_ZdlPv(ptr)
define void @f(ptr %p) {
  call void @_ZdlPv(ptr %p)
  ret void
}

;--- inline-slow-var.ll
@__memscope_free_inline_slow = global i32 0
declare void @free(ptr)
define void @f(ptr %p) {
  call void @free(ptr %p)
  ret void
}
!llvm.module.flags = !{!0}
!0 = !{i32 7, !"PIE Level", i32 2}

;--- real-malloc-fn.ll
declare ptr @malloc(i64)
declare i32 @__memscope_real_malloc(i32)
define ptr @f() {
  %p = call ptr @malloc(i64 4)
  ret ptr %p
}
!llvm.module.flags = !{!0}
!0 = !{i32 7, !"PIE Level", i32 2}

;--- real-matching.ll
declare void @free(ptr)
declare void @__memscope_real_free(ptr)
define void @f(ptr %p) {
  call void @free(ptr %p)
  ret void
}
!llvm.module.flags = !{!0}
!0 = !{i32 7, !"PIE Level", i32 2}

;--- matching.ll
declare ptr @malloc(i64)
declare ptr @__memscope_malloc(i64, ptr)
define ptr @f() {
  %p = call ptr @malloc(i64 4)
  ret ptr %p
}
