#include "sim/engine/run_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <new>

#include <memory>

#include "sim/engine/swarm.hpp"
#include "sim/results/output.hpp"
#include "sim/results/output_target.hpp"
#include "sim/scenario/memory_estimate.hpp"
#include "sim/scenario/units.hpp"

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
    if (auto why = check_memory(s, physical_memory())) {
      fmt::print(stderr, "swarmsim: error: {}: {}\n", request.scenario_path, *why);
      return 2;
    }
    swarm check(s);  // driver-level checks before anything is written
  } catch (const scenario_error& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 2;
  }
  const std::filesystem::path out =
      request.out_dir ? *request.out_dir : std::filesystem::path("results") / s.name;
  try {
    return replace_results(out, [&] {
      const run_summary summary =
          run_scenario_to(s, out, progress_display_for_stderr(request.verbose));
      if (request.verbose != verbosity::quiet) {
        print_summary(stdout, summary);
        fmt::print("results in {}/\n", out.string());
      }
      return 0;
    });
  } catch (const std::bad_alloc&) {
    throw;  // main() names it
  } catch (const std::exception& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 1;
  }
}

}  // namespace swarmsim::sim
