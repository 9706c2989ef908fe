// The swarmsim command line: one subcommand per job; each registers itself. This
// target links the simulator (swarmsim_sim) and the real-socket driver
// (swarmsim_real).

#include <CLI/CLI.hpp>

#include <iostream>
#include <new>
#include <string_view>
#include <vector>

#include "sim/cli/commands.hpp"
#include "sim/engine/huge_pages.hpp"
#include "sim/real/commands/commands.hpp"
#include "sim/results/version.hpp"

int main(int argc, char** argv) {
  using namespace swarmsim;
  CLI::App app{
      "swarmsim: a discrete-event simulator of BitTorrent swarms.\n"
      "The real protocol logic (tracker, piece picker, choker, peer sessions) runs on a "
      "virtual clock over a simulated network."};
  app.set_version_flag("--version", std::string(sim::version()));
  app.require_subcommand(1);

  std::vector<cli::command> commands;
  commands.push_back(cli::add_run_command(app));
  commands.push_back(cli::add_sweep_command(app));
  commands.push_back(cli::add_merge_command(app));
  commands.push_back(cli::add_strategies_command(app));
  commands.push_back(sim::real::add_tracker_command(app));
  commands.push_back(sim::real::add_torrent_command(app));
  commands.push_back(sim::real::add_seed_command(app));
  commands.push_back(sim::real::add_download_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (argc <= 1) {  // no subcommand at all: show what there is to run
      std::cerr << app.help() << "\nswarmsim: error: " << e.what() << "\n";
      return 2;
    }
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  for (const auto& c : commands) {
    if (!c.sub->parsed()) continue;
    // Only the commands that simulate have a heap worth huge pages
    // (sim/engine/huge_pages.hpp); this re-executes the program once, which parses
    // the same command line again.
    const std::string_view name = c.sub->get_name();
    if (name == "run" || name == "sweep") sim::use_huge_pages(argv);
    try {
      return c.run();
    } catch (const std::bad_alloc&) {
      // Scenarios are estimated before they are built (sim/scenario/memory_estimate.hpp);
      // an estimate too low, or a machine already busy, still ends here, not in abort().
      std::cerr << "swarmsim: error: out of memory; simulate fewer peers or sample less often\n";
      return 1;
    }
  }
  return 2;
}
