// operator new's new_handler loop: libstdc++'s operator new calls malloc (aligned_alloc
// for the aligned forms) again after a failure, once the handler has run.  The handler
// here is the usual one, `delete[] reserve`: an instrumented operator inside the
// operator.  tests/hostile/new_handler.sh checks that each block is counted once, at
// its site, and that the retries are not counted again as uninstrumented calls.
//   A. the retry succeeds: an address-space limit leaves no room for a 200 MiB block
//      while a 256 MiB reserve is held (plain and aligned new), 3 times each;
//   B. the retry fails: the handler frees a reserve, then removes itself, and new throws;
//   C. a nothrow new whose handler throws std::bad_alloc returns null.
#include <cstdio>
#include <cstdlib>
#include <new>
#include <sys/resource.h>

static char *reserve;
static int handler_calls;
static void release_reserve() {
  handler_calls++;
  if (reserve) {
    delete[] reserve; // site:handler-delete
    reserve = nullptr;
    return;
  }
  std::set_new_handler(nullptr);
}
static void throwing_handler() {
  handler_calls++;
  throw std::bad_alloc();
}
static size_t address_space() {
  FILE *f = std::fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (!f || std::fscanf(f, "%lu", &pages) != 1) std::abort();
  std::fclose(f);
  return pages * 4096;
}

struct alignas(4096) Page {
  char bytes[4096];
};
constexpr size_t mib = 1 << 20;
volatile size_t huge = size_t(1) << 46; // 64 TiB: never there
// (blocks kept in globals: the optimiser may delete a new and delete[] pair whose block
// does not escape, or fold a nothrow new compared with null)
char *volatile last;
Page *volatile pages;

int main() {
  reserve = new char[256 * mib]; // site:first-reserve
  struct rlimit limit;
  if (getrlimit(RLIMIT_AS, &limit) != 0) return 2;
  limit.rlim_cur = address_space() + 128 * mib;
  if (setrlimit(RLIMIT_AS, &limit) != 0) return 2;
  long touched = 0;
  for (int i = 0; i < 3; i++) {
    std::set_new_handler(release_reserve);
    last = new char[200 * mib]; // site:retry-new
    last[0] = 1;
    touched += last[0];
    delete[] last;                 // site:retry-delete
    reserve = new char[256 * mib]; // site:reserve-again
    std::set_new_handler(release_reserve);
    pages = new Page[200 * mib / sizeof(Page)]; // site:retry-aligned
    pages[0].bytes[0] = 1;
    touched += pages[0].bytes[0];
    delete[] pages;                // site:retry-aligned-delete
    reserve = new char[256 * mib]; // site:reserve-aligned
  }
  std::set_new_handler(nullptr);
  delete[] reserve; // site:last-reserve
  reserve = nullptr;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_AS, &limit) != 0) return 2;
  int thrown = 0;
  for (int i = 0; i < 3; i++) {
    reserve = new char[1000]; // site:small-reserve
    std::set_new_handler(release_reserve);
    try {
      last = new char[huge]; // site:fails
      std::printf("unexpected block %p\n", static_cast<void *>(last));
    } catch (const std::bad_alloc &) {
      thrown++;
    }
  }
  int nulls = 0;
  std::set_new_handler(throwing_handler);
  for (int i = 0; i < 3; i++) {
    last = new (std::nothrow) char[huge]; // site:nothrow-fails
    nulls += last == nullptr;
  }
  std::set_new_handler(nullptr);
  std::printf("new_handler: %ld touched, %d thrown, %d nulls, %d handler calls\n", touched,
              thrown, nulls, handler_calls);
  return 0;
}
