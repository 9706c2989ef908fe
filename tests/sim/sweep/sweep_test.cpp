#include "sim/sweep/sweep.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/sweep/merge.hpp"

namespace swarmsim::sim {
namespace {

namespace fs = std::filesystem;

// A swarm small enough to run dozens of times in a test: 1 MiB in 16 pieces, one
// seed, four leechers.
constexpr const char* tiny_scenario = R"(name: tiny
torrent: {size: 1MiB, piece_size: 64KiB, block_size: 16KiB}
defaults: {upload: 10Mbit/s, download: 20Mbit/s}
groups:
  - {name: seed, role: seed}
  - {name: leechers, count: 4, role: leecher}
simulation: {seed: 11, time_limit: 10min}
)";

class sweep_dirs : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            fmt::format("swarmsim-sweep-{}-{}", static_cast<long>(::getpid()), info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    scenario_ = (root_ / "tiny.yaml").string();
    std::ofstream(scenario_) << tiny_scenario;
  }
  void TearDown() override { fs::remove_all(root_); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  prepared_sweep prepare(std::uint32_t seeds, std::optional<shard_spec> shard = std::nullopt) {
    return prepare_sweep(scenario_, {},
                         {{"groups.leechers.picker.policy", {"rarest_first", "sequential"}}}, seeds,
                         shard);
  }

  // Runs the sweep (or one shard) into `dir` and writes its tables.
  runs_table sweep_into(const fs::path& dir, unsigned jobs, std::uint32_t seeds,
                        std::optional<shard_spec> shard = std::nullopt) {
    const prepared_sweep p = prepare(seeds, shard);
    runs_table t = execute_sweep(p, dir, jobs);
    output_directory out(dir);
    write_sweep_tables(out, p.manifest, t);
    out.publish();
    return t;
  }

  fs::path root_;
  std::string scenario_;
};

TEST(run_parallel, runs_every_index_once_whatever_the_thread_count) {
  for (unsigned jobs : {1u, 2u, 4u, 64u}) {
    std::vector<std::atomic<int>> calls(37);
    const auto failures = run_parallel(calls.size(), jobs, [&](std::size_t i) { ++calls[i]; });
    EXPECT_TRUE(failures.empty());
    for (std::size_t i = 0; i < calls.size(); ++i)
      EXPECT_EQ(calls[i].load(), 1) << "index " << i << " with " << jobs << " jobs";
  }
  EXPECT_TRUE(run_parallel(0, 4, [](std::size_t) { FAIL(); }).empty());
}

TEST(run_parallel, stops_handing_out_work_after_a_failure) {
  std::mutex m;
  std::vector<std::size_t> started;
  const auto failures = run_parallel(100, 1, [&](std::size_t i) {
    {
      const std::lock_guard lock(m);
      started.push_back(i);
    }
    if (i == 3) throw std::runtime_error("disk full");
  });
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].index, 3u);
  EXPECT_EQ(failures[0].what, "disk full");
  EXPECT_EQ(started, (std::vector<std::size_t>{0, 1, 2, 3}));
}

TEST(run_parallel, reports_every_failure_in_index_order) {
  const auto failures = run_parallel(8, 4, [](std::size_t i) {
    if (i < 4) throw std::runtime_error(fmt::format("task {}", i));
  });
  ASSERT_FALSE(failures.empty());
  EXPECT_TRUE(std::is_sorted(failures.begin(), failures.end(),
                             [](const auto& a, const auto& b) { return a.index < b.index; }));
  for (const auto& f : failures)
    EXPECT_EQ(f.what, fmt::format("task {}", f.index));
}

