// A site's ID does not depend on its line (docs/pass.md, "Site IDs"): lines added
// above the calls (here three, and a new function with its own malloc in another
// function) leave every ID of the old calls as it was, while the frames show the new
// lines.  Two mallocs in one function get different IDs (their rank by position), and
// keep them when both move.
// RUN: rm -rf %t && mkdir -p %t
// RUN: cp %s %t/src.c
// RUN: printf '// one\n// two\nvoid *malloc(__SIZE_TYPE__);\nvoid *added(void) { return malloc(3); }\n' > %t/edited.c
// RUN: cat %s >> %t/edited.c
// RUN: cd %t && %clang -O0 -g -S -emit-llvm src.c -o %t/src.ll
// RUN: cd %t && %clang -O0 -g -S -emit-llvm edited.c -o %t/edited.ll
// RUN: grep "@__memscope_sites =" %t/src.ll | grep -o "i64 -\?[0-9]*" > %t/src.ids
// RUN: grep "@__memscope_sites =" %t/edited.ll | grep -o "i64 -\?[0-9]*" > %t/edited.ids
// The edited file's first site is the added one; the others are the old ones, in order
// (the key names the file as written: same name, src.c vs edited.c, so compare the
// IDs of a copy named alike).
// RUN: mkdir -p %t/e && cp %t/edited.c %t/e/src.c
// RUN: cd %t/e && %clang -O0 -g -S -emit-llvm src.c -o %t/e.ll
// RUN: grep "@__memscope_sites =" %t/e.ll | grep -o "i64 -\?[0-9]*" | tail -n +2 > %t/e.ids
// RUN: diff %t/src.ids %t/e.ids
// RUN: FileCheck %s --check-prefix=COUNT < %t/src.ids
// RUN: grep "@__memscope_frames =" %t/e.ll | FileCheck %s --check-prefix=LINES
// COUNT: i64
// COUNT-NEXT: i64
// COUNT-NEXT: i64
// COUNT-NOT: i64
// The frames still show where each call is now (4 lines lower): the added malloc at
// line 4, then the first one below.
// LINES: i32 4, i32 {{[0-9]+}} }
typedef __SIZE_TYPE__ size_t;
void *malloc(size_t size);
void free(void *ptr);
void sink(void *ptr);

void twice(size_t n) {
  // LINES-SAME: i32 [[#@LINE+5]], i32 13 }
  void *p = malloc(n);
  void *q = malloc(2 * n);
  sink(p);
  sink(q);
  free(p);
}
