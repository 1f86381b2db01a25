; Every allocation function the pass knows is redirected: the C ones to their runtime
; entry point (glibc's __strdup/__strndup and mmap64 share strdup's, strndup's and
; mmap's), each with its own site and API number; C++ operators (all forms) to a helper
; the pass emits.  An invoke stays an invoke to the same destinations.
; RUN: %opt -passes=memscope -memscope-inline=never -S %s -o %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: FileCheck %s --check-prefix=API < %t.ll
; RUN: FileCheck %s --check-prefix=DECL < %t.ll

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @reallocarray(ptr, i64, i64)
declare ptr @aligned_alloc(i64, i64)
declare i32 @posix_memalign(ptr, i64, i64)
declare ptr @memalign(i64, i64)
declare ptr @valloc(i64)
declare ptr @pvalloc(i64)
declare ptr @strdup(ptr)
declare ptr @__strdup(ptr)
declare ptr @strndup(ptr, i64)
declare ptr @__strndup(ptr, i64)
declare ptr @mmap(ptr, i64, i32, i32, i32, i64)
declare ptr @mmap64(ptr, i64, i32, i32, i32, i64)
declare i32 @munmap(ptr, i64)

; CHECK-LABEL: define void @c_apis(
; CHECK-NEXT: call ptr @__memscope_reallocarray(ptr %p, i64 2, i64 8, ptr @__memscope_sites)
; CHECK-NEXT: call ptr @__memscope_aligned_alloc(i64 64, i64 128, ptr getelementptr {{.*}} i32 1))
; CHECK-NEXT: call i32 @__memscope_posix_memalign(ptr %p, i64 64, i64 256, ptr getelementptr {{.*}} i32 2))
; CHECK-NEXT: call ptr @__memscope_memalign(i64 32, i64 100, ptr getelementptr {{.*}} i32 3))
; CHECK-NEXT: call ptr @__memscope_valloc(i64 200, ptr getelementptr {{.*}} i32 4))
; CHECK-NEXT: call ptr @__memscope_pvalloc(i64 300, ptr getelementptr {{.*}} i32 5))
; CHECK-NEXT: call ptr @__memscope_strdup(ptr %s, ptr getelementptr {{.*}} i32 6))
; CHECK-NEXT: call ptr @__memscope_strdup(ptr %s, ptr getelementptr {{.*}} i32 7))
; CHECK-NEXT: call ptr @__memscope_strndup(ptr %s, i64 3, ptr getelementptr {{.*}} i32 8))
; CHECK-NEXT: call ptr @__memscope_strndup(ptr %s, i64 3, ptr getelementptr {{.*}} i32 9))
; CHECK-NEXT: call ptr @__memscope_mmap(ptr null, i64 4096, i32 3, i32 34, i32 -1, i64 0, ptr getelementptr {{.*}} i32 10))
; CHECK-NEXT: call ptr @__memscope_mmap(ptr null, i64 4096, i32 3, i32 34, i32 -1, i64 0, ptr getelementptr {{.*}} i32 11))
; CHECK-NEXT: call i32 @__memscope_munmap(ptr %p, i64 4096, ptr getelementptr {{.*}} i32 12))
define void @c_apis(ptr %p, ptr %s) {
  call ptr @reallocarray(ptr %p, i64 2, i64 8)
  call ptr @aligned_alloc(i64 64, i64 128)
  call i32 @posix_memalign(ptr %p, i64 64, i64 256)
  call ptr @memalign(i64 32, i64 100)
  call ptr @valloc(i64 200)
  call ptr @pvalloc(i64 300)
  call ptr @strdup(ptr %s)
  call ptr @__strdup(ptr %s)
  call ptr @strndup(ptr %s, i64 3)
  call ptr @__strndup(ptr %s, i64 3)
  call ptr @mmap(ptr null, i64 4096, i32 3, i32 34, i32 -1, i64 0)
  call ptr @mmap64(ptr null, i64 4096, i32 3, i32 34, i32 -1, i64 0)
  call i32 @munmap(ptr %p, i64 4096)
  ret void
}

