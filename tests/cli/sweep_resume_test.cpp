// A sweep stopped midway and started again, and the Slurm batch scripts of
// `swarmsim sweep --slurm` run by hand (tests/slurm/ runs them on a real Slurm).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/sweep_fixture.hpp"

namespace swarmsim::test {
namespace {

using testing::HasSubstr;
using testing::Not;

std::vector<std::string> sweep_args(const std::vector<std::string>& extra) {
  std::vector<std::string> args{"sweep", "tiny.yaml", policies[0], policies[1], "--seeds", "3"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST_F(sweep_cli, a_sweep_started_again_redoes_only_the_runs_not_complete) {
  sweep_ok({"--out", "fresh"});
  sweep_ok({"--out", "s"});
  const fs::path runs = work() / "s" / "runs";
  // A run killed before it published everything, one left by a different
  // scenario, and one untouched.
  fs::remove(runs / "policy=sequential" / "seed-2" / "summary.json");
  write(runs / "policy=rarest_first" / "seed-1" / "scenario.resolved.yaml", "name: other\n");
  const fs::path kept = runs / "policy=rarest_first" / "seed-3" / "peers.csv";
  const auto kept_time = fs::last_write_time(kept);

  const outcome o = swarmsim(sweep_args({"--out", "s"}));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_THAT(o.err, HasSubstr("resuming: 4 of 6 runs already complete"));
  EXPECT_THAT(o.err, HasSubstr("runs/policy=sequential/seed-2"));
  EXPECT_THAT(o.err, HasSubstr("runs/policy=rarest_first/seed-1"));
  EXPECT_THAT(o.err, Not(HasSubstr("runs/policy=rarest_first/seed-3")));
  EXPECT_EQ(fs::last_write_time(kept), kept_time);
  EXPECT_EQ(files_below(work() / "s"), files_below(work() / "fresh"));
}

TEST_F(sweep_cli, slurm_dry_run_prints_an_array_and_a_merge_job_and_writes_nothing) {
  const outcome o = swarmsim(sweep_args({"--out", "s", "--slurm", "--dry-run", "--tasks", "4",
                                         "--partition", "short", "--time", "0:10:00"}));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("#SBATCH --array=1-4\n"));
  EXPECT_THAT(o.out, HasSubstr("#SBATCH --partition=short\n"));
  EXPECT_THAT(o.out, HasSubstr("#SBATCH --time=0:10:00\n"));
  EXPECT_THAT(o.out, HasSubstr("--shard \"${SLURM_ARRAY_TASK_ID}/4\""));
  EXPECT_THAT(o.out, HasSubstr("' merge '"));
  EXPECT_FALSE(fs::exists(work() / "s"));
}

TEST_F(sweep_cli, slurm_scripts_run_by_hand_give_the_sweep_run_in_one_go) {
  sweep_ok({"--out", "whole"});
  const outcome w = swarmsim(sweep_args({"--out", "s", "--slurm", "--tasks", "2"}));
  ASSERT_EQ(w.status, 0) << w.err;
  EXPECT_THAT(w.out, HasSubstr("sbatch --dependency=afterok:"));
  const fs::path dir = work() / "s" / "slurm";
  EXPECT_TRUE(fs::is_directory(dir / "logs"));
  // What Slurm does: each array task with its SLURM_ARRAY_TASK_ID, then the merge.
  for (const char* task : {"2", "1"}) {
    const outcome t = execute("/usr/bin/env", {std::string("SLURM_ARRAY_TASK_ID=") + task, "bash",
                                               (dir / "array.sbatch").string()});
    ASSERT_EQ(t.status, 0) << t.err;
  }
  const outcome m = execute("/bin/bash", {(dir / "merge.sbatch").string()});
  ASSERT_EQ(m.status, 0) << m.err;
  EXPECT_EQ(read(work() / "s" / "runs.csv"), read(work() / "whole" / "runs.csv"));
  EXPECT_EQ(read(work() / "s" / "compare.csv"), read(work() / "whole" / "compare.csv"));
}

TEST_F(sweep_cli, merge_names_the_runs_of_a_missing_shard) {
  sweep_ok({"--shard", "1/2", "--out", "d"});
  const outcome m = swarmsim({"merge", "d"});
  EXPECT_EQ(m.status, 2);
  EXPECT_THAT(m.err, HasSubstr("missing shard(s) 2/2"));
  EXPECT_THAT(m.err, HasSubstr("3 run(s) missing"));
  EXPECT_THAT(m.err, HasSubstr("runs/policy=sequential/seed-"));
}

TEST_F(sweep_cli, slurm_options_are_checked_before_anything_is_written) {
  for (const auto& extra :
       std::vector<std::vector<std::string>>{
           {"--dry-run"},                                  // needs --slurm
           {"--slurm", "--shard", "1/2"},                  // the array makes the shards
           {"--slurm", "--time", "1:00 2"},                // not one word
           {"--slurm", "--cpus-per-task", "0"},            // out of range
           {"--slurm", "--set", "simulation.seed=1\nx"}})  // a line break
  {
    std::vector<std::string> args = extra;
    args.insert(args.begin(), {"--out", "s"});
    const outcome o = swarmsim(sweep_args(args));
    EXPECT_NE(o.status, 0) << extra.back();
    EXPECT_FALSE(o.err.empty()) << extra.back();
    EXPECT_FALSE(fs::exists(work() / "s")) << extra.back();
  }
}

}  // namespace
}  // namespace swarmsim::test
