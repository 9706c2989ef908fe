// `swarmsim run --real` and `--compare` as a user meets them: the real binary in a
// scratch directory, its exit status, output and the files it leaves.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_harness.hpp"

namespace swarmsim::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// One seed and three leechers sharing 1 MiB at a few MiB/s: a fraction of a second.
constexpr const char* tiny = R"(name: tiny
torrent: {size: 1MiB, piece_size: 64KiB, block_size: 16KiB}
groups:
  - {name: seed, role: seed, upload: 4MiB/s}
  - {name: leechers, count: 3, role: leecher, upload: 2MiB/s, download: 8MiB/s}
simulation: {seed: 1, time_limit: 1min}
)";

constexpr std::initializer_list<const char*> result_files{"peers.csv", "timeseries.csv",
                                                          "summary.json", "scenario.resolved.yaml"};

using real_run_cli = scratch_cli;

TEST_F(real_run_cli, real_writes_the_simulators_files) {
  const fs::path scenario = file("tiny.yaml", tiny);
  const outcome o = swarmsim({"run", scenario.string(), "--real"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("results in results/tiny-real/"));
  const auto files = files_below(work() / "results" / "tiny-real");
  EXPECT_EQ(files.size(), result_files.size());
  for (const char* name : result_files)
    EXPECT_TRUE(files.count(name)) << name;
  EXPECT_THAT(files.at("peers.csv"), StartsWith("id,group,role,"));
  EXPECT_THAT(files.at("summary.json"), HasSubstr("\"completed\": 3,"));
  // peer_availability as the simulator writes it: an empty cell while no leecher
  // has a connection (the first sample, before any connects; the last, after
  // everyone completed), never a 0 standing for "undefined".
  const std::string& ts = files.at("timeseries.csv");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t at = 0; at < ts.size();) {
    const std::size_t end = ts.find('\n', at);
    std::vector<std::string>& row = rows.emplace_back();
    const std::string line = ts.substr(at, end - at);
    for (std::size_t from = 0;;) {
      const std::size_t comma = line.find(',', from);
      row.push_back(line.substr(from, comma - from));
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
    at = end == std::string::npos ? ts.size() : end + 1;
  }
  ASSERT_GE(rows.size(), 3u);
  const auto column = std::find(rows[0].begin(), rows[0].end(), "peer_availability");
  ASSERT_NE(column, rows[0].end());
  const auto k = static_cast<std::size_t>(column - rows[0].begin());
  EXPECT_EQ(rows[1].at(k), "");
  EXPECT_EQ(rows.back().at(k), "");
}

TEST_F(real_run_cli, compare_writes_both_runs_and_the_comparison) {
  const fs::path scenario = file("tiny.yaml", tiny);
  const outcome o = swarmsim({"run", scenario.string(), "--compare", "-o", "out"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_THAT(o.out, AllOf(HasSubstr("download time (s), all: 3 of 3 leechers completed "
                                     "simulated, 3 of 3 real"),
                           HasSubstr("median"), HasSubstr("p90")));
  const auto files = files_below(work() / "out");
  for (const char* name : result_files) {
    EXPECT_TRUE(files.count(std::string("sim/") + name)) << name;
    EXPECT_TRUE(files.count(std::string("real/") + name)) << name;
  }
  ASSERT_TRUE(files.count("compare.csv"));
  EXPECT_THAT(files.at("compare.csv"),
              AllOf(StartsWith("group,statistic,sim,real,relative_difference\n"),
                    HasSubstr("all,completed,3,3,0.0000\n"), HasSubstr("all,median_s,")));
}

TEST_F(real_run_cli, refuses_what_real_mode_cannot_run_naming_the_field) {
  const fs::path scenario = file("tiny.yaml", tiny);
  const outcome o =
      swarmsim({"run", scenario.string(), "--real", "--set", "torrent.block_size=32KiB"});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, HasSubstr("--real: "));
  EXPECT_THAT(o.err, HasSubstr("torrent.block_size: real peers request 16 KiB blocks"));
  EXPECT_THAT(files_below(work()), ::testing::SizeIs(1));  // tiny.yaml only

  const outcome big =
      swarmsim({"run", scenario.string(), "--compare", "--set", "groups.leechers.count=100"});
  EXPECT_EQ(big.status, 2);
  EXPECT_THAT(big.err, HasSubstr("groups: 101 peers in all; real mode runs at most 64"));
  EXPECT_FALSE(fs::exists(work() / "results"));
}

TEST_F(real_run_cli, real_and_compare_exclude_each_other) {
  const fs::path scenario = file("tiny.yaml", tiny);
  const outcome o = swarmsim({"run", scenario.string(), "--real", "--compare"});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.out, IsEmpty());
  EXPECT_FALSE(fs::exists(work() / "results"));
}

TEST_F(real_run_cli, seed_and_download_name_the_flag_with_a_bad_rate_or_duration) {
  const struct {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"seed", "x.torrent", "--data", "x", "--upload-rate", "fast"}, "--upload-rate: "},
      {{"seed", "x.torrent", "--data", "x", "--for", "soon"}, "--for: 'soon' is not a duration"},
      {{"download", "x.torrent", "--out", "d", "--download-rate", "-1MB/s"},
       "--download-rate: rate '-1MB/s' must not be negative"},
      {{"download", "x.torrent", "--out", "d", "--timeout", "1 fortnight"}, "--timeout: "},
  };
  for (const auto& c : cases) {
    const outcome o = swarmsim(c.args);
    EXPECT_EQ(o.status, 2) << c.message;
    EXPECT_THAT(o.err, HasSubstr(c.message));
    EXPECT_FALSE(fs::exists(work() / "d"));
  }
}

}  // namespace
}  // namespace swarmsim::test
