// The text report's width (docs/merge.md, "Width"): 500 threads, each allocating through
// containers whose names are long C++ templates, so that the report has a 500-row thread
// table and function names of 150 columns and more.  Counts are fixed: each thread makes
// 20 map nodes of a long-named map type and keeps none; the main thread keeps one block.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace very_long_namespace_name_for_the_width_test {
template <typename Key, typename Value, typename Extra> struct registry_with_a_long_name {
  std::map<Key, std::vector<std::pair<Value, Extra>>> entries;
  // One map node per call: the allocation's function is this template's member.
  __attribute__((noinline)) void insert_entry_with_a_long_name(const Key &k) {
    entries[k];
  }
};
} // namespace very_long_namespace_name_for_the_width_test

using registry = very_long_namespace_name_for_the_width_test::registry_with_a_long_name<
    std::pair<long, unsigned long>, std::pair<std::vector<int>, std::map<int, long>>,
    std::vector<std::pair<short, unsigned short>>>;

__attribute__((noinline)) static void worker(int id) {
  registry r;
  for (long i = 0; i < 20; i++)
    r.insert_entry_with_a_long_name({id, (unsigned long)i});
}

int main() {
  std::vector<std::thread> threads;
  for (int batch = 0; batch < 5; batch++) { // 100 at a time: 500 threads in all
    for (int i = 0; i < 100; i++)
      threads.emplace_back(worker, batch * 100 + i);
    for (auto &t : threads)
      t.join();
    threads.clear();
  }
  static void *kept = malloc(64);
  std::printf("%s\n", kept ? "done" : "no memory");
  return 0;
}
