// A frame's file is shown without "." and "..": compiled from a sibling directory as
// ../src/alloc.c, the frame reads <dir>/src/alloc.c (docs/pass.md, "Sites").
// RUN: rm -rf %t && mkdir -p %t/src %t/build
// RUN: cp %s %t/src/alloc.c
// RUN: cd %t/build && %clang -O0 -g -S -emit-llvm ../src/./alloc.c -o %t/out.ll
// RUN: FileCheck %s -DDIR=%t < %t/out.ll
// CHECK: c"[[DIR]]/src/alloc.c\00"
// CHECK-NOT: /../
typedef __SIZE_TYPE__ size_t;
void *malloc(size_t);
void *make(void) { return malloc(4); }
