#pragma once
// `swarmsim run SCENARIO --real` and `--compare` (sim/real/run/real_run.hpp,
// sim/real/run/real_compare.hpp): load the scenario as `run` does (overrides, --seed),
// refuse what real mode cannot run, run, and write the result files.
//
//   --real     OUT (default results/<name>-real): peers.csv, timeseries.csv,
//              summary.json (with wall-clock fields), scenario.resolved.yaml
//   --compare  OUT (default results/<name>-compare): sim/ and real/ each with
//              those files, and compare.csv (real_compare.hpp); the comparison
//              table on stdout
//
// Exit codes: 0 ok, 1 run or output failure, 2 bad scenario or one real mode
// cannot run (the message names the field). Nothing is written unless every run
// finished.

#include <cstdint>
#include <string_view>

#include "sim/engine/run_command.hpp"

namespace swarmsim::sim::real {

inline constexpr std::string_view compare_csv_name = "compare.csv";

enum class real_run_mode : std::uint8_t {
  real,     // run the scenario over real sockets
  compare,  // simulate it and run it for real, and compare the download times
};

// Returns the process exit code, like sim::run_command().

int run_real_command(const run_request& request, real_run_mode mode);

}  // namespace swarmsim::sim::real
