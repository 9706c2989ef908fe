// `swarmsim sweep` and `swarmsim merge` as a user meets them: the real binary, its
// exit codes and messages, and the files it leaves behind.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/sweep_fixture.hpp"

namespace swarmsim::test {
namespace {

using testing::HasSubstr;
using testing::StartsWith;

TEST_F(sweep_cli, writes_runs_and_comparison_tables_and_one_folder_per_run) {
  const outcome o = swarmsim({"sweep", "tiny.yaml", policies[0], policies[1], "--seeds", "2",
                              "--jobs", "2", "--out", "s"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("sweep: 4 runs (2 combination(s) x 2 seed(s))"));
  EXPECT_THAT(o.out, HasSubstr("policy=sequential (2 runs)"));
  EXPECT_THAT(o.out, HasSubstr("95% CI ["));
  const auto files = files_below(work() / "s");
  for (const char* f :
       {"runs.csv", "compare.csv", "sweep.json", "runs/policy=rarest_first/seed-1/peers.csv",
        "runs/policy=sequential/seed-2/summary.json"}) {
    EXPECT_TRUE(files.contains(f)) << f;
  }
  for (const auto& [name, text] : files) {
    EXPECT_FALSE(text.empty()) << name;
    EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
  }
  const std::string runs = files.at("runs.csv");
  EXPECT_THAT(runs, StartsWith("combination,groups.leechers.picker.policy,seed,run_dir,"));
  EXPECT_EQ(std::count(runs.begin(), runs.end(), '\n'), 5);
  EXPECT_THAT(runs, HasSubstr("\n1,sequential,2,runs/policy=sequential/seed-2,"));
  EXPECT_THAT(files.at("compare.csv"),
              HasSubstr("\n0,rarest_first,completed_fraction,2,2,1.000000,"));
}

TEST_F(sweep_cli, is_reproducible_whatever_the_number_of_jobs) {
  sweep_ok({"--jobs", "1", "--out", "one"});
  sweep_ok({"--jobs", "4", "--out", "four"});
  EXPECT_EQ(files_below(work() / "one"), files_below(work() / "four"));
}

TEST_F(sweep_cli, shards_merged_equal_the_sweep_run_in_one_go) {
  sweep_ok({"--out", "whole"});
  sweep_ok({"--shard", "1/3", "--out", "shards/a"});
  sweep_ok({"--shard", "2/3", "--out", "shards/b"});
  sweep_ok({"--shard", "3/3", "--out", "shards/a"});  // two shards may share a folder
  const auto shard_files = files_below(work() / "shards" / "a");
  EXPECT_TRUE(shard_files.contains("shard-1-of-3.csv"));
  EXPECT_TRUE(shard_files.contains("shard-3-of-3.json"));
  EXPECT_FALSE(shard_files.contains("runs.csv"));

  const outcome m = swarmsim({"merge", "shards/a", "shards/b", "--out", "merged"});
  ASSERT_EQ(m.status, 0) << m.err;
  EXPECT_THAT(m.out, HasSubstr("merged 3 shard(s): 6 runs"));
  // The same tables, byte for byte, and every run folder.
  EXPECT_EQ(files_below(work() / "merged"), files_below(work() / "whole"));
}

TEST_F(sweep_cli, merge_writes_into_the_first_folder_by_default) {
  sweep_ok({"--shard", "1/2", "--out", "d"});
  sweep_ok({"--shard", "2/2", "--out", "d"});
  const outcome m = swarmsim({"merge", "d", "--quiet"});
  ASSERT_EQ(m.status, 0) << m.err;
  EXPECT_TRUE(m.out.empty());
  EXPECT_FALSE(read(work() / "d" / "runs.csv").empty());
  EXPECT_FALSE(read(work() / "d" / "compare.csv").empty());
}

TEST_F(sweep_cli, merge_of_an_incomplete_sweep_fails_and_writes_nothing) {
  sweep_ok({"--shard", "1/3", "--out", "d"});
  sweep_ok({"--shard", "3/3", "--out", "d"});
  const auto before = files_below(work() / "d");
  const outcome m = swarmsim({"merge", "d", "--out", "merged"});
  EXPECT_EQ(m.status, 2);
  EXPECT_THAT(m.err, HasSubstr("missing shard(s) 2/3"));
  EXPECT_FALSE(fs::exists(work() / "merged"));
  EXPECT_EQ(files_below(work() / "d"), before);
}

TEST_F(sweep_cli, merge_refuses_shards_of_different_sweeps) {
  sweep_ok({"--shard", "1/2", "--out", "d"});
  const outcome o = swarmsim({"sweep", "tiny.yaml", policies[0], policies[1], "--seeds", "2",
                              "--shard", "2/2", "--quiet", "--out", "d"});
  ASSERT_EQ(o.status, 0) << o.err;
  const outcome m = swarmsim({"merge", "d"});
  EXPECT_EQ(m.status, 2);
  EXPECT_THAT(m.err, HasSubstr("not shards of the same sweep"));
  EXPECT_FALSE(fs::exists(work() / "d" / "runs.csv"));
}

// Bad input fails with exit code 2 before any run starts: no output folder at all.
struct bad_sweep {
  std::vector<std::string> args;
  std::string message;
};

class bad_sweep_cli : public sweep_cli, public testing::WithParamInterface<bad_sweep> {};

TEST_P(bad_sweep_cli, fails_before_any_run_and_writes_nothing) {
  std::vector<std::string> args{"sweep", "tiny.yaml", "--seeds", "2", "--out", "never"};
  args.insert(args.end(), GetParam().args.begin(), GetParam().args.end());
  const outcome o = swarmsim(args);
  EXPECT_EQ(o.status, 2) << o.err;
  EXPECT_THAT(o.err, HasSubstr(GetParam().message));
  EXPECT_FALSE(fs::exists(work() / "never"));
}

INSTANTIATE_TEST_SUITE_P(
    sweep, bad_sweep_cli,
    testing::Values(
        bad_sweep{{"--vary", "groups.leechers.picker.polcy=rarest_first,sequential"},
                  "--vary groups.leechers.picker.polcy=rarest_first: unknown key 'polcy'"},
        bad_sweep{{"--vary", "groups.leechers.count=2,four"},
                  "--vary groups.leechers.count=four: count: expected a whole number"},
        bad_sweep{{"--vary", "groups.leechers.picker.policy=rarest_first,fastest"},
                  "--vary groups.leechers.picker.policy=fastest:"},
        bad_sweep{{"--vary", "groups.nobody.count=1"}, "no group named 'nobody'"},
        bad_sweep{{"--vary", "groups.leechers.count"}, "expected KEY=V1,V2,..."},
        bad_sweep{{"--vary", "groups.leechers.count=1,,2"}, "empty value"},
        bad_sweep{{"--vary", "simulation.seed=1,2"}, "use --seeds"},
        bad_sweep{{"--vary", "groups.seed.count=1,0"}, "groups.seed.count=0"},
        bad_sweep{{"--set", "groups.leechers.upload=fast"}, "--set groups.leechers.upload=fast"},
        bad_sweep{{"--shard", "3/2"}, "--shard 3/2: I must be between 1 and N"},
        bad_sweep{{"--shard", "1"}, "--shard 1: expected I/N"},
        bad_sweep{{"--jobs", "0"}, "--jobs"}));

TEST_F(sweep_cli, a_missing_scenario_or_seed_count_is_bad_input) {
  EXPECT_EQ(swarmsim({"sweep", "nowhere.yaml", "--seeds", "2", "--out", "x"}).status, 2);
  EXPECT_EQ(swarmsim({"sweep", "tiny.yaml", "--out", "x"}).status, 2);
  EXPECT_EQ(swarmsim({"sweep", "tiny.yaml", "--seeds", "2"}).status, 2);
  EXPECT_FALSE(fs::exists(work() / "x"));
}

TEST_F(sweep_cli, an_out_path_that_is_a_file_is_bad_input) {
  file("taken", "not a directory");
  const outcome o = swarmsim({"sweep", "tiny.yaml", "--seeds", "1", "--out", "taken"});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, HasSubstr("--out taken: exists and is not a directory"));
  EXPECT_EQ(read(work() / "taken"), "not a directory");
}

TEST_F(sweep_cli, a_run_that_cannot_write_fails_with_exit_code_1) {
  fs::create_directories(work() / "s" / "runs" / "policy=sequential");
  file("s/runs/policy=sequential/seed-1", "a file where the run folder should go");
  std::vector<std::string> args{"sweep", "tiny.yaml", policies[0], policies[1], "--seeds",
                                "1",     "--jobs",    "1",         "--out",     "s"};
  const outcome o = swarmsim(args);
  EXPECT_EQ(o.status, 1);
  EXPECT_THAT(o.err, HasSubstr("runs/policy=sequential/seed-1"));
  EXPECT_FALSE(fs::exists(work() / "s" / "runs.csv"));
}

TEST_F(sweep_cli, without_vary_it_repeats_the_scenario_over_seeds) {
  const outcome o = swarmsim({"sweep", "tiny.yaml", "--seeds", "3", "--set", "simulation.seed=10",
                              "--quiet", "--out", "s"});
  ASSERT_EQ(o.status, 0) << o.err;
  const std::string runs = read(work() / "s" / "runs.csv");
  EXPECT_THAT(runs, StartsWith("combination,seed,run_dir,"));
  EXPECT_THAT(runs, HasSubstr("\n0,12,runs/base/seed-12,"));
}

}  // namespace
}  // namespace swarmsim::test
