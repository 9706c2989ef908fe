// `swarmsim sweep --slurm --submit` on a real Slurm: the single-node cluster
// that scripts/slurm-local.sh starts (and installs if missing). If the cluster
// cannot start, the tests fail and say why; they never pass without it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "cli/sweep_fixture.hpp"

namespace swarmsim::test {
namespace {

using testing::HasSubstr;

class slurm : public sweep_cli {
 protected:
  void SetUp() override {
    sweep_cli::SetUp();
    // Short: munge's socket lives there, and socket paths are limited to 107 bytes.
    cluster_ = fs::temp_directory_path() / fmt::format("swarmsim-slurm-{}", ::getpid());
    const outcome o = execute("/bin/bash", {script(), "start", cluster_.string()});
    ASSERT_EQ(o.status, 0) << "the single-node Slurm did not start:\n" << o.out << o.err;
    ::setenv("SLURM_CONF", (cluster_ / "slurm.conf").c_str(), 1);
  }
  void TearDown() override {
    execute("/bin/bash", {script(), "stop", cluster_.string()});
    ::unsetenv("SLURM_CONF");
    std::error_code ec;
    fs::remove_all(cluster_, ec);
    sweep_cli::TearDown();
  }

  static std::string script() {
    return std::string(SWARMSIM_SOURCE_DIR) + "/scripts/slurm-local.sh";
  }

  // Waits until none of `jobs` is queued or running (at most `limit`).
  bool wait_for(const std::string& jobs, std::chrono::seconds limit) const {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      const outcome q = execute("squeue", {"-h", "-j", jobs, "-o", "%i %t"});
      if (q.status == 0 && q.out.empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return false;
  }

  // sbatch --parsable ARGS...: the job id.
  std::string sbatch(const std::vector<std::string>& args) const {
    std::vector<std::string> a{"--parsable"};
    a.insert(a.end(), args.begin(), args.end());
    const outcome o = execute("sbatch", a);
    EXPECT_EQ(o.status, 0) << o.err;
    return o.out.substr(0, o.out.find_first_of(";\n"));
  }

  std::vector<std::string> slurm_sweep(const std::vector<std::string>& extra) const {
    std::vector<std::string> args{"sweep", "tiny.yaml",       policies[0], policies[1], "--seeds",
                                  "3",     "--out",           "s",         "--slurm",   "--tasks",
                                  "2",     "--cpus-per-task", "1",         "--mem",     "500M"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  fs::path cluster_;
};

TEST_F(slurm, a_submitted_sweep_merges_into_the_tables_of_a_local_sweep) {
  sweep_ok({"--out", "local"});
  const outcome o = swarmsim(slurm_sweep({"--submit"}));
  ASSERT_EQ(o.status, 0) << o.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(o.out, m,
                                std::regex("job array (\\d+) \\(2 tasks\\) and merge "
                                           "job (\\d+)")))
      << o.out;
  ASSERT_TRUE(wait_for(m[1].str() + "," + m[2].str(), std::chrono::seconds(180)))
      << execute("squeue", {}).out;
  const fs::path logs = work() / "s" / "slurm" / "logs";
  EXPECT_THAT(read(logs / "shard-1.log"), HasSubstr("shard 1/2: 3 of 6 runs"));
  EXPECT_THAT(read(logs / "shard-2.log"), HasSubstr("shard 2/2: 3 of 6 runs"));
  EXPECT_THAT(read(logs / "merge.log"), HasSubstr("merged 2 shard(s): 6 runs"));
  EXPECT_EQ(read(work() / "s" / "runs.csv"), read(work() / "local" / "runs.csv"));
  EXPECT_EQ(read(work() / "s" / "compare.csv"), read(work() / "local" / "compare.csv"));
}

TEST_F(slurm, a_cancelled_task_resubmitted_alone_completes_the_campaign) {
  sweep_ok({"--out", "local"});
  ASSERT_EQ(swarmsim(slurm_sweep({})).status, 0);
  const fs::path dir = work() / "s" / "slurm";
  // Task 2 is cancelled before it starts: the array is held until then.
  const std::string array = sbatch({"--hold", (dir / "array.sbatch").string()});
  ASSERT_EQ(execute("scancel", {array + "_2"}).status, 0);
  ASSERT_EQ(execute("scontrol", {"release", array}).status, 0);
  ASSERT_TRUE(wait_for(array, std::chrono::seconds(120)));
  const outcome incomplete = swarmsim({"merge", "s"});
  EXPECT_EQ(incomplete.status, 2);
  EXPECT_THAT(incomplete.err, HasSubstr("missing shard(s) 2/2"));
  EXPECT_THAT(incomplete.err, HasSubstr("3 run(s) missing"));

  const std::string again = sbatch({"--array=2", (dir / "array.sbatch").string()});
  const std::string merge =
      sbatch({"--dependency=afterok:" + again, (dir / "merge.sbatch").string()});
  ASSERT_TRUE(wait_for(again + "," + merge, std::chrono::seconds(120)));
  EXPECT_THAT(read(dir / "logs" / "shard-2.log"), HasSubstr("shard 2/2: 3 of 6 runs"));
  EXPECT_EQ(read(work() / "s" / "runs.csv"), read(work() / "local" / "runs.csv"));
}

}  // namespace
}  // namespace swarmsim::test
