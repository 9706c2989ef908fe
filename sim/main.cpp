// The swarmsim command line: one subcommand per job; each registers itself.

#include <CLI/CLI.hpp>

#include <iostream>
#include <vector>

#include "sim/command.hpp"
#include "sim/huge_pages.hpp"
#include "sim/merge.hpp"
#include "sim/sweep.hpp"
#include "sim/version.hpp"
#ifdef SWARMSIM_HAVE_REAL
#include "sim/real/commands.hpp"
#endif

int main(int argc, char** argv) {
  using namespace swarmsim::sim;
  use_huge_pages(argv);  // sim/huge_pages.hpp
  CLI::App app{
      "swarmsim: a discrete-event simulator of BitTorrent swarms.\n"
      "The real protocol logic (tracker, piece picker, choker, peer sessions) runs on a "
      "virtual clock over a simulated network."};
  app.set_version_flag("--version", std::string(version()));
  app.require_subcommand(1);

  std::vector<command> commands;
  commands.push_back(add_run_command(app));
  commands.push_back(add_sweep_command(app));
  commands.push_back(add_merge_command(app));
#ifdef SWARMSIM_HAVE_REAL
  commands.push_back(real::add_tracker_command(app));
  commands.push_back(real::add_torrent_command(app));
  commands.push_back(real::add_seed_command(app));
  commands.push_back(real::add_download_command(app));
  real::install_real_run_mode();
#endif

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
    if (c.sub->parsed()) return c.run();
  }
  return 2;
}
