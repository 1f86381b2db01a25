// The inline fast paths as x86-64 code (clang -O2, local-exec TLS): every access to
// the thread-local header is one %fs-relative instruction, and no TLS base is computed
// (movq %fs:0, ...) before the original call; only the out-of-line slow paths compute
// the header's address, for the runtime.  Per malloc + free pair the fast paths add
// 15 instructions: subq/jbe, movq (the header's counters), incq, addq,
// movq/subq/cmpq/ja for malloc, movl/shldl (the filter index), cmpb/jne (its byte),
// movq (counters), incq for free; the filter's address is loaded once, before the loop.  The calls themselves go to __memscope_real_malloc and __memscope_real_free
// (the runtime's jumps to the allocator underneath), never to malloc and free, which
// may be the runtime's interposed ones (DIRECT).
// RUN: %clang --target=x86_64-unknown-linux-gnu -fPIE -O2 -fno-asynchronous-unwind-tables \
// RUN:   -S %s -o %t.s
// RUN: FileCheck %s < %t.s
// RUN: FileCheck %s --check-prefix=DIRECT < %t.s

typedef __SIZE_TYPE__ size_t;
void *malloc(size_t size);
void free(void *ptr);
void sink(void *p);

// CHECK-LABEL: churn:
// CHECK-NOT:   %fs:0
// sample_left -= size, slow (jbe) when it was <= size:
// CHECK:       subq %{{[a-z0-9]+}}, %fs:__memscope_tls@TPOFF{{$}}
// CHECK-NEXT:  jbe
// CHECK-NOT:   %fs:0
// s = h->counters + 32 (the site's slot in the thread's table): calls += 1,
// bytes += size, then size - lo > span:
// CHECK:       movq %fs:__memscope_tls@TPOFF+16, %[[C:[a-z0-9]+]]{{$}}
// CHECK-NEXT:  incq 32(%[[C]]){{$}}
// CHECK-NEXT:  addq %{{[a-z0-9]+}}, 40(%[[C]]){{$}}
// CHECK-NEXT:  movq
// CHECK-NEXT:  subq 48(%[[C]]), %{{[a-z0-9]+}}
// CHECK-NEXT:  cmpq 56(%[[C]]), %{{[a-z0-9]+}}
// CHECK-NEXT:  ja
// CHECK-NOT:   %fs:0
// CHECK:       callq __memscope_real_malloc{{(@PLT)?}}{{$}}
// CHECK-NOT:   %fs:0
// The free's filter test (disarmed << 20 | the address's low 32 bits >> 12: one shld
// into the loaded `disarmed`, the inline asm between #APP and #NO_APP), and calls += 1:
// CHECK:       movl %fs:__memscope_tls@TPOFF+8, %e[[INDEX:[a-z0-9]+]]{{$}}
// CHECK-NEXT:  #APP
// CHECK-NEXT:  shldl $20, %{{[a-z0-9]+}}, %e[[INDEX]]{{$}}
// CHECK-NEXT:  #NO_APP
// CHECK-NEXT:  cmpb $0, (%{{[a-z0-9]+}},%r[[INDEX]]){{$}}
// CHECK-NEXT:  jne
// CHECK-NOT:   %fs:0
// CHECK:       movq %fs:__memscope_tls@TPOFF+16, %[[F:[a-z0-9]+]]{{$}}
// CHECK-NEXT:  incq 64(%[[F]]){{$}}
// CHECK-NOT:   %fs:0
// CHECK:       callq __memscope_real_free{{(@PLT)?}}{{$}}
// The slow paths are out of line, after the loop.
// CHECK-DAG:   callq __memscope_malloc_inline_slow@PLT
// CHECK-DAG:   callq __memscope_inline_widen@PLT
// CHECK-DAG:   callq __memscope_free_inline_slow@PLT
//
// DIRECT-LABEL: churn:
// DIRECT-NOT:   {{call|jmp}}{{q?}} {{(malloc|free)(@PLT)?$}}
// DIRECT:       .Lfunc_end0:
void churn(long n, size_t size) {
  for (long i = 0; i < n; i++) {
    void *p = malloc(size);
    sink(p);
    free(p);
  }
}
