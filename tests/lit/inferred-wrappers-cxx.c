// C++ allocators are inferred wrappers: allocate() returns operator new's pointer, the
// traits' allocate returns allocate()'s, the container's m_allocate returns null or
// that; grow() keeps the pointer, so the site is grow's call, with those three as
// frames above it (as libstdc++'s __new_allocator<T>::allocate, allocator_traits and
// _Vector_base::_M_allocate put it in _M_realloc_insert).  The twins of these
// linkonce_odr functions are internal, outside any comdat: a module's callers and its
// twin agree on the leaves because they see the same body.  (A .c file compiled as
// C++, as lit here runs .c and .ll tests.)
// RUN: %clang -x c++ -O0 -g -S -emit-llvm %s -o %t.ll
// RUN: FileCheck %s < %t.ll
typedef __SIZE_TYPE__ size_t;
void *operator new(size_t);
void operator delete(void *) noexcept;
void fail();

namespace lib {
template <typename T> struct new_allocator {
  T *allocate(size_t n) {
    if (n > size_t(-1) / sizeof(T))
      fail();
    return static_cast<T *>(::operator new(n * sizeof(T)));
  }
};
template <typename A> struct traits {
  static auto allocate(A &a, size_t n) { return a.allocate(n); }
};
template <typename T> struct vec {
  T *data = nullptr;
  new_allocator<T> alloc;
  T *m_allocate(size_t n) { return n != 0 ? traits<new_allocator<T>>::allocate(alloc, n) : nullptr; }
  void grow(size_t n) {
    T *p = m_allocate(n);
    ::operator delete(data);
    data = p;
  }
};
} // namespace lib

int main() {
  lib::vec<int> v;
  v.grow(4);
  lib::vec<double> w;
  w.grow(2);
}

// CHECK-DAG: [[ALLOCATE:@__memscope_str[.0-9]*]] = {{.*}} c"lib::new_allocator<int>::allocate\00"
// CHECK-DAG: [[TRAITS:@__memscope_str[.0-9]*]] = {{.*}} c"lib::traits<lib::new_allocator<int>>::allocate\00"
// CHECK-DAG: [[MALLOCATE:@__memscope_str[.0-9]*]] = {{.*}} c"lib::vec<int>::m_allocate\00"
// CHECK-DAG: [[GROW:@__memscope_str[.0-9]*]] = {{.*}} c"lib::vec<int>::grow\00"
// CHECK: @__memscope_frames =
// CHECK-SAME: %memscope.frame { ptr [[ALLOCATE]], ptr {{[^,]*}}, i32 21, i32 {{[0-9]+}} }, %memscope.frame { ptr [[TRAITS]], ptr {{[^,]*}}, i32 25, i32 {{[0-9]+}} }, %memscope.frame { ptr [[MALLOCATE]], ptr {{[^,]*}}, i32 30, i32 {{[0-9]+}} }, %memscope.frame { ptr [[GROW]], ptr {{[^,]*}}, i32 32, i32 {{[0-9]+}} }
// The site in grow is a new site (API 13) with four frames.
// CHECK: @__memscope_sites =
// CHECK-SAME: i32 4, i32 13, i32 0,

// CHECK-LABEL: define linkonce_odr {{.*}}void @_ZN3lib3vecIiE4growEm(
// CHECK:         call ptr @_ZN3lib3vecIiE10m_allocateEm.memscope(ptr {{.*}}, i64 {{.*}}, ptr @__memscope_sites)
// CHECK-LABEL: define internal noundef ptr @_ZN3lib3vecIiE10m_allocateEm.memscope(
// CHECK-NOT:     comdat
// CHECK-SAME:    {
// CHECK:         call ptr @_ZN3lib6traitsINS_13new_allocatorIiEEE8allocateERS2_m.memscope({{.*}}, ptr %2)
// CHECK-LABEL: define internal noundef ptr @_ZN3lib6traitsINS_13new_allocatorIiEEE8allocateERS2_m.memscope(
// CHECK:         call ptr @_ZN3lib13new_allocatorIiE8allocateEm.memscope({{.*}}, ptr %2)
// CHECK-LABEL: define internal noundef ptr @_ZN3lib13new_allocatorIiE8allocateEm.memscope(
// CHECK:         call ptr @__memscope_cxx._Znwm(i64 {{.*}}, ptr %2)
