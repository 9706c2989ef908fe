// The end-to-end benchmark: runs reference scenarios and reports, for each, wall
// time, peak memory, events processed, events per wall second, leechers
// completed and simulated time.
//
//   bench_swarm [SCENARIO.yaml ...] [--out DIR] [--timeout SECONDS] [--set KEY=VALUE]...
//               [--repeat N] [--cpu K]
//   bench_swarm --smoke [--repeat N] [--cpu K]
//
// 1. Each scenario runs in a child process (fork), so its peak resident memory
//    (wait4's ru_maxrss) and CPU time are its own. The child reports its figures
//    in shared memory as it goes; one that runs past --timeout is killed and
//    reported with how far it got.
// 2. Wall time is the child's: building the swarm and running it to its stop
//    condition. Loading the YAML is left out; no result files are written.
// 3. All scenarios are loaded before any runs: a bad file is exit 2 (what only
//    the driver checks fails that scenario's run instead).
//    A scenario that fails, times out or leaves a leecher incomplete makes the
//    exit code 1; the others still run and are reported.
// 4. --out DIR writes swarm.csv (one row per run) into DIR, atomically.
// 5. --smoke runs a tiny built-in swarm instead (the test suite's smoke run).
// 6. --repeat N runs each scenario N times in a row (one child each) and reports
//    every run (the `run` column) and, per scenario, the minimum and median
//    wall and CPU time: on a shared machine one run's time is a sample, not a
//    figure. The repeats must agree on events and simulated time (same scenario,
//    same seed); a repeat that does not is reported as `nondeterministic`, and
//    the exit code is 1.
// 7. --cpu K pins the children to CPU K (sched_setaffinity), so that runs to be
//    compared share one core: the virtual CPUs of a shared machine need not be
//    equally fast.
// Without scenario arguments it runs bench/scenarios/{flash-300,flash-1000,scale-10k}.yaml.

#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/engine/huge_pages.hpp"
#include "sim/engine/swarm.hpp"
#include "sim/results/output.hpp"
#include "sim/results/statistics.hpp"
#include "sim/scenario/scenario.hpp"

namespace {

using namespace swarmsim::sim;
using clock_type = std::chrono::steady_clock;

// 1 seed and 8 leechers on a 2 MiB file: a fraction of a second, even under ASan.
constexpr const char* smoke_scenario = R"(
name: bench-smoke
torrent: {size: 2MiB, piece_size: 256KiB, block_size: 16KiB}
defaults: {upload: 20Mbit/s, download: 100Mbit/s}
groups:
  - {name: seed, role: seed}
  - {name: leechers, count: 8, role: leecher}
simulation: {time_limit: 1h}
)";

// What a child reports, in memory shared with its parent: updated as the run
// goes (so a run killed on timeout still tells how far it got), complete once
// `done` is set.
struct child_report {
  std::uint64_t events = 0;
  double wall_seconds = 0;
  double simulated_seconds = 0;
  std::uint32_t peers = 0;
  std::uint32_t leechers = 0;
  std::uint32_t completed = 0;
  double t_min_seconds = 0;  // Kumar & Ross bound of the peers present at t = 0 (0: none)
  bool done = false;
  char error[256] = {};
};

enum class run_status { ok, incomplete, timeout, failed, nondeterministic };

const char* to_string(run_status s) {
  switch (s) {
    case run_status::ok:
      return "ok";
    case run_status::incomplete:
      return "incomplete";
    case run_status::timeout:
      return "timeout";
    case run_status::failed:
      return "failed";
    case run_status::nondeterministic:
      return "nondeterministic";
  }
  return "?";
}

