#pragma once
// `swarmsim sweep`: the cross product of varied scenario values, each run with
// several seeds on worker threads, each run written as `swarmsim run` writes it,
// plus runs.csv and compare.csv for the whole sweep (docs/OUTPUT.md).
//
// Layout of a sweep directory DIR:
//   DIR/runs/<combination label>/seed-<seed>/   one run (peers.csv, timeseries.csv, ...)
//   DIR/runs.csv, DIR/compare.csv, DIR/sweep.json          a whole sweep
//   DIR/shard-I-of-N.csv, DIR/shard-I-of-N.json            one shard (--shard I/N);
//                                                          `swarmsim merge` joins them
//
// 1. Every combination is loaded and checked before any run starts: a bad key or
//    value fails with exit code 2 and writes nothing.
// 2. Reproducible: the files above are the same bytes whatever --jobs and
//    however the sweep is sharded and merged (no wall-clock fields; rows in run
//    order, sim/sweep/sweep_plan.hpp).
// 3. Runs share nothing mutable: each worker thread runs its own swarm object.
// 4. Resumable: a run whose folder already holds every file the run writes, with
//    a scenario.resolved.yaml equal to the run's own (same scenario, values and
//    seed) and a summary.json that parses, is not run again; any other run is
//    (re)run, replacing what its folder held. A sweep or shard stopped midway
//    and started again with the same command finishes the rest.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/results/output.hpp"
#include "sim/results/progress.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/sweep/sweep_plan.hpp"
#include "sim/sweep/sweep_table.hpp"

namespace swarmsim::sim {

inline constexpr std::string_view runs_csv_name = "runs.csv";
inline constexpr std::string_view compare_csv_name = "compare.csv";
inline constexpr std::string_view sweep_json_name = "sweep.json";

// "shard-2-of-4"; the shard's files are this name with .csv and .json.
std::string shard_file_stem(shard_spec shard);
// "runs/<label>/seed-<seed>", relative to the sweep directory.
std::string run_dir_name(const sweep_plan& plan, const run_ref& run);

// A sweep whose scenarios are loaded and checked.
struct prepared_sweep {
  sweep_manifest manifest;
  std::vector<scenario> combinations;  // one per combination; seeds set per run
};

// Loads the scenario with `set` and every combination's --vary values, and runs
// the driver's checks on each. Throws scenario_error (naming the --vary or --set
// value at fault where it can) or sweep_error.
prepared_sweep prepare_sweep(const std::string& scenario_path, const std::vector<std::string>& set,
                             const std::vector<varied_key>& vary, std::uint32_t seeds,
                             std::optional<shard_spec> shard = std::nullopt);

struct task_failure {
  std::size_t index = 0;
  std::string what;
};

// Calls task(i) for every i in [0, count) on `jobs` threads (at least 1), handing
// out indices in increasing order. Once a task throws, no further index starts;
// returns the failures in index order (empty when all succeeded).
std::vector<task_failure> run_parallel(std::size_t count, unsigned jobs,
                                       const std::function<void(std::size_t)>& task);

struct sweep_progress_event {
  std::size_t done = 0;               // runs finished so far
  std::size_t running = 0;            // runs in progress now
  std::size_t total = 0;              // runs in this sweep (or shard)
  const run_ref* finished = nullptr;  // the run that just finished, if one did
  std::size_t resumed = 0;            // of `done`, found complete on disk (rule 4)
};

// The whole of a sweep's file (a summary, a shard's table or manifest). Throws
// sweep_error naming it if it cannot be read.
std::string read_sweep_file(const std::filesystem::path& p);

// Worker threads when --jobs is not given: SLURM_CPUS_PER_TASK inside a Slurm
// job that sets it, otherwise one per hardware thread.
unsigned default_jobs();

// Whether `dir` holds a complete run of `s` (rule 4).
bool run_is_complete(const scenario& s, const std::filesystem::path& dir);

// Runs the manifest's runs (its shard's, if it has one) into `out`, then returns
// their table. Throws sweep_error listing the runs that failed.
runs_table execute_sweep(const prepared_sweep& sweep, const std::filesystem::path& out,
                         unsigned jobs,
                         const std::function<void(const sweep_progress_event&)>& progress = {});

// Writes runs.csv, compare.csv and sweep.json (a whole sweep), or
// shard-I-of-N.csv and .json (a shard), into `dir`. Throws output_error.
void write_sweep_tables(output_directory& dir, const sweep_manifest& manifest,
                        const runs_table& table);

// Per combination: a few headline metrics with their confidence intervals.
void print_sweep_summary(std::FILE* out, const sweep_plan& plan, const runs_table& table);

struct sweep_request {
  std::string scenario_path;
  std::vector<std::string> set;   // --set KEY=VALUE
  std::vector<std::string> vary;  // --vary KEY=V1,V2,...
  std::uint32_t seeds = 1;
  unsigned jobs = 0;  // 0: default_jobs()
  std::optional<std::string> shard;
  std::filesystem::path out;
  verbosity verbose = verbosity::normal;
};

// The whole command: returns the exit code (0 ok, 1 a run or a file failed, 2 bad
// scenario or flag).
int sweep_command(const sweep_request& request);

}  // namespace swarmsim::sim
