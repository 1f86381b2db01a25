// Who called it (docs/merge.md, "Callers"): allocations reached through the C++ standard
// library from two threads, through a function-pointer hook (as cJSON's and Lua's
// allocators are), and by libc's asprintf (uninstrumented code).  Every count is known:
// callers.sh checks that each is attributed to the function of this file that asked.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

// 10 push_backs: the vector grows 5 times (capacity 1, 2, 4, 8, 16).
__attribute__((noinline)) static std::vector<int> make_job(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; i++)
    v.push_back(i);
  return v;
}

__attribute__((noinline)) static long run_small() { // 30 jobs: 150 allocations
  long sum = 0;
  for (int i = 0; i < 30; i++)
    sum += (long)make_job(10).size();
  return sum;
}

__attribute__((noinline)) static long run_big() { // 70 jobs: 350 allocations
  long sum = 0;
  for (int i = 0; i < 70; i++)
    sum += (long)make_job(10).size();
  return sum;
}

// An allocation hook, set at run time so that no compiler can see which function it is.
extern "C" {
typedef void *(*alloc_hook)(size_t);
static alloc_hook hook;
__attribute__((noinline)) static void *item_new(void) { return hook(48); }
__attribute__((noinline)) static void parse_a(void) { // 20 items
  for (int i = 0; i < 20; i++)
    free(item_new());
}
__attribute__((noinline)) static void parse_b(void) { // 40 items
  for (int i = 0; i < 40; i++)
    free(item_new());
}
// 25 strings that libc's asprintf allocates: uninstrumented code.
__attribute__((noinline)) static void dup_names(void) {
  for (int i = 0; i < 25; i++) {
    char *s = nullptr;
    if (asprintf(&s, "name %d", i) < 0)
      std::abort();
    free(s);
  }
}
}

int main(int argc, char **argv) {
  (void)argv;
  hook = argc > 99 ? nullptr : malloc;
  long small = 0, big = 0;
  std::thread a([&] { small = run_small(); });
  std::thread b([&] { big = run_big(); });
  a.join();
  b.join();
  parse_a();
  parse_b();
  dup_names();
  std::printf("%ld %ld\n", small, big);
  return 0;
}