%nothrow = type { i8 }
@nt = external global %nothrow
declare ptr @_Znwm(i64)
declare ptr @_Znam(i64)
declare ptr @_ZnwmRKSt9nothrow_t(i64, ptr)
declare ptr @_ZnamRKSt9nothrow_t(i64, ptr)
declare ptr @_ZnwmSt11align_val_t(i64, i64)
declare ptr @_ZnamSt11align_val_t(i64, i64)
declare ptr @_ZnwmSt11align_val_tRKSt9nothrow_t(i64, i64, ptr)
declare ptr @_ZnamSt11align_val_tRKSt9nothrow_t(i64, i64, ptr)
declare void @_ZdlPv(ptr)
declare void @_ZdaPv(ptr)
declare void @_ZdlPvm(ptr, i64)
declare void @_ZdaPvm(ptr, i64)
declare void @_ZdlPvSt11align_val_t(ptr, i64)
declare void @_ZdaPvSt11align_val_t(ptr, i64)
declare void @_ZdlPvmSt11align_val_t(ptr, i64, i64)
declare void @_ZdaPvmSt11align_val_t(ptr, i64, i64)
declare void @_ZdlPvRKSt9nothrow_t(ptr, ptr)
declare void @_ZdaPvRKSt9nothrow_t(ptr, ptr)
declare void @_ZdlPvSt11align_val_tRKSt9nothrow_t(ptr, i64, ptr)
declare void @_ZdaPvSt11align_val_tRKSt9nothrow_t(ptr, i64, ptr)
declare i32 @__gxx_personality_v0(...)

