#pragma once
// What the Google Benchmark programs of bench/ share: a main that takes --smoke
// and exits non-zero when a benchmark found its setup or its result wrong.
//
// 1. --smoke (taken out of argv before Google Benchmark sees it) asks the program
//    to register tiny sizes with a short minimum time: the test suite runs each
//    program so, to keep it building and working; the figures mean nothing then.
// 2. fail() marks the benchmark as errored (SkipWithError) and makes run_main()
//    return 1, so a smoke run of a broken benchmark fails its test.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace swarmsim::bench {

// Minimum time of each benchmark in a smoke run, in seconds.
inline constexpr double smoke_min_time = 0.005;

inline bool& failed_flag() {
  static bool failed = false;
  return failed;
}

// Reports a broken setup or a wrong result; the caller must then leave the
// benchmark's loop (or not enter it).
inline void fail(benchmark::State& state, const std::string& why) {
  failed_flag() = true;
  state.SkipWithError(why.c_str());
}

// Removes every "--smoke" from argv; returns whether there was one.
inline bool take_smoke_flag(int& argc, char** argv) {
  bool smoke = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0)
      smoke = true;
    else
      argv[kept++] = argv[i];
  }
  argc = kept;
  argv[argc] = nullptr;
  return smoke;
}

// Intervals timed by hand: seconds since the last mark, less the clock's own cost.
class lap_timer {
 public:
  using clock = std::chrono::steady_clock;

  lap_timer() { overhead(); }  // measured once, outside any timed interval

  void mark() { last_ = clock::now(); }
  double lap() {
    const clock::time_point now = clock::now();
    const double s = std::chrono::duration<double>(now - last_).count() - overhead();
    last_ = now;
    return std::max(0.0, s);
  }

 private:
  static double overhead() {
    static const double cost = [] {
      double best = 1;
      for (int round = 0; round < 20; ++round) {
        constexpr int n = 20000;
        clock::duration sum{};
        for (int i = 0; i < n; ++i) {
          const auto t0 = clock::now();
          const auto t1 = clock::now();
          sum += t1 - t0;
        }
        best = std::min(best, std::chrono::duration<double>(sum).count() / n);
      }
      return best;
    }();
    return cost;
  }

  clock::time_point last_ = clock::now();
};

// The median of many short timed intervals, which a preemption by another
// process (the project's machine is shared) skews far less than their mean:
// a histogram of 1 % wide buckets from 1 ns to about 20 ms.
class lap_histogram {
 public:
  lap_histogram() : buckets_(num_buckets, 0) {}

  void add(double seconds) {
    const double ns = seconds * 1e9;
    const int b = ns <= 1 ? 0 : static_cast<int>(std::log(ns) / log_step);
    ++buckets_[static_cast<std::size_t>(std::min(b, num_buckets - 1))];
    ++count_;
  }
  // In ns: the middle of the bucket that holds the q-quantile; 0 if empty.
  double quantile_ns(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1));
    std::uint64_t seen = 0;
    for (int b = 0; b < num_buckets; ++b) {
      seen += buckets_[static_cast<std::size_t>(b)];
      if (seen > rank) return std::exp((b + 0.5) * log_step);
    }
    return std::exp(num_buckets * log_step);
  }
  double median_ns() const { return quantile_ns(0.5); }

 private:
  static constexpr int num_buckets = 1700;
  static constexpr double log_step = 0.00995033;  // ln(1.01)

  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
};

// The whole main: register(smoke) registers the program's benchmarks.
template <typename Register>
int run_main(int argc, char** argv, Register&& register_benchmarks) {
  const bool smoke = take_smoke_flag(argc, argv);
  register_benchmarks(smoke);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return failed_flag() ? 1 : 0;
}

}  // namespace swarmsim::bench
