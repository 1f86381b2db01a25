; An invoke of malloc (C++ code that may throw around it) becomes an invoke of
; __memscope_malloc that keeps both destinations, so the landing pad and the PHIs
; of the normal destination still see the same predecessor block.
; RUN: %opt -passes=memscope -memscope-inline=never -S %s | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)
declare void @free(ptr)
declare i32 @__gxx_personality_v0(...)

; CHECK-LABEL: define ptr @invoked(
; CHECK:       entry:
; CHECK-NEXT:    %p = invoke ptr @__memscope_malloc(i64 %n, ptr @__memscope_sites)
; CHECK-NEXT:            to label %[[CONT:.*]] unwind label %[[LPAD:.*]]
; CHECK:       [[CONT]]:
; CHECK-NEXT:    %r = phi ptr [ %p, %entry ]
; CHECK-NEXT:    invoke void @__memscope_free(ptr %r, ptr getelementptr inbounds ([2 x %memscope.site], ptr @__memscope_sites, i32 0, i32 1))
; CHECK-NEXT:            to label %[[DONE:.*]] unwind label %[[LPAD]]
; CHECK:       [[DONE]]:
; CHECK-NEXT:    ret ptr null
; CHECK:       [[LPAD]]:
; CHECK-NEXT:    landingpad
define ptr @invoked(i64 %n) personality ptr @__gxx_personality_v0 {
entry:
  %p = invoke ptr @malloc(i64 %n)
          to label %cont unwind label %lpad

cont:
  %r = phi ptr [ %p, %entry ]
  invoke void @free(ptr %r)
          to label %done unwind label %lpad

done:
  ret ptr null

lpad:
  %lp = landingpad { ptr, i32 }
          cleanup
  resume { ptr, i32 } %lp
}
