// C++ workers, the seeds' scenarios in C++: std::thread workers using std::vector,
// std::string and std::map, explicit new/delete, and a thread_local cache.
//
// Every operator new/delete the compiler sees is a site.  Counts are not asserted
// exactly: std::string's out-of-line members live in libstdc++.so, which is not
// instrumented (docs/limits.md), so some of its allocations are not seen.
//
// Build: clang++-19 -O2 -g -fpass-plugin=MemscopePass.so cxx_workers.cpp -lmemscope -lpthread -lm
// Run:   MEMSCOPE_OUT=out ./cxx_workers && memscope-merge out/memscope.cxx_workers.*.msgpack
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kWorkers = 16;
constexpr int kTasks = 500;

struct Order {
  long id;
  double amount;
  std::string customer;
};

// Each thread's cache of formatted keys, built lazily and released when the thread ends.
thread_local std::map<int, std::string> cache;

std::atomic<unsigned long> orders_done{0};
std::atomic<unsigned long> cache_entries{0};
Order *volatile sink;  // blocks escape: -O2 keeps every new/delete pair

void work(int id) {
  std::vector<double> amounts;
  std::map<std::string, double> totals;
  for (int task = 0; task < kTasks; task++) {
    auto *order = new Order{task, 1.5 * task, "customer-" + std::to_string(task % 37)};
    sink = order;
    amounts.push_back(order->amount);  // grows by doubling
    totals[order->customer] += order->amount;
    auto found = cache.find(task % 64);
    if (found == cache.end())
      cache.emplace(task % 64, "key/" + std::to_string(id) + "/" + std::to_string(task % 64));
    std::unique_ptr<std::vector<int>> scratch(new std::vector<int>(32 + task % 32, id));
    delete order;
    orders_done++;
  }
  cache_entries += cache.size();
}

}  // namespace

int main() {
  std::vector<std::thread> workers;
  workers.reserve(kWorkers);
  for (int id = 0; id < kWorkers; id++) workers.emplace_back(work, id);
  for (auto &t : workers) t.join();
  std::printf("cxx_workers: %d threads, %lu orders, %lu cache entries\n", kWorkers,
              orders_done.load(), cache_entries.load());
  return 0;
}
