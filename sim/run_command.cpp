#include "sim/run_command.hpp"

#include <fmt/format.h>

#include <cstdio>

#include <memory>

#include "sim/command.hpp"
#include "sim/output.hpp"
#include "sim/real/real_run_hook.hpp"
#include "sim/swarm.hpp"
#include "sim/units.hpp"

namespace swarmsim::sim {

run_result simulate(const scenario& s, progress_display display) {
  swarm sw(s);
  progress_bar bar(stderr, display);
  run_result result =
      sw.run([&](const run_progress& p) { bar.update(p.now, p.completed, p.leechers, p.events); });
  bar.finish();
  return result;
}

void add_run_files(output_directory& dir, const scenario& s, std::span<const peer_record> peers,
                   std::span<const sample> samples, const run_summary& summary,
                   wall_clock_fields wall) {
  write_peers_csv(dir, peers);
  write_timeseries_csv(dir, samples);
  write_summary_json(dir, summary, wall);
  dir.add(resolved_scenario_name, save_scenario(s));
}

run_summary run_scenario_to(const scenario& s, const std::filesystem::path& out,
                            progress_display display) {
  const run_result result = simulate(s, display);
  const run_summary summary = summarize(result.peers, result.samples, result.info);
  output_directory dir(out);
  add_run_files(dir, s, result.peers, result.samples, summary, wall_clock_fields::omit);
  if (s.simulation.overlay_interval) write_overlay_csv(dir, result.overlay);
  if (!s.simulation.trace.empty()) write_traces_csv(dir, result.traces);
  dir.publish();
  return summary;
}

int run_command(const run_request& request) {
  std::vector<std::string> overrides = request.overrides;
  if (request.seed) overrides.push_back(fmt::format("simulation.seed={}", *request.seed));
  scenario s;
  try {
    s = load_scenario(request.scenario_path, overrides);
    swarm check(s);  // driver-level checks before anything is written
  } catch (const scenario_error& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 2;
  }
  const std::filesystem::path out =
      request.out_dir ? *request.out_dir : std::filesystem::path("results") / s.name;
  try {
    const run_summary summary =
        run_scenario_to(s, out, progress_display_for_stderr(request.verbose));
    if (request.verbose != verbosity::quiet) {
      print_summary(stdout, summary);
      fmt::print("results in {}/\n", out.string());
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 1;
  }
  return 0;
}

command add_run_command(CLI::App& app) {
  struct options {
    run_request request;
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
  sub->add_option("--out,-o", o->out, "Output directory (default: results/<scenario name>)");
  // Read like the file's seed: CLI11 alone takes "-1" as 2^64 - 1 and "010" as octal.
  auto* seed_opt = sub->add_option("--seed", o->seed, "Random seed (overrides simulation.seed)")
                       ->transform(CLI::Validator(
                           [](std::string& text) {
                             const auto n = parse_whole_number(text);
                             if (n) text = std::to_string(*n);
                             return n.error;
                           },
                           ""));
  sub->add_option("--set", o->request.overrides,
                  "Override a scenario value, e.g. --set groups.leechers.count=50 (repeatable)")
      ->type_name("KEY=VALUE");
  sub->add_flag("--quiet,-q", o->quiet, "No progress bar and no summary");
  // Installed by main() when built with sim/real/ (sim/real/real_run_hook.hpp).
  auto* real_flag = sub->add_flag("--real", o->real,
                                  "Run the scenario over real TCP sockets on 127.0.0.1 instead "
                                  "(small scenarios; docs/REAL.md)");
  sub->add_flag("--compare", o->compare,
                "Simulate the scenario and run it for real, and compare the download times")
      ->excludes(real_flag);
  return {sub, [o, seed_opt] {
            run_request r = o->request;
            if (!o->out.empty()) r.out_dir = o->out;
            if (seed_opt->count() > 0) r.seed = o->seed;
            r.verbose = o->quiet ? verbosity::quiet : verbosity::normal;
            if (o->real || o->compare) {
              const auto& real_mode = real::real_run_hook();
              if (!real_mode) {
                fmt::print(stderr, "swarmsim: error: --real: this build has no real-socket mode\n");
                return 2;
              }
              return real_mode(
                  r, o->compare ? real::real_run_mode::compare : real::real_run_mode::real);
            }
            return run_command(r);
          }};
}

}  // namespace swarmsim::sim
