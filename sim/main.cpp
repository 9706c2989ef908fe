// The swarmsim command line.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>

#include "sim/run_command.hpp"
#include "sim/version.hpp"

int main(int argc, char** argv) {
  using namespace swarmsim::sim;
  CLI::App app{
      "swarmsim: a discrete-event simulator of BitTorrent swarms.\n"
      "The real protocol logic (tracker, piece picker, choker, peer sessions) runs on a "
      "virtual clock over a simulated network."};
  app.set_version_flag("--version", std::string(version()));
  app.require_subcommand(1);

  run_request run;
  std::uint64_t seed = 0;
  std::string out;
  bool quiet = false;
  auto* run_cmd = app.add_subcommand("run", "Simulate a scenario and write its CSV results");
  run_cmd
      ->add_option("scenario", run.scenario_path, "Scenario file (YAML); see scenarios/README.md")
      ->required();
  run_cmd->add_option("--out,-o", out, "Output directory (default: results/<scenario name>)");
  auto* seed_opt = run_cmd->add_option("--seed", seed, "Random seed (overrides simulation.seed)");
  run_cmd
      ->add_option("--set", run.overrides,
                   "Override a scenario value, e.g. --set groups.leechers.count=50 "
                   "(repeatable)")
      ->type_name("KEY=VALUE");
  run_cmd->add_flag("--quiet,-q", quiet, "No progress bar and no summary");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (run_cmd->parsed()) {
    if (!out.empty()) run.out_dir = out;
    if (seed_opt->count() > 0) run.seed = seed;
    run.verbose = quiet ? verbosity::quiet : verbosity::normal;
    return run_command(run);
  }
  return 2;
}
