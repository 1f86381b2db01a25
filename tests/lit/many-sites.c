// Thousands of sites in one module get distinct IDs: 3000 mallocs on 3000 lines, none
// of their IDs repeated; and the table is the same when the file is compiled again.
// RUN: rm -rf %t && mkdir -p %t
// RUN: awk 'BEGIN { print "void *malloc(unsigned long);"; print "void *pick(int i) {"; for (i = 0; i < 3000; i++) print "  if (i == " i ") return malloc(" i + 1 ");"; print "  return 0;"; print "}" }' > %t/many.c
// RUN: %clang -O0 -g -S -emit-llvm %t/many.c -o %t/a.ll
// RUN: %clang -O0 -g -S -emit-llvm %t/many.c -o %t/b.ll
// RUN: grep "@__memscope_sites =" %t/a.ll > %t/a.sites
// RUN: grep "@__memscope_sites =" %t/b.ll > %t/b.sites
// RUN: diff %t/a.sites %t/b.sites
// RUN: FileCheck %s < %t/a.sites
// RUN: grep -o "memscope.site { i64 -\{0,1\}[0-9]*" %t/a.sites | sort | uniq | wc -l | FileCheck %s --check-prefix=DISTINCT

// CHECK: @__memscope_sites = internal global [3000 x %memscope.site]
// DISTINCT: {{^ *}}3000{{$}}
