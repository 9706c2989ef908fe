#pragma once
// A subcommand of the swarmsim command line. Each command file registers its
// options on the application and hands back what to run once the command line has
// been parsed; main() runs the one that was chosen.

#include <CLI/CLI.hpp>

#include <functional>

namespace swarmsim::sim {

struct command {
  CLI::App* sub = nullptr;
  std::function<int()> run;  // returns the process exit code
};

// `swarmsim run SCENARIO.yaml ...` (sim/run_command.cpp).
command add_run_command(CLI::App& app);

}  // namespace swarmsim::sim
