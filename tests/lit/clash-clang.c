// A user declaration that clashes with the runtime's symbols is a clear compile error
// through clang (not only through opt): the message names the symbol, clang exits
// non-zero, nothing crashes; at -O0 and -O2, C and C++.  A declaration that matches
// the runtime's (include/memscope/abi.h) compiles.  Only the functions a module would
// call are checked: with the inline fast paths off, malloc calls __memscope_malloc (and
// operator new its helper, which calls __memscope_note_alloc), where by default (-fPIE
// or -fPIC) they are counted inline and call __memscope_malloc_inline_slow or
// __memscope_alloc_inline_slow (INLINE, CXX_INLINE).
// RUN: env MEMSCOPE_PASS_INLINE=never not %clang -fPIC -O0 -c %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=C
// RUN: env MEMSCOPE_PASS_INLINE=never not %clang -fPIC -O2 -c %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=C
// RUN: env MEMSCOPE_PASS_INLINE=never not %clang -x c++ -fPIC -O2 -DCXX -c %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=CXX
// RUN: not %clang -fPIC -O2 -DINLINE -c %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=INLINE
// RUN: not %clang -x c++ -fPIE -O2 -DCXX_INLINE -c %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=CXX_INLINE
// RUN: not %clang -fPIE -O2 -DINLINE -c %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=INLINE
// RUN: %clang -fPIC -O2 -DMATCHING -I%memscope_include -c %s -o /dev/null
// RUN: %clang -fPIE -O2 -DMATCHING -I%memscope_include -c %s -o /dev/null

// C: error: memscope: '__memscope_malloc' is already declared as i32 (i32) but the memscope runtime defines it as ptr (i64, ptr); names starting with '__memscope_' are reserved for memscope (module not instrumented)
// C-NOT: PLEASE submit a bug report
// CXX: error: memscope: '__memscope_note_alloc' is already declared as a non-function symbol but the memscope runtime defines it as void (i64, ptr, ptr)
// CXX-NOT: PLEASE submit a bug report
// INLINE: error: memscope: '__memscope_inline_widen' is already declared as void (ptr, i32) but the memscope runtime defines it as void (ptr, i64)
// INLINE-NOT: PLEASE submit a bug report
// CXX_INLINE: error: memscope: '__memscope_alloc_inline_slow' is already declared as a non-function symbol but the memscope runtime defines it as void (i64, ptr, i64, ptr, ptr)
// CXX_INLINE-NOT: PLEASE submit a bug report

#if defined(MATCHING)
#include "memscope/abi.h"
#include <stdlib.h>
void *use(size_t n) { return __memscope_malloc(n, 0) ? malloc(n) : 0; }
#elif defined(INLINE)
typedef __SIZE_TYPE__ size_t;
void *malloc(size_t n);
void __memscope_inline_widen(void *slot, int size);
void *use(size_t n) {
  __memscope_inline_widen(0, 1);
  return malloc(n);
}
#elif defined(CXX_INLINE)
#include <cstddef>
extern "C" int __memscope_alloc_inline_slow;
int *make() { return new int(__memscope_alloc_inline_slow); }
#elif defined(CXX)
#include <cstddef>
extern "C" int __memscope_note_alloc;
int *make() { return new int(__memscope_note_alloc); }
#else
typedef __SIZE_TYPE__ size_t;
void *malloc(size_t n);
int __memscope_malloc(int);
void *use(size_t n) { return __memscope_malloc((int)n) ? malloc(n) : 0; }
#endif
