// The instrumented side of e2e/uninstrumented: blocks cross the boundary with an
// uninstrumented library both ways, from two threads; C++ new/delete must be counted
// once (by the instrumented site), never again by the interposed malloc under them.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

extern "C" {
char *ul_make(size_t n);
char *ul_grow(char *p, size_t n);
void ul_release(void *p);
}

static void *volatile sink;

static void *work(void *) {
  for (int i = 0; i < 1000; i++) { // the library allocates, we free
    char *p = ul_make(100);
    sink = p;
    free(p);
  }
  for (int i = 0; i < 500; i++) { // we allocate, the library frees
    char *q = (char *)malloc(200);
    sink = q;
    ul_release(q);
  }
  for (int i = 0; i < 300; i++) { // the library allocates and grows, then frees
    char *r = ul_grow(ul_make(50), 5000);
    sink = r;
    ul_release(r);
  }
  for (int i = 0; i < 200; i++) { // C++: counted at these sites only
    int *a = new int[10];
    sink = a;
    delete[] a;
  }
  return nullptr;
}

int main() {
  pthread_t t;
  pthread_create(&t, nullptr, work, nullptr);
  pthread_join(t, nullptr);
  work(nullptr);
  puts("uninst_main: done");
  return 0;
}