struct bench_result {
  std::string name;
  std::string file;
  unsigned run = 1;  // 1..--repeat
  run_status status = run_status::failed;
  std::string error;
  child_report report;
  double cpu_seconds = 0;
  double peak_rss_mib = 0;
  double wall_seconds = 0;  // the child's figure; the time until the kill on timeout
};

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Runs in the child: the whole simulation, reporting into `r`. Never returns.
[[noreturn]] void run_child(const scenario& s, volatile child_report* r, bool progress, int cpu) {
  try {
    if (cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      if (::sched_setaffinity(0, sizeof set, &set) != 0)
        throw std::runtime_error(
            fmt::format("--cpu {}: sched_setaffinity: {}", cpu, std::strerror(errno)));
    }
    const auto start = clock_type::now();
    auto last_note = start;
    swarm sw(s);
    if (const auto t = sw.t_min()) r->t_min_seconds = std::chrono::duration<double>(*t).count();
    const run_result result = sw.run([&](const run_progress& p) {
      r->events = p.events;
      r->simulated_seconds = std::chrono::duration<double>(p.now).count();
      r->leechers = p.leechers;
      r->completed = p.completed;
      r->wall_seconds = seconds_since(start);
      if (!progress || clock_type::now() - last_note < std::chrono::seconds(10)) return;
      last_note = clock_type::now();
      fmt::print(stderr, "  [{}] {:.0f} s wall: simulated {:.0f} s, {}/{} completed, {} events\n",
                 s.name, seconds_since(start), std::chrono::duration<double>(p.now).count(),
                 p.completed, p.leechers, p.events);
    });
    r->wall_seconds = seconds_since(start);
    r->events = result.info.events;
    r->simulated_seconds = std::chrono::duration<double>(result.info.simulated_end).count();
    r->peers = static_cast<std::uint32_t>(result.peers.size());
    std::uint32_t leechers = 0;
    std::uint32_t completed = 0;
    for (const peer_record& p : result.peers) {
      if (p.role != peer_role::leecher) continue;
      ++leechers;
      completed += p.completion.has_value();
    }
    r->leechers = leechers;
    r->completed = completed;
    r->done = true;
    ::_exit(0);
  } catch (const std::exception& e) {
    std::snprintf(const_cast<char*>(r->error), sizeof r->error, "%s", e.what());
  }
  ::_exit(1);
}

bench_result run_one(const scenario& s, const std::string& file, double timeout_seconds,
                     bool progress, int cpu) {
  bench_result out;
  out.name = s.name;
  out.file = file;
  void* shared = ::mmap(nullptr, sizeof(child_report), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    out.error = fmt::format("mmap: {}", std::strerror(errno));
    return out;
  }
  auto* report = new (shared) child_report;
  std::fflush(stdout);
  std::fflush(stderr);
  const auto start = clock_type::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    out.error = fmt::format("fork: {}", std::strerror(errno));
    ::munmap(shared, sizeof(child_report));
    return out;
  }
  if (pid == 0) run_child(s, report, progress, cpu);

  // Wait for the child, or kill it at the deadline.
  int status = 0;
  rusage usage{};
  bool timed_out = false;
  for (;;) {
    const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (!timed_out && seconds_since(start) > timeout_seconds) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      continue;
    }
    ::usleep(20000);
  }
  out.report = *report;
  ::munmap(shared, sizeof(child_report));
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  out.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  out.peak_rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
  out.wall_seconds = seconds_since(start);
  if (out.report.peers == 0)
    for (const group_spec& g : s.groups)
      out.report.peers += g.count;
  if (timed_out) {
    out.status = run_status::timeout;
    out.error = fmt::format("killed after {:.0f} s", timeout_seconds);
  } else if (out.report.error[0] != '\0') {
    out.error = out.report.error;
  } else if (!out.report.done) {
    out.error = WIFSIGNALED(status) ? fmt::format("child died of signal {}", WTERMSIG(status))
                                    : "child exited without a report";
  } else {
    out.wall_seconds = out.report.wall_seconds;
    out.status =
        out.report.completed == out.report.leechers ? run_status::ok : run_status::incomplete;
  }
  return out;
}

// T_all_done / T_min: the simulated time at which the run stopped (every leecher
// done, for stop: all_complete) over the Kumar & Ross bound; 0 if there is none.
double over_t_min(const bench_result& r) {
  return r.report.t_min_seconds > 0 ? r.report.simulated_seconds / r.report.t_min_seconds : 0;
}

