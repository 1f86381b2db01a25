// Frames name C++ functions with their namespaces and classes (docs/pass.md, "Sites"):
// "app::Pool::grow", "(anonymous namespace)::make", a template's class with its
// arguments, and no parameter list, so that one function has one spelling.  (A .c file
// compiled as C++, as lit here runs .c and .ll tests.)
// RUN: %clang -x c++ -O0 -g -S -emit-llvm %s -o - | FileCheck %s
// CHECK-DAG: c"app::Pool::grow\00"
// CHECK-DAG: c"(anonymous namespace)::make\00"
// CHECK-DAG: c"app::Box<int>::fill\00"
// CHECK-DAG: c"plain\00"
// CHECK-NOT: c"grow\00"
typedef __SIZE_TYPE__ size_t;
extern "C" void *malloc(size_t);
extern "C" void free(void *);

namespace app {
struct Pool {
  void *grow(size_t n) { return malloc(n); }
};
template <typename T> struct Box {
  T *fill() { return new T(); }
};
} // namespace app

namespace {
void *make() { return malloc(8); }
} // namespace

extern "C" void *plain(void) { return malloc(1); }

int main() {
  app::Pool p;
  free(p.grow(4));
  free(make());
  app::Box<int> b;
  delete b.fill();
  free(plain());
}
