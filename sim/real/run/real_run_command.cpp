#include "sim/real/run/real_run_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <new>

#include "sim/engine/swarm.hpp"
#include "sim/real/commands/commands.hpp"
#include "sim/real/run/real_compare.hpp"
#include "sim/real/run/real_run.hpp"
#include "sim/results/output.hpp"
#include "sim/results/output_target.hpp"
#include "sim/results/progress.hpp"
#include "sim/scenario/memory_estimate.hpp"

namespace swarmsim::sim::real {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_log_lines = 20;

// Prints the first warnings of a run to stderr, then only counts them.
class warning_log {
 public:
  explicit warning_log(bool quiet) : quiet_(quiet) {}
  void operator()(std::string_view text) {
    if (!quiet_ && shown_ < max_log_lines) fmt::print(stderr, "swarmsim: real run: {}\n", text);
    ++count_;
    ++shown_;
  }
  void finish() const {
    if (!quiet_ && count_ > max_log_lines)
      fmt::print(stderr, "swarmsim: real run: {} more warnings not shown\n",
                 count_ - max_log_lines);
  }

 private:
  bool quiet_;
  std::size_t count_ = 0;
  std::size_t shown_ = 0;
};

real_run_result run_for_real(const scenario& s, verbosity v) {
  progress_bar bar(stderr, progress_display_for_stderr(v));
  warning_log warnings(v == verbosity::quiet);
  real_run_options o;
  o.progress = [&](const run_progress& p) { bar.update(p.now, p.completed, p.leechers, p.events); };
  o.log = [&](std::string_view text) {
    bar.finish();
    warnings(text);
  };
  real_run_result r = run_real(s, o);
  bar.finish();
  warnings.finish();
  return r;
}

int run_real_only(const scenario& s, const fs::path& out, verbosity v) {
  const real_run_result r = run_for_real(s, v);
  const run_summary summary = summarize(r.peers, r.samples, r.info);
  output_directory dir(out);
  add_run_files(dir, s, r.peers, r.samples, summary, wall_clock_fields::include);
  dir.publish();
  if (v != verbosity::quiet) {
    print_summary(stdout, summary);
    if (r.hash_failures + r.protocol_errors + r.dropped > 0)
      fmt::print(
          "real run: {} pieces failed their SHA-1 check, {} protocol errors, {} "
          "connections dropped\n",
          r.hash_failures, r.protocol_errors, r.dropped);
    fmt::print("results in {}/\n", out.string());
  }
  return r.cut_short ? 1 : 0;
}

int run_compare(const scenario& s, const fs::path& out, verbosity v) {
  const run_result simulated = simulate(s, progress_display_for_stderr(v));
  const real_run_result r = run_for_real(s, v);
  const run_summary sim_summary = summarize(simulated.peers, simulated.samples, simulated.info);
  const run_summary real_summary = summarize(r.peers, r.samples, r.info);
  const auto rows = compare_download_times(simulated.peers, r.peers);

  output_directory sim_dir(out / "sim");
  add_run_files(sim_dir, s, simulated.peers, simulated.samples, sim_summary,
                wall_clock_fields::omit);
  output_directory real_dir(out / "real");
  add_run_files(real_dir, s, r.peers, r.samples, real_summary, wall_clock_fields::include);
  output_directory top(out);
  top.add(compare_csv_name, format_compare_csv(rows));
  sim_dir.publish();
  real_dir.publish();
  top.publish();
  if (v != verbosity::quiet) {
    fmt::print("simulated in {:.2f} s of wall time, run for real in {:.2f} s\n",
               simulated.info.wall_seconds, r.info.wall_seconds);
    print_compare(stdout, rows);
    fmt::print("results in {}/ (compare.csv, sim/, real/)\n", out.string());
  }
  return r.cut_short ? 1 : 0;
}

}  // namespace

int run_real_command(const run_request& request, real_run_mode mode) {
  const std::string_view flag = mode == real_run_mode::real ? "--real" : "--compare";
  std::vector<std::string> overrides = request.overrides;
  if (request.seed) overrides.push_back(fmt::format("simulation.seed={}", *request.seed));
  scenario s;
  try {
    s = load_scenario(request.scenario_path, overrides);
    if (auto why =
            mode == real_run_mode::compare ? check_memory(s, physical_memory()) : std::nullopt) {
      fmt::print(stderr, "swarmsim: error: {}: {}\n", request.scenario_path, *why);
      return 2;
    }
    swarm check(s);
    if (auto why = check_real_scenario(s)) {
      fmt::print(stderr, "swarmsim: error: {}: {}: {}\n", flag, request.scenario_path, *why);
      return 2;
    }
  } catch (const scenario_error& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 2;
  }
  const fs::path out =
      request.out_dir
          ? *request.out_dir
          : fs::path("results") / (s.name + (mode == real_run_mode::real ? "-real" : "-compare"));
  try {
    int code = 0;  // 1 when cut short: its results are written all the same
    replace_results(out, [&] {
      code = mode == real_run_mode::real ? run_real_only(s, out, request.verbose)
                                         : run_compare(s, out, request.verbose);
      return 0;
    });
    return code;
  } catch (const std::bad_alloc&) {
    throw;  // main() names it
  } catch (const std::exception& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 1;
  }
}

}  // namespace swarmsim::sim::real
