// -flto and -flto=thin: the compile step instruments (the bitcode carries the sites),
// and instrumenting again later (as an LTO step that loads the plugin would, after
// linking the modules and optimising them) adds nothing: no call is left to rewrite,
// no second table, no doubled site.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %clang -O2 -g -flto -c %s -o %t/full.bc
// RUN: %clang -O2 -g -flto -c %s -DOTHER -o %t/full2.bc
// RUN: llvm-link %t/full.bc %t/full2.bc -o %t/linked.bc
// RUN: opt -S %t/linked.bc -o %t/linked.ll
// RUN: FileCheck %s < %t/linked.ll
// RUN: %opt -passes=memscope -S %t/linked.bc -o %t/again.ll
// RUN: diff %t/linked.ll %t/again.ll
// RUN: %opt -passes='default<O2>,memscope' -S %t/linked.bc -o %t/optimised.ll
// RUN: FileCheck %s --check-prefix=OPTIMISED < %t/optimised.ll
// RUN: %clang -O2 -g -flto=thin -c %s -o %t/thin.bc
// RUN: opt -S %t/thin.bc -o %t/thin.ll
// RUN: FileCheck %s --check-prefix=THIN < %t/thin.ll
// RUN: %opt -passes=memscope -S %t/thin.bc -o %t/thin.again.ll
// RUN: diff %t/thin.ll %t/thin.again.ll

// Two tables, one per source module.
// CHECK: @__memscope_sites = internal global [2 x %memscope.site]
// CHECK: @__memscope_sites.{{[0-9]+}} = internal global [2 x %memscope.site]
// CHECK-NOT: call {{.*}}@malloc(
// CHECK-NOT: call {{.*}}@free(

// THIN: @__memscope_sites = internal global [2 x %memscope.site]

// After optimisation and the second run: still exactly the two tables, whatever
// their order and names.
// OPTIMISED-COUNT-2: @__memscope_sites{{[.0-9]*}} = internal global [2 x %memscope.site]
// OPTIMISED-NOT: @__memscope_sites{{[.0-9]*}} = internal global
// OPTIMISED-NOT: call {{.*}}@malloc(

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
