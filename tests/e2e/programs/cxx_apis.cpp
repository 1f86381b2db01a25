// C++ operator new and delete in their forms (plain, array, aligned, nothrow, sized),
// a std::vector's allocator, a throwing new under `invoke` that must still reach the
// program's handler, and a nothrow new that must return null.  Each site is called a
// known number of times from its own line ("site:NAME"); tests/e2e/cxx_apis.sh checks
// the per-site counts.  Built at -O0 so that every call stays as written.
#include <cstdint>
#include <cstdio>
#include <new>
#include <vector>

struct alignas(64) Line {
  char bytes[128];
};

struct Node {
  Node *next = nullptr;
  long value = 0;
};

volatile size_t huge = SIZE_MAX / 2;

int main() {
  for (int i = 0; i < 100; i++) {
    Node *n = new Node; // site:new
    delete n;           // site:delete
  }
  for (int i = 0; i < 50; i++) {
    char *a = new char[10]; // site:new[]
    delete[] a;             // site:delete[]
  }
  for (int i = 0; i < 20; i++) {
    Line *l = new Line; // site:new-aligned
    delete l;           // site:delete-aligned
  }
  for (int i = 0; i < 5; i++) {
    Line *ls = new Line[2]; // site:new[]-aligned
    delete[] ls;            // site:delete[]-aligned
  }
  for (int i = 0; i < 30; i++) {
    int *p = new (std::nothrow) int(i); // site:new-nothrow
    delete p;                           // site:delete-nothrow
  }
  for (int i = 0; i < 10; i++) {
    std::vector<int> v;
    v.reserve(100); // 400 bytes through std::allocator<int>
  }
  char *none = new (std::nothrow) char[huge]; // site:new-nothrow-fails
  std::printf("nothrow new: %s\n", none ? "a block" : "null");
  try {
    char *big = new char[huge]; // site:new-throws
    std::printf("unexpected block %p\n", static_cast<void *>(big));
  } catch (const std::bad_alloc &) {
    std::printf("caught bad_alloc\n");
  }
  return 0;
}
