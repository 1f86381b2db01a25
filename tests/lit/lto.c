// -flto and -flto=thin: the compile step instruments (the bitcode carries the sites),
// and instrumenting again later (as an LTO step that loads the plugin would, after
// linking the modules and optimising them) adds nothing: no call is left to rewrite,
// no second table, no doubled site.  First with every call rewritten to the runtime
// (MEMSCOPE_PASS_INLINE=never), then with inline fast paths (-fPIE, INLINE): the malloc and
// free calls stay, marked as counted, but go to __memscope_real_malloc and
// __memscope_real_free (KEPT), before and after optimisation, and a later run leaves
// them alone.
// RUN: rm -rf %t && mkdir -p %t
// RUN: env MEMSCOPE_PASS_INLINE=never %clang -O2 -g -flto -c %s -o %t/full.bc
// RUN: env MEMSCOPE_PASS_INLINE=never %clang -O2 -g -flto -c %s -DOTHER -o %t/full2.bc
// RUN: llvm-link %t/full.bc %t/full2.bc -o %t/linked.bc
// RUN: opt -S %t/linked.bc -o %t/linked.ll
// RUN: FileCheck %s < %t/linked.ll
// RUN: %opt -passes=memscope -S %t/linked.bc -o %t/again.ll
// RUN: diff %t/linked.ll %t/again.ll
// RUN: %opt -passes='default<O2>,memscope' -S %t/linked.bc -o %t/optimised.ll
// RUN: FileCheck %s --check-prefixes=OPTIMISED,REWRITTEN < %t/optimised.ll
// RUN: env MEMSCOPE_PASS_INLINE=never %clang -O2 -g -flto=thin -c %s -o %t/thin.bc
// RUN: opt -S %t/thin.bc -o %t/thin.ll
// RUN: FileCheck %s --check-prefix=THIN < %t/thin.ll
// RUN: %opt -passes=memscope -S %t/thin.bc -o %t/thin.again.ll
// RUN: diff %t/thin.ll %t/thin.again.ll
//
// RUN: %clang -fPIE -O2 -g -flto -c %s -o %t/pie.bc
// RUN: %clang -fPIE -O2 -g -flto -c %s -DOTHER -o %t/pie2.bc
// RUN: llvm-link %t/pie.bc %t/pie2.bc -o %t/pie.linked.bc
// RUN: opt -S %t/pie.linked.bc -o %t/pie.linked.ll
// RUN: FileCheck %s --check-prefix=INLINE < %t/pie.linked.ll
// RUN: FileCheck %s --check-prefix=KEPT < %t/pie.linked.ll
// RUN: %opt -passes=memscope -S %t/pie.linked.bc -o %t/pie.again.ll
// RUN: diff %t/pie.linked.ll %t/pie.again.ll
// RUN: %opt -passes='default<O2>,memscope' -S %t/pie.linked.bc -o %t/pie.optimised.ll
// RUN: FileCheck %s --check-prefix=OPTIMISED < %t/pie.optimised.ll
// RUN: FileCheck %s --check-prefix=INLINE-OPTIMISED < %t/pie.optimised.ll
// RUN: FileCheck %s --check-prefix=KEPT < %t/pie.optimised.ll
// RUN: %clang -fPIE -O2 -g -flto=thin -c %s -o %t/pie.thin.bc
// RUN: opt -S %t/pie.thin.bc -o %t/pie.thin.ll
// RUN: FileCheck %s --check-prefix=THIN < %t/pie.thin.ll
// RUN: %opt -passes=memscope -S %t/pie.thin.bc -o %t/pie.thin.again.ll
// RUN: diff %t/pie.thin.ll %t/pie.thin.again.ll

// Two tables, one per source module.
// CHECK: @__memscope_sites = internal global [2 x %memscope.site]
// CHECK: @__memscope_sites.{{[0-9]+}} = internal global [2 x %memscope.site]
// CHECK-NOT: call {{.*}}@malloc(
// CHECK-NOT: call {{.*}}@free(

// THIN: @__memscope_sites = internal global [2 x %memscope.site]

// Two headers, one per module, each with its malloc and free site; the calls stay,
// each after its fast path.
// INLINE: @__memscope_sites = internal global [2 x %memscope.site]
// INLINE: @__memscope_tls = internal thread_local(localexec) global { i64, i32, i32, ptr } { i64 0, i32 1, i32 0, ptr @__memscope_inline_scratch }, align 8
// INLINE: @__memscope_sites.{{[0-9]+}} = internal global [2 x %memscope.site]
// INLINE: @__memscope_tls.{{[0-9]+}} = internal thread_local(localexec) global { i64, i32, i32, ptr } { i64 0, i32 1, i32 0, ptr @__memscope_inline_scratch }, align 8
// INLINE-NOT: call {{.*}}@__memscope_malloc(
// INLINE-NOT: call {{.*}}@__memscope_free(
// INLINE-COUNT-2: call {{.*}}@__memscope_malloc_inline_slow(
// INLINE-NOT: call {{.*}}@__memscope_malloc(
// INLINE-NOT: call {{.*}}@__memscope_free(
// INLINE: attributes #{{[0-9]+}} = { {{.*}}"memscope-counted"
// After optimisation, still one fast path per call: neither counted call came back
// as a site of a third table (OPTIMISED), nor was rewritten.
// INLINE-OPTIMISED-NOT: call {{.*}}@__memscope_malloc(
// INLINE-OPTIMISED-NOT: call {{.*}}@__memscope_free(
// INLINE-OPTIMISED-COUNT-2: call {{.*}}@__memscope_free_inline_slow(
// INLINE-OPTIMISED-NOT: call {{.*}}@__memscope_free_inline_slow(

// Each module's kept malloc and free, in the allocator underneath; none calls malloc
// or free by name (the runtime's interposed ones would count the call again).
// KEPT-NOT: call {{.*}}@{{(malloc|free)}}(
// KEPT:     call {{.*}}ptr @__memscope_real_malloc(
// KEPT-NOT: call {{.*}}@{{(malloc|free)}}(
// KEPT:     call void @__memscope_real_free(
// KEPT-NOT: call {{.*}}@{{(malloc|free)}}(
// KEPT:     call {{.*}}ptr @__memscope_real_malloc(
// KEPT-NOT: call {{.*}}@{{(malloc|free)}}(
// KEPT:     call void @__memscope_real_free(
// KEPT-NOT: call {{.*}}@{{(malloc|free|__memscope_real_malloc|__memscope_real_free)}}(

// After optimisation and the second run: still exactly the two tables, whatever
// their order and names.
// OPTIMISED-COUNT-2: @__memscope_sites{{[.0-9]*}} = internal global [2 x %memscope.site]
// OPTIMISED-NOT: @__memscope_sites{{[.0-9]*}} = internal global
// REWRITTEN-NOT: call {{.*}}@malloc(

typedef __SIZE_TYPE__ size_t;
void *malloc(size_t size);
void free(void *ptr);
void sink(void *ptr);

#ifdef OTHER
void other(size_t n) {
#else
void churn(size_t n) {
#endif
  void *p = malloc(n);
  sink(p);
  free(p);
}
