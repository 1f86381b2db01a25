; An allocation function used as a value gets a site where its address is used: the
; address becomes that of a thunk calling the runtime with the site, so calls through
; the pointer are recorded there.  Stores, call arguments and global initializers are
; rewritten; comparisons with the function are left alone; -memscope-address-taken=false
; turns it off.
; RUN: %opt -passes=memscope -S %s | FileCheck %s
; RUN: %opt -passes=memscope -memscope-address-taken=false -S %s | FileCheck %s --check-prefix=OFF
; RUN: env MEMSCOPE_PASS_ADDRESS_TAKEN=0 %opt -passes=memscope -S %s | FileCheck %s --check-prefix=OFF

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"
source_filename = "fp.c"

declare ptr @malloc(i64)
declare void @free(ptr)
declare void @register_destructor(ptr)

; CHECK: @ops = global { ptr, ptr } { ptr @[[OPS_MALLOC:__memscope_fp.malloc[.0-9]*]], ptr @[[OPS_FREE:__memscope_fp.free[.0-9]*]] }
; OFF: @ops = global { ptr, ptr } { ptr @malloc, ptr @free }
@ops = global { ptr, ptr } { ptr @malloc, ptr @free }
@slot = global ptr null

; CHECK-LABEL: define i1 @take(
; CHECK-NEXT:    store ptr @[[STORE:__memscope_fp.malloc[.0-9]*]], ptr @slot
; CHECK-NEXT:    call void @register_destructor(ptr @[[ARG:__memscope_fp.free[.0-9]*]])
; CHECK-NEXT:    %fp = load ptr, ptr @slot
; CHECK-NEXT:    %same = icmp eq ptr %fp, @malloc
; OFF-LABEL: define i1 @take(
; OFF-NEXT:      store ptr @malloc, ptr @slot
define i1 @take() {
  store ptr @malloc, ptr @slot
  call void @register_destructor(ptr @free)
  %fp = load ptr, ptr @slot
  %same = icmp eq ptr %fp, @malloc
  ret i1 %same
}

; Sites: the store (malloc), the argument (free), then the initializer's two.
; CHECK: define internal ptr @[[STORE]](i64 %0)
; CHECK-NEXT:    call ptr @__memscope_malloc(i64 %0, ptr @__memscope_sites)
; CHECK: define internal void @[[ARG]](ptr %0)
; CHECK-NEXT:    call void @__memscope_free(ptr %0, ptr getelementptr {{.*}} i32 1))
; CHECK: define internal ptr @[[OPS_MALLOC]](i64 %0)
; CHECK-NEXT:    call ptr @__memscope_malloc(i64 %0, ptr getelementptr {{.*}} i32 2))
; CHECK: define internal void @[[OPS_FREE]](ptr %0)
; CHECK-NEXT:    call void @__memscope_free(ptr %0, ptr getelementptr {{.*}} i32 3))
; OFF-NOT: __memscope
