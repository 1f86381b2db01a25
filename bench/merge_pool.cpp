// A C++ thread pool for bench/merge's real files (docs/merge.md, "Real files"): 8 workers
// and the submitting main thread (9 threads), every task a std::function that fills a
// vector by push_back, builds strings and a small map, and hands a result back through a
// mutex-guarded list that main frees.  Built with the plugin (bench/CMakeLists.txt); run
// with MEMSCOPE_MODE=full it writes about 3.9 M events, each malloc with its stack, and
// its threads' chunks overlap in time (the merge's window holds one chunk per thread).
// Usage: bench_merge_pool [TASKS]   (default 72000)
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

class ThreadPool {
public:
  explicit ThreadPool(unsigned n) {
    for (unsigned i = 0; i < n; i++)
      workers_.emplace_back([this] { run(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> g(m_);
      done_ = true;
    }
    cv_.notify_all();
    for (auto &w : workers_)
      w.join();
  }
  void submit(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> g(m_);
      tasks_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

private:
  void run() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock<std::mutex> g(m_);
        cv_.wait(g, [this] { return done_ || !tasks_.empty(); });
        if (tasks_.empty())
          return;
        f = std::move(tasks_.front());
        tasks_.pop_front();
      }
      f();
    }
  }
  std::vector<std::thread> workers_;
  std::deque<std::function<void()>> tasks_;
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
};

struct Result {
  std::string name;
  double sum;
};

std::mutex results_m;
std::vector<Result *> results;

// One task: a vector grown by push_back (its reallocations), a few strings, a map.
void task(unsigned id) {
  std::vector<double> v;
  for (unsigned i = 0; i < 40 + id % 24; i++)
    v.push_back(i * 0.5);
  std::map<unsigned, std::string> m;
  for (unsigned i = 0; i < 6; i++)
    m[i] = "entry number " + std::to_string(id * 7 + i) + " of a task in the pool";
  double sum = 0;
  for (double x : v)
    sum += x;
  auto *r = new Result{m[id % 6], sum};
  std::lock_guard<std::mutex> g(results_m);
  results.push_back(r);
}

} // namespace

int main(int argc, char **argv) {
  unsigned tasks = argc > 1 ? (unsigned)std::strtoul(argv[1], nullptr, 10) : 72000;
  double total = 0;
  {
    ThreadPool pool(8);
    for (unsigned i = 0; i < tasks; i++) {
      pool.submit([i] { task(i); });
      if (i % 256 == 255) { // main frees what the workers made: cross-thread frees
        std::lock_guard<std::mutex> g(results_m);
        for (Result *r : results) {
          total += r->sum;
          delete r;
        }
        results.clear();
      }
    }
  }
  for (Result *r : results) {
    total += r->sum;
    delete r;
  }
  std::printf("%u tasks, sum %.1f\n", tasks, total);
  return 0;
}
