; User code that declares a runtime symbol with another type gets a clear error
; naming the symbol, and the module is not instrumented; no crash.  A matching
; declaration (say, from including a runtime header) is fine.
; RUN: split-file %s %t
; RUN: not %opt -passes=memscope -S %t/alloc-fn.ll 2>&1 | FileCheck %s --check-prefix=ALLOC
; RUN: not %opt -passes=memscope -S %t/register-var.ll 2>&1 | FileCheck %s --check-prefix=REGISTER
; RUN: not %opt -passes=memscope -S %t/cxx-helper.ll 2>&1 | FileCheck %s --check-prefix=CXX
; RUN: not %opt -passes=memscope -S %t/note-fn.ll 2>&1 | FileCheck %s --check-prefix=NOTE
; RUN: %opt -passes=memscope -S %t/matching.ll | FileCheck %s --check-prefix=MATCHING

; ALLOC: error: memscope: '__memscope_malloc' is already declared as i32 (i32) but the memscope runtime defines it as ptr (i64, ptr); names starting with '__memscope_' are reserved for memscope (module not instrumented)
; REGISTER: error: memscope: '__memscope_register_module_v1' is already declared as a non-function symbol but the memscope runtime defines it as void (ptr)

; CXX: error: memscope: '__memscope_cxx._Znwm' is already declared as i32 () but the memscope runtime defines it as ptr (i64, ptr)
; NOTE: error: memscope: '__memscope_note_free' is already declared as a non-function symbol but the memscope runtime defines it as void (ptr, ptr)

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
@__memscope_register_module_v1 = global i32 0
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

;--- matching.ll
declare ptr @malloc(i64)
declare ptr @__memscope_malloc(i64, ptr)
define ptr @f() {
  %p = call ptr @malloc(i64 4)
  ret ptr %p
}
