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

#include <cstring>
#include <string>

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
