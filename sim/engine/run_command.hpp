#pragma once
// `swarmsim run`: load a scenario, simulate it, write its result files, print a
// summary. Shared by the command line and by sweeps.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/engine/swarm.hpp"
#include "sim/results/metrics.hpp"
#include "sim/results/output.hpp"
#include "sim/results/progress.hpp"
#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {

inline constexpr std::string_view resolved_scenario_name = "scenario.resolved.yaml";

struct run_request {
  std::string scenario_path;
  std::optional<std::filesystem::path> out_dir;  // default: results/<scenario name>
  std::optional<std::uint64_t> seed;
  std::vector<std::string> overrides;  // key.path=value
  verbosity verbose = verbosity::normal;
};

// Simulates `s`, with a progress bar on stderr as `display` says.
run_result simulate(const scenario& s, progress_display display);

// Stages into `dir` the files every run has, simulated or real: peers.csv,
// timeseries.csv, summary.json and scenario.resolved.yaml.
void add_run_files(output_directory& dir, const scenario& s, std::span<const peer_record> peers,
                   std::span<const sample> samples, const run_summary& summary,
                   wall_clock_fields wall);

// Runs `s` and writes peers.csv, timeseries.csv, summary.json and
// scenario.resolved.yaml (and overlay.csv, traces.csv when
// the scenario asks for them) into `out`. Throws output_error if a file cannot be written.
run_summary run_scenario_to(const scenario& s, const std::filesystem::path& out,
                            progress_display display);

// The whole command: returns the process exit code (0 ok, 1 run or output
// failure, 2 bad scenario or flag), with messages on stderr.
int run_command(const run_request& request);

}  // namespace swarmsim::sim
