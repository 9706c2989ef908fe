#include "sim/sweep/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "sim/engine/run_command.hpp"
#include "sim/engine/swarm.hpp"
#include "sim/results/overlay.hpp"
#include "sim/results/statistics.hpp"
#include "sim/results/trace.hpp"
#include "sim/results/version.hpp"
#include "sim/scenario/memory_estimate.hpp"

namespace swarmsim::sim {
namespace fs = std::filesystem;

namespace {

// Headline metrics for the stdout summary, when the runs have them.
constexpr std::string_view headline_metrics[] = {
    "completed_fraction",  "download_time_s.mean",         "download_time_s.p90",
    "distribution_time_s", "distribution_time_over_t_min", "upload_utilisation",
};

// Names the --vary value at fault in a scenario error, or the combination.
std::string attribute(const std::string& message, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) {
    const std::string prefix = "--set " + o + ":";
    if (message.starts_with(prefix)) return "--vary " + message.substr(6);
  }
  std::string combination;
  for (const auto& o : overrides)
    combination += (combination.empty() ? "" : ", ") + o;
  return combination.empty() ? message : fmt::format("{} (with {})", message, combination);
}

std::string clock_text(double seconds) {
  const auto s = static_cast<long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                   : fmt::format("{:02}:{:02}", s / 60, s % 60);
}

// The sweep's progress on stderr: a redrawn bar on a terminal, otherwise one line
// per finished run (none when quiet).
class sweep_bar {
 public:
  sweep_bar(std::FILE* out, verbosity v, const sweep_plan& plan)
      : out_(out),
        display_(progress_display_for_stderr(v)),
        verbose_(v),
        plan_(plan),
        start_(std::chrono::steady_clock::now()) {}
  ~sweep_bar() { finish(); }
  sweep_bar(const sweep_bar&) = delete;
  sweep_bar& operator=(const sweep_bar&) = delete;

