#pragma once
// `swarmsim merge DIR...`: joins the shards of a sweep (`swarmsim sweep --shard
// I/N`) into the runs.csv, compare.csv and sweep.json that the same sweep run in
// one go writes, byte for byte.
//
// 1. The shards are found as DIR/shard-I-of-N.json + .csv; several shards may
//    share a directory. They must come from the same sweep (same plan, scenario
//    fingerprint and swarmsim version), and every shard 1..N must be there
//    exactly once with exactly its runs; otherwise nothing is written.
// 2. Run folders that live elsewhere than the output directory are copied into it
//    (file by file, atomically), so the merged directory is complete.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/results/progress.hpp"
#include "sim/sweep/sweep_plan.hpp"
#include "sim/sweep/sweep_table.hpp"

namespace swarmsim::sim {

struct merged_sweep {
  sweep_manifest manifest;  // without a shard
  runs_table table;         // every run, in run order
  std::uint32_t shards = 0;
  // Where each run's folder is now, and its name relative to a sweep directory.
  std::vector<std::pair<std::filesystem::path, std::string>> run_folders;
};

// Reads and checks the shards in `dirs`. Throws sweep_error naming the file or
// the shards at fault.
merged_sweep merge_shards(const std::vector<std::filesystem::path>& dirs);

struct merge_request {
  std::vector<std::filesystem::path> dirs;
  std::optional<std::filesystem::path> out;  // default: the first of dirs
  verbosity verbose = verbosity::normal;
};

// The whole command: returns the exit code (0 ok, 1 a file could not be written,
// 2 the shards are missing, malformed or do not belong together).
int merge_command(const merge_request& request);

}  // namespace swarmsim::sim
