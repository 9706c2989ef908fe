// bench_swarm, the end-to-end benchmark, as a user runs it: repeated runs with
// their summary and CSV rows, CPU pinning, and its answers to bad flags. Its
// figures are not checked (timing goals are benchmarks, not tests).

#include <gtest/gtest.h>
#include <sched.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_harness.hpp"

namespace swarmsim::test {
namespace {

class bench_swarm_cli : public scratch_cli {
 protected:
  void SetUp() override {
#ifndef BENCH_SWARM_BINARY
    GTEST_SKIP() << "built without the benchmarks (SWARMSIM_BUILD_BENCH=OFF)";
#else
    scratch_cli::SetUp();
#endif
  }
  outcome bench(const std::vector<std::string>& args) const {
#ifdef BENCH_SWARM_BINARY
    return execute(BENCH_SWARM_BINARY, args);
#else
    (void)args;
    return {};
#endif
  }
};

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream l(line);
    for (std::string cell; std::getline(l, cell, ',');)
      cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

TEST_F(bench_swarm_cli, repeat_reports_every_run_and_their_minimum_and_median) {
  const outcome o = bench({"--smoke", "--repeat", "3", "--out", "results"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("bench-smoke: 3 runs, wall min"), std::string::npos) << o.out;
  const auto rows = csv_rows(read(work() / "results" / "swarm.csv"));
  ASSERT_EQ(rows.size(), 4u);
  const std::vector<std::string>& header = rows[0];
  const auto column = [&](const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    ADD_FAILURE() << "no column " << name;
    return std::size_t{0};
  };
  for (std::size_t run = 1; run <= 3; ++run) {
    ASSERT_EQ(rows[run].size(), header.size());
    EXPECT_EQ(rows[run][column("run")], std::to_string(run));
    EXPECT_EQ(rows[run][column("status")], "ok");
    // Same scenario, same seed: every repeat simulates the same run.
    EXPECT_EQ(rows[run][column("events")], rows[1][column("events")]);
    EXPECT_EQ(rows[run][column("simulated_s")], rows[1][column("simulated_s")]);
  }
}

TEST_F(bench_swarm_cli, one_run_prints_no_summary) {
  const outcome o = bench({"--smoke"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out.find("runs, wall min"), std::string::npos) << o.out;
}

TEST_F(bench_swarm_cli, pins_the_runs_to_an_allowed_cpu) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  ASSERT_EQ(::sched_getaffinity(0, sizeof allowed, &allowed), 0);
  int last = -1;  // the highest CPU this process may run on
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &allowed)) last = i;
  ASSERT_GE(last, 0);
  const outcome o = bench({"--smoke", "--cpu", std::to_string(last)});
  EXPECT_EQ(o.status, 0) << o.err;
}

TEST_F(bench_swarm_cli, rejects_a_cpu_it_may_not_run_on_and_bad_counts) {
  const outcome far = bench({"--smoke", "--cpu", "1023"});
  EXPECT_EQ(far.status, 2);
  EXPECT_NE(far.err.find("--cpu: CPU 1023 is not one this process may run on"), std::string::npos)
      << far.err;
  const outcome word = bench({"--smoke", "--cpu", "first"});
  EXPECT_EQ(word.status, 2);
  EXPECT_NE(word.err.find("'first' is not a CPU number"), std::string::npos) << word.err;
  const outcome zero = bench({"--smoke", "--repeat", "0", "--out", "results"});
  EXPECT_EQ(zero.status, 2);
  EXPECT_NE(zero.err.find("--repeat"), std::string::npos) << zero.err;
  EXPECT_FALSE(fs::exists(work() / "results"));
}

}  // namespace
}  // namespace swarmsim::test
