#pragma once
// The seam between `swarmsim run` (sim/run_command.cpp, in swarmsim_sim) and its
// real-socket modes `--real` and `--compare` (sim/real/real_run_command.cpp, in
// swarmsim_real). swarmsim_real links swarmsim_sim, not the other way round, so
// the run command cannot call into it: main() installs the handler
// (install_real_run_mode(), sim/real/commands.hpp) when built with sim/real/.
// Header only; no Boost, no sockets.

#include <cstdint>
#include <functional>

#include "sim/run_command.hpp"

namespace swarmsim::sim::real {

enum class real_run_mode : std::uint8_t {
  real,     // run the scenario over real sockets
  compare,  // simulate it and run it for real, and compare the download times
};

// Returns the process exit code, like run_command().
using real_run_handler = std::function<int(const run_request&, real_run_mode)>;

// The installed handler; empty in a build without the real-socket mode.
inline real_run_handler& real_run_hook() {
  static real_run_handler handler;
  return handler;
}

}  // namespace swarmsim::sim::real
