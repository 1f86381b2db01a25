// Site IDs are stable: compiling the same source again gives the same IDs, and so
// does compiling it in another directory, because the key uses the file name as
// written in the debug info, not the joined path shown in the frames (which does
// differ, as checked below).  Same with -O2 and without debug info.
// RUN: rm -rf %t && mkdir -p %t/a %t/b
// RUN: cp %s %t/a/src.c
// RUN: cp %s %t/b/src.c
//
// RUN: cd %t/a && %clang -O0 -g -S -emit-llvm src.c -o %t/a.O0.ll
// RUN: cd %t/a && %clang -O0 -g -S -emit-llvm src.c -o %t/a.O0.again.ll
// RUN: cd %t/b && %clang -O0 -g -S -emit-llvm src.c -o %t/b.O0.ll
// RUN: diff %t/a.O0.ll %t/a.O0.again.ll
// RUN: grep "@__memscope_sites =" %t/a.O0.ll > %t/a.O0.sites
// RUN: grep "@__memscope_sites =" %t/b.O0.ll > %t/b.O0.sites
// RUN: diff %t/a.O0.sites %t/b.O0.sites
// RUN: FileCheck %s --check-prefix=DIR-A < %t/a.O0.ll
// RUN: FileCheck %s --check-prefix=DIR-B < %t/b.O0.ll
// RUN: FileCheck %s --check-prefix=SITES < %t/a.O0.sites
//
// RUN: cd %t/a && %clang -O2 -g -S -emit-llvm src.c -o %t/a.O2.ll
// RUN: cd %t/b && %clang -O2 -g -S -emit-llvm src.c -o %t/b.O2.ll
// RUN: grep "@__memscope_sites =" %t/a.O2.ll > %t/a.O2.sites
// RUN: grep "@__memscope_sites =" %t/b.O2.ll > %t/b.O2.sites
// RUN: diff %t/a.O2.sites %t/b.O2.sites
// RUN: FileCheck %s --check-prefix=SITES < %t/a.O2.sites
//
// RUN: cd %t/a && %clang -O0 -S -emit-llvm src.c -o %t/a.nodebug.ll
// RUN: cd %t/b && %clang -O0 -S -emit-llvm src.c -o %t/b.nodebug.ll
// RUN: grep "@__memscope_sites =" %t/a.nodebug.ll > %t/a.nodebug.sites
// RUN: grep "@__memscope_sites =" %t/b.nodebug.ll > %t/b.nodebug.sites
// RUN: diff %t/a.nodebug.sites %t/b.nodebug.sites
// RUN: FileCheck %s --check-prefix=SITES < %t/a.nodebug.sites

// The frames show where the file was compiled...
// DIR-A: c"{{.*}}/a/src.c\00"
// DIR-B: c"{{.*}}/b/src.c\00"
// ...and the compared lines really hold the two sites.
// SITES: @__memscope_sites = internal global [2 x %memscope.site] [%memscope.site { i64 {{-?[0-9]+}}, {{.*}} }, %memscope.site { i64 {{-?[0-9]+}}, {{.*}} }]

typedef __SIZE_TYPE__ size_t;
void *malloc(size_t size);
void free(void *ptr);
void sink(void *ptr);

void churn(size_t n) {
  void *p = malloc(n);
  sink(p);
  free(p);
}
