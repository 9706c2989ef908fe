// `swarmsim run SCENARIO [--real | --compare]`: the options of the run command.
// The simulated run is sim::run_command (sim/engine/run_command.hpp), the real-socket
// runs sim::real::run_real_command (sim/real/run/real_run_command.hpp).

#include <fmt/format.h>

#include <memory>

#include "sim/cli/commands.hpp"
#include "sim/engine/run_command.hpp"
#include "sim/real/run/real_run_command.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::cli {

command add_run_command(CLI::App& app) {
  struct options {
    sim::run_request request;
    std::uint64_t seed = 0;
    std::string out;
    bool quiet = false;
    bool real = false;
    bool compare = false;
  };
  auto o = std::make_shared<options>();
  auto* sub = app.add_subcommand("run", "Simulate a scenario and write its CSV results");
  sub->add_option("scenario", o->request.scenario_path,
                  "Scenario file (YAML); see scenarios/README.md")
      ->required();
  auto* out_opt =
      sub->add_option("--out,-o", o->out,
                      "Output directory, replaced as a whole (default: results/<scenario name>)");
  // Read like the file's seed: CLI11 alone takes "-1" as 2^64 - 1 and "010" as octal.
  auto* seed_opt = sub->add_option("--seed", o->seed, "Random seed (overrides simulation.seed)")
                       ->transform(CLI::Validator(
                           [](std::string& text) {
                             const auto n = sim::parse_whole_number(text);
                             if (n) text = std::to_string(*n);
                             return n.error;
                           },
                           ""));
  sub->add_option("--set", o->request.overrides,
                  "Override a scenario value, e.g. --set groups.leechers.count=50 (repeatable)")
      ->type_name("KEY=VALUE");
  sub->add_flag("--quiet,-q", o->quiet, "No progress bar and no summary");
  auto* real_flag = sub->add_flag("--real", o->real,
                                  "Run the scenario over real TCP sockets on 127.0.0.1 instead "
                                  "(small scenarios; docs/REAL.md)");
  sub->add_flag("--compare", o->compare,
                "Simulate the scenario and run it for real, and compare the download times")
      ->excludes(real_flag);
  return {sub, [o, seed_opt, out_opt] {
            sim::run_request r = o->request;
            if (out_opt->count() > 0) r.out_dir = o->out;  // "" too: refused by name
            if (seed_opt->count() > 0) r.seed = o->seed;
            r.verbose = o->quiet ? sim::verbosity::quiet : sim::verbosity::normal;
            if (o->real || o->compare)
              return sim::real::run_real_command(r, o->compare ? sim::real::real_run_mode::compare
                                                               : sim::real::real_run_mode::real);
            return sim::run_command(r);
          }};
}

}  // namespace swarmsim::cli
