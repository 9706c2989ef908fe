#pragma once
// The simulator's subcommands of the swarmsim command line. The real-socket
// subcommands register themselves from sim/real/commands.hpp.

#include <CLI/CLI.hpp>

#include "sim/command.hpp"

namespace swarmsim::cli {

using sim::command;

// `swarmsim run SCENARIO.yaml [--real | --compare] ...` (sim/cli/run.cpp).
command add_run_command(CLI::App& app);
// `swarmsim sweep SCENARIO.yaml --vary ... --seeds N --out DIR` (sim/cli/sweep.cpp).
command add_sweep_command(CLI::App& app);
// `swarmsim merge DIR... [--out DIR]` (sim/cli/merge.cpp).
command add_merge_command(CLI::App& app);
// `swarmsim strategies [NAME]` (sim/cli/strategies.cpp).
command add_strategies_command(CLI::App& app);

}  // namespace swarmsim::cli
