// The C++ twin of common/app.c: 100 new[] + 20 calloc (in libcounter) + 3 new kept:
// 123 allocations, 120 frees, 3 blocks live at exit.
#include <cstdio>
#include <cstring>

extern "C" {
#include "counter.h"
}

void *volatile app_sink;

struct Node {
  int value[4];
};

int main() {
  for (int i = 0; i < 100; i++) {
    char *p = new char[64]; // site:loop
    std::memset(p, i, 64);
    app_sink = p;
    delete[] p;
  }
  Node *kept[3];
  for (int i = 0; i < 3; i++)
    kept[i] = new Node(); // site:kept
  app_sink = kept;
  std::printf("app: %d\n", counter_fill(20));
  return 0;
}