; CHECK-LABEL: define void @cxx_operators(
; CHECK-NEXT: call ptr @__memscope_cxx._Znwm(i64 4, ptr getelementptr {{.*}} i32 13))
; CHECK-NEXT: call ptr @__memscope_cxx._Znam(i64 4, ptr
; CHECK-NEXT: call ptr @__memscope_cxx._ZnwmRKSt9nothrow_t(i64 4, ptr @nt, ptr
; CHECK-NEXT: call ptr @__memscope_cxx._ZnamRKSt9nothrow_t(i64 4, ptr @nt, ptr
; CHECK-NEXT: call ptr @__memscope_cxx._ZnwmSt11align_val_t(i64 64, i64 64, ptr
; CHECK-NEXT: call ptr @__memscope_cxx._ZnamSt11align_val_t(i64 64, i64 64, ptr
; CHECK-NEXT: call ptr @__memscope_cxx._ZnwmSt11align_val_tRKSt9nothrow_t(i64 64, i64 64, ptr @nt, ptr
; CHECK-NEXT: call ptr @__memscope_cxx._ZnamSt11align_val_tRKSt9nothrow_t(i64 64, i64 64, ptr @nt, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdlPv(ptr %p, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdaPv(ptr %p, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdlPvm(ptr %p, i64 4, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdaPvm(ptr %p, i64 4, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdlPvSt11align_val_t(ptr %p, i64 64, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdaPvSt11align_val_t(ptr %p, i64 64, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdlPvmSt11align_val_t(ptr %p, i64 4, i64 64, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdaPvmSt11align_val_t(ptr %p, i64 4, i64 64, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdlPvRKSt9nothrow_t(ptr %p, ptr @nt, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdaPvRKSt9nothrow_t(ptr %p, ptr @nt, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdlPvSt11align_val_tRKSt9nothrow_t(ptr %p, i64 64, ptr @nt, ptr
; CHECK-NEXT: call void @__memscope_cxx._ZdaPvSt11align_val_tRKSt9nothrow_t(ptr %p, i64 64, ptr @nt, ptr getelementptr {{.*}} i32 32))
define void @cxx_operators(ptr %p) {
  call ptr @_Znwm(i64 4)
  call ptr @_Znam(i64 4)
  call ptr @_ZnwmRKSt9nothrow_t(i64 4, ptr @nt)
  call ptr @_ZnamRKSt9nothrow_t(i64 4, ptr @nt)
  call ptr @_ZnwmSt11align_val_t(i64 64, i64 64)
  call ptr @_ZnamSt11align_val_t(i64 64, i64 64)
  call ptr @_ZnwmSt11align_val_tRKSt9nothrow_t(i64 64, i64 64, ptr @nt)
  call ptr @_ZnamSt11align_val_tRKSt9nothrow_t(i64 64, i64 64, ptr @nt)
  call void @_ZdlPv(ptr %p)
  call void @_ZdaPv(ptr %p)
  call void @_ZdlPvm(ptr %p, i64 4)
  call void @_ZdaPvm(ptr %p, i64 4)
  call void @_ZdlPvSt11align_val_t(ptr %p, i64 64)
  call void @_ZdaPvSt11align_val_t(ptr %p, i64 64)
  call void @_ZdlPvmSt11align_val_t(ptr %p, i64 4, i64 64)
  call void @_ZdaPvmSt11align_val_t(ptr %p, i64 4, i64 64)
  call void @_ZdlPvRKSt9nothrow_t(ptr %p, ptr @nt)
  call void @_ZdaPvRKSt9nothrow_t(ptr %p, ptr @nt)
  call void @_ZdlPvSt11align_val_tRKSt9nothrow_t(ptr %p, i64 64, ptr @nt)
  call void @_ZdaPvSt11align_val_tRKSt9nothrow_t(ptr %p, i64 64, ptr @nt)
  ret void
}

; C++ new under exceptions: an invoke of the helper, same destinations, so a throwing
; operator new (called inside the helper, which has no landing pad) unwinds to %lpad.
; CHECK-LABEL: define ptr @throwing(
; CHECK:         %p = invoke ptr @__memscope_cxx._Znwm(i64 %n, ptr getelementptr {{.*}} i32 33))
; CHECK-NEXT:            to label %ok unwind label %lpad
define ptr @throwing(i64 %n) personality ptr @__gxx_personality_v0 {
entry:
  %p = invoke ptr @_Znwm(i64 %n)
          to label %ok unwind label %lpad
ok:
  ret ptr %p
lpad:
  %lp = landingpad { ptr, i32 }
          catch ptr null
  ret ptr null
}

; The helpers: operator new first, then the report; the report before operator delete.
; One copy per linked image (linkonce_odr hidden, own comdat), never inlined, unwind
; tables always.  (The flag stores around the operators: cxx-helper-inner.ll.)
; CHECK-LABEL: define linkonce_odr hidden ptr @__memscope_cxx._Znwm(i64 %0, ptr %1)
; CHECK-SAME:    comdat
; CHECK:         [[P:%.*]] = call ptr @_Znwm(i64 %0)
; CHECK:         call void @__memscope_note_alloc(i64 %0, ptr [[P]], ptr %1)
; CHECK-NEXT:    ret ptr [[P]]
; CHECK-LABEL: define linkonce_odr hidden void @__memscope_cxx._ZdlPvm(ptr %0, i64 %1, ptr %2)
; CHECK-NEXT:    call void @__memscope_note_free(ptr %0, ptr %2)
; CHECK:         call void @_ZdlPvm(ptr %0, i64 %1)
; CHECK:         ret void

; The API number of each site, in order (enum memscope_api).
; API: @__memscope_sites = internal global [34 x %memscope.site]
; API-SAME: i32 1, i32 5, i32 0, i32 0, i32 0, i32 0 }
; API-SAME: i32 1, i32 6, i32 0, i32 0, i32 0, i32 0 }
; API-SAME: i32 1, i32 7, i32 0, i32 0, i32 0, i32 0 }
; API-SAME: i32 1, i32 8, i32 0, i32 0, i32 0, i32 0 }
; API-SAME: i32 1, i32 9, i32 0, i32 0, i32 0, i32 0 }
; API-SAME: i32 1, i32 10, i32 0, i32 0, i32 0, i32 0 }
; API-SAME: i32 1, i32 11, i32 0, i32 0, i32 0, i32 0 }, {{.*}} i32 1, i32 11, i32 0, i32 0, i32 0, i32 0 }
; API-SAME: i32 1, i32 12, i32 0, i32 0, i32 0, i32 0 }, {{.*}} i32 1, i32 12, i32 0, i32 0, i32 0, i32 0 }
; API-SAME: i32 1, i32 17, i32 0, i32 0, i32 0, i32 0 }, {{.*}} i32 1, i32 17, i32 0, i32 0, i32 0, i32 0 }
; API-SAME: i32 1, i32 18, i32 0, i32 0, i32 0, i32 0 }
; API-SAME: i32 1, i32 13, i32 0, i32 0, i32 0, i32 0 }, {{.*}} i32 1, i32 14, i32 0, i32 0, i32 0, i32 0 }
; API-SAME: i32 1, i32 15, i32 0, i32 0, i32 0, i32 0 }, {{.*}} i32 1, i32 16, i32 0, i32 0, i32 0, i32 0 }

; DECL-DAG: declare ptr @__memscope_reallocarray(ptr, i64, i64, ptr){{$}}
; DECL-DAG: declare noalias ptr @__memscope_aligned_alloc(i64, i64, ptr){{$}}
; DECL-DAG: declare i32 @__memscope_posix_memalign(ptr, i64, i64, ptr){{$}}
; DECL-DAG: declare noalias ptr @__memscope_strdup(ptr, ptr){{$}}
; DECL-DAG: declare ptr @__memscope_mmap(ptr, i64, i32, i32, i32, i64, ptr){{$}}
; DECL-DAG: declare i32 @__memscope_munmap(ptr, i64, ptr){{$}}
; DECL-DAG: declare void @__memscope_note_alloc(i64, ptr, ptr){{$}}
; DECL-DAG: declare void @__memscope_note_free(ptr, ptr){{$}}
; DECL-DAG: attributes #[[#]] = { noinline uwtable }
