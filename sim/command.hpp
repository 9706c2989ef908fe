#pragma once
// A subcommand of the swarmsim command line (sim/cli/main.cpp). Each library's
// command registers its options on the application and hands back what to run
// once the command line has been parsed; main() runs the one that was chosen.

#include <CLI/CLI.hpp>

#include <functional>

namespace swarmsim::sim {

struct command {
  CLI::App* sub = nullptr;
  std::function<int()> run;  // returns the process exit code
};

}  // namespace swarmsim::sim