  void update(const sweep_progress_event& e) {
    if (e.resumed > 0 && !resumed_shown_ && verbose_ == verbosity::normal) {
      finish();
      fmt::print(out_, "swarmsim: resuming: {} of {} runs already complete\n", e.resumed, e.total);
      std::fflush(out_);
      resumed_shown_ = true;
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (display_ == progress_display::on) {
      constexpr std::size_t width = 30;
      const std::size_t filled = e.total == 0 ? width : e.done * width / e.total;
      std::string line = fmt::format("\r[{}{}] {}/{} runs | {} running | {} elapsed",
                                     std::string(filled, '#'), std::string(width - filled, '-'),
                                     e.done, e.total, e.running, clock_text(elapsed));
      if (e.done > 0 && e.done < e.total) {
        line += fmt::format(" | ~{} left", clock_text(elapsed / static_cast<double>(e.done) *
                                                      static_cast<double>(e.total - e.done)));
      }
      std::fputs((line + "\x1b[K").c_str(), out_);
      std::fflush(out_);
      drawn_ = true;
    } else if (verbose_ == verbosity::normal && e.finished) {
      fmt::print(out_, "swarmsim: run {}/{} done: {} ({} elapsed)\n", e.done, e.total,
                 run_dir_name(plan_, *e.finished), clock_text(elapsed));
      std::fflush(out_);
    }
  }

  void finish() {
    if (!drawn_) return;
    std::fputs("\r\x1b[K", out_);
    std::fflush(out_);
    drawn_ = false;
  }

 private:
  std::FILE* out_;
  progress_display display_;
  verbosity verbose_;
  const sweep_plan& plan_;
  std::chrono::steady_clock::time_point start_;
  bool drawn_ = false;
  bool resumed_shown_ = false;
};

}  // namespace

std::string read_sweep_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw sweep_error(fmt::format("cannot read {}", p.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw sweep_error(fmt::format("cannot read {}", p.string()));
  return ss.str();
}

unsigned default_jobs() {
  // Inside a Slurm job, the CPUs it was given; the machine's elsewhere.
  if (const char* c = std::getenv("SLURM_CPUS_PER_TASK")) {
    unsigned n = 0;
    const std::string_view v(c);
    if (std::from_chars(v.data(), v.data() + v.size(), n).ec == std::errc{} && n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

bool run_is_complete(const scenario& s, const fs::path& dir) {
  std::error_code ec;
  std::vector<std::string_view> names{peers_csv_name, timeseries_csv_name, summary_json_name,
                                      resolved_scenario_name};
  if (s.simulation.overlay_interval) names.push_back(overlay_csv_name);
  if (!s.simulation.trace.empty()) names.push_back(traces_csv_name);
  for (const auto name : names)
    if (!fs::is_regular_file(dir / name, ec)) return false;
  try {
    if (read_sweep_file(dir / resolved_scenario_name) != save_scenario(s)) return false;
    const fs::path summary = dir / summary_json_name;
    summary_metrics(read_sweep_file(summary), summary.string());
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

std::string shard_file_stem(shard_spec shard) {
  return fmt::format("shard-{}-of-{}", shard.index, shard.count);
}

std::string run_dir_name(const sweep_plan& plan, const run_ref& run) {
  return fmt::format("runs/{}/seed-{}", plan.label(run.combination), run.seed);
}

prepared_sweep prepare_sweep(const std::string& scenario_path, const std::vector<std::string>& set,
                             const std::vector<varied_key>& vary, std::uint32_t seeds,
                             std::optional<shard_spec> shard) {
  const scenario base = load_scenario(scenario_path, set);
  prepared_sweep p{sweep_manifest{std::string(version()), scenario_path, base.name,
                                  scenario_fingerprint(save_scenario(base)), set,
                                  sweep_plan(vary, seeds, base.simulation.seed), shard},
                   {}};
  const sweep_plan& plan = p.manifest.plan;
  p.combinations.reserve(plan.combinations());
  for (std::size_t c = 0; c < plan.combinations(); ++c) {
    const std::vector<std::string> varied = plan.overrides(c);
    std::vector<std::string> overrides = set;
    overrides.insert(overrides.end(), varied.begin(), varied.end());
    try {
      scenario s = load_scenario(scenario_path, overrides);
      if (auto why = check_memory(s, physical_memory()))
        throw scenario_error(fmt::format("{}: {}", scenario_path, *why));
      swarm check(s);
      p.combinations.push_back(std::move(s));
    } catch (const scenario_error& e) {
      throw scenario_error(attribute(e.what(), varied));
    }
  }
  return p;
}

std::vector<task_failure> run_parallel(std::size_t count, unsigned jobs,
                                       const std::function<void(std::size_t)>& task) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex failures_mutex;
  std::vector<task_failure> failures;
  const auto worker = [&] {
    while (!stop.load()) {
      const std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      try {
        task(i);
      } catch (const std::exception& e) {
        const std::lock_guard lock(failures_mutex);
        failures.push_back(task_failure{i, e.what()});
        stop = true;
      } catch (...) {
        const std::lock_guard lock(failures_mutex);
        failures.push_back(task_failure{i, "unknown error"});
        stop = true;
      }
    }
  };
  const std::size_t threads_wanted = std::min<std::size_t>(std::max(jobs, 1u), count);
  if (threads_wanted <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    try {
      for (std::size_t t = 0; t < threads_wanted; ++t)
        threads.emplace_back(worker);
    } catch (...) {
      stop = true;
      for (auto& t : threads)
        t.join();
      throw;
    }
    for (auto& t : threads)
      t.join();
  }
  std::sort(failures.begin(), failures.end(),
            [](const task_failure& a, const task_failure& b) { return a.index < b.index; });
  return failures;
}

runs_table execute_sweep(const prepared_sweep& sweep, const fs::path& out, unsigned jobs,
                         const std::function<void(const sweep_progress_event&)>& progress) {
  const sweep_plan& plan = sweep.manifest.plan;
  std::vector<run_ref> runs;
  if (sweep.manifest.shard) {
    runs = plan.shard_runs(*sweep.manifest.shard);
  } else {
    for (std::size_t k = 0; k < plan.runs(); ++k)
      runs.push_back(plan.run(k));
  }

  // The combination folders are made here, so that worker threads never race to
  // create the same parent directory.
  std::set<std::size_t> combinations;
  for (const auto& r : runs)
    combinations.insert(r.combination);
  for (const std::size_t c : combinations) {
    const fs::path dir = out / "runs" / plan.label(c);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
      throw output_error(fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));
  }

  // Resuming: runs whose folder is complete and of this very scenario (rule 4)
  // are not run again.
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    scenario s = sweep.combinations.at(runs[i].combination);
    s.simulation.seed = runs[i].seed;
    if (!run_is_complete(s, out / run_dir_name(plan, runs[i]))) pending.push_back(i);
  }

  std::mutex progress_mutex;
  sweep_progress_event state{runs.size() - pending.size(), 0, runs.size(), nullptr};
  state.resumed = state.done;
  const auto report = [&](const run_ref* finished) {
    state.finished = finished;
    if (progress) progress(state);
  };
  if (progress && state.resumed > 0) progress(state);
  const auto failures = run_parallel(pending.size(), jobs, [&](std::size_t k) {
    const run_ref& run = runs[pending[k]];
    {
      const std::lock_guard lock(progress_mutex);
      ++state.running;
      report(nullptr);
    }
    scenario s = sweep.combinations.at(run.combination);
    s.simulation.seed = run.seed;
    try {
      run_scenario_to(s, out / run_dir_name(plan, run), progress_display::off);
    } catch (...) {
      const std::lock_guard lock(progress_mutex);
      --state.running;
      throw;
    }
    const std::lock_guard lock(progress_mutex);
    --state.running;
    ++state.done;
    report(&run);
  });
  if (!failures.empty()) {
    std::string message = fmt::format("{} run(s) failed:", failures.size());
    for (const auto& f : failures)
      message += fmt::format("\n  {}: {}", run_dir_name(plan, runs[pending[f.index]]), f.what);
    throw sweep_error(message);
  }

  runs_table table;
  for (const auto& v : plan.vary())
    table.keys.push_back(v.key);
  std::vector<run_row> rows;
  rows.reserve(runs.size());
  for (const auto& run : runs) {
    const std::string dir = run_dir_name(plan, run);
    const fs::path summary = out / dir / summary_json_name;
    rows.push_back(run_row{run.combination, plan.values(run.combination), run.seed, dir,
                           summary_metrics(read_sweep_file(summary), summary.string())});
  }
  add_rows(table, std::move(rows));
  return table;
}

void write_sweep_tables(output_directory& dir, const sweep_manifest& manifest,
                        const runs_table& table) {
  if (manifest.shard) {
    const std::string stem = shard_file_stem(*manifest.shard);
    dir.add(stem + ".csv", format_runs_csv(table));
    dir.add(stem + ".json", format_manifest_json(manifest));
  } else {
    dir.add(runs_csv_name, format_runs_csv(table));
    dir.add(compare_csv_name, format_compare_csv(table));
    dir.add(sweep_json_name, format_manifest_json(manifest));
  }
}

void print_sweep_summary(std::FILE* out, const sweep_plan& plan, const runs_table& table) {
  std::vector<std::string_view> shown;
  for (const auto name : headline_metrics) {
    if (std::find(table.metrics.begin(), table.metrics.end(), name) != table.metrics.end())
      shown.push_back(name);
  }
  for (std::size_t first = 0; first < table.rows.size();) {
    std::size_t last = first;
    const std::size_t c = table.rows[first].combination;
    while (last < table.rows.size() && table.rows[last].combination == c)
      ++last;
    fmt::print(out, "{} ({} runs)\n", plan.label(c), last - first);
    for (const auto name : shown) {
      std::vector<double> values;
      for (std::size_t r = first; r < last; ++r) {
        const std::string* v = table.rows[r].metric(name);
        if (const auto x = v ? parse_metric(*v) : std::nullopt) values.push_back(*x);
      }
      const auto s = compute_statistics(values);
      if (!s) {
        fmt::print(out, "  {:<30} -   (no run has a value)\n", name);
        continue;
      }
      std::string line = fmt::format("  {:<30} {:>12.3f}", name, s->mean);
      if (s->ci_low) line += fmt::format("   95% CI [{:.3f}, {:.3f}]", *s->ci_low, *s->ci_high);
      if (s->n != last - first) line += fmt::format("   ({} of {} runs)", s->n, last - first);
      fmt::print(out, "{}\n", line);
    }
    first = last;
  }
}

int sweep_command(const sweep_request& request) {
  std::optional<prepared_sweep> sweep;
  try {
    std::vector<varied_key> vary;
    for (const auto& v : request.vary)
      vary.push_back(parse_vary(v));
    std::optional<shard_spec> shard;
    if (request.shard) shard = parse_shard(*request.shard);
    sweep = prepare_sweep(request.scenario_path, request.set, vary, request.seeds, shard);
  } catch (const std::exception& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 2;
  }
  std::error_code ec;
  if (fs::exists(request.out, ec) && !fs::is_directory(request.out, ec)) {
    fmt::print(stderr, "swarmsim: error: --out {}: exists and is not a directory\n",
               request.out.string());
    return 2;
  }
  const unsigned jobs = request.jobs > 0 ? request.jobs : default_jobs();
  const sweep_plan& plan = sweep->manifest.plan;
  const auto start = std::chrono::steady_clock::now();
  sweep_bar bar(stderr, request.verbose, plan);
  runs_table table;
  try {
    table = execute_sweep(*sweep, request.out, jobs,
                          [&](const sweep_progress_event& e) { bar.update(e); });
    bar.finish();
    output_directory dir(request.out);
    write_sweep_tables(dir, sweep->manifest, table);
    dir.publish();
  } catch (const std::exception& e) {
    bar.finish();
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 1;
  }
  if (request.verbose == verbosity::quiet) return 0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::size_t threads =
      std::min<std::size_t>(jobs, std::max<std::size_t>(table.rows.size(), 1));
  if (sweep->manifest.shard) {
    fmt::print("shard {}/{}: {} of {} runs in {:.1f} s on {} thread(s)\n",
               sweep->manifest.shard->index, sweep->manifest.shard->count, table.rows.size(),
               plan.runs(), wall, threads);
  } else {
    fmt::print("sweep: {} runs ({} combination(s) x {} seed(s)) in {:.1f} s on {} thread(s)\n",
               table.rows.size(), plan.combinations(), plan.seeds(), wall, threads);
  }
  print_sweep_summary(stdout, plan, table);
  fmt::print("results in {}/\n", request.out.string());
  return 0;
}

}  // namespace swarmsim::sim