double events_per_second(const bench_result& r) {
  return r.report.wall_seconds > 0 ? static_cast<double>(r.report.events) / r.report.wall_seconds
                                   : 0;
}

// Marks the repeats of a scenario that disagree with its first run on what was
// simulated (events, simulated time, completions): same scenario, same seed
// must give the same run. Returns whether all agreed.
bool check_repeats(std::vector<bench_result>& results, unsigned repeat) {
  bool agreed = true;
  for (std::size_t first = 0; first + repeat <= results.size(); first += repeat) {
    const bench_result& a = results[first];
    if (a.status != run_status::ok && a.status != run_status::incomplete) continue;
    for (std::size_t i = first + 1; i < first + repeat; ++i) {
      bench_result& b = results[i];
      if (b.status != run_status::ok && b.status != run_status::incomplete) continue;
      if (b.report.events == a.report.events &&
          b.report.simulated_seconds == a.report.simulated_seconds &&
          b.report.completed == a.report.completed)
        continue;
      b.status = run_status::nondeterministic;
      b.error = fmt::format(
          "run 1 processed {} events to {:.3f} s simulated, this run {} to {:.3f} s",
          a.report.events, a.report.simulated_seconds, b.report.events, b.report.simulated_seconds);
      agreed = false;
    }
  }
  return agreed;
}

void print_table(const std::vector<bench_result>& results, unsigned repeat) {
  fmt::print("{:<18} {:>3} {:>6} {:>11} {:>10} {:>7} {:>12} {:>8} {:>8} {:>11} {:>9}  {}\n",
             "scenario", "run", "peers", "completed", "simulated", "/T_min", "events", "wall",
             "cpu", "events/s", "peak RSS", "status");
  for (const bench_result& r : results) {
    fmt::print(
        "{:<18} {:>3} {:>6} {:>11} {:>9.1f}s {:>7.3f} {:>12} {:>7.2f}s {:>7.2f}s {:>10.2f}M "
        "{:>6.0f}MiB  {}{}\n",
        r.name, r.run, r.report.peers, fmt::format("{}/{}", r.report.completed, r.report.leechers),
        r.report.simulated_seconds, over_t_min(r), r.report.events, r.wall_seconds, r.cpu_seconds,
        events_per_second(r) / 1e6, r.peak_rss_mib, to_string(r.status),
        r.error.empty() ? "" : ": " + r.error);
  }
  if (repeat < 2) return;
  // Per scenario (its `repeat` rows are consecutive): minimum and median times.
  for (std::size_t first = 0; first + repeat <= results.size(); first += repeat) {
    std::vector<double> wall;
    std::vector<double> cpu;
    for (std::size_t i = first; i < first + repeat; ++i) {
      wall.push_back(results[i].wall_seconds);
      cpu.push_back(results[i].cpu_seconds);
    }
    const auto w = compute_statistics(wall);
    const auto c = compute_statistics(cpu);
    fmt::print("{}: {} runs, wall min {:.2f} s median {:.2f} s, cpu min {:.2f} s median {:.2f} s\n",
               results[first].name, repeat, w->min, w->median, c->min, c->median);
  }
}

