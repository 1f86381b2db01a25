// The pass's options through clang alone (no opt): each environment variable works
// with a plain -fpass-plugin, and -mllvm works once -Xclang -load has loaded the plugin
// before clang parses its options (clang-mllvm-order.c: clang 16 and 19 reject
// -mllvm -memscope-... otherwise); a flag beats the environment.
// RUN: rm -rf %t && mkdir -p %t
// RUN: echo "fun:ignored_*" > %t/ignore.txt
// RUN: echo "fun:listed_wrapper" > %t/wrappers.txt
// RUN: echo "fun:nothing_here" > %t/other.txt
//
// RUN: %clang -O0 -S -emit-llvm %s -o - | FileCheck %s --check-prefixes=CHECK,DEFAULT
// RUN: env MEMSCOPE_PASS_IGNORELIST=%t/ignore.txt %clang -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,IGNORED
// RUN: env MEMSCOPE_PASS_WRAPPERS=named_wrapper,listed_wrapper %clang -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,NAMED,LISTED
// RUN: env MEMSCOPE_PASS_WRAPPER_LIST=%t/wrappers.txt %clang -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,LISTED
// RUN: env MEMSCOPE_PASS_DECLARED_WRAPPERS=0 %clang -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,UNDECLARED
// RUN: env MEMSCOPE_PASS_ADDRESS_TAKEN=0 %clang -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,NOADDRESS
// A list that cannot be read fails the compilation.
// RUN: env MEMSCOPE_PASS_IGNORELIST=%t/missing.txt not %clang -O0 -S -emit-llvm %s -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=MISSING
//
// -mllvm after -Xclang -load; the flag wins over the environment.
// RUN: %clang -Xclang -load -Xclang %plugin -mllvm -memscope-ignorelist=%t/ignore.txt \
// RUN:   -O0 -S -emit-llvm %s -o - | FileCheck %s --check-prefixes=CHECK,IGNORED
// RUN: env MEMSCOPE_PASS_IGNORELIST=%t/other.txt %clang -Xclang -load -Xclang %plugin \
// RUN:   -mllvm -memscope-ignorelist=%t/ignore.txt -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,IGNORED
// RUN: env MEMSCOPE_PASS_ADDRESS_TAKEN=0 %clang -Xclang -load -Xclang %plugin \
// RUN:   -mllvm -memscope-address-taken=true -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,DEFAULT
//
// Inline fast paths: auto counts malloc inline in a PIE module through its own
// local-exec header, in a -fPIC one through the runtime's (SHARED; =shared forces it);
// MEMSCOPE_PASS_INLINE=never and =always override that, the flag overrides the variable,
// and a value that is none of the four fails the compilation.  MEMSCOPE_INLINE, the
// former name, is read when MEMSCOPE_PASS_INLINE is not set.
// RUN: %clang -fPIE -O0 -S -emit-llvm %s -o - | FileCheck %s --check-prefixes=CHECK,INLINE
// RUN: %clang -fPIC -O0 -S -emit-llvm %s -o - | FileCheck %s --check-prefixes=CHECK,INLINE,SHARED
// RUN: env MEMSCOPE_PASS_INLINE=shared %clang -fPIE -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,INLINE,SHARED
// RUN: env MEMSCOPE_PASS_INLINE=never %clang -fPIE -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,RUNTIME
// RUN: env MEMSCOPE_PASS_INLINE=always %clang -fPIC -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,INLINE
// RUN: env MEMSCOPE_PASS_INLINE=never %clang -Xclang -load -Xclang %plugin -mllvm -memscope-inline=auto \
// RUN:   -fPIE -O0 -S -emit-llvm %s -o - | FileCheck %s --check-prefixes=CHECK,INLINE
// RUN: %clang -Xclang -load -Xclang %plugin -mllvm -memscope-inline=never \
// RUN:   -fPIE -O0 -S -emit-llvm %s -o - | FileCheck %s --check-prefixes=CHECK,RUNTIME
// RUN: env MEMSCOPE_PASS_INLINE=sometimes not %clang -O0 -S -emit-llvm %s -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BADINLINE
// The former name alone, and both (the new one wins, whichever way round).
// RUN: env MEMSCOPE_INLINE=never %clang -fPIE -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,RUNTIME
// RUN: env MEMSCOPE_INLINE=always %clang -fPIC -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,INLINE
// RUN: env MEMSCOPE_PASS_INLINE=auto MEMSCOPE_INLINE=never %clang -fPIE -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,INLINE
// RUN: env MEMSCOPE_PASS_INLINE=never MEMSCOPE_INLINE=always %clang -fPIC -O0 -S -emit-llvm %s -o - \
// RUN:   | FileCheck %s --check-prefixes=CHECK,RUNTIME
// RUN: env MEMSCOPE_INLINE=sometimes not %clang -O0 -S -emit-llvm %s -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BADOLD

typedef __SIZE_TYPE__ size_t;
void *malloc(size_t size);
void free(void *ptr);

// MISSING: error: memscope: cannot use the ignore list '{{.*}}missing.txt'
// BADINLINE: error: memscope: MEMSCOPE_PASS_INLINE='sometimes' is none of auto, always, shared, never
// BADOLD: error: memscope: MEMSCOPE_INLINE='sometimes' is none of auto, always, shared, never

// Wrappers defined elsewhere: a call is a wrapper site when the options say so.
void *named_wrapper(size_t n);
void *listed_wrapper(size_t n);
__attribute__((malloc)) void *declared_wrapper(size_t n);

// SHARED-NOT:    @__memscope_tls =
// SHARED:        @__memscope_shared_tls = external thread_local(initialexec) global
// SHARED:        @__memscope_slot_base = internal global i64
// CHECK-LABEL: define {{.*}}@ignored_fn(
// DEFAULT:       call {{.*}}@__memscope_malloc{{(_inline_slow)?}}(
// IGNORED-NOT:   __memscope
// IGNORED:       call {{.*}}@malloc(
// INLINE-NOT:    @malloc(
// INLINE:        call {{.*}}@__memscope_real_malloc(
// INLINE:        call {{.*}}@__memscope_malloc_inline_slow(
// RUNTIME-NOT:   {{@malloc\(|@__memscope_real_malloc}}
// RUNTIME:       call {{.*}}@__memscope_malloc(
// CHECK:         ret
void *ignored_fn(size_t n) { return malloc(n); }

// CHECK-LABEL: define {{.*}}@calls_wrappers(
// NAMED:         call {{.*}}@named_wrapper.memscope(
// DEFAULT:       call {{.*}}@named_wrapper(
// LISTED:        call {{.*}}@listed_wrapper.memscope(
// DEFAULT:       call {{.*}}@listed_wrapper(
// DEFAULT:       call {{.*}}@declared_wrapper.memscope(
// UNDECLARED:    call {{.*}}@declared_wrapper(
// CHECK:         ret
void calls_wrappers(void **out) {
  out[0] = named_wrapper(1);
  out[1] = listed_wrapper(2);
  out[2] = declared_wrapper(3);
}

// CHECK-LABEL: define {{.*}}@takes_address(
// DEFAULT:       store ptr @__memscope_fp.free,
// NOADDRESS:     store ptr @free,
// CHECK:         ret
void takes_address(void (**out)(void *)) { *out = free; }