TEST_F(sweep_dirs, prepare_checks_every_combination_and_names_the_vary_value_at_fault) {
  const auto error_of = [&](std::vector<varied_key> vary) {
    try {
      prepare_sweep(scenario_, {}, vary, 2);
    } catch (const scenario_error& e) {
      return std::string(e.what());
    } catch (const sweep_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of({{"groups.leechers.picker.policy", {"rarest_first", "fastest"}}})
                .rfind("--vary groups.leechers.picker.policy=fastest:", 0),
            0u);
  EXPECT_EQ(
      error_of({{"groups.leechers.cuont", {"3"}}}).rfind("--vary groups.leechers.cuont=3:", 0), 0u);
  EXPECT_EQ(error_of({{"groups.leechers.count", {"3", "three"}}})
                .rfind("--vary groups.leechers.count=three:", 0),
            0u);
  // A problem found in the combination as a whole still names the value.
  EXPECT_NE(error_of({{"groups.seed.count", {"1", "0"}}}).find("groups.seed.count=0"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(root_ / "runs"));
}

TEST_F(sweep_dirs, prepare_takes_the_first_seed_from_the_scenario_and_records_the_plan) {
  const prepared_sweep p = prepare(3, shard_spec{2, 5});
  EXPECT_EQ(p.manifest.plan.first_seed(), 11u);
  EXPECT_EQ(p.manifest.scenario_name, "tiny");
  EXPECT_EQ(p.manifest.shard, (shard_spec{2, 5}));
  ASSERT_EQ(p.combinations.size(), 2u);
  EXPECT_EQ(p.combinations[1].groups[1].peer.picker.policy.name(), "sequential");
}

TEST_F(sweep_dirs, writes_one_run_folder_per_run_and_a_row_per_run) {
  const runs_table t = sweep_into(root_ / "s", 2, 2);
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.keys, (std::vector<std::string>{"groups.leechers.picker.policy"}));
  for (const auto& row : t.rows) {
    for (const char* file :
         {"peers.csv", "timeseries.csv", "summary.json", "scenario.resolved.yaml"})
      EXPECT_TRUE(fs::exists(root_ / "s" / row.run_dir / file)) << row.run_dir << "/" << file;
    const std::string resolved = read(root_ / "s" / row.run_dir / "scenario.resolved.yaml");
    EXPECT_NE(resolved.find(fmt::format("seed: {}", row.seed)), std::string::npos);
  }
  EXPECT_EQ(t.rows[0].run_dir, "runs/policy=rarest_first/seed-11");
  EXPECT_EQ(t.rows[3].run_dir, "runs/policy=sequential/seed-12");
  const std::string* completed = t.rows[0].metric("completed");
  ASSERT_NE(completed, nullptr);
  EXPECT_EQ(*completed, "4");
  for (const char* file : {"runs.csv", "compare.csv", "sweep.json"})
    EXPECT_TRUE(fs::exists(root_ / "s" / file)) << file;
}

TEST_F(sweep_dirs, the_tables_do_not_depend_on_the_number_of_threads) {
  sweep_into(root_ / "one", 1, 3);
  sweep_into(root_ / "three", 3, 3);
  for (const char* file : {"runs.csv", "compare.csv", "sweep.json"})
    EXPECT_EQ(read(root_ / "one" / file), read(root_ / "three" / file)) << file;
}

TEST_F(sweep_dirs, shards_merged_give_the_same_bytes_as_one_sweep) {
  sweep_into(root_ / "whole", 2, 3);
  // Shards 1 and 3 share a directory; shard 2 has its own.
  sweep_into(root_ / "a", 1, 3, shard_spec{1, 3});
  sweep_into(root_ / "a", 1, 3, shard_spec{3, 3});
  sweep_into(root_ / "b", 1, 3, shard_spec{2, 3});
  EXPECT_FALSE(fs::exists(root_ / "a" / "runs.csv"));
  EXPECT_TRUE(fs::exists(root_ / "a" / "shard-1-of-3.csv"));

  const merged_sweep m = merge_shards({root_ / "b", root_ / "a"});
  EXPECT_EQ(m.shards, 3u);
  EXPECT_EQ(format_runs_csv(m.table), read(root_ / "whole" / "runs.csv"));
  EXPECT_EQ(format_compare_csv(m.table), read(root_ / "whole" / "compare.csv"));
  EXPECT_EQ(format_manifest_json(m.manifest), read(root_ / "whole" / "sweep.json"));
  ASSERT_EQ(m.run_folders.size(), 6u);
  for (const auto& [where, name] : m.run_folders)
    EXPECT_TRUE(fs::exists(where / "summary.json")) << where;
}

TEST_F(sweep_dirs, merge_refuses_missing_duplicate_or_foreign_shards) {
  sweep_into(root_ / "a", 1, 2, shard_spec{1, 2});
  const auto error_of = [](const std::vector<fs::path>& dirs) {
    try {
      merge_shards(dirs);
    } catch (const sweep_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of({root_ / "a"}).find("missing shard(s) 2/2"), std::string::npos);
  EXPECT_NE(error_of({root_ / "nowhere"}).find("not a directory"), std::string::npos);
  fs::create_directories(root_ / "empty");
  EXPECT_NE(error_of({root_ / "empty"}).find("no shard-I-of-N.json"), std::string::npos);

  // The same shard in two places.
  fs::create_directories(root_ / "copy");
  fs::copy_file(root_ / "a" / "shard-1-of-2.json", root_ / "copy" / "shard-1-of-2.json");
  fs::copy_file(root_ / "a" / "shard-1-of-2.csv", root_ / "copy" / "shard-1-of-2.csv");
  EXPECT_NE(error_of({root_ / "a", root_ / "copy"}).find("found twice"), std::string::npos);
  // The same directory twice is read once.
  EXPECT_NE(error_of({root_ / "a", root_ / "a" / "."}).find("missing shard(s) 2/2"),
            std::string::npos);

  // A shard of another sweep (3 seeds instead of 2).
  sweep_into(root_ / "other", 1, 3, shard_spec{2, 2});
  EXPECT_NE(error_of({root_ / "a", root_ / "other"}).find("not shards of the same sweep"),
            std::string::npos);
}

TEST_F(sweep_dirs, merge_refuses_a_shard_table_with_the_wrong_runs) {
  sweep_into(root_ / "a", 1, 2, shard_spec{1, 2});
  sweep_into(root_ / "a", 1, 2, shard_spec{2, 2});
  const fs::path csv = root_ / "a" / "shard-2-of-2.csv";
  std::string text = read(csv);
  text.erase(text.rfind('\n', text.size() - 2) + 1);  // drop the last run
  std::ofstream(csv, std::ios::binary) << text;
  try {
    merge_shards({root_ / "a"});
    FAIL() << "merged an incomplete shard";
  } catch (const sweep_error& e) {
    EXPECT_NE(std::string(e.what()).find("shard-2-of-2.csv"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace swarmsim::sim
