// Clang 16 and 19 parse -mllvm options before they load -fpass-plugin plugins, so the
// plugin's options are unknown unless -Xclang -load loaded it first (clang-options.c);
// clang 22 loads pass plugins first, and a plain -mllvm works.
// RUN: rm -rf %t && mkdir -p %t && echo "fun:ignored" > %t/ignore.txt
// RUN: %if llvm-22 %{ %clang -mllvm -memscope-ignorelist=%t/ignore.txt -O0 -S -emit-llvm %s -o - | FileCheck %s --check-prefix=ACCEPTED %} \
// RUN:   %else %{ not %clang -mllvm -memscope-ignorelist=%t/ignore.txt -O0 -S -emit-llvm %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=UNKNOWN %}

// UNKNOWN: Unknown command line argument '-memscope-ignorelist={{.*}}'
// ACCEPTED-LABEL: define {{.*}}@ignored(
// ACCEPTED:         call {{.*}}@malloc(

typedef __SIZE_TYPE__ size_t;
void *malloc(size_t size);
void *ignored(size_t n) { return malloc(n); }
