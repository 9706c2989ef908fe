// The swarmsim command line: one subcommand per job; each registers itself.

#include <CLI/CLI.hpp>

#include <vector>

#include "sim/command.hpp"
#include "sim/version.hpp"

int main(int argc, char** argv) {
  using namespace swarmsim::sim;
  CLI::App app{
      "swarmsim: a discrete-event simulator of BitTorrent swarms.\n"
      "The real protocol logic (tracker, piece picker, choker, peer sessions) runs on a "
      "virtual clock over a simulated network."};
  app.set_version_flag("--version", std::string(version()));
  app.require_subcommand(1);

  std::vector<command> commands;
  commands.push_back(add_run_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  for (const auto& c : commands) {
    if (c.sub->parsed()) return c.run();
  }
  return 2;
}