std::string format_csv(const std::vector<bench_result>& results) {
  std::string out =
      "scenario,file,run,peers,leechers,completed,simulated_s,events,wall_s,cpu_s,events_per_s,"
      "peak_rss_mib,status,t_min_s\n";
  for (const bench_result& r : results)
    out += fmt::format("{},{},{},{},{},{},{:.3f},{},{:.3f},{:.3f},{:.0f},{:.1f},{},{:.3f}\n",
                       r.name, r.file, r.run, r.report.peers, r.report.leechers, r.report.completed,
                       r.report.simulated_seconds, r.report.events, r.wall_seconds, r.cpu_seconds,
                       events_per_second(r), r.peak_rss_mib, to_string(r.status),
                       r.report.t_min_seconds);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  swarmsim::sim::use_huge_pages(argv);  // as swarmsim itself does (sim/engine/huge_pages.hpp)
  CLI::App app{
      "swarmsim's end-to-end benchmark: runs scenarios, one child process each, and "
      "reports wall time, peak memory and events per second"};
  std::vector<std::string> files;
  std::string out_dir;
  double timeout_seconds = 1800;
  std::vector<std::string> overrides;
  bool smoke = false;
  unsigned repeat = 1;
  int cpu = -1;
  app.add_option("scenarios", files,
                 "Scenario files (default: bench/scenarios/{flash-300,flash-1000,scale-10k}.yaml)");
  app.add_option("--out,-o", out_dir, "Write swarm.csv into this directory");
  app.add_option("--timeout", timeout_seconds, "Kill a scenario after this many wall seconds")
      ->check(CLI::PositiveNumber);
  app.add_option("--set", overrides, "Override a value in every scenario (repeatable)")
      ->type_name("KEY=VALUE");
  app.add_flag("--smoke", smoke, "Run a tiny built-in swarm (the test suite's smoke run)");
  app.add_option("--repeat", repeat,
                 "Run each scenario N times; report every run and the minimum and median times")
      ->type_name("N")
      ->check(CLI::Range(1u, 1000u));
  app.add_option("--cpu", cpu, "Pin the runs to this CPU (default: not pinned)")
      ->type_name("K")
      ->check([](const std::string& text) -> std::string {
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return "";
        int k = -1;
        try {
          std::size_t used = 0;
          k = std::stoi(text, &used);
          if (used != text.size()) k = -1;
        } catch (const std::exception&) {
          k = -1;
        }
        if (k < 0 || k >= CPU_SETSIZE) return fmt::format("'{}' is not a CPU number", text);
        if (!CPU_ISSET(k, &allowed)) {
          std::string list;
          for (int i = 0; i < CPU_SETSIZE; ++i)
            if (CPU_ISSET(i, &allowed)) list += (list.empty() ? "" : ",") + std::to_string(i);
          return fmt::format("CPU {} is not one this process may run on ({})", k, list);
        }
        return "";
      });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  std::vector<std::pair<scenario, std::string>> scenarios;
  try {
    if (smoke) {
      scenarios.emplace_back(parse_scenario(smoke_scenario, "<smoke>", overrides), "<smoke>");
    } else {
      if (files.empty())
        for (const char* name : {"flash-300", "flash-1000", "scale-10k"})
          files.push_back(fmt::format("{}/bench/scenarios/{}.yaml", SWARMSIM_SOURCE_DIR, name));
      for (const std::string& f : files)
        scenarios.emplace_back(load_scenario(f, overrides), f);
    }
  } catch (const scenario_error& e) {
    fmt::print(stderr, "bench_swarm: error: {}\n", e.what());
    return 2;
  }

  std::vector<bench_result> results;
  for (const auto& [s, file] : scenarios)
    for (unsigned run = 1; run <= repeat; ++run) {
      if (!smoke)
        fmt::print(stderr, "running {} ({}){}\n", s.name, file,
                   repeat > 1 ? fmt::format(", run {} of {}", run, repeat) : "");
      results.push_back(run_one(s, file, timeout_seconds, !smoke, cpu));
      results.back().run = run;
    }
  const bool deterministic = check_repeats(results, repeat);
  print_table(results, repeat);
  if (!deterministic)
    fmt::print(stderr,
               "bench_swarm: error: repeats of a scenario simulated different runs "
               "(status nondeterministic above)\n");
  if (!out_dir.empty()) {
    try {
      output_directory dir(out_dir);
      const auto path = dir.add("swarm.csv", format_csv(results));
      dir.publish();
      fmt::print("results in {}\n", path.string());
    } catch (const std::exception& e) {
      fmt::print(stderr, "bench_swarm: error: {}\n", e.what());
      return 1;
    }
  }
  const bool all_ok = std::all_of(results.begin(), results.end(),
                                  [](const bench_result& r) { return r.status == run_status::ok; });
  return all_ok ? 0 : 1;
}
